// A Linux bridge on a kvm host (spec/network.md §8): it learns (R8.1), ages entries after 300 s
// by default (R8.2), floods unknown unicast and broadcast to every port but the ingress (R8.3),
// and — unlike an ESXi vSwitch — forwards between any two ports, uplinks included (R8.4).
// Without vlan_filtering it is VLAN-unaware: tags pass through untouched.
import { DST_OFFSET, SRC_OFFSET, isMulticastAt } from './codec/index.js';
import type { Device, Fabric, Port } from './fabric.js';
import { Fdb } from './fdb.js';

export class LinuxBridge implements Device {
  readonly kind = 'bridge';
  readonly fdb: Fdb;
  readonly ports: Port[] = [];

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
    this.ports.push(port);
  }

  receive(port: Port, frame: Uint8Array, vid: number): void {
    const f = this.fabric;
    if (frame.length < 14) return f.drop(port, 'malformed', vid);
    const table = this.vlanFiltering ? vid : 0;
    f.trace(this, port, 'ingress', vid, 'R8.1');
    if (this.fdb.learnSource(table, frame, SRC_OFFSET, port)) f.trace(this, port, 'learn', vid, 'R8.1');
    if (!isMulticastAt(frame, DST_OFFSET)) {
      const out = this.fdb.lookupAt(table, frame, DST_OFFSET);
      if (out === port) return f.drop(port, 'same-port', vid); // never sent back out its port (R8.4)
      if (out !== null) {
        f.trace(this, out, 'forward', vid, 'R8.1');
        f.forward(out, frame, vid);
        return;
      }
    }
    for (const p of this.ports) {
      if (p === port) continue;
      f.trace(this, p, 'flood', vid, 'R8.3');
      f.forward(p, frame, vid);
    }
  }
}
