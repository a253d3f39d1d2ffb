// A Linux bridge on a kvm host (spec/network.md §8): it learns (R8.1), ages entries after 300 s
// by default (R8.2), floods unknown unicast and broadcast to every port but the ingress (R8.3),
// and — unlike an ESXi vSwitch — forwards between any two ports, uplinks included (R8.4).
// Without vlan_filtering it is VLAN-unaware: tags pass through untouched. With STP off (the
// default) BPDUs are frames like others and pass through (br_input.c: "If STP is turned off,
// then must forward to keep loop detection"); with `stp: true` they are the spanning tree's
// (stp.ts) and each port forwards, learns only, or discards by its state (R8.4).
import { DST_OFFSET, SRC_OFFSET, isMulticastAt } from './codec/index.js';
import type { Device, Fabric, Port } from './fabric.js';
import { Fdb } from './fdb.js';
import { SNOOP_DROP, SNOOP_FILTER, SNOOP_FLOOD, type SnoopingSwitch } from './igmp.js';
import { isBpduAt, STP_DISCARDING, STP_FORWARDING, STP_LEARNING, notForwarding, type BpduSink } from './stp-bpdu.js';

export class LinuxBridge implements Device {
  readonly kind = 'bridge';
  readonly fdb: Fdb;
  readonly ports: Port[] = [];
  /** the spanning tree (stp.ts) when `stp: true`: BPDUs are its, ports have states (R8.4) */
  stp: BpduSink | null = null;
  /** multicast_snooping (igmp.ts), in labs that speak IGMP; forwards by its tables only while a querier is heard */
  igmp: SnoopingSwitch | null = null;
  /** each port's spanning-tree state, by index in `ports` */
  private readonly states: number[] = [];
  private readonly index = new Map<Port, number>();

  constructor(
    readonly id: string,
    readonly fabric: Fabric,
    agingS: number,
    /** with vlan_filtering each VLAN learns separately; without it the bridge ignores tags */
    readonly vlanFiltering: boolean,
  ) {
    this.fdb = new Fdb(agingS * 1000, fabric);
  }

  addPort(port: Port): void {
    this.index.set(port, this.ports.length);
    this.ports.push(port);
    this.states.push(STP_FORWARDING);
  }

  /** Set a port's spanning-tree state (stp.ts). */
  setStpState(port: Port, state: number): void {
    const i = this.index.get(port);
    if (i !== undefined) this.states[i] = state;
  }

  receive(port: Port, frame: Uint8Array, vid: number): void {
    const f = this.fabric;
    if (frame.length < 14) return f.drop(port, 'malformed', vid);
    const stp = this.stp !== null;
    let state = STP_FORWARDING;
    if (stp) {
      if (isBpduAt(frame)) return this.stp!.bpdu(port, frame, vid);
      state = this.states[this.index.get(port)!]!;
      if (state === STP_DISCARDING) return f.drop(port, 'stp-blocking', vid, 'R8.4');
    }
    const table = this.vlanFiltering ? vid : 0;
    f.trace(this, port, 'ingress', vid, 'R8.1');
    if (this.fdb.learnSource(table, frame, SRC_OFFSET, port)) f.trace(this, port, 'learn', vid, 'R8.1');
    if (state === STP_LEARNING) return f.drop(port, 'stp-learning', vid, 'R8.4');
    if (!isMulticastAt(frame, DST_OFFSET)) {
      const out = this.fdb.lookupAt(table, frame, DST_OFFSET);
      if (out === port) return f.drop(port, 'same-port', vid); // never sent back out its port (R8.4)
      if (out !== null) {
        if (stp) {
          const s = this.states[this.index.get(out)!]!;
          if (s !== STP_FORWARDING) return f.drop(out, notForwarding(s), vid, 'R8.4');
        }
        f.trace(this, out, 'forward', vid, 'R8.1');
        f.forward(out, frame, vid);
        return;
      }
    }
    // R8.3: flood; with multicast snooping in force, IPv4 groups to their members and router ports.
    const snoop = this.igmp !== null && isMulticastAt(frame, DST_OFFSET) ? this.igmp.classify(port, port, frame, table) : SNOOP_FLOOD;
    if (snoop === SNOOP_DROP) return f.drop(port, 'malformed', vid, 'R8.3');
    const ports = this.ports;
    let sent = 0;
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i]!;
      if (p === port || (stp && this.states[i] !== STP_FORWARDING)) continue;
      if (snoop === SNOOP_FILTER && !this.igmp!.passes(p)) continue;
      f.trace(this, p, snoop === SNOOP_FILTER ? 'forward' : 'flood', vid, 'R8.3');
      f.forward(p, frame, vid);
      sent++;
    }
    if (snoop === SNOOP_FILTER && sent === 0) f.drop(port, this.igmp!.noneReason(), vid, 'R8.3');
  }
}
