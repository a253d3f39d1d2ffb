// Beacon probing, the failure detection of NIC teaming besides link status (spec/network.md R5.9).
// A vSwitch whose teaming uses `detection: beacon` sends a broadcast beacon — EtherType 0x05ff,
// source = the uplink NIC's MAC — out of every uplink whose link is up, once per second of
// virtual time, on each VLAN its ports use (untagged for VLAN 0 / EST ports, tagged for VST
// ports; up to Net.MaxBeaconVlans = 100 of them, lowest first). VGT ports (4095, vDS trunks) add
// no VLAN: beacon probing is not supported with guest VLAN tagging (R3.10). It listens on every
// uplink for the other uplinks' beacons; its own beacons are consumed, never delivered to a VM.
//
// Each beacon is heard (or not) synchronously — the fabric delivers within the transmit call —
// so one tick sends the interval's beacons and then counts, per uplink, whether it heard a
// beacon of another uplink on every beaconed VLAN. An uplink that missed 3 consecutive intervals
// (R5.9 [M], "fails to receive three consecutive beacon packets", §11.9) while its link stays up
// is failed — unless every uplink is missing: then nobody can be singled out (with exactly two
// uplinks that is any failure between them) and the switch "shotguns", sending frames of
// beacon-probing ports on all of their team's uplinks (R5.9). Fewer than two uplinks with link
// up: nothing to compare, link status only. The verdict is a pure function of the miss counters
// (capped at 3) and the link states: only the counters persist between commands (NetState), and
// the verdict is recomputed after a restore or a link change.
import { BROADCAST_MAC, buildEthernet, frameSrc } from './codec/index.js';
import { linkUp, type Fabric, type Port } from './fabric.js';

/** VMware's beacon EtherType. */
export const BEACON_ETHERTYPE = 0x05ff;
/** "ESXi hosts send beacon packets every second" (R5.9, KB 1005577). */
export const BEACON_INTERVAL_MS = 1000;
/** Consecutive missed beacons that fail an uplink (R5.9 [M]). */
export const BEACON_MISS_LIMIT = 3;
/** Net.MaxBeaconVlans (R5.9). */
export const MAX_BEACON_VLANS = 100;

/** What a beacon tick (or a link change) changed in the verdict. */
export interface BeaconChange {
  /** uplinks newly failed by beacon probing */
  failed: Port[];
  /** uplinks whose beacons are heard again */
  restored: Port[];
  /** the shotgun started (true) or ended (false), or null: unchanged */
  shotgun: boolean | null;
}

/** Is `frame` a beacon? (EtherType at bytes 12–13; frames carry no outer tag.) */
export function isBeacon(frame: Uint8Array): boolean {
  return frame[12] === BEACON_ETHERTYPE >> 8 && frame[13] === (BEACON_ETHERTYPE & 0xff);
}

export class BeaconProbe {
  /** consecutive intervals each uplink heard no other uplink's beacon (capped at the limit) */
  readonly misses: Uint8Array;
  /** virtual time of the last tick (-1: none yet) */
  lastTick = -1;
  /** the next tick runs at this time; a scheduled tick before it was fast-forwarded */
  nextTick = -1;
  shotgun = false;
  private readonly failed: Uint8Array;
  private readonly next: Uint8Array;
  private nextShotgun = false;
  private readonly index = new Map<Port, number>();
  private readonly byMac = new Map<number, number>();
  private readonly frames: Uint8Array[];
  private vlans: number[] = [0];
  private readonly vlanIndex = new Int16Array(4096).fill(-1);
  /** heard[uplink * vlans + vlan]: a beacon of another uplink arrived this interval */
  private heard = new Uint8Array(0);
  private readonly heardCount: Uint16Array;

  constructor(
    readonly uplinks: readonly Port[],
    macs: readonly number[],
  ) {
    const n = uplinks.length;
    this.misses = new Uint8Array(n);
    this.failed = new Uint8Array(n);
    this.next = new Uint8Array(n);
    this.heardCount = new Uint16Array(n);
    uplinks.forEach((u, i) => this.index.set(u, i));
    macs.forEach((m, i) => { if (!this.byMac.has(m)) this.byMac.set(m, i); });
    // One frame per uplink, built once: the VLAN travels beside it (fabric.ts).
    this.frames = macs.map((src) => buildEthernet({ dst: BROADCAST_MAC, src, etherType: BEACON_ETHERTYPE, payload: new Uint8Array(46) }));
    this.setVlans([0]);
  }

  /** The VLANs beacons are sent on: those the switch's ports use (R5.9 Net.MaxBeaconVlans). */
  setVlans(vids: readonly number[]): void {
    const sorted = [...new Set(vids)].sort((a, b) => a - b).slice(0, MAX_BEACON_VLANS);
    if (sorted.length === 0) sorted.push(0);
    for (const v of this.vlans) this.vlanIndex[v] = -1;
    sorted.forEach((v, i) => { this.vlanIndex[v] = i; });
    this.vlans = sorted;
    this.heard = new Uint8Array(this.uplinks.length * sorted.length);
  }

  get beaconVlans(): readonly number[] {
    return this.vlans;
  }

  /** A beacon arrived on `port`: true when it is one of ours (consumed), false otherwise. */
  hear(port: Port, frame: Uint8Array, vid: number): boolean {
    const from = this.byMac.get(frameSrc(frame));
    if (from === undefined) return false;
    const at = this.index.get(port);
    const v = this.vlanIndex[vid] ?? -1;
    if (at !== undefined && at !== from && v >= 0) {
      const k = at * this.vlans.length + v;
      if (this.heard[k] === 0) {
        this.heard[k] = 1;
        this.heardCount[at]!++;
      }
    }
    return true;
  }

  /** One interval: send every live uplink's beacons, then count who heard whom. */
  tick(f: Fabric, t: number): void {
    this.heard.fill(0);
    this.heardCount.fill(0);
    const ups = this.uplinks;
    let live = 0;
    for (const u of ups) if (linkUp(u)) live++;
    for (const vid of this.vlans) {
      for (let i = 0; i < ups.length; i++) if (linkUp(ups[i]!)) f.transmit(ups[i]!, this.frames[i]!, vid, t);
    }
    for (let i = 0; i < ups.length; i++) {
      if (live < 2 || !linkUp(ups[i]!) || this.heardCount[i] === this.vlans.length) this.misses[i] = 0;
      else if (this.misses[i]! < BEACON_MISS_LIMIT) this.misses[i]!++;
    }
    this.lastTick = t;
  }

  /** Would the verdict change? (Callers fix ports' uplinks under the old one, then commit().) */
  changed(): boolean {
    return this.compute();
  }

  /** Recompute the verdict from the miss counters and link states; what changed, or null. */
  update(): BeaconChange | null {
    return this.compute() ? this.commit() : null;
  }

  /** Adopt the verdict the last changed() computed; what changed. */
  commit(): BeaconChange {
    const change: BeaconChange = { failed: [], restored: [], shotgun: this.nextShotgun === this.shotgun ? null : this.nextShotgun };
    this.shotgun = this.nextShotgun;
    for (let i = 0; i < this.uplinks.length; i++) {
      if (this.next[i] === this.failed[i]) continue;
      this.failed[i] = this.next[i]!;
      (this.failed[i] ? change.failed : change.restored).push(this.uplinks[i]!);
    }
    return change;
  }

  private compute(): boolean {
    const ups = this.uplinks;
    let live = 0;
    let missing = 0;
    for (let i = 0; i < ups.length; i++) {
      if (!linkUp(ups[i]!)) continue;
      live++;
      if (this.misses[i]! >= BEACON_MISS_LIMIT) missing++;
    }
    // Everyone missing: no way to tell which uplink is cut off → shotgun (R5.9).
    const shotgun = live >= 2 && missing === live;
    let differs = shotgun !== this.shotgun;
    this.nextShotgun = shotgun;
    for (let i = 0; i < ups.length; i++) {
      this.next[i] = live >= 2 && !shotgun && linkUp(ups[i]!) && this.misses[i]! >= BEACON_MISS_LIMIT ? 1 : 0;
      if (this.next[i] !== this.failed[i]) differs = true;
    }
    return differs;
  }

  /**
   * [L] A link that came back up counts as having missed its beacons until it hears the others'
   * at the next tick: teaming does not fail back to it before beacons pass (R5.9, R9.9).
   */
  distrust(u: Port): void {
    const i = this.index.get(u);
    if (i !== undefined) this.misses[i] = BEACON_MISS_LIMIT;
  }

  /** Failed by beacon probing (link status is checked by the caller). */
  isFailed(u: Port): boolean {
    const i = this.index.get(u);
    return i !== undefined && this.failed[i] === 1;
  }

  /** A steady-state fingerprint: misses and verdict (for fast-forwarding, periodic.ts). */
  state(): string {
    return `${this.misses.join(',')}|${this.failed.join(',')}|${this.shotgun ? 1 : 0}`;
  }
}
