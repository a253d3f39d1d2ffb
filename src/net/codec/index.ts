// Wire-format codecs: the bottom of the network data plane.
//
// Conventions: frames are Uint8Array in Ethernet wire format without FCS; MACs are 48-bit
// integers in a number, IPv4 addresses unsigned 32-bit numbers. Inside nestlab the outer 802.1Q
// tag travels as metadata (`vid`) beside the bytes (see ethernet.ts).
// build*/…Frame functions return new arrays and throw RangeError on bad arguments (a bug in the
// caller); parse* functions never throw on any bytes and return null when malformed. The readers
// etherTypeOf, innerVlanOf, readMacHigh, readMacLow and isMulticastAt allocate nothing; frameDst,
// frameSrc and readMac return a 48-bit number, which V8 boxes when it crosses a call, so switches
// read MACs as int32 halves instead (mac.ts).

export * from './bytes.js';
export * from './mac.js';
export * from './ip.js';
export * from './checksum.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv4.js';
export * from './icmp.js';
export * from './udp.js';
export * from './igmp.js';
export * from './describe.js';
