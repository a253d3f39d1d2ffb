// UDP (RFC 768) with the IPv4 pseudo-header checksum.

import { read16, validWindow, write16 } from './bytes.js';
import { finishChecksum, sum16 } from './checksum.js';
import { IP_PROTO_UDP } from './ipv4.js';

export const UDP_HEADER_LEN = 8;

function pseudoSum(srcIp: number, dstIp: number, length: number): number {
  return (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff) + IP_PROTO_UDP + length;
}

export interface UdpSpec {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
  srcIp: number;
  dstIp: number;
}

/** UDP header + payload; checksum over the pseudo-header (0 is sent as 0xffff). */
export function buildUdp(s: UdpSpec): Uint8Array {
  const len = UDP_HEADER_LEN + s.payload.length;
  if (len > 0xffff) throw new RangeError(`UDP datagram too long (${len} bytes)`);
  const d = new Uint8Array(len);
  write16(d, 0, s.srcPort);
  write16(d, 2, s.dstPort);
  write16(d, 4, len);
  d.set(s.payload, UDP_HEADER_LEN);
  const c = finishChecksum(sum16(d, 0, len, pseudoSum(s.srcIp, s.dstIp, len)));
  write16(d, 6, c === 0 ? 0xffff : c);
  return d;
}

export interface ParsedUdp {
  srcPort: number;
  dstPort: number;
  length: number;
  payloadOffset: number;
  payloadLength: number;
  /** true/false when the IPs were given and a checksum was sent; null when not checked (or checksum 0 = none). */
  checksumOk: boolean | null;
}

/** Parse buf[off..end) (the IPv4 payload window); pass the IPs to verify the checksum. null if truncated. */
export function parseUdp(
  buf: Uint8Array, off = 0, end = buf.length, ips?: { srcIp: number; dstIp: number },
): ParsedUdp | null {
  if (!validWindow(buf, off, end) || end - off < UDP_HEADER_LEN) return null;
  const length = read16(buf, off + 4);
  if (length < UDP_HEADER_LEN || length > end - off) return null;
  let checksumOk: boolean | null = null;
  if (ips && read16(buf, off + 6) !== 0) {
    checksumOk = finishChecksum(sum16(buf, off, off + length, pseudoSum(ips.srcIp, ips.dstIp, length))) === 0;
  }
  return {
    srcPort: read16(buf, off),
    dstPort: read16(buf, off + 2),
    length,
    payloadOffset: off + UDP_HEADER_LEN,
    payloadLength: length - UDP_HEADER_LEN,
    checksumOk,
  };
}
