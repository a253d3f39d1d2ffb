// IGMP (IPv4 protocol 2): v1/v2 membership reports and queries (RFC 1112, RFC 2236), the v2 leave
// group message, IGMPv3 queries and membership reports with their group records (RFC 3376).
// Every IGMP packet goes out with TTL 1, the Router Alert option (RFC 2113: 94 04 00 00, so IHL
// 6) and — as Linux sends them — TOS 0xc0. IPv4 group addresses map to Ethernet multicast
// 01:00:5e + their low 23 bits (RFC 1112 §6.4). MLD (IPv6) is not decoded: nestlab keeps IPv6
// multicast at the MAC level (33:33:xx, basic filtering).
//
//  v1/v2 (8 bytes):  0 type | 1 max resp (1/10 s) | 2 checksum | 4 group
//  v3 query (≥ 12):  0 0x11 | 1 max resp code | 2 checksum | 4 group | 8 S/QRV | 9 QQIC | 10 N | 12 sources
//  v3 report (≥ 8):  0 0x22 | 1 0 | 2 checksum | 4 0 | 6 M | 8 records: type, aux len, N, group, sources, aux

import { read16, read32, validWindow, write16, write32 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import { buildEthernet, ETHERTYPE_IPV4 } from './ethernet.js';

export const IP_PROTO_IGMP = 2;

export const IGMP_QUERY = 0x11;
export const IGMP_V1_REPORT = 0x12;
export const IGMP_V2_REPORT = 0x16;
export const IGMP_V2_LEAVE = 0x17;
export const IGMP_V3_REPORT = 0x22;

/** IGMPv3 group record types (RFC 3376 §4.2.12). */
export const MODE_IS_INCLUDE = 1;
export const MODE_IS_EXCLUDE = 2;
export const CHANGE_TO_INCLUDE = 3;
export const CHANGE_TO_EXCLUDE = 4;
export const ALLOW_NEW_SOURCES = 5;
export const BLOCK_OLD_SOURCES = 6;

/** 224.0.0.1 all systems (general queries), 224.0.0.2 all routers (leaves), 224.0.0.22 IGMPv3-capable routers (v3 reports). */
export const ALL_SYSTEMS = 0xe0000001;
export const ALL_ROUTERS = 0xe0000002;
export const IGMPV3_ROUTERS = 0xe0000016;

/** IPv4 header with the Router Alert option: 24 bytes. */
const IGMP_IP_HEADER = 24;

/** Is `ip` an IPv4 multicast group (224.0.0.0/4)? */
export function isIpv4Multicast(ip: number): boolean {
  return ip >>> 28 === 0xe;
}

/** The Ethernet multicast MAC of an IPv4 group: 01:00:5e + its low 23 bits (RFC 1112 §6.4). */
export function groupMac(group: number): number {
  return 0x01005e000000 + (group & 0x7fffff);
}

export interface GroupRecord {
  type: number;
  group: number;
  sources: number[];
}

export type Igmp =
  /** a query: general (group 0) or group-specific; v1 (max resp 0), v2 (8 bytes) or v3 (≥ 12 bytes) */
  | { kind: 'query'; version: 1 | 2 | 3; group: number; maxRespMs: number; sources: number[] }
  | { kind: 'report'; version: 1 | 2; group: number }
  | { kind: 'leave'; group: number }
  | { kind: 'report-v3'; records: GroupRecord[] }
  /** a type nestlab does not act on (DVMRP, mtrace, …): passed along as it is */
  | { kind: 'other'; type: number };

/** IGMPv3 Max Resp Code / QQIC: below 128 the value itself, else a mantissa and an exponent (RFC 3376 §4.1.1). */
export function decodeIgmpCode(code: number): number {
  return code < 128 ? code : ((code & 0x0f) | 0x10) << (((code >>> 4) & 0x07) + 3);
}

/**
 * Parse buf[off..end) — the IPv4 payload — as an IGMP message; null when it is malformed: too
 * short for its type, a bad checksum, a group that is not multicast (or, in a general query, not
 * 0), records running past the end. Never throws.
 */
export function parseIgmp(buf: Uint8Array, off = 0, end = buf.length): Igmp | null {
  if (!validWindow(buf, off, end) || end - off < 8) return null;
  if (internetChecksum(buf, off, end) !== 0) return null;
  const type = buf[off]!;
  const len = end - off;
  const group = read32(buf, off + 4);
  switch (type) {
    case IGMP_QUERY: {
      if (group !== 0 && !isIpv4Multicast(group)) return null;
      if (len === 8) {
        const code = buf[off + 1]!;
        return { kind: 'query', version: code === 0 ? 1 : 2, group, maxRespMs: (code === 0 ? 100 : code) * 100, sources: [] };
      }
      if (len < 12) return null;
      const n = read16(buf, off + 10);
      if (12 + 4 * n > len) return null;
      const sources: number[] = [];
      for (let i = 0; i < n; i++) sources.push(read32(buf, off + 12 + 4 * i));
      return { kind: 'query', version: 3, group, maxRespMs: decodeIgmpCode(buf[off + 1]!) * 100, sources };
    }
    case IGMP_V1_REPORT:
    case IGMP_V2_REPORT:
      return isIpv4Multicast(group) ? { kind: 'report', version: type === IGMP_V1_REPORT ? 1 : 2, group } : null;
    case IGMP_V2_LEAVE:
      return isIpv4Multicast(group) ? { kind: 'leave', group } : null;
    case IGMP_V3_REPORT: {
      const m = read16(buf, off + 6);
      const records: GroupRecord[] = [];
      let p = off + 8;
      for (let i = 0; i < m; i++) {
        if (end - p < 8) return null;
        const n = read16(buf, p + 2);
        const size = 8 + 4 * n + 4 * buf[p + 1]!;
        if (size > end - p) return null;
        const g = read32(buf, p + 4);
        const rtype = buf[p]!;
        if (!isIpv4Multicast(g) || rtype < MODE_IS_INCLUDE || rtype > BLOCK_OLD_SOURCES) return null;
        const sources: number[] = [];
        for (let j = 0; j < n; j++) sources.push(read32(buf, p + 8 + 4 * j));
        records.push({ type: rtype, group: g, sources });
        p += size;
      }
      return { kind: 'report-v3', records };
    }
    default:
      return { kind: 'other', type };
  }
}

/** An IGMP message in an IPv4 packet (TTL 1, Router Alert) in an untagged Ethernet frame to the group's MAC. */
function igmpFrame(srcMac: number, srcIp: number, dstIp: number, igmp: Uint8Array): Uint8Array {
  write16(igmp, 2, internetChecksum(igmp));
  const total = IGMP_IP_HEADER + igmp.length;
  const p = new Uint8Array(total);
  p[0] = 0x46; // version 4, IHL 6: the Router Alert option follows the fixed header
  p[1] = 0xc0; // DSCP CS6, as Linux sends IGMP
  write16(p, 2, total);
  p[8] = 1; // TTL 1: IGMP never leaves the link
  p[9] = IP_PROTO_IGMP;
  write32(p, 12, srcIp);
  write32(p, 16, dstIp);
  write32(p, 20, 0x94040000); // RFC 2113 Router Alert
  write16(p, 10, internetChecksum(p, 0, IGMP_IP_HEADER));
  p.set(igmp, IGMP_IP_HEADER);
  return buildEthernet({ dst: groupMac(dstIp), src: srcMac, etherType: ETHERTYPE_IPV4, payload: p });
}

function checkGroup(group: number): void {
  if (!isIpv4Multicast(group)) throw new RangeError(`not an IPv4 multicast group: ${group >>> 0}`);
}

/** An IGMPv1 or v2 membership report for `group`, sent to the group itself (RFC 2236 §3). */
export function igmpReportFrame(srcMac: number, srcIp: number, group: number, version: 1 | 2 = 2): Uint8Array {
  checkGroup(group);
  const m = new Uint8Array(8);
  m[0] = version === 1 ? IGMP_V1_REPORT : IGMP_V2_REPORT;
  write32(m, 4, group);
  return igmpFrame(srcMac, srcIp, group, m);
}

/** An IGMPv2 leave group message, to all routers (224.0.0.2). */
export function igmpLeaveFrame(srcMac: number, srcIp: number, group: number): Uint8Array {
  checkGroup(group);
  const m = new Uint8Array(8);
  m[0] = IGMP_V2_LEAVE;
  write32(m, 4, group);
  return igmpFrame(srcMac, srcIp, ALL_ROUTERS, m);
}

/** An IGMPv3 membership report with `records`, to 224.0.0.22 (RFC 3376 §4.2.14). */
export function igmpV3ReportFrame(srcMac: number, srcIp: number, records: readonly GroupRecord[]): Uint8Array {
  let size = 8;
  for (const r of records) {
    checkGroup(r.group);
    if (r.type < MODE_IS_INCLUDE || r.type > BLOCK_OLD_SOURCES) throw new RangeError(`bad IGMPv3 record type ${r.type}`);
    size += 8 + 4 * r.sources.length;
  }
  const m = new Uint8Array(size);
  m[0] = IGMP_V3_REPORT;
  write16(m, 6, records.length);
  let p = 8;
  for (const r of records) {
    m[p] = r.type;
    write16(m, p + 2, r.sources.length);
    write32(m, p + 4, r.group);
    r.sources.forEach((s, i) => write32(m, p + 8 + 4 * i, s));
    p += 8 + 4 * r.sources.length;
  }
  return igmpFrame(srcMac, srcIp, IGMPV3_ROUTERS, m);
}

export interface QuerySpec {
  srcMac: number;
  srcIp: number;
  /** 0: a general query (to 224.0.0.1); else group-specific (to the group) */
  group?: number;
  version?: 2 | 3;
  /** max response time, ms (default 10 s), in 1/10 s */
  maxRespMs?: number;
  /** v3: the querier's query interval, s (QQIC, default 125) */
  intervalS?: number;
}

/** A general or group-specific membership query, IGMPv2 (8 bytes) or v3 (12 bytes, no sources). */
export function igmpQueryFrame(q: QuerySpec): Uint8Array {
  const group = q.group ?? 0;
  if (group !== 0) checkGroup(group);
  const v3 = q.version === 3;
  const m = new Uint8Array(v3 ? 12 : 8);
  m[0] = IGMP_QUERY;
  m[1] = Math.min(127, Math.max(1, Math.round((q.maxRespMs ?? 10_000) / 100)));
  write32(m, 4, group);
  if (v3) {
    m[8] = 2; // QRV: robustness 2
    m[9] = Math.min(127, q.intervalS ?? 125);
  }
  return igmpFrame(q.srcMac, q.srcIp, group === 0 ? ALL_SYSTEMS : group, m);
}
