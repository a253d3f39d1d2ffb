// An Open vSwitch bridge on a kvm host running the NORMAL action (spec/network.md R8.5): a
// learning switch — with Independent VLAN Learning, one table per VLAN (OVS FAQ "How MAC
// learning works with VLANs") unlike a Linux bridge without vlan_filtering (R8.1) — whose
// entries age after mac-aging-time (default 300 s, forced into 15–3600 s: model/ovs-resolve.ts).
// Known unicast goes to its port; unknown unicast, broadcast and multicast flood the VLAN except
// the ingress port (no split horizon, the contrast with R1.10 of R8.4).
//
// Ports (vswitch.xml, Port table, vlan_mode): a VM port of a libvirt port group with a VLAN is an
// access port (tag=) — its frames join that VLAN, leave untagged, and "any packet with an 802.1Q
// header with a nonzero VLAN ID that ingresses on an access port is dropped"; every other port
// (the uplinks, VM ports attached by the bridge's name) is a trunk of every VLAN, untagged frames
// being VLAN 0.
//
// Two or more uplinks are one bond port (Documentation/topics/bonding.rst): MACs are learned on
// the bond, a frame leaves by one member — active-backup: the active member; balance-slb: by a
// hash of source MAC and VLAN — and ofproto/bond.c bond_check_admissibility filters what comes
// in: multicast only on the active member, nothing on an active-backup bond's backups, and on
// balance-slb nothing whose source the bridge learned on another port (its own flood reflected
// by the upstream switch, OVS commit c93b1d6a), except gratuitous ARPs (a VM moved) unless the
// entry is locked (bonding.rst, SLB rule 4). When the active member changes the bridge sends a
// "gratuitous learning packet" (RARP) on the bond for each MAC learned on another port.
import { DST_OFFSET, SRC_OFFSET, isBroadcastAt, isMulticastAt, rarpFrame, readMacHigh, readMacLow } from './codec/index.js';
import { linkUp, Port, type Device, type Fabric } from './fabric.js';
import { Fdb } from './fdb.js';
import { MacTable, vlanHigh } from './mactable.js';

export type BondMode = 'active-backup' | 'balance-slb';

/** A bridge port as OVS's Port table has it: one interface, or a bond of several. */
export interface OvsPort {
  /** what the MAC table names: the interface's port, or the bond's own port (cabled to nothing) */
  readonly port: Port;
  /** access VLAN (OVS tag=, from a libvirt port group), or TRUNK: every VLAN (no tag, no trunks) */
  readonly tag: number;
  /** the interfaces: one, or a bond's members in uplink order */
  readonly members: readonly Port[];
}

export const TRUNK = -1;

/** bonding.rst SLB rule 4: "For 5 seconds, a locked MAC learning table entry will not be updated based on a gratuitous ARP received on a SLB bond." */
const GRAT_ARP_LOCK_MS = 5000;

export interface BondChange {
  bond: Port;
  /** the active member before and after (null: every member down) */
  from: Port | null;
  to: Port | null;
  /** RARPs sent on the new active member, one per MAC learned on another port */
  learningPackets: number;
}

export class OvsBridge implements Device {
  readonly kind = 'ovs-bridge';
  readonly fdb: Fdb;
  /** ports in the order added: what a flood walks */
  readonly ports: OvsPort[] = [];
  /** the uplinks' bond, when there are two or more */
  bond: OvsPort | null = null;
  /** the bond's active member (bond_choose_active_member): kept while its link is up — no failback without bond-primary */
  active: Port | null = null;
  /** told when the active member changes (for the event log) */
  onActiveChange: ((change: BondChange, t: number) => void) | null = null;
  private readonly byIface = new Map<Port, OvsPort>();
  private readonly byLearnPort = new Map<Port, OvsPort>();
  /** gratuitous-ARP locks: (VLAN, MAC) → locked until, ms (bonding.rst SLB rule 4) */
  private readonly gratLocks = new MacTable<number>();
  /** the active member when links were last settled (settleBond) */
  private settled: Port | null = null;

  constructor(
    readonly id: string,
    readonly fabric: Fabric,
    /** mac-aging-time, s, already forced into 15–3600 (R8.5) */
    agingS: number,
    readonly bondMode: BondMode = 'active-backup',
  ) {
    this.fdb = new Fdb(agingS * 1000, fabric);
  }

  /** The host's NICs: one is a trunk port of its own; two or more are one bond port `bondId`. */
  addUplinks(nics: readonly Port[], bondId: string): void {
    if (nics.length === 0) return;
    if (nics.length === 1) {
      this.add({ port: nics[0]!, tag: TRUNK, members: [nics[0]!] });
      return;
    }
    this.bond = { port: new Port(bondId, this), tag: TRUNK, members: [...nics] };
    this.add(this.bond);
  }

  /** A VM's tap: an access port of `vlan` (1–4094), or a trunk (0: attached by the bridge's name, or a port group without VLAN). */
  addVmPort(port: Port, vlan: number): void {
    this.add({ port, tag: vlan >= 1 && vlan <= 4094 ? vlan : TRUNK, members: [port] });
  }

  private add(p: OvsPort): void {
    this.ports.push(p);
    this.byLearnPort.set(p.port, p);
    for (const m of p.members) this.byIface.set(m, p);
  }

  /** The bond's own port (`bond:HOST/BRIDGE`), as MAC tables name it; for restoring them. */
  bondPort(id: string): Port | undefined {
    return this.bond !== null && this.bond.port.id === id ? this.bond.port : undefined;
  }

  receive(port: Port, frame: Uint8Array, vid: number): void {
    const f = this.fabric;
    if (frame.length < 14) return f.drop(port, 'malformed', vid);
    const ingress = this.byIface.get(port)!;
    let vlan = vid;
    if (ingress.tag !== TRUNK) {
      if (vid !== 0) return f.drop(port, 'tagged-on-access', vid, 'R8.5'); // vswitch.xml vlan_mode access
      vlan = ingress.tag;
    }
    f.trace(this, port, 'ingress', vlan, 'R8.5');
    // Gratuitous ARPs matter to a bond only: one from another port locks its MAC against one
    // coming in on the bond, which does not move it (bonding.rst SLB rule 4).
    const garp = this.bond !== null && isGratuitousArp(frame);
    if (ingress === this.bond && !this.admit(port, frame, vlan, garp)) return;
    // Learn on the port (the bond for its members) — unless the gratuitous ARP lock holds.
    if (garp && ingress !== this.bond) this.lockGratArp(vlan, frame);
    if (!(garp && ingress === this.bond && this.gratLocked(vlan, frame))) {
      if (this.fdb.learnSource(vlan, frame, SRC_OFFSET, ingress.port)) f.trace(this, port, 'learn', vlan, 'R8.5');
    }
    if (!isMulticastAt(frame, DST_OFFSET)) {
      const out = this.fdb.lookupAt(vlan, frame, DST_OFFSET);
      if (out === ingress.port) return f.drop(port, 'same-port', vlan, 'R8.5'); // never back out its port (R8.4)
      const o = out === null ? undefined : this.byLearnPort.get(out);
      if (o !== undefined && carries(o, vlan)) {
        this.send(o, frame, vlan, 'forward');
        return;
      }
    }
    // Unknown unicast, broadcast, multicast: the VLAN's ports but the ingress one, a bond once.
    for (const o of this.ports) {
      if (o === ingress || !carries(o, vlan)) continue;
      this.send(o, frame, vlan, 'flood');
    }
  }

  private send(o: OvsPort, frame: Uint8Array, vlan: number, action: 'forward' | 'flood'): void {
    const out = o === this.bond ? this.outputMember(frame, vlan) : o.members[0]!;
    this.fabric.trace(this, out, action, vlan, 'R8.5');
    this.fabric.forward(out, frame, o.tag === TRUNK ? vlan : 0); // access ports strip the tag
  }

  /**
   * bond_check_admissibility: multicast only on the active member; an active-backup bond takes
   * nothing in on its backups; a balance-slb bond drops what it learned on another port (its
   * own flood, reflected), except a gratuitous ARP whose entry is not locked.
   */
  private admit(port: Port, frame: Uint8Array, vlan: number, garp: boolean): boolean {
    const f = this.fabric;
    if (port !== this.activeMember() && (this.bondMode === 'active-backup' || isMulticastAt(frame, DST_OFFSET))) {
      f.drop(port, 'bond-inactive-member', vlan);
      return false;
    }
    if (this.bondMode === 'balance-slb') {
      const at = this.fdb.lookupAt(vlan, frame, SRC_OFFSET);
      if (at !== null && at !== this.bond!.port && (!garp || this.gratLocked(vlan, frame))) {
        f.drop(port, 'bond-reflection', vlan);
        return false;
      }
    }
    return true;
  }

  /** The active member, or — its link down — the first member with link up (then active), null if none. */
  activeMember(): Port | null {
    const a = this.active;
    if (a !== null && linkUp(a)) return a;
    const next = firstUp(this.bond?.members ?? []);
    if (next !== null) this.active = next;
    return next;
  }

  /** The member a frame leaves the bond by: the active one, or (balance-slb) one picked by source MAC and VLAN. */
  private outputMember(frame: Uint8Array, vlan: number): Port {
    const members = this.bond!.members;
    if (this.bondMode === 'active-backup') return this.activeMember() ?? members[0]!;
    let n = 0;
    for (const m of members) if (linkUp(m)) n++;
    if (n === 0) return members[0]!; // its link-down drop is counted
    // [L] OVS hashes source MAC and VLAN into 256 buckets given to members and rebalanced every
    // 10 s by load (bonding.rst "Bond Packet Output"); a fixed hash keeps a source on one member.
    let k = slbHash(frame, vlan) % n;
    for (const m of members) if (linkUp(m) && k-- === 0) return m;
    return members[0]!;
  }

  /** Note the active member before a link changes (links.ts). */
  settleBond(): void {
    if (this.bond !== null) this.settled = this.activeMember();
  }

  /**
   * After a link changed: if the active member changed, send a gratuitous learning packet (RARP)
   * on the bond for each MAC learned on another port, tagged with its VLAN, "to teach the
   * physical switch that the new slave should be used" (bonding.rst). Returns the bond's port id
   * when traffic moved to another member.
   */
  bondChanged(t: number): string[] {
    const bond = this.bond;
    if (bond === null) return [];
    const from = this.settled;
    const to = this.activeMember();
    this.settled = to;
    if (to === from) return [];
    let learningPackets = 0;
    if (to !== null) {
      this.fdb.age(t);
      for (const e of this.fdb.entries()) {
        if (e.port === bond.port) continue;
        const frame = rarpFrame(e.mac);
        const vlan = e.vlan;
        this.fabric.schedule(t, () => {
          const out = this.outputMember(frame, vlan);
          if (linkUp(out)) this.fabric.transmit(out, frame, vlan, this.fabric.now);
        });
        learningPackets++;
      }
    }
    this.onActiveChange?.({ bond: bond.port, from, to, learningPackets }, t);
    return to === null ? [] : [bond.port.id];
  }

  private lockGratArp(vlan: number, frame: Uint8Array): void {
    this.gratLocks.set(vlanHigh(vlan, readMacHigh(frame, SRC_OFFSET)), readMacLow(frame, SRC_OFFSET), this.fabric.frameTime + GRAT_ARP_LOCK_MS);
  }

  private gratLocked(vlan: number, frame: Uint8Array): boolean {
    const until = this.gratLocks.get(vlanHigh(vlan, readMacHigh(frame, SRC_OFFSET)), readMacLow(frame, SRC_OFFSET));
    return until !== undefined && this.fabric.frameTime < until;
  }
}

function carries(o: OvsPort, vlan: number): boolean {
  return o.tag === TRUNK || o.tag === vlan;
}

function firstUp(ports: readonly Port[]): Port | null {
  for (const p of ports) if (linkUp(p)) return p;
  return null;
}

/** A fixed hash of the frame's source MAC and its VLAN (allocation-free). */
function slbHash(frame: Uint8Array, vlan: number): number {
  let h = vlan;
  for (let i = SRC_OFFSET; i < SRC_OFFSET + 6; i++) h = (Math.imul(h, 31) + frame[i]!) | 0;
  return h >>> 0;
}

/**
 * OVS's is_gratuitous_arp: an ARP to the broadcast address that is a reply, or a request whose
 * sender and target IPs are the same (an announcement). Read in place.
 */
function isGratuitousArp(frame: Uint8Array): boolean {
  if (frame.length < 42 || frame[12] !== 0x08 || frame[13] !== 0x06 || !isBroadcastAt(frame, DST_OFFSET)) return false;
  const op = (frame[20]! << 8) | frame[21]!;
  if (op === 2) return true;
  if (op !== 1) return false;
  for (let i = 0; i < 4; i++) if (frame[28 + i] !== frame[38 + i]) return false;
  return true;
}
