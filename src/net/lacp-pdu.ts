// LACPDUs (IEEE 802.3ad / 802.1AX §5.4.2): slow-protocols frames to 01:80:c2:00:00:02, EtherType
// 0x8809, subtype 1, version 1, with the actor's and partner's (system priority, system, key, port
// priority, port, state) and a collector TLV — 110 bytes after the Ethernet header. No bridge
// forwards them (802.1D reserved group address): a physical switch or an ESXi host takes them in,
// whether or not the port runs LACP. Negotiation itself is computed centrally (lacp.ts); these
// frames are what a capture sees of it.
import { buildEthernet, readMac, writeMac } from './codec/index.js';

const SLOW_PROTOCOLS_MAC = 0x0180_c200_0002;
const ETHERTYPE_SLOW_PROTOCOLS = 0x8809;

/** Actor/partner state bits (802.1AX §5.4.2.2 item m; Linux bond_3ad.h AD_STATE_*). */
export const LACP_ACTIVITY = 0x01;
export const LACP_SHORT_TIMEOUT = 0x02;
export const LACP_AGGREGATION = 0x04;
export const LACP_SYNC = 0x08;
export const LACP_COLLECTING = 0x10;
export const LACP_DISTRIBUTING = 0x20;

export interface LacpPortInfo {
  systemPriority: number;
  system: number;
  key: number;
  portPriority: number;
  port: number;
  state: number;
}

/** Is the frame a slow-protocols frame (LACP, marker, OAM …)? Allocates nothing. */
export function isSlowProtocolsAt(frame: Uint8Array): boolean {
  return frame.length >= 15 && frame[0] === 0x01 && frame[1] === 0x80 && frame[2] === 0xc2 && frame[3] === 0x00 && frame[4] === 0x00
    && frame[5] === 0x02 && frame[12] === 0x88 && frame[13] === 0x09;
}

/** An LACPDU from `src` (the sending port's MAC); an unknown partner is all zeros (defaulted). */
export function lacpduFrame(src: number, actor: LacpPortInfo, partner: LacpPortInfo | null): Uint8Array {
  const p = new Uint8Array(110);
  p[0] = 0x01; // subtype LACP
  p[1] = 0x01; // version
  info(p, 2, 0x01, actor);
  info(p, 22, 0x02, partner ?? { systemPriority: 0, system: 0, key: 0, portPriority: 0, port: 0, state: 0 });
  p[42] = 0x03; // collector information
  p[43] = 0x10;
  // p[44..45] collector max delay 0; reserved; terminator TLV (type 0, length 0) and padding: zeros.
  return buildEthernet({ dst: SLOW_PROTOCOLS_MAC, src, etherType: ETHERTYPE_SLOW_PROTOCOLS, payload: p });
}

function info(p: Uint8Array, off: number, type: number, i: LacpPortInfo): void {
  p[off] = type;
  p[off + 1] = 0x14;
  p[off + 2] = i.systemPriority >>> 8;
  p[off + 3] = i.systemPriority & 0xff;
  writeMac(p, off + 4, i.system);
  p[off + 10] = i.key >>> 8;
  p[off + 11] = i.key & 0xff;
  p[off + 12] = i.portPriority >>> 8;
  p[off + 13] = i.portPriority & 0xff;
  p[off + 14] = i.port >>> 8;
  p[off + 15] = i.port & 0xff;
  p[off + 16] = i.state;
}

/** Actor and partner of an LACPDU, or null when the bytes are not one. */
export function parseLacpdu(frame: Uint8Array): { actor: LacpPortInfo; partner: LacpPortInfo } | null {
  if (!isSlowProtocolsAt(frame) || frame.length < 14 + 110 || frame[14] !== 0x01 || frame[16] !== 0x01 || frame[36] !== 0x02) return null;
  const read = (off: number): LacpPortInfo => ({
    systemPriority: (frame[off + 2]! << 8) | frame[off + 3]!, system: readMac(frame, off + 4), key: (frame[off + 10]! << 8) | frame[off + 11]!,
    portPriority: (frame[off + 12]! << 8) | frame[off + 13]!, port: (frame[off + 14]! << 8) | frame[off + 15]!, state: frame[off + 16]!,
  });
  return { actor: read(16), partner: read(36) };
}
