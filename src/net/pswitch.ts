// A physical Ethernet switch (spec/network.md §9): learning per (VLAN, port) with station moves
// (R9.1), ageing (R9.2), flooding unknown unicast and broadcast within the VLAN except the
// ingress port (R9.3), filtering frames whose destination is behind the ingress port (R9.4),
// access ports that drop tagged frames (R9.5), trunks with a native VLAN and allowed list (R9.6),
// and EtherChannel port channels — members that act as one logical port (R5.4). With spanning
// tree on (stp.ts, R9.9) BPDUs go to it instead of being flooded, and a logical port that is not
// forwarding takes in nothing (learning: learns only) and is left out of floods.
import { DST_OFFSET, SRC_OFFSET, isMulticastAt } from './codec/index.js';
import { linkUp, Port, type Device, type Fabric } from './fabric.js';
import { Fdb } from './fdb.js';
import { SNOOP_DROP, SNOOP_FILTER, SNOOP_FLOOD, type SnoopingSwitch } from './igmp.js';
import { isSlowProtocolsAt } from './lacp-pdu.js';
import { isBpduAt, STP_DISCARDING, STP_FORWARDING, STP_LEARNING, notForwarding, type BpduSink } from './stp-bpdu.js';

export interface SwitchPortConfig {
  mode: 'access' | 'trunk';
  vlan: number;
  native: number;
  /** allowed[vid] === 1 for VLANs a trunk carries */
  allowed: Uint8Array;
  /** EtherChannel: ports with the same channel name form one logical port (R5.4) */
  channel?: string;
}

/** A logical port: one physical port, or a port channel of several (R5.4). */
interface Logical {
  /** what MACs are learned on: the physical port, or the channel's own port (cabled to nothing) */
  port: Port;
  members: Member[];
  /** spanning-tree state (R9.9): STP_FORWARDING unless the switch runs STP and says otherwise */
  stp: number;
}

interface Member {
  port: Port;
  config: SwitchPortConfig;
  logical: Logical;
  /** LACP (R6.5, lacp.ts) lets it carry frames: always for a plain port or a static (mode on) channel */
  bundled: boolean;
}

export class PhysicalSwitch implements Device {
  readonly kind = 'pswitch';
  readonly fdb: Fdb;
  readonly ports: Port[] = [];
  private readonly members = new Map<Port, Member>();
  /** physical ports and channels, in port order: what a flood goes through */
  private readonly logicals: Logical[] = [];
  private readonly byLearnPort = new Map<Port, Logical>();
  private readonly channels = new Map<string, Logical>();
  /** the spanning tree (stp.ts) when the switch runs one: BPDUs are its (R9.9) */
  stp: BpduSink | null = null;
  /** IGMP snooping (`igmpSnooping: true`, igmp.ts), or null: multicast floods like broadcast (R9.3) */
  igmp: SnoopingSwitch | null = null;

  constructor(
    readonly id: string,
    readonly fabric: Fabric,
    agingS: number,
  ) {
    this.fdb = new Fdb(agingS * 1000, fabric);
  }

  addPort(port: Port, config: SwitchPortConfig): void {
    this.ports.push(port);
    let logical = config.channel === undefined ? undefined : this.channels.get(config.channel);
    if (logical === undefined) {
      const own = config.channel === undefined ? port : new Port(`channel:${this.id.replace(/^pswitch:/, '')}/${config.channel}`, this);
      logical = { port: own, members: [], stp: STP_FORWARDING };
      this.logicals.push(logical);
      this.byLearnPort.set(own, logical);
      if (config.channel !== undefined) this.channels.set(config.channel, logical);
    }
    const m: Member = { port, config, logical, bundled: true };
    logical.members.push(m);
    this.members.set(port, m);
  }

  /** LACP's verdict on a channel member (R6.5, lacp.ts): bundled, or suspended — it carries nothing. */
  setLacpBundled(port: Port, bundled: boolean): void {
    const m = this.members.get(port);
    if (m !== undefined) m.bundled = bundled;
  }

  /** A port channel's own port (`channel:SWITCH/NAME`), as MAC tables name it; for restoring them. */
  channelPort(id: string): Port | undefined {
    for (const l of this.channels.values()) if (l.port.id === id) return l.port;
    return undefined;
  }

  /** Logical ports (a port, or a channel's members) in port order: what spanning tree runs on (stp.ts). */
  logicalPorts(): Array<{ port: Port; members: Port[] }> {
    return this.logicals.map((l) => ({ port: l.port, members: l.members.map((m) => m.port) }));
  }

  /** Set a logical port's spanning-tree state (R9.9), by its own port (`logicalPorts()`). */
  setStpState(port: Port, state: number): void {
    const l = this.byLearnPort.get(port);
    if (l !== undefined) l.stp = state;
  }

  receive(port: Port, frame: Uint8Array, vid: number): void {
    const f = this.fabric;
    const m = this.members.get(port)!;
    const c = m.config;
    if (frame.length < 14) return f.drop(port, 'malformed', vid);
    // R9.9: a switch running STP consumes BPDUs (and BPDU guard acts on them); without STP they
    // are multicast like any other and flood (R9.3).
    if (this.stp !== null && isBpduAt(frame)) return this.stp.bpdu(port, frame, vid);
    // LACPDUs are never forwarded (802.1D reserved address): an LACP port's LACP takes them
    // (negotiation: lacp.ts), a static channel or plain port discards them.
    if (frame[0] === 0x01 && isSlowProtocolsAt(frame)) return f.trace(this, port, 'deliver', vid, 'R6.5', 'lacpdu');
    // R6.5: a suspended LACP member takes in nothing (Catalyst "(s)").
    if (!m.bundled) return f.drop(port, 'lacp-suspended', vid);
    const ingress = m.logical;
    if (ingress.stp === STP_DISCARDING) return f.drop(port, 'stp-blocking', vid); // R9.9: blocking, listening
    let vlan: number;
    if (c.mode === 'access') {
      if (vid !== 0) return f.drop(port, 'tagged-on-access', vid); // R9.5 (configurable on real gear)
      vlan = c.vlan;
    } else {
      vlan = vid === 0 ? c.native : vid;
      if (c.allowed[vlan] !== 1) return f.drop(port, 'vlan-not-allowed', vid); // R9.6
    }
    f.trace(this, port, 'ingress', vlan, c.mode === 'access' ? 'R9.5' : 'R9.6');
    // R9.1; a port channel is one logical port: a MAC seen on any member is learned on the
    // channel, so frames of one source spread over its members do not flap (R5.4).
    if (this.fdb.learnSource(vlan, frame, SRC_OFFSET, ingress.port)) f.trace(this, port, 'learn', vlan, ingress.port === port ? 'R9.1' : 'R5.4');
    if (ingress.stp === STP_LEARNING) return f.drop(port, 'stp-learning', vlan); // R9.9: learns, forwards nothing yet
    if (!isMulticastAt(frame, DST_OFFSET)) {
      const out = this.fdb.lookupAt(vlan, frame, DST_OFFSET);
      if (out === ingress.port) return f.drop(port, 'same-port', vlan); // R9.4
      const l = out === null ? undefined : this.byLearnPort.get(out);
      const member = l === undefined ? null : pick(l, vlan, frame);
      if (member !== null) {
        // R9.9: a port that is not forwarding sends nothing, not even to a MAC learned behind it.
        if (member.logical.stp !== STP_FORWARDING) return f.drop(member.port, notForwarding(member.logical.stp), vlan);
        this.send(member, frame, vlan, 'forward', 'R9.1');
        return;
      }
    }
    // R9.3: unknown unicast, broadcast and multicast flood the VLAN, never back out the ingress
    // port — nor into any member of the ingress channel; one copy per channel (R5.4). With IGMP
    // snooping, IPv4 group traffic goes to the group's members and the multicast-router ports only.
    const snoop = this.igmp !== null && isMulticastAt(frame, DST_OFFSET) ? this.igmp.classify(ingress.port, port, frame, vlan) : SNOOP_FLOOD;
    if (snoop === SNOOP_DROP) return f.drop(port, 'malformed', vlan);
    let sent = 0;
    for (const l of this.logicals) {
      if (l === ingress || l.stp !== STP_FORWARDING) continue; // R9.9: nor into a port that is not forwarding
      if (snoop === SNOOP_FILTER && !this.igmp!.passes(l.port)) continue;
      const member = pick(l, vlan, frame);
      if (member === null) continue;
      this.send(member, frame, vlan, snoop === SNOOP_FILTER ? 'forward' : 'flood', 'R9.3');
      sent++;
    }
    if (snoop === SNOOP_FILTER && sent === 0) f.drop(port, this.igmp!.noneReason(), vlan);
  }

  private send(m: Member, frame: Uint8Array, vlan: number, action: 'forward' | 'flood', rule: string): void {
    // R6.5: a channel none of whose members LACP bundled sends nothing (a down one: link-down).
    if (!m.bundled && linkUp(m.port)) return this.fabric.drop(m.port, 'lacp-suspended', vlan);
    const c = m.config;
    const egress = c.mode === 'access' || vlan === c.native ? 0 : vlan; // R9.6: native untagged
    this.fabric.trace(this, m.port, action, vlan, rule);
    this.fabric.forward(m.port, frame, egress);
  }
}

function carries(c: SwitchPortConfig, vlan: number): boolean {
  return c.mode === 'access' ? c.vlan === vlan : c.allowed[vlan] === 1;
}


/**
 * The member a frame leaves a logical port by: the port itself, or — for a channel — one member
 * with link up that carries the VLAN, chosen by a hash of the frame (R5.4): XOR of the source and
 * destination IPv4 addresses, else of the MACs (Cisco's src-dst-ip / src-dst-mac) — among those
 * LACP bundled (R6.5). With every member down or suspended, the first one (its drop is counted).
 * Allocation-free.
 */
function pick(l: Logical, vlan: number, frame: Uint8Array): Member | null {
  const ms = l.members;
  if (ms.length === 1) return carries(ms[0]!.config, vlan) ? ms[0]! : null;
  let n = 0;
  let first: Member | null = null;
  for (const m of ms) {
    if (!carries(m.config, vlan)) continue;
    first ??= m;
    if (m.bundled && linkUp(m.port)) n++;
  }
  if (n === 0) return first;
  let k = channelHash(frame) % n;
  for (const m of ms) if (carries(m.config, vlan) && m.bundled && linkUp(m.port) && k-- === 0) return m;
  return first;
}

function channelHash(frame: Uint8Array): number {
  const ipv4 = frame.length >= 34 && frame[12] === 0x08 && frame[13] === 0x00;
  const from = ipv4 ? 26 : 0;
  const to = ipv4 ? 34 : 12;
  let h = 0;
  for (let i = from; i < to; i++) h ^= frame[i]!;
  return h;
}
