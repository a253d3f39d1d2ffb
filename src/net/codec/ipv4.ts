// IPv4 header (RFC 791). Built without options (IHL 5); parsed with or without.

import { read16, read32, validWindow, write16, write32 } from './bytes.js';
import { internetChecksum } from './checksum.js';

export const IPV4_HEADER_LEN = 20;
export const IP_PROTO_ICMP = 1;
export const IP_PROTO_TCP = 6;
export const IP_PROTO_UDP = 17;

export interface Ipv4Spec {
  src: number;
  dst: number;
  protocol: number;
  ttl?: number;
  id?: number;
  dontFragment?: boolean;
  payload: Uint8Array;
}

/** Header + payload, with a correct header checksum. Throws RangeError if over 65535 bytes. */
export function buildIpv4(spec: Ipv4Spec): Uint8Array {
  const total = IPV4_HEADER_LEN + spec.payload.length;
  if (total > 0xffff) throw new RangeError(`IPv4 packet too long (${total} bytes)`);
  const p = new Uint8Array(total);
  p[0] = 0x45;
  write16(p, 2, total);
  write16(p, 4, spec.id ?? 0);
  write16(p, 6, spec.dontFragment ? 0x4000 : 0);
  p[8] = spec.ttl ?? 64;
  p[9] = spec.protocol;
  write32(p, 12, spec.src);
  write32(p, 16, spec.dst);
  write16(p, 10, internetChecksum(p, 0, IPV4_HEADER_LEN));
  p.set(spec.payload, IPV4_HEADER_LEN);
  return p;
}

export interface ParsedIpv4 {
  src: number;
  dst: number;
  protocol: number;
  ttl: number;
  id: number;
  /** Flags + fragment offset word (0x4000 = DF, 0x2000 = MF, low 13 bits = offset / 8). */
  fragment: number;
  headerLength: number;
  totalLength: number;
  /** Absolute offset in the buffer given; the payload is totalLength - headerLength bytes. */
  payloadOffset: number;
  payloadLength: number;
  checksumOk: boolean;
}

/** Parse buf[off..end) (Ethernet padding after totalLength is ignored); null if not a whole IPv4 packet. */
export function parseIpv4(buf: Uint8Array, off = 0, end = buf.length): ParsedIpv4 | null {
  if (!validWindow(buf, off, end) || end - off < IPV4_HEADER_LEN) return null;
  const vihl = buf[off]!;
  const headerLength = (vihl & 0x0f) * 4;
  const totalLength = read16(buf, off + 2);
  if (vihl >>> 4 !== 4 || headerLength < IPV4_HEADER_LEN || totalLength < headerLength || totalLength > end - off) {
    return null;
  }
  return {
    src: read32(buf, off + 12),
    dst: read32(buf, off + 16),
    protocol: buf[off + 9]!,
    ttl: buf[off + 8]!,
    id: read16(buf, off + 4),
    fragment: read16(buf, off + 6),
    headerLength,
    totalLength,
    payloadOffset: off + headerLength,
    payloadLength: totalLength - headerLength,
    checksumOk: internetChecksum(buf, off, off + headerLength) === 0,
  };
}
