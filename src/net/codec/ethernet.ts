// Ethernet II frames and 802.1Q / 802.1ad tags.
//
// Inside nestlab the OUTER tag of a frame travels as metadata (a `vid`, 0 = untagged) beside the
// bytes, and the bytes hold the frame without it; tags further in (a guest's own VGT tag under a
// QinQ outer tag, spec §3 R3.6–R3.8) stay in the bytes. splitOuterTag / withOuterTag convert
// between that form and real wire bytes (pcap files, taps). No FCS anywhere.

import { read16, write16 } from './bytes.js';
import { readMac, writeMac } from './mac.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_RARP = 0x8035;
export const ETHERTYPE_VLAN = 0x8100; // 802.1Q C-tag
export const ETHERTYPE_QINQ = 0x88a8; // 802.1ad S-tag

export const ETH_HEADER_LEN = 14;
/** Minimum frame length without FCS; NICs pad shorter frames with zeros. */
export const ETH_MIN_FRAME = 60;
export const MAX_VID = 4095;

function isTagType(t: number): boolean {
  return t === ETHERTYPE_VLAN || t === ETHERTYPE_QINQ;
}

/** The EtherType field at offset 12 (0x8100 / 0x88a8 if an inner tag follows); 0 if too short. No allocation. */
export function etherTypeOf(frame: Uint8Array): number {
  return frame.length < ETH_HEADER_LEN ? 0 : read16(frame, 12);
}

/** VID of the first tag still in the bytes, or 0 if there is none. No allocation. */
export function innerVlanOf(frame: Uint8Array): number {
  if (frame.length < ETH_HEADER_LEN + 4 || !isTagType(read16(frame, 12))) return 0;
  return read16(frame, 14) & 0xfff;
}

export interface OuterTagSplit {
  /** VID of the stripped tag; 0 if the frame was untagged (or priority-tagged). */
  vid: number;
  pcp: number;
  /** TPID of the stripped tag (0x8100 or 0x88a8), 0 if none was stripped. */
  tpid: number;
  /** The frame without its outer tag (a new array if a tag was stripped, else the input). */
  frame: Uint8Array;
}

/** Wire bytes → nestlab form: strip the first 0x8100 / 0x88a8 tag, if any. */
export function splitOuterTag(wire: Uint8Array): OuterTagSplit {
  if (wire.length < ETH_HEADER_LEN + 4 || !isTagType(read16(wire, 12))) {
    return { vid: 0, pcp: 0, tpid: 0, frame: wire };
  }
  const tpid = read16(wire, 12);
  const tci = read16(wire, 14);
  const frame = new Uint8Array(wire.length - 4);
  frame.set(wire.subarray(0, 12), 0);
  frame.set(wire.subarray(16), 12);
  return { vid: tci & 0xfff, pcp: tci >>> 13, tpid, frame };
}

/** nestlab form → wire bytes: insert an outer tag after the MACs (a new array). vid 0 → the frame itself. */
export function withOuterTag(frame: Uint8Array, vid: number, pcp = 0, tpid = ETHERTYPE_VLAN): Uint8Array {
  if (vid === 0) return frame;
  checkVid(vid);
  if (!Number.isInteger(pcp) || pcp < 0 || pcp > 7) throw new RangeError(`bad 802.1Q priority ${pcp}`);
  if (frame.length < 12) throw new RangeError(`frame too short to tag (${frame.length} bytes)`);
  const wire = new Uint8Array(frame.length + 4);
  wire.set(frame.subarray(0, 12), 0);
  write16(wire, 12, tpid);
  write16(wire, 14, (pcp << 13) | vid);
  wire.set(frame.subarray(12), 16);
  return wire;
}

function checkVid(vid: number): void {
  if (!Number.isInteger(vid) || vid < 0 || vid > MAX_VID) throw new RangeError(`bad VLAN id ${vid}`);
}

export interface EthernetSpec {
  dst: number;
  src: number;
  etherType: number;
  payload: Uint8Array;
  /** 802.1Q tags to write inside the frame, outermost first (guest VGT tags, QinQ inner tags). */
  innerVlans?: number[];
}

/** Build an Ethernet II frame, zero-padded to 60 bytes like a NIC. Throws RangeError on bad arguments. */
export function buildEthernet(spec: EthernetSpec): Uint8Array {
  const vlans = spec.innerVlans ?? [];
  for (const v of vlans) checkVid(v);
  if (!Number.isInteger(spec.etherType) || spec.etherType < 0 || spec.etherType > 0xffff) {
    throw new RangeError(`bad EtherType ${spec.etherType}`);
  }
  const hdr = ETH_HEADER_LEN + 4 * vlans.length;
  const frame = new Uint8Array(Math.max(ETH_MIN_FRAME, hdr + spec.payload.length));
  writeMac(frame, 0, spec.dst);
  writeMac(frame, 6, spec.src);
  let off = 12;
  for (const v of vlans) {
    write16(frame, off, ETHERTYPE_VLAN);
    write16(frame, off + 2, v);
    off += 4;
  }
  write16(frame, off, spec.etherType);
  frame.set(spec.payload, hdr);
  return frame;
}

export interface ParsedEthernet {
  dst: number;
  src: number;
  /** VIDs of the tags in the bytes, outer first. */
  vlans: number[];
  /** The EtherType after all tags. */
  etherType: number;
  /** Where the payload starts (it runs to the end of the frame, padding included). */
  payloadOffset: number;
}

/** Parse an Ethernet II header and any stacked 0x8100 / 0x88a8 tags; null if truncated. */
export function parseEthernet(frame: Uint8Array): ParsedEthernet | null {
  if (frame.length < ETH_HEADER_LEN) return null;
  const vlans: number[] = [];
  let off = 12;
  let type = read16(frame, off);
  while (isTagType(type)) {
    if (off + 6 > frame.length) return null;
    vlans.push(read16(frame, off + 2) & 0xfff);
    off += 4;
    type = read16(frame, off);
  }
  return { dst: readMac(frame, 0), src: readMac(frame, 6), vlans, etherType: type, payloadOffset: off + 2 };
}
