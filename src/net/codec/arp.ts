// ARP (RFC 826) for Ethernet/IPv4, and RARP (RFC 903: same layout, opcodes 3/4, EtherType 0x8035).
//
//  0 htype=1 | 2 ptype=0x0800 | 4 hlen=6 | 5 plen=4 | 6 op | 8 sha(6) | 14 spa(4) | 18 tha(6) | 24 tpa(4)

import { read16, read32, validWindow, write16, write32 } from './bytes.js';
import { buildEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_RARP } from './ethernet.js';
import { BROADCAST_MAC, readMac, writeMac } from './mac.js';

export const ARP_LEN = 28;
export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
export const RARP_REQUEST = 3;
export const RARP_REPLY = 4;

export interface Arp {
  op: number;
  senderMac: number;
  senderIp: number;
  targetMac: number;
  targetIp: number;
}

/** The 28-byte ARP/RARP payload. */
export function buildArp(a: Arp): Uint8Array {
  const p = new Uint8Array(ARP_LEN);
  write16(p, 0, 1);
  write16(p, 2, ETHERTYPE_IPV4);
  p[4] = 6;
  p[5] = 4;
  write16(p, 6, a.op);
  writeMac(p, 8, a.senderMac);
  write32(p, 14, a.senderIp);
  writeMac(p, 18, a.targetMac);
  write32(p, 24, a.targetIp);
  return p;
}

/** Parse buf[off..end) as Ethernet/IPv4 ARP or RARP; null if short or not that hardware/protocol pair. */
export function parseArp(buf: Uint8Array, off = 0, end = buf.length): Arp | null {
  if (!validWindow(buf, off, end) || end - off < ARP_LEN) return null;
  if (read16(buf, off) !== 1 || read16(buf, off + 2) !== ETHERTYPE_IPV4 || buf[off + 4] !== 6 || buf[off + 5] !== 4) {
    return null;
  }
  return {
    op: read16(buf, off + 6),
    senderMac: readMac(buf, off + 8),
    senderIp: read32(buf, off + 14),
    targetMac: readMac(buf, off + 18),
    targetIp: read32(buf, off + 24),
  };
}

/** Broadcast "who-has targetIp tell srcIp". */
export function arpRequestFrame(srcMac: number, srcIp: number, targetIp: number): Uint8Array {
  const payload = buildArp({ op: ARP_REQUEST, senderMac: srcMac, senderIp: srcIp, targetMac: 0, targetIp });
  return buildEthernet({ dst: BROADCAST_MAC, src: srcMac, etherType: ETHERTYPE_ARP, payload });
}

/** Unicast "srcIp is-at srcMac" to the requester (dstMac, dstIp). */
export function arpReplyFrame(srcMac: number, srcIp: number, dstMac: number, dstIp: number): Uint8Array {
  const payload = buildArp({ op: ARP_REPLY, senderMac: srcMac, senderIp: srcIp, targetMac: dstMac, targetIp: dstIp });
  return buildEthernet({ dst: dstMac, src: srcMac, etherType: ETHERTYPE_ARP, payload });
}

/** Gratuitous ARP (announcement): a broadcast request with sender IP = target IP. */
export function gratuitousArpFrame(mac: number, ip: number): Uint8Array {
  const payload = buildArp({ op: ARP_REQUEST, senderMac: mac, senderIp: ip, targetMac: 0, targetIp: ip });
  return buildEthernet({ dst: BROADCAST_MAC, src: mac, etherType: ETHERTYPE_ARP, payload });
}

/**
 * R5.10 notify-switches RARP: request (op 3), dst broadcast, src = the VM's MAC, EtherType 0x8035,
 * sender and target hardware address = mac, both IPs 0.0.0.0.
 */
export function rarpFrame(mac: number): Uint8Array {
  const payload = buildArp({ op: RARP_REQUEST, senderMac: mac, senderIp: 0, targetMac: mac, targetIp: 0 });
  return buildEthernet({ dst: BROADCAST_MAC, src: mac, etherType: ETHERTYPE_RARP, payload });
}
