// MAC addresses as 48-bit integers in a JS number (exact: < 2^53), so the data plane compares
// and hashes them without allocating. Octet 0 is the most significant: 00:50:56:aa:bb:cc =
// 0x005056aabbcc. Its bit 0 (the I/G bit, bit 40 of the number) marks group addresses.

const TWO32 = 0x1_0000_0000;
const TWO40 = 0x100_0000_0000;

export const BROADCAST_MAC = 0xffff_ffff_ffff;
export const ZERO_MAC = 0;

/** The 6 octets at buf[off..off+6) as a number. Does not allocate. */
export function readMac(buf: Uint8Array, off: number): number {
  const hi = (buf[off]! << 8) | buf[off + 1]!;
  const lo = ((buf[off + 2]! << 24) | (buf[off + 3]! << 16) | (buf[off + 4]! << 8) | buf[off + 5]!) >>> 0;
  return hi * TWO32 + lo;
}

export function writeMac(buf: Uint8Array, off: number, mac: number): void {
  const hi = (mac / TWO32) | 0;
  const lo = mac >>> 0;
  buf[off] = hi >>> 8;
  buf[off + 1] = hi;
  buf[off + 2] = lo >>> 24;
  buf[off + 3] = lo >>> 16;
  buf[off + 4] = lo >>> 8;
  buf[off + 5] = lo;
}

/** Destination MAC of an Ethernet frame (no allocation). */
export function frameDst(frame: Uint8Array): number {
  return readMac(frame, 0);
}

/** Source MAC of an Ethernet frame (no allocation). */
export function frameSrc(frame: Uint8Array): number {
  return readMac(frame, 6);
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
  const hi = (mac / TWO32) | 0;
  const lo = mac >>> 0;
  return `${HEX[(hi >>> 8) & 255]}:${HEX[hi & 255]}:${HEX[lo >>> 24]}:${HEX[(lo >>> 16) & 255]}:${HEX[(lo >>> 8) & 255]}:${HEX[lo & 255]}`;
}
