// Big-endian (network order) field access over Uint8Array. Missing bytes read as 0, so callers
// check lengths first; none of these allocate.

export function read16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

export function read32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

export function write16(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 8;
  buf[off + 1] = v;
}

export function write32(buf: Uint8Array, off: number, v: number): void {
  buf[off] = v >>> 24;
  buf[off + 1] = v >>> 16;
  buf[off + 2] = v >>> 8;
  buf[off + 3] = v;
}

/** Is [off, end) a sane window of buf? (parsers take optional windows and return null if not) */
export function validWindow(buf: Uint8Array, off: number, end: number): boolean {
  return Number.isInteger(off) && Number.isInteger(end) && off >= 0 && off <= end && end <= buf.length;
}
