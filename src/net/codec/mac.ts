// MAC addresses as 48-bit integers in a JS number (exact: < 2^53). Octet 0 is the most
// significant: 00:50:56:aa:bb:cc = 0x005056aabbcc. Its bit 0 (the I/G bit, bit 40 of the number)
// marks group addresses.
//
// The forwarding fast path never makes that number from a frame: above 2^31 it is a double, and
// V8 allocates a heap box for a double passed through a call or used as a Map key. It reads a
// MAC as two int32 halves instead — high: octets 0–1, low: octets 2–5 (signed) — which V8 keeps
// as small integers (MacTable in mactable.ts is keyed by them), or tests its bits in place.

const TWO32 = 0x1_0000_0000;
const TWO40 = 0x100_0000_0000;

export const BROADCAST_MAC = 0xffff_ffff_ffff;
export const ZERO_MAC = 0;

/** Where an Ethernet frame's destination and source MACs start. */
export const DST_OFFSET = 0;
export const SRC_OFFSET = 6;

/** The 6 octets at buf[off..off+6) as a number. */
export function readMac(buf: Uint8Array, off: number): number {
  return macFromHalves(readMacHigh(buf, off), readMacLow(buf, off));
}

/** Octets 0–1 of the MAC at buf[off..off+6): the high half, 0 … 0xffff. */
export function readMacHigh(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

/** Octets 2–5 of the MAC at buf[off..off+6): the low half, as a signed int32. */
export function readMacLow(buf: Uint8Array, off: number): number {
  return (buf[off + 2]! << 24) | (buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!;
}

/** The high half of a MAC number (as readMacHigh reads it from bytes). */
export function macHigh(mac: number): number {
  return (mac / TWO32) | 0;
}

/** The low half of a MAC number, as a signed int32 (as readMacLow reads it from bytes). */
export function macLow(mac: number): number {
  return mac | 0;
}

export function macFromHalves(high: number, low: number): number {
  return high * TWO32 + (low >>> 0);
}

/** A MAC address made once (a port's), with its halves, compared with frame bytes in place. */
export class MacAddress {
  readonly high: number;
  readonly low: number;

  constructor(readonly value: number) {
    this.high = macHigh(value);
    this.low = macLow(value);
  }

  /** Is the MAC at buf[off..off+6) this one? */
  isAt(buf: Uint8Array, off: number): boolean {
    return readMacLow(buf, off) === this.low && readMacHigh(buf, off) === this.high;
  }
}

/** Is the MAC at buf[off..off+6) a group address (I/G bit set)? Read in place. */
export function isMulticastAt(buf: Uint8Array, off: number): boolean {
  return (buf[off]! & 1) === 1;
}

/** Is the MAC at buf[off..off+6) ff:ff:ff:ff:ff:ff? Read in place. */
export function isBroadcastAt(buf: Uint8Array, off: number): boolean {
  return readMacLow(buf, off) === -1 && readMacHigh(buf, off) === 0xffff;
}

export function writeMac(buf: Uint8Array, off: number, mac: number): void {
  const hi = macHigh(mac);
  const lo = macLow(mac);
  buf[off] = hi >>> 8;
  buf[off + 1] = hi;
  buf[off + 2] = lo >>> 24;
  buf[off + 3] = lo >>> 16;
  buf[off + 4] = lo >>> 8;
  buf[off + 5] = lo;
}

/** Destination MAC of an Ethernet frame, as a number (for tools and guests; switches read halves). */
export function frameDst(frame: Uint8Array): number {
  return readMac(frame, DST_OFFSET);
}

/** Source MAC of an Ethernet frame, as a number (for tools and guests; switches read halves). */
export function frameSrc(frame: Uint8Array): number {
  return readMac(frame, SRC_OFFSET);
}

/** Group address (I/G bit set): multicast, and broadcast too. */
export function isMulticastMac(mac: number): boolean {
  return ((mac / TWO40) & 1) === 1;
}

export function isBroadcastMac(mac: number): boolean {
  return mac === BROADCAST_MAC;
}

export function isValidMac(mac: number): boolean {
  return Number.isInteger(mac) && mac >= 0 && mac <= BROADCAST_MAC;
}

const MAC_TEXT = /^([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})$/i;

/** '00:50:56:aa:bb:cc' (or '-'-separated, any case) → number. Throws RangeError on other text. */
export function macToNumber(text: string): number {
  const m = MAC_TEXT.exec(text);
  if (!m) throw new RangeError(`not a MAC address: ${JSON.stringify(text)}`);
  let n = 0;
  for (let i = 1; i <= 6; i++) n = n * 256 + parseInt(m[i]!, 16);
  return n;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** number → '00:50:56:aa:bb:cc' (lower case, colon-separated). */
export function macToString(mac: number): string {
  const hi = macHigh(mac);
  const lo = mac >>> 0;
  return `${HEX[(hi >>> 8) & 255]}:${HEX[hi & 255]}:${HEX[lo >>> 24]}:${HEX[(lo >>> 16) & 255]}:${HEX[(lo >>> 8) & 255]}:${HEX[lo & 255]}`;
}
