// A physical Ethernet switch (spec/network.md §9): learning per (VLAN, port) with station moves
// (R9.1), ageing (R9.2), flooding unknown unicast and broadcast within the VLAN except the
// ingress port (R9.3), filtering frames whose destination is behind the ingress port (R9.4),
// access ports that drop tagged frames (R9.5), trunks with a native VLAN and allowed list (R9.6).
import { frameDst, frameSrc, isMulticastMac } from './codec/index.js';
import type { Device, Fabric, Port } from './fabric.js';
import { Fdb } from './fdb.js';

export interface SwitchPortConfig {
  mode: 'access' | 'trunk';
  vlan: number;
  native: number;
  /** allowed[vid] === 1 for VLANs a trunk carries */
  allowed: Uint8Array;
}

export class PhysicalSwitch implements Device {
  readonly kind = 'pswitch';
  readonly fdb: Fdb;
  readonly ports: Port[] = [];
  private readonly config = new Map<Port, SwitchPortConfig>();

  constructor(
    readonly id: string,
    readonly fabric: Fabric,
    agingS: number,
  ) {
    this.fdb = new Fdb(agingS * 1000);
  }

  addPort(port: Port, config: SwitchPortConfig): void {
    this.ports.push(port);
    this.config.set(port, config);
  }

  private carries(c: SwitchPortConfig, vlan: number): boolean {
    return c.mode === 'access' ? c.vlan === vlan : c.allowed[vlan] === 1;
  }

  receive(port: Port, frame: Uint8Array, vid: number, t: number): void {
    const f = this.fabric;
    const c = this.config.get(port)!;
    if (frame.length < 14) return f.drop(port, 'malformed', vid);
    let vlan: number;
    if (c.mode === 'access') {
      if (vid !== 0) return f.drop(port, 'tagged-on-access', vid); // R9.5 (configurable on real gear)
      vlan = c.vlan;
    } else {
      vlan = vid === 0 ? c.native : vid;
      if (c.allowed[vlan] !== 1) return f.drop(port, 'vlan-not-allowed', vid); // R9.6
    }
    f.trace(this, port, 'ingress', vlan, c.mode === 'access' ? 'R9.5' : 'R9.6');
    const src = frameSrc(frame);
    if (!isMulticastMac(src) && this.fdb.learn(vlan, src, port, t)) f.trace(this, port, 'learn', vlan, 'R9.1');
    const dst = frameDst(frame);
    if (!isMulticastMac(dst)) {
      const out = this.fdb.lookup(vlan, dst, t);
      if (out === port) return f.drop(port, 'same-port', vlan); // R9.4
      if (out !== null && this.carries(this.config.get(out)!, vlan)) {
        this.send(out, frame, vlan, t, 'forward', 'R9.1');
        return;
      }
    }
    // R9.3: unknown unicast, broadcast and multicast flood the VLAN, never back out the ingress.
    for (const p of this.ports) if (p !== port && this.carries(this.config.get(p)!, vlan)) this.send(p, frame, vlan, t, 'flood', 'R9.3');
  }

  private send(port: Port, frame: Uint8Array, vlan: number, t: number, action: 'forward' | 'flood', rule: string): void {
    const c = this.config.get(port)!;
    const egress = c.mode === 'access' || vlan === c.native ? 0 : vlan; // R9.6: native untagged
    this.fabric.trace(this, port, action, vlan, rule);
    this.fabric.transmit(port, frame, egress, t);
  }
}
