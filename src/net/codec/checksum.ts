// The Internet checksum (RFC 1071): ones'-complement sum of 16-bit big-endian words.

/** Add buf[off..end) as 16-bit words to acc (an odd last byte is padded with zero). Unfolded. */
export function sum16(buf: Uint8Array, off: number, end: number, acc = 0): number {
  let i = off;
  for (; i + 1 < end; i += 2) acc += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) acc += buf[i]! << 8;
  return acc;
}

/** Fold a sum16 accumulator and complement it: the value to put in a checksum field. */
export function finishChecksum(acc: number): number {
  while (acc > 0xffff) acc = (acc & 0xffff) + Math.floor(acc / 0x10000);
  return ~acc & 0xffff;
}

/** Checksum of buf[off..end). Over data that includes a correct checksum field, this is 0. */
export function internetChecksum(buf: Uint8Array, off = 0, end = buf.length): number {
  return finishChecksum(sum16(buf, off, end));
}
