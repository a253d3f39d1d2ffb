// ICMP (RFC 792): echo request/reply built; any message parsed (id/seq are the second header word).

import { read16, validWindow, write16 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import { buildEthernet, ETHERTYPE_IPV4 } from './ethernet.js';
import { buildIpv4, IP_PROTO_ICMP } from './ipv4.js';

export const ICMP_HEADER_LEN = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMP_ECHO_REQUEST = 8;

export interface IcmpEchoSpec {
  type: 8 | 0;
  id: number;
  seq: number;
  data: Uint8Array;
}

/** ICMP echo request (8) or reply (0) message with its checksum. */
export function buildIcmpEcho(spec: IcmpEchoSpec): Uint8Array {
  const m = new Uint8Array(ICMP_HEADER_LEN + spec.data.length);
  m[0] = spec.type;
  write16(m, 4, spec.id);
  write16(m, 6, spec.seq);
  m.set(spec.data, ICMP_HEADER_LEN);
  write16(m, 2, internetChecksum(m));
  return m;
}

export interface ParsedIcmp {
  type: number;
  code: number;
  /** Echo identifier / sequence (for other types: the two halves of the "rest of header" word). */
  id: number;
  seq: number;
  dataOffset: number;
  dataLength: number;
  checksumOk: boolean;
}

/** Parse buf[off..end) as an ICMP message (pass the IPv4 payload window); null if shorter than 8 bytes. */
export function parseIcmp(buf: Uint8Array, off = 0, end = buf.length): ParsedIcmp | null {
  if (!validWindow(buf, off, end) || end - off < ICMP_HEADER_LEN) return null;
  return {
    type: buf[off]!,
    code: buf[off + 1]!,
    id: read16(buf, off + 4),
    seq: read16(buf, off + 6),
    dataOffset: off + ICMP_HEADER_LEN,
    dataLength: end - off - ICMP_HEADER_LEN,
    checksumOk: internetChecksum(buf, off, end) === 0,
  };
}

export interface IcmpEchoFrameSpec {
  srcMac: number;
  dstMac: number;
  srcIp: number;
  dstIp: number;
  id: number;
  seq: number;
  /** ICMP data bytes, like `ping -s` (default 56). Filled with i & 0xff (deterministic). */
  size?: number;
  reply: boolean;
  ttl?: number;
}

/** A whole untagged Ethernet frame carrying an ICMP echo request or reply. */
export function icmpEchoFrame(s: IcmpEchoFrameSpec): Uint8Array {
  const data = new Uint8Array(s.size ?? 56);
  for (let i = 0; i < data.length; i++) data[i] = i;
  const icmp = buildIcmpEcho({ type: s.reply ? ICMP_ECHO_REPLY : ICMP_ECHO_REQUEST, id: s.id, seq: s.seq, data });
  const ip = buildIpv4({ src: s.srcIp, dst: s.dstIp, protocol: IP_PROTO_ICMP, ttl: s.ttl ?? 64, payload: icmp });
  return buildEthernet({ dst: s.dstMac, src: s.srcMac, etherType: ETHERTYPE_IPV4, payload: ip });
}
