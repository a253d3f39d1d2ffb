// A link aggregation group (LAG) on a vDS proxy switch (R6.5, vSphere "LACP Support on a vSphere
// Distributed Switch"): the host's vmnics assigned to the LAG's ports (lag1-0, lag1-1 …) act as
// one logical uplink for teaming. Which members carry traffic is LACP's decision (lacp.ts): only
// bundled ones — collecting and distributing (802.1AX) — send or take in frames. A frame leaves
// on one bundled member chosen by a hash of the fields the LAG's load-balancing mode names
// (VMwareDvsLacpLoadBalanceAlgorithm), per frame. Picking a member allocates nothing.
import { linkUp, type Port } from './fabric.js';
import type { LagAlgorithm } from '../spec/lacp-names.js';

const SRC_MAC = 1;
const DST_MAC = 2;
const SRC_IP = 4;
const DST_IP = 8;
const SRC_L4 = 16;
const DST_L4 = 32;
const VLAN = 64;
const PORT_ID = 128;
const IP_FIELDS = SRC_IP | DST_IP | SRC_L4 | DST_L4;

/** The header fields each mode hashes. */
const FIELDS: Record<LagAlgorithm, number> = {
  srcDestIpTcpUdpPortVlan: SRC_IP | DST_IP | SRC_L4 | DST_L4 | VLAN, srcIpTcpUdpPortVlan: SRC_IP | SRC_L4 | VLAN, destIpTcpUdpPortVlan: DST_IP | DST_L4 | VLAN,
  srcDestIpTcpUdpPort: SRC_IP | DST_IP | SRC_L4 | DST_L4, srcIpTcpUdpPort: SRC_IP | SRC_L4, destIpTcpUdpPort: DST_IP | DST_L4,
  srcDestIpVlan: SRC_IP | DST_IP | VLAN, srcIpVlan: SRC_IP | VLAN, destIpVlan: DST_IP | VLAN,
  srcDestIp: SRC_IP | DST_IP, srcIp: SRC_IP, destIp: DST_IP,
  srcDestTcpUdpPort: SRC_L4 | DST_L4, srcTcpUdpPort: SRC_L4, destTcpUdpPort: DST_L4,
  srcDestMac: SRC_MAC | DST_MAC, srcMac: SRC_MAC, destMac: DST_MAC, vlan: VLAN, srcPortId: PORT_ID,
};

export class Lag {
  /** 1 where the member is bundled: LACP lets it collect and distribute (lacp.ts) */
  readonly bundled: Uint8Array;
  /** each member's LAG port: lag1-0, lag1-1 … (the vmnics in the order the lab file assigns them) */
  readonly portNames: readonly string[];
  private readonly fields: number;

  constructor(
    readonly name: string,
    readonly algorithm: LagAlgorithm,
    readonly members: readonly Port[],
  ) {
    this.fields = FIELDS[algorithm];
    this.bundled = new Uint8Array(members.length);
    this.portNames = members.map((_, i) => `${name}-${i}`);
  }

  /** Does teaming have the LAG: a bundled member with its link up (R6.5; none: the LAG is down, R5.7)? */
  get usable(): boolean {
    for (let i = 0; i < this.members.length; i++) if (this.bundled[i] === 1 && linkUp(this.members[i]!)) return true;
    return false;
  }

  /** Bundled members with link up. */
  get distributing(): number {
    let n = 0;
    for (let i = 0; i < this.members.length; i++) if (this.bundled[i] === 1 && linkUp(this.members[i]!)) n++;
    return n;
  }

  /** Does the member take in what arrives on it (802.1AX collecting)? Not a member: true. */
  collects(port: Port): boolean {
    const i = this.members.indexOf(port);
    return i < 0 || this.bundled[i] === 1;
  }

  /** The LAG port of a member (`lag1-0`), or undefined. */
  portName(port: Port): string | undefined {
    const i = this.members.indexOf(port);
    return i < 0 ? undefined : this.portNames[i];
  }

  /**
   * The member a frame leaves by: the hash of the LAG's fields modulo the bundled members, in
   * member order. Without a frame (settling ports) the port's own MAC, id and VLAN stand in. `high`
   * and `low` are the sending port's MAC halves, `portId` its port index, `vlan` its VLAN context.
   */
  pick(frame: Uint8Array | undefined, high: number, low: number, portId: number, vlan: number): Port | null {
    const n = this.distributing;
    if (n === 0) return null;
    let k = n === 1 ? 0 : this.hash(frame, high, low, portId, vlan) % n;
    for (let i = 0; i < this.members.length; i++) {
      const m = this.members[i]!;
      if (this.bundled[i] === 1 && linkUp(m) && k-- === 0) return m;
    }
    return null;
  }

  /**
   * FNV-1a over the fields the mode names. [L] VMware documents the fields, not the function. A
   * non-IPv4 frame hashes its MACs instead of IP fields (no IP header to read) — [L], as physical
   * switches fall back for src-dst-ip. VGT frames carry their tag (VLAN, then the IP header at 18).
   */
  private hash(frame: Uint8Array | undefined, high: number, low: number, portId: number, vlan: number): number {
    let f = this.fields;
    let h = 0x811c9dc5;
    let ip = -1;
    if (frame !== undefined && frame.length >= 14) {
      const tagged = frame[12] === 0x81 && frame[13] === 0x00 && frame.length >= 18;
      if (tagged) vlan = ((frame[14]! & 0x0f) << 8) | frame[15]!;
      const et = tagged ? 16 : 12;
      if (frame[et] === 0x08 && frame[et + 1] === 0x00 && frame.length >= et + 22) ip = et + 2;
    }
    if ((f & IP_FIELDS) !== 0 && ip < 0) f = (f & ~IP_FIELDS) | ((f & (SRC_IP | SRC_L4)) !== 0 ? SRC_MAC : 0) | ((f & (DST_IP | DST_L4)) !== 0 ? DST_MAC : 0);
    if ((f & SRC_MAC) !== 0) {
      if (frame !== undefined && frame.length >= 12) for (let i = 6; i < 12; i++) h = Math.imul(h ^ frame[i]!, 0x01000193);
      else h = Math.imul(Math.imul(h ^ high, 0x01000193) ^ low, 0x01000193);
    }
    if ((f & DST_MAC) !== 0 && frame !== undefined && frame.length >= 6) for (let i = 0; i < 6; i++) h = Math.imul(h ^ frame[i]!, 0x01000193);
    if (ip >= 0 && frame !== undefined) {
      if ((f & SRC_IP) !== 0) for (let i = ip + 12; i < ip + 16; i++) h = Math.imul(h ^ frame[i]!, 0x01000193);
      if ((f & DST_IP) !== 0) for (let i = ip + 16; i < ip + 20; i++) h = Math.imul(h ^ frame[i]!, 0x01000193);
      // TCP (6) / UDP (17) ports, in the first fragment only.
      const proto = frame[ip + 9];
      const l4 = ip + (frame[ip]! & 0x0f) * 4;
      const firstFragment = ((frame[ip + 6]! & 0x1f) | frame[ip + 7]!) === 0;
      if ((proto === 6 || proto === 17) && firstFragment && frame.length >= l4 + 4) {
        if ((f & SRC_L4) !== 0) h = Math.imul(Math.imul(h ^ frame[l4]!, 0x01000193) ^ frame[l4 + 1]!, 0x01000193);
        if ((f & DST_L4) !== 0) h = Math.imul(Math.imul(h ^ frame[l4 + 2]!, 0x01000193) ^ frame[l4 + 3]!, 0x01000193);
      }
    }
    if ((f & VLAN) !== 0) h = Math.imul(Math.imul(h ^ (vlan >>> 8), 0x01000193) ^ (vlan & 0xff), 0x01000193);
    if ((f & PORT_ID) !== 0) h = Math.imul(h ^ portId, 0x01000193);
    // Fold the high bits down (FNV's low bits alone spread poorly over 2–4 members); a small
    // integer (31 bits) stays unboxed across the call — a uint32 above 2^31 would be a HeapNumber.
    return (h ^ (h >>> 16)) & 0x7fffffff;
  }
}
