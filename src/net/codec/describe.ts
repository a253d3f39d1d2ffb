// One-line human summaries of frames for traces, tcpdump-like:
//   ARP who-has 10.0.0.1 tell 10.0.0.5 · ICMP echo request 10.0.0.5 > 10.0.0.1 id 1 seq 2 ·
//   RARP 00:50:56:aa:bb:cc · IGMPv3 report 239.1.1.1 10.0.0.5 > 224.0.0.22 · 802.1Q vlan 20 ARP …
// Never throws: malformed frames are described as such.

import { ARP_REPLY, ARP_REQUEST, parseArp, RARP_REPLY, RARP_REQUEST, type Arp } from './arp.js';
import { ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_RARP, parseEthernet } from './ethernet.js';
import { ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, parseIcmp } from './icmp.js';
import { IP_PROTO_IGMP, parseIgmp, type Igmp } from './igmp.js';
import { ipToString } from './ip.js';
import { IP_PROTO_ICMP, IP_PROTO_UDP, parseIpv4 } from './ipv4.js';
import { macToString } from './mac.js';
import { parseUdp } from './udp.js';

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}

function describeArp(a: Arp): string {
  const sip = ipToString(a.senderIp);
  const tip = ipToString(a.targetIp);
  switch (a.op) {
    case ARP_REQUEST:
      return a.senderIp === a.targetIp
        ? `ARP gratuitous ${sip} is-at ${macToString(a.senderMac)}`
        : `ARP who-has ${tip} tell ${sip}`;
    case ARP_REPLY:
      return `ARP ${sip} is-at ${macToString(a.senderMac)}`;
    default:
      return `ARP op ${a.op} ${sip} > ${tip}`;
  }
}

function describeRarp(a: Arp): string {
  if (a.op === RARP_REQUEST) {
    return a.senderMac === a.targetMac
      ? `RARP ${macToString(a.targetMac)}`
      : `RARP who-is ${macToString(a.targetMac)} tell ${macToString(a.senderMac)}`;
  }
  if (a.op === RARP_REPLY) return `RARP ${macToString(a.targetMac)} at ${ipToString(a.targetIp)}`;
  return `RARP op ${a.op} ${macToString(a.senderMac)}`;
}

function describeIgmp(m: Igmp | null): string {
  if (m === null) return 'IGMP malformed';
  switch (m.kind) {
    case 'query': return `IGMPv${m.version} ${m.group === 0 ? 'general query' : `query ${ipToString(m.group)}`}`;
    case 'report': return `IGMPv${m.version} report ${ipToString(m.group)}`;
    case 'leave': return `IGMPv2 leave ${ipToString(m.group)}`;
    case 'report-v3': return `IGMPv3 report ${m.records.map((r) => `${ipToString(r.group)}${r.sources.length ? ` (${r.sources.length} sources)` : ''}`).join(', ') || '(no records)'}`;
    case 'other': return `IGMP type ${hex4(m.type)}`;
  }
}

function describeIpv4(frame: Uint8Array, off: number): string {
  const ip = parseIpv4(frame, off);
  if (!ip) return `IPv4 malformed (${frame.length - off} bytes)`;
  const src = ipToString(ip.src);
  const dst = ipToString(ip.dst);
  const bad = ip.checksumOk ? '' : ' [bad ip checksum]';
  const end = ip.payloadOffset + ip.payloadLength;
  if (ip.protocol === IP_PROTO_ICMP) {
    const m = parseIcmp(frame, ip.payloadOffset, end);
    if (!m) return `ICMP malformed ${src} > ${dst}${bad}`;
    const kind = m.type === ICMP_ECHO_REQUEST ? 'echo request' : m.type === ICMP_ECHO_REPLY ? 'echo reply' : null;
    return kind
      ? `ICMP ${kind} ${src} > ${dst} id ${m.id} seq ${m.seq}${bad}`
      : `ICMP type ${m.type} code ${m.code} ${src} > ${dst}${bad}`;
  }
  if (ip.protocol === IP_PROTO_IGMP) return `${describeIgmp(parseIgmp(frame, ip.payloadOffset, end))} ${src} > ${dst}${bad}`;
  if (ip.protocol === IP_PROTO_UDP) {
    const u = parseUdp(frame, ip.payloadOffset, end);
    if (!u) return `UDP malformed ${src} > ${dst}${bad}`;
    return `UDP ${src}:${u.srcPort} > ${dst}:${u.dstPort} len ${u.payloadLength}${bad}`;
  }
  return `IPv4 proto ${ip.protocol} ${src} > ${dst}${bad}`;
}

/** Summary of a frame in nestlab form (vid = its outer tag as metadata, 0 = untagged). */
export function describeFrame(frame: Uint8Array, vid = 0): string {
  const outer = vid ? `802.1Q vlan ${vid} ` : '';
  const eth = parseEthernet(frame);
  if (!eth) return `${outer}malformed frame (${frame.length} bytes)`;
  const inner = eth.vlans.map((v) => `802.1Q vlan ${v} `).join('');
  let body: string;
  switch (eth.etherType) {
    case ETHERTYPE_ARP: {
      const a = parseArp(frame, eth.payloadOffset);
      body = a ? describeArp(a) : 'ARP malformed';
      break;
    }
    case ETHERTYPE_RARP: {
      const a = parseArp(frame, eth.payloadOffset);
      body = a ? describeRarp(a) : 'RARP malformed';
      break;
    }
    case ETHERTYPE_IPV4:
      body = describeIpv4(frame, eth.payloadOffset);
      break;
    default:
      body = `ethertype ${hex4(eth.etherType)} ${macToString(eth.src)} > ${macToString(eth.dst)} len ${frame.length}`;
  }
  return outer + inner + body;
}
