// The ESXi virtual switch: a standard vSwitch, or a host's proxy switch of a distributed switch
// (same data plane, R6.5). Rule by rule from spec/network.md §1–§4: no learning (R1.1) — unicast
// goes to the port whose registered MAC matches; VLAN contexts (§3); security policy (§2);
// split horizon (R1.10); teaming picks one uplink per source port (§5) among those that pass
// failure detection — link status, or beacon probing (R5.9, beacon.ts); promiscuous copies
// (R2.3); the MAC Learning dvFilter (§4a) and native vDS MAC learning (§4c).
// Forwarding allocates nothing: MACs are compared and looked up in the frame's bytes (MacTable),
// the frame's time is read from the fabric (fabric.ts).
import { DST_OFFSET, MacAddress, SRC_OFFSET, isBroadcastAt, isMulticastAt, rarpFrame, readMacHigh, readMacLow } from './codec/index.js';
import { BeaconProbe, isBeacon, type BeaconChange } from './beacon.js';
import { linkUp, type Device, type Fabric, type Port } from './fabric.js';
import { MacTable } from './mactable.js';
import type { Learnswitch } from './learnswitch.js';
import type { Lag } from './lag.js';
import { isSlowProtocolsAt } from './lacp-pdu.js';
import type { VdsSnooping } from './igmp-vds.js';
import { pvlanDenial, type PvlanMode } from './pvlan.js';
import type { DropReason } from './reasons.js';
import { isBpduAt } from './stp-bpdu.js';

/** How a port group treats VLANs (§3): EST (0), VST (1–4094), all (4095), vDS trunk ranges, or a vDS private VLAN (R3.11, pvlan.ts). */
export type VlanMode = { kind: 'none' } | { kind: 'vst'; vid: number } | { kind: 'all' } | { kind: 'trunk'; allowed: Uint8Array } | PvlanMode;

export interface PortPolicy {
  /** the port group's name, for traces */
  portgroup: string;
  vlan: VlanMode;
  promiscuous: boolean;
  macChanges: boolean;
  forgedTransmits: boolean;
  /** teaming: active then standby uplink names, in failover order; policy */
  active: string[];
  standby: string[];
  teaming: 'port-id' | 'mac-hash' | 'ip-hash' | 'explicit' | 'load-based';
  /** R5.11: return to a recovered active uplink (false: stay on the standby until it fails) */
  failback: boolean;
  /** R5.10: announce a port's MAC with RARP when it moves to another uplink */
  notifySwitches: boolean;
  /** R5.9 network failure detection (absent: link status only) */
  detection?: 'link' | 'beacon';
  /** vDS native MAC learning (§4c), or null */
  learning: { allowUnicastFlooding: boolean; limit: number; limitPolicy: 'drop' | 'allow'; agingMs: number } | null;
}

export interface SwitchSettings {
  reversePathFwdCheck: boolean;
  reversePathFwdCheckPromisc: boolean;
  /** forged transmits compare with the effective (default) or initial MAC (R2.5 CONFLICT) */
  forgedCompareInitial: boolean;
  /** R1.12 [L]: a port takes broadcast only from its own uplink when several are active */
  duplicateSuppression: boolean;
  /** R4c.8 [L]: a learned (or learnable) source MAC passes the forged-transmit check */
  macLearningBypassesForged: boolean;
  /** R1.14 Net.BlockGuestBPDU: BPDUs from VMs are dropped at their port (absent: false, the ESXi default) */
  blockGuestBPDU?: boolean;
}

/** A non-uplink port: a VM vNIC, a VMkernel port, or a nested hypervisor's vmnic. */
export class VPort {
  /** the vNIC's own MAC */
  readonly initial: MacAddress;
  /** the MAC its guest uses: the initial one unless the guest changed it (R2.6; then invalidate the switch) */
  effective: MacAddress;
  /** the guest put its NIC in promiscuous mode (nested hypervisors always do, R2.3 note) */
  guestPromisc = false;
  /** MACs learned on this port by the dvFilter (never age, R4a.3), or null without it */
  filter: MacTable<true> | null = null;
  /** native MAC learning: how many MACs this port has learned (R4c.6) */
  learnedCount = 0;
  /** the multicast MACs the guest registered with its vNIC (mcastFilter, R1.7/R1.9), or null: none */
  mcastFilter: MacTable<true> | null = null;
  /** the guest takes every multicast group: a nested hypervisor's vmnic (its uplink, promiscuous) */
  allMulticast = false;
  selected: Port | null = null;
  /** a leaf port of the ESXi Learnswitch fling (macLearn: learnswitch, R4b.1) */
  learnswitch = false;
  /** load-based teaming (R5.5, lbt.ts): the uplink LBT moved this port to, or null: placed by port id */
  lbtUplink: Port | null = null;
  /** what the guest sends and receives over the physical network, Mb/s (lbt.ts), or null: nothing */
  rate: { txMbps: number; rxMbps: number } | null = null;

  constructor(
    readonly port: Port,
    readonly index: number,
    readonly policy: PortPolicy,
    initialMac: number,
  ) {
    this.initial = new MacAddress(initialMac);
    this.effective = this.initial;
  }

  /** Does the switch deliver unicast to this port: its initial MAC, or a changed one it accepts (R2.6)? */
  get receives(): boolean {
    return this.effective.value === this.initial.value || this.policy.macChanges;
  }

  /** Register multicast MACs (numbers) with the vNIC's filter (R1.7). */
  joinMulticast(macs: Iterable<number>): void {
    for (const mac of macs) (this.mcastFilter ??= new MacTable()).setMac(mac, true);
  }

  /** Does the vNIC's multicast filter pass the group address at frame[DST_OFFSET..] (R1.7, R1.9)? */
  wantsGroup(frame: Uint8Array): boolean {
    return this.allMulticast || (this.mcastFilter !== null && this.mcastFilter.hasAt(frame, DST_OFFSET));
  }

  /** The MAC the switch delivers unicast to (R2.6), or -1 when it receives nothing. */
  get registeredMac(): number {
    return this.receives ? this.effective.value : -1;
  }
}

interface Learned {
  vp: VPort;
  t: number;
}

export class VSwitch implements Device {
  readonly kind: string;
  readonly vports: VPort[] = [];
  readonly uplinks: Port[] = [];
  private readonly uplinkByName = new Map<string, Port>();
  private readonly uplinkMacs: number[] = [];
  /** LACP link aggregation groups (R6.5, lag.ts): teaming names them like uplinks; their members are no standalone uplinks */
  private readonly lags = new Map<string, Lag>();
  /** the same, as an array: counted per broadcast without an iterator (R1.12) */
  private readonly lagArray: Lag[] = [];
  /** each LAG member port's LAG */
  private readonly lagOfPort = new Map<Port, Lag>();
  /** beacon probing (R5.9), when a port group of this switch uses it */
  beacon: BeaconProbe | null = null;
  private readonly byPort = new Map<Port, VPort>();
  /** registered MAC → port(s) (config-based, R1.1) */
  private registered = new MacTable<VPort | VPort[]>();
  private promiscuous: VPort[] = [];
  /** native MAC learning table (§4c) */
  readonly learned = new MacTable<Learned>();
  /** the ESXi Learnswitch fling on this vDS proxy switch (R4b.1, learnswitch.ts), or null */
  learnswitch: Learnswitch | null = null;
  /** IGMP snooping (`multicastFiltering: snooping`, vDS 6.0.0+, R1.7, igmp-vds.ts), or null: basic multicast filtering */
  snooping: VdsSnooping | null = null;
  /** sources recently sent out of an uplink by local ports, and when (R1.11 b) */
  private readonly sentOut = new MacTable<{ t: number }>();
  private dirty = true;
  /** R5.6 Net.TeamPolicyUpDelay: uplinks whose link came back, and until when (virtual ms) teaming leaves them alone */
  private readonly recovering = new Map<Port, number>();
  /** which uplinks were alive when ports were last settled, to see links come back */
  private wasAlive: boolean[] = [];
  /** ports that moved when an uplink's up-delay ended (failback, R5.11), for the event log */
  onUpDelayMoves: ((moved: string[], uplink: Port, t: number) => void) | null = null;

  constructor(
    readonly id: string,
    readonly fabric: Fabric,
    readonly settings: SwitchSettings,
    distributed = false,
  ) {
    this.kind = distributed ? 'dvswitch' : 'vswitch';
  }

  /** An uplink: its fabric port, its name in teaming policies, and its NIC's MAC (the beacon source). */
  addUplink(port: Port, name: string, mac = 0): void {
    this.uplinks.push(port);
    this.uplinkByName.set(name, port);
    this.uplinkMacs.push(mac);
  }

  /** A LAG with its member ports (R6.5): one logical uplink for teaming, by the LAG's name. */
  addLag(lag: Lag): void {
    this.lags.set(lag.name, lag);
    this.lagArray.push(lag);
    for (const m of lag.members) this.lagOfPort.set(m, lag);
  }

  /** The LAG a port is a member of, if any. */
  lagOf(port: Port): Lag | undefined {
    return this.lagOfPort.get(port);
  }

  /** Start beacon probing on every uplink (R5.9); call once all uplinks are added. */
  enableBeacons(): BeaconProbe {
    this.beacon = new BeaconProbe(this.uplinks, this.uplinkMacs);
    this.dirty = true;
    return this.beacon;
  }

  addPort(port: Port, policy: PortPolicy, mac: number): VPort {
    const vp = new VPort(port, this.vports.length, policy, mac);
    this.vports.push(vp);
    this.byPort.set(port, vp);
    this.dirty = true;
    return vp;
  }

  /** Call after changing a port's MAC, promiscuous request or policy. */
  invalidate(): void {
    this.dirty = true;
  }

  private refresh(): void {
    const reg = new MacTable<VPort | VPort[]>();
    const promisc: VPort[] = [];
    for (const vp of this.vports) {
      if (vp.receives) {
        const { high, low } = vp.effective;
        const prior = reg.get(high, low);
        reg.set(high, low, prior === undefined ? vp : Array.isArray(prior) ? [...prior, vp] : [prior, vp]);
      }
      if (vp.policy.promiscuous && vp.guestPromisc) promisc.push(vp);
    }
    this.registered = reg;
    this.promiscuous = promisc;
    // Beacons go out on each VLAN the ports use; VGT ports add none (R5.9 Net.MaxBeaconVlans, R3.10).
    if (this.beacon !== null) {
      const vids: number[] = [];
      for (const vp of this.vports) {
        const v = vp.policy.vlan;
        if (v.kind === 'none' || v.kind === 'vst' || v.kind === 'pvlan') vids.push(contextVid(v)); // PVLAN ports: their own id (R3.11)
      }
      this.beacon.setVlans(vids);
    }
    this.dirty = false;
  }

  receive(port: Port, frame: Uint8Array, vid: number): void {
    if (this.dirty) this.refresh();
    if (frame.length < 14) {
      this.fabric.drop(port, 'malformed', vid);
      return;
    }
    const vp = this.byPort.get(port);
    if (vp !== undefined) this.fromLocal(vp, frame, vid);
    else if (this.beacon !== null && isBeacon(frame) && this.beacon.hear(port, frame, vid)) {
      // R5.9: our own beacon back through the physical network — the teaming layer takes it.
      if (this.fabric.tracer !== null) this.fabric.trace(this, port, 'ingress', vid, 'R5.9', 'beacon');
    } else if (frame[0] === 0x01 && isSlowProtocolsAt(frame)) {
      // LACPDUs (and other slow protocols) are the host's, never the VMs' (802.1D reserved address):
      // a LAG's LACP takes them (negotiation: lacp.ts); on another uplink they end here [L].
      if (this.fabric.tracer !== null) this.fabric.trace(this, port, 'deliver', vid, 'R6.5', 'lacpdu');
    } else if (this.lagOfPort.size !== 0 && !this.collects(port)) this.dropAt(port, 'lacp-not-bundled', vid); // R6.5: 802.1AX not collecting
    else this.fromUplink(port, frame, vid);
  }

  // ---- a frame from a VM, VMkernel port or nested hypervisor ---------------------------------

  private fromLocal(src: VPort, frame: Uint8Array, guestVid: number): void {
    const f = this.fabric;
    const p = src.policy;
    // R1.14: guest BPDUs pass (to BPDU guard upstream, R9.9) unless Net.BlockGuestBPDU drops them here.
    if (frame[0] === 0x01 && this.settings.blockGuestBPDU === true && isBpduAt(frame)) return this.dropAt(src.port, 'guest-bpdu-blocked', guestVid);
    // VLAN context at ingress (§3).
    let ctx: number;
    switch (p.vlan.kind) {
      case 'none':
      case 'vst':
        if (guestVid !== 0) return this.dropAt(src.port, 'tagged-on-vst', guestVid);
        ctx = p.vlan.kind === 'vst' ? p.vlan.vid : 0;
        break;
      case 'all':
        ctx = guestVid;
        break;
      case 'trunk':
        if (p.vlan.allowed[guestVid] !== 1) return this.dropAt(src.port, 'vlan-mismatch', guestVid, 'R3.7');
        ctx = guestVid;
        break;
      case 'pvlan':
        // R3.11: a private VLAN port group is no trunk (R3.5); frames enter with the port's own id
        // (its secondary, or the primary for a promiscuous port).
        if (guestVid !== 0) return this.dropAt(src.port, 'tagged-on-vst', guestVid);
        ctx = p.vlan.secondary;
        break;
    }
    const groupSource = isMulticastAt(frame, SRC_OFFSET);
    // Native MAC learning (§4c): learn the source, within the port's limit (R4c.6).
    let learnable = false;
    if (p.learning !== null && !src.initial.isAt(frame, SRC_OFFSET) && !groupSource) {
      const known = this.learned.getAt(frame, SRC_OFFSET);
      if (known !== undefined && known.vp === src) {
        known.t = f.frameTime;
        learnable = true;
      } else if (src.learnedCount < p.learning.limit) {
        if (known !== undefined) known.vp.learnedCount--;
        this.learned.setAt(frame, SRC_OFFSET, { vp: src, t: f.frameTime });
        src.learnedCount++;
        learnable = true;
        f.trace(this, src.port, 'learn', ctx, 'R4c.3');
      } else if (p.learning.limitPolicy === 'drop') {
        return this.dropAt(src.port, 'mac-limit', ctx);
      }
    }
    // Forged transmits (R2.5): checked at port ingress, before anyone sees the frame.
    if (!p.forgedTransmits) {
      const own = this.settings.forgedCompareInitial ? src.initial : src.effective;
      if (!own.isAt(frame, SRC_OFFSET) && !(learnable && this.settings.macLearningBypassesForged)) return this.dropAt(src.port, 'forged-transmit', ctx);
    }
    // The dvFilter learns what the nested hypervisor sends (§4a, R4a.6).
    if (src.filter !== null && !groupSource && src.filter.size < DVFILTER_TABLE_SIZE) src.filter.setAt(frame, SRC_OFFSET, true);
    // The Learnswitch learns behind a leaf port that is in promiscuous mode, past the forged check,
    // the MACs the vSwitch does not already know there (its own, R1.1) (R4b.1).
    const ls = this.learnswitch;
    if (ls !== null && src.learnswitch && !groupSource && p.promiscuous && src.guestPromisc && !src.initial.isAt(frame, SRC_OFFSET) && ls.learn(ctx, frame, src.port, true)) {
      f.trace(this, src.port, 'learn', ctx, 'R4b.1');
    }
    f.trace(this, src.port, 'ingress', ctx, INGRESS_RULE[p.vlan.kind]);

    if (isMulticastAt(frame, DST_OFFSET)) return this.groupFromLocal(src, frame, ctx);
    const local = this.lookup(frame, DST_OFFSET, ctx);
    if (local !== null) {
      // R1.2: known local unicast stays local.
      if (local !== src) this.deliver(local, frame, ctx, 'forward', 'R1.2');
      this.promiscuousCopies(src, frame, ctx, local, false, null);
      return;
    }
    // R3.11: a private VLAN port never reaches a port of its domain that refuses it here — nor
    // around through the physical network [L: not sent to the uplink].
    if (p.vlan.kind === 'pvlan') {
      const denied = this.pvlanDenied(frame, ctx);
      if (denied !== null) return this.dropAt(src.port, denied, ctx);
    }
    const learnedAt = this.learnedPort(frame);
    if (learnedAt !== null && learnedAt !== src && admits(learnedAt.policy.vlan, ctx)) {
      this.deliver(learnedAt, frame, ctx, 'forward', 'R4c.4');
      return;
    }
    // R1.5: unknown unicast leaves on the one teaming-selected uplink, plus promiscuous copies
    // and the flood to MAC-learning ports that allow it (R4c.5). R4b.1: not on the uplink when
    // the Learnswitch learned the destination behind a leaf port.
    const learnt = ls === null ? undefined : ls.lookupDst(ctx, frame);
    const heldBack = learnt !== undefined && learnt.leaf;
    if (!heldBack) this.toUplink(src, frame, ctx);
    const copies = this.learningFlood(src, frame, ctx) + this.promiscuousCopies(src, frame, ctx, null, false, learnt?.port ?? null);
    if (heldBack && copies === 0) this.dropAt(src.port, 'learnswitch-filtered', ctx);
  }

  /** Broadcast (R1.6) or multicast (R1.7) from a local port: local copies, plus one uplink. */
  private groupFromLocal(src: VPort, frame: Uint8Array, ctx: number): void {
    if (isBroadcastAt(frame, DST_OFFSET)) {
      // R1.6: every other local port admitting the VLAN. (Promiscuous ports admitting the VLAN
      // are among them: no extra copy.)
      for (const vp of this.vports) if (vp !== src && admits(vp.policy.vlan, ctx) && vp.receives) this.deliver(vp, frame, ctx, 'flood', 'R1.6');
    } else {
      // R1.7 (basic multicast filtering): local ports in the VLAN whose guest registered the
      // group MAC, plus promiscuous ports: by MAC only. A vDS in snooping mode learns from the
      // IGMP its VMs send and goes by group address (igmp-vds.ts).
      if (this.snooping !== null && !this.snooping.fromLocal(src.port, frame, ctx)) return this.dropAt(src.port, 'malformed', ctx);
      for (const vp of this.vports) if (vp !== src && admits(vp.policy.vlan, ctx) && vp.receives) this.multicastTo(vp, frame, ctx, 'R1.7');
    }
    this.toUplink(src, frame, ctx);
  }

  // ---- a frame from the physical network -----------------------------------------------------

  private fromUplink(uplink: Port, frame: Uint8Array, ctx: number): void {
    const f = this.fabric;
    const group = isMulticastAt(frame, DST_OFFSET);
    f.trace(this, uplink, 'ingress', ctx, group ? 'R1.9' : 'R1.8');
    if (group) {
      // R1.11 (a): our own broadcast coming back from the physical switch.
      if (this.settings.reversePathFwdCheck) {
        const owner = this.lookup(frame, SRC_OFFSET, -1);
        if (owner !== null && !(owner.policy.promiscuous && owner.guestPromisc)) return this.dropAt(uplink, 'reverse-path', ctx);
      }
      if (this.learnswitch !== null) this.learnFromUplink(uplink, frame, ctx);
      const several = this.activeUplinkCount() > 1;
      const broadcast = isBroadcastAt(frame, DST_OFFSET);
      if (!broadcast && this.snooping !== null && !this.snooping.fromUplink(uplink, frame, ctx)) return this.dropAt(uplink, 'malformed', ctx);
      for (const vp of this.vports) {
        if (!admits(vp.policy.vlan, ctx) || !vp.receives) continue;
        // R1.12 [L]: with several active uplinks a port takes broadcast only from its own. An
        // IP-hash port has no own uplink (R5.4: per packet, behind an EtherChannel that sends a
        // broadcast into one member only), so it takes broadcast from any.
        if (several && this.settings.duplicateSuppression && vp.policy.teaming !== 'ip-hash' && !this.teamedOn(vp, frame, uplink)) continue;
        if (vp.policy.promiscuous && vp.guestPromisc && this.echoBlocked(frame)) continue;
        if (broadcast) this.deliver(vp, frame, ctx, 'flood', 'R1.9');
        else this.multicastTo(vp, frame, ctx, 'R1.9'); // multicast: subject to mcastFilter
      }
      return;
    }
    if (this.learnswitch !== null) this.learnFromUplink(uplink, frame, ctx);
    const local = this.lookup(frame, DST_OFFSET, ctx);
    if (local !== null) {
      this.deliver(local, frame, ctx, 'forward', 'R1.8');
      this.promiscuousCopies(null, frame, ctx, local, false, null);
      return;
    }
    const learnedAt = this.learnedPort(frame);
    if (learnedAt !== null && admits(learnedAt.policy.vlan, ctx)) {
      this.deliver(learnedAt, frame, ctx, 'forward', 'R4c.4');
      return;
    }
    // R1.8: unicast to an unregistered MAC reaches no ordinary port.
    const learntAt = this.learnswitch === null ? null : this.learnswitch.lookupDst(ctx, frame)?.port ?? null;
    const copies = this.promiscuousCopies(null, frame, ctx, null, true, learntAt) + this.learningFlood(null, frame, ctx);
    // The drop explains itself: a PVLAN port that refuses the frame's context (R3.11), copies the
    // Learnswitch withheld (R4b.1), else nobody has the MAC (R1.8).
    if (copies === 0) this.dropAt(uplink, this.pvlanDenied(frame, ctx) ?? (this.learnswitch !== null && this.withheldFromLeaf(ctx, learntAt) ? 'learnswitch-filtered' : 'unknown-unicast-dst'), ctx);
  }

  // ---- helpers ---------------------------------------------------------------------------

  /**
   * A multicast (not broadcast) frame for a local port (R1.7 / R1.9): delivered when the vNIC's
   * mcastFilter has the group MAC (so also the other IP groups sharing it) — in snooping mode,
   * when the port joined the group (igmp-vds.ts) — or as a promiscuous copy (R2.3); else the
   * port does not get it (like flood, nothing is recorded for it).
   */
  private multicastTo(vp: VPort, frame: Uint8Array, ctx: number, rule: 'R1.7' | 'R1.9'): void {
    const s = this.snooping;
    if (s === null ? vp.wantsGroup(frame) : s.wants(vp, frame)) this.deliver(vp, frame, ctx, s !== null && s.byGroup ? 'forward' : 'flood', rule);
    else if (vp.policy.promiscuous && vp.guestPromisc) this.deliver(vp, frame, ctx, 'copy-promiscuous', 'R2.3');
  }

  /** The port registered for the MAC at frame[off..] that admits VLAN `ctx` (any VLAN: −1). */
  private lookup(frame: Uint8Array, off: number, ctx: number): VPort | null {
    const hit = this.registered.getAt(frame, off);
    if (hit === undefined) return null;
    if (!Array.isArray(hit)) return ctx < 0 || admits(hit.policy.vlan, ctx) ? hit : null;
    for (const vp of hit) if (ctx < 0 || admits(vp.policy.vlan, ctx)) return vp;
    return null;
  }

  /** The port that learned the frame's destination (§4c), unless the entry aged out. */
  private learnedPort(frame: Uint8Array): VPort | null {
    if (this.learned.size === 0) return null; // no MAC learning here: the common case, kept cheap
    const high = readMacHigh(frame, DST_OFFSET);
    const low = readMacLow(frame, DST_OFFSET);
    const e = this.learned.get(high, low);
    if (e === undefined) return null;
    const learning = e.vp.policy.learning;
    if (learning !== null && this.fabric.frameTime - e.t > learning.agingMs) {
      // R4c.7: unused for the aging period → forgotten.
      this.learned.delete(high, low);
      e.vp.learnedCount--;
      return null;
    }
    return e.vp;
  }

  /**
   * Copies for ports in promiscuous mode (R2.3), filtered by the dvFilter (R4a.6) and the
   * Learnswitch (R4b.1; `learntAt`: where it learned the destination, looked up once per frame);
   * `echoCheck`: a frame from the physical network, which R1.11 (b) may keep from them.
   */
  private promiscuousCopies(src: VPort | null, frame: Uint8Array, ctx: number, target: VPort | null, echoCheck: boolean, learntAt: Port | null): number {
    let n = 0;
    for (const vp of this.promiscuous) {
      if (vp === src || vp === target || !admits(vp.policy.vlan, ctx)) continue;
      // The dvFilter passes a unicast copy only for MACs learned behind its port; it fails open
      // for a destination known nowhere (R4a.6 [L]) — not for one registered here.
      // A full table no longer filters: the port gets every copy again (R4a.3).
      if (vp.filter !== null && vp.filter.size < DVFILTER_TABLE_SIZE && !isMulticastAt(frame, DST_OFFSET) && !vp.filter.hasAt(frame, DST_OFFSET) && (target !== null || this.filteredElsewhere(frame))) continue;
      // R4b.1: a Learnswitch leaf gets a (unicast) copy only for a MAC learned behind it.
      if (vp.learnswitch && this.learnswitch !== null && !this.learnswitchPasses(vp, target, learntAt)) continue;
      if (echoCheck && this.echoBlocked(frame)) continue;
      this.deliver(vp, frame, ctx, 'copy-promiscuous', 'R2.3');
      n++;
    }
    return n;
  }

  /** R4a.6 [L]: a unicast learned by no dvFilter is delivered (fail-open). */
  private filteredElsewhere(frame: Uint8Array): boolean {
    for (const vp of this.promiscuous) if (vp.filter !== null && vp.filter.hasAt(frame, DST_OFFSET)) return true;
    return false;
  }

  /**
   * R4b.1: the Learnswitch learns, by VLAN, the sources of what comes in on the uplink — not our
   * own frames coming back that R1.11 (b) keeps from promiscuous ports [L].
   */
  private learnFromUplink(uplink: Port, frame: Uint8Array, ctx: number): void {
    if (isMulticastAt(frame, SRC_OFFSET) || this.echoBlocked(frame)) return;
    if (this.learnswitch!.learn(ctx, frame, uplink, false)) this.fabric.trace(this, uplink, 'learn', ctx, 'R4b.1');
  }

  /**
   * R4b.1: does a leaf port get the promiscuous copy of this unicast? Only when its destination is
   * learned behind it (`learntAt`); one learned on another port — or registered on one here,
   * `target` [L] — is filtered; one known nowhere is flooded, or dropped with unknownUnicast: drop.
   */
  private learnswitchPasses(vp: VPort, target: VPort | null, learntAt: Port | null): boolean {
    if (target !== null) return false;
    return learntAt !== null ? learntAt === vp.port : !this.learnswitch!.settings.dropUnknown;
  }

  /** R4b.1: did the Learnswitch keep this unicast (from the uplink) from a leaf port that would have had a copy? */
  private withheldFromLeaf(ctx: number, learntAt: Port | null): boolean {
    for (const vp of this.promiscuous) if (vp.learnswitch && admits(vp.policy.vlan, ctx) && !this.learnswitchPasses(vp, null, learntAt)) return true;
    return false;
  }

  /** R3.11: why the destination, registered on a PVLAN port of `ctx`'s domain that refuses it, is out of reach; else null. */
  private pvlanDenied(frame: Uint8Array, ctx: number): DropReason | null {
    const hit = this.registered.getAt(frame, DST_OFFSET);
    if (hit === undefined) return null;
    if (!Array.isArray(hit)) return hit.policy.vlan.kind === 'pvlan' ? pvlanDenial(hit.policy.vlan, ctx) : null;
    for (const vp of hit) {
      const denied = vp.policy.vlan.kind === 'pvlan' ? pvlanDenial(vp.policy.vlan, ctx) : null;
      if (denied !== null) return denied;
    }
    return null;
  }

  /** R4c.5: unknown unicast floods to ports with MAC learning and flooding on. */
  private learningFlood(src: VPort | null, frame: Uint8Array, ctx: number): number {
    let n = 0;
    for (const vp of this.vports) {
      const l = vp.policy.learning;
      if (vp === src || l === null || !l.allowUnicastFlooding || !admits(vp.policy.vlan, ctx)) continue;
      if (vp.policy.promiscuous && vp.guestPromisc) continue; // already had its promiscuous copy
      this.deliver(vp, frame, ctx, 'flood', 'R4c.5');
      n++;
    }
    return n;
  }

  /** R1.11 (b): with ReversePathFwdCheckPromisc, our own frames coming back skip promiscuous ports. */
  private echoBlocked(frame: Uint8Array): boolean {
    if (!this.settings.reversePathFwdCheckPromisc) return false;
    const sent = this.sentOut.getAt(frame, SRC_OFFSET);
    return sent !== undefined && this.fabric.frameTime - sent.t < ECHO_WINDOW_MS;
  }

  /** R1.11 (b): remember that the frame's source went out of an uplink now. */
  private noteSentOut(frame: Uint8Array): void {
    const t = this.fabric.frameTime;
    const sent = this.sentOut.getAt(frame, SRC_OFFSET);
    if (sent !== undefined) sent.t = t;
    else this.sentOut.setAt(frame, SRC_OFFSET, { t });
    if (this.sentOut.size > SENT_OUT_LIMIT) for (const [high, low, at] of this.sentOut.entries()) if (t - at.t >= ECHO_WINDOW_MS) this.sentOut.delete(high, low);
  }

  private deliver(vp: VPort, frame: Uint8Array, ctx: number, action: 'forward' | 'flood' | 'copy-promiscuous', rule: string): void {
    if (!admits(vp.policy.vlan, ctx)) return;
    const egressVid = vp.policy.vlan.kind === 'all' || vp.policy.vlan.kind === 'trunk' ? ctx : 0;
    const f = this.fabric;
    if (f.tracer !== null) {
      f.trace(this, vp.port, action, ctx, rule);
      if (egressVid === 0 && ctx !== 0) f.trace(this, vp.port, 'untag', ctx, vp.policy.vlan.kind === 'pvlan' ? 'R3.11' : 'R3.3');
    }
    f.forward(vp.port, frame, egressVid);
  }

  private activeUplinkCount(): number {
    let n = 0;
    for (const u of this.uplinks) if (linkUp(u)) n++;
    for (let i = 0; i < this.lagArray.length; i++) if (this.lagArray[i]!.usable) n++; // a LAG is one logical uplink (R6.5)
    return n;
  }

  /**
   * R1.12: is `uplink` the port's own — its teaming choice, or any member of the LAG it uses (the
   * port channel sends a broadcast into one member only, R6.5)?
   */
  private teamedOn(vp: VPort, frame: Uint8Array, uplink: Port): boolean {
    const chosen = this.selectUplink(vp, frame);
    if (chosen === uplink) return true;
    if (this.lagOfPort.size === 0 || chosen === null) return false;
    const lag = this.lagOfPort.get(uplink);
    return lag !== undefined && this.lagOfPort.get(chosen) === lag;
  }

  /** Does the port's team have a LAG, active or standby (R6.5)? */
  private teamsLag(p: PortPolicy): boolean {
    for (const name of p.active) if (this.lags.has(name)) return true;
    for (const name of p.standby) if (this.lags.has(name)) return true;
    return false;
  }

  /** R6.5: does a LAG member take in what arrives on it (LACP bundled it)? Standalone uplinks: yes. */
  private collects(port: Port): boolean {
    const lag = this.lagOfPort.get(port);
    return lag === undefined || lag.collects(port);
  }

  /**
   * The uplink teaming selects for a port (§5): active in order, then standby; none if all down.
   * Hash policies hash `frame` (its source MAC, or IP addresses), else the port's own MAC.
   * Allocates nothing.
   */
  selectUplink(vp: VPort, frame?: Uint8Array): Port | null {
    const p = vp.policy;
    // Failure detection (R5.9, R1.13): link status; for beacon-probing ports also the beacon verdict.
    const probe = p.detection === 'beacon' ? this.beacon : null;
    const current = vp.selected;
    // R5.11 failback No: a port that failed over stays where it is while that uplink lives. (A LAG
    // member is not a place to stay: the LAG hashes each frame onto its members, R6.5.)
    if (!p.failback && current !== null && linkUp(current) && (probe === null || !probe.isFailed(current)) && (this.lagOfPort.size === 0 || !this.lagOfPort.has(current))) return current;
    let chosen = this.pick(vp, frame, probe, this.recovering.size !== 0);
    // An uplink still in its up-delay is used only when the team has nothing else.
    if (chosen === null && this.recovering.size !== 0) chosen = this.pick(vp, frame, probe, false);
    vp.selected = chosen;
    return chosen;
  }

  /** Teaming's choice (§5) among usable uplinks; `hold`: not those still in their up-delay (R5.6). */
  private pick(vp: VPort, frame: Uint8Array | undefined, probe: BeaconProbe | null, hold: boolean): Port | null {
    const p = vp.policy;
    // R5.5 (vDS only, R5.1): a port LBT moved stays on its uplink while that is a usable active
    // one; otherwise — and until LBT first moves it — it is placed as by port id (R5.2, R5.7).
    if (vp.lbtUplink !== null && p.teaming === 'load-based' && this.kind === 'dvswitch') {
      for (const name of p.active) if (this.uplinkByName.get(name) === vp.lbtUplink && this.usable(name, probe, hold)) return vp.lbtUplink;
    }
    let n = 0;
    for (const name of p.active) if (this.usable(name, probe, hold)) n++;
    let chosen: Port | null = null;
    if (n === 0) {
      for (const name of p.standby) if (this.usable(name, probe, hold)) { chosen = this.teamPort(name, vp, frame); break; } // R5.7
    } else {
      let k: number;
      switch (p.teaming) {
        case 'explicit': k = 0; break; // R5.6
        case 'mac-hash': k = macHash(vp, frame) % n; break; // R5.3 [L]
        case 'ip-hash': k = ipHash(vp, frame) % n; break; // R5.4 [L]
        default: k = vp.index % n; // R5.2 [L]: port id mod uplinks
      }
      for (const name of p.active) if (this.usable(name, probe, hold) && k-- === 0) { chosen = this.teamPort(name, vp, frame); break; }
    }
    return chosen;
  }

  /** The port a usable team entry sends by: the uplink, or the LAG member its hash picks for the frame (R6.5). */
  private teamPort(name: string, vp: VPort, frame: Uint8Array | undefined): Port | null {
    const u = this.uplinkByName.get(name);
    if (u !== undefined) return u;
    return this.lags.get(name)?.pick(frame, vp.effective.high, vp.effective.low, vp.index, contextVid(vp.policy.vlan)) ?? null;
  }

  private usable(name: string, probe: BeaconProbe | null, hold: boolean): boolean {
    const u = this.uplinkByName.get(name);
    // R6.5: a LAG is usable while LACP has a member bundled with its link up (lag.ts).
    if (u === undefined) return this.lags.size !== 0 && this.lags.get(name)?.usable === true;
    return linkUp(u) && (probe === null || !probe.isFailed(u)) && !(hold && this.recovering.has(u));
  }

  /** Fix every port's uplink before links change, so moves can be seen (and announced). */
  settleUplinks(): void {
    if (this.dirty) this.refresh();
    for (const vp of this.vports) this.selectUplink(vp);
    this.wasAlive = this.uplinks.map(linkUp);
  }

  /**
   * After a link changed: ports whose uplink moved announce their MAC with ~5 RARP broadcasts on
   * the new uplink when notify switches is on (R5.10), so physical switches re-learn at once (R9.7).
   */
  uplinksChanged(t: number): string[] {
    if (this.dirty) this.refresh();
    this.uplinks.forEach((u, i) => {
      if (this.wasAlive[i] !== false || !linkUp(u)) return; // not a link that came back
      // [L] R5.9, R9.9: beacon probing trusts it only once it hears the other uplinks' beacons — a
      // physical port still listening or learning (STP) passes none of them.
      this.beacon?.distrust(u);
      // R5.6 Net.TeamPolicyUpDelay: it is used only UP_DELAY_MS later; then ports fail back to it
      // (R5.11), announcing the move (R5.10).
      const until = t + UP_DELAY_MS;
      this.recovering.set(u, until);
      this.fabric.schedule(until, () => {
        if (this.recovering.get(u) !== until) return; // went down (and maybe up) again meanwhile
        this.settleUplinks();
        this.recovering.delete(u);
        const moved = this.uplinksChanged(until);
        if (moved.length > 0) this.onUpDelayMoves?.(moved, u, until);
      });
    });
    // The beacon verdict follows link states (R5.9: fewer than two live uplinks → link status only).
    this.beacon?.update();
    for (const [u] of this.recovering) if (!linkUp(u)) this.recovering.delete(u);
    this.wasAlive = this.uplinks.map(linkUp);
    const moved: string[] = [];
    for (const vp of this.vports) {
      const before = vp.selected;
      if (vp.policy.failback) vp.selected = null;
      const after = this.selectUplink(vp);
      if (after === before || after === null) continue;
      // R5.10 item 1 ("not for LAGs"): another member of the same LAG is no move and no RARP.
      if (before !== null && this.lagOfPort.size !== 0 && this.lagOfPort.has(before) && this.lagOfPort.get(before) === this.lagOfPort.get(after)) continue;
      moved.push(vp.port.id);
      this.announce(vp, after, t);
    }
    return moved;
  }

  /**
   * R5.10: a port whose traffic now leaves on `uplink` announces its MAC with ~5 RARP broadcasts
   * there, 100 ms apart, when notify switches is on — so physical switches re-learn it (R9.7).
   */
  private announce(vp: VPort, uplink: Port, t: number): void {
    if (!vp.policy.notifySwitches || !vp.receives) return;
    const vid = contextVid(vp.policy.vlan);
    const frame = rarpFrame(vp.registeredMac);
    const lag = this.lagOfPort.get(uplink);
    for (let i = 0; i < RARPS_PER_MOVE; i++) {
      this.fabric.schedule(t + i * 100, () => {
        // Onto a LAG: still on it (frames hash over its members), out of the member first picked.
        const still = vp.selected === uplink || (lag !== undefined && vp.selected !== null && this.lagOfPort.get(vp.selected) === lag);
        if (still && linkUp(uplink)) this.fabric.transmit(uplink, frame, vid, this.fabric.now);
      });
    }
  }

  /**
   * The active uplinks of a port's team that teaming may use now (R5.7, R5.9; not those in their
   * up-delay, R5.6) — where load-based teaming may move it (R5.5: never standby or unused).
   */
  usableActive(vp: VPort): Port[] {
    const probe = vp.policy.detection === 'beacon' ? this.beacon : null;
    const out: Port[] = [];
    for (const name of vp.policy.active) if (this.uplinkByName.has(name) && this.usable(name, probe, true)) out.push(this.uplinkByName.get(name)!); // not a LAG (R6.5)
    return out;
  }

  /** R5.5: LBT moves a port's traffic to `uplink` at time `t`, announcing it (R5.10). */
  moveLoadBased(vp: VPort, uplink: Port, t: number): void {
    vp.lbtUplink = uplink;
    vp.selected = uplink;
    this.announce(vp, uplink, t);
  }

  /** The teaming name of an uplink port (`vmnic0`; on a vDS `uplink1` …). */
  uplinkName(uplink: Port): string | undefined {
    for (const [name, u] of this.uplinkByName) if (u === uplink) return name;
    return this.lagOfPort.get(uplink)?.portName(uplink); // a LAG port: lag1-0 (R6.5)
  }

  /** The switch's LAGs (R6.5), by name. */
  lagList(): readonly Lag[] {
    return this.lagArray;
  }

  /**
   * One beacon interval (R5.9): send and count beacons; when the verdict changes, ports move off
   * failed uplinks (and back) with RARP when notify switches is on (R5.10). Null: no change.
   */
  beaconTick(t: number): (BeaconChange & { moved: string[] }) | null {
    const probe = this.beacon;
    if (probe === null) return null;
    if (this.dirty) this.refresh();
    probe.tick(this.fabric, t);
    if (!probe.changed()) return null;
    this.settleUplinks(); // where ports are under the old verdict, so moves are seen and announced
    const change = probe.commit();
    return { ...change, moved: this.uplinksChanged(t) };
  }

  /**
   * R5.9 "shotgun": beacon probing cannot tell which uplink is cut off (each misses the others'
   * beacons — always so with two), so a frame goes out on every live uplink of the port's team.
   */
  private shotgun(src: VPort, frame: Uint8Array, ctx: number): void {
    const sent = this.sendAll(src.policy.active, frame, ctx) + this.sendAll(src.policy.standby, frame, ctx);
    if (sent === 0) this.dropAt(src.port, 'no-active-uplink', ctx);
  }

  private sendAll(names: readonly string[], frame: Uint8Array, ctx: number): number {
    const f = this.fabric;
    let sent = 0;
    for (const name of names) {
      const u = this.uplinkByName.get(name);
      if (u === undefined || !linkUp(u)) continue;
      if (f.tracer !== null) {
        f.trace(this, u, 'forward', ctx, 'R5.9');
        if (ctx !== 0) f.trace(this, u, 'tag', ctx, 'R3.4');
      }
      f.forward(u, frame, ctx);
      sent++;
    }
    return sent;
  }

  private toUplink(src: VPort, frame: Uint8Array, ctx: number): void {
    const shotgun = this.beacon !== null && this.beacon.shotgun && src.policy.detection === 'beacon';
    const uplink = shotgun ? null : this.selectUplink(src, frame);
    if (uplink === null && !shotgun) {
      // R6.5: a team of a LAG that LACP has not bundled says so.
      if (this.uplinks.length > 0 || src.policy.active.length > 0) this.dropAt(src.port, this.lags.size !== 0 && this.teamsLag(src.policy) ? 'lacp-not-bundled' : 'no-active-uplink', ctx);
      return;
    }
    if (this.settings.reversePathFwdCheckPromisc) this.noteSentOut(frame);
    if (uplink === null) return this.shotgun(src, frame, ctx); // R5.9
    const f = this.fabric;
    if (f.tracer !== null) {
      // Through a LAG (R6.5) the hop names the LAG port its hash picked.
      const lag = this.lagOfPort.size === 0 ? undefined : this.lagOfPort.get(uplink);
      f.trace(this, uplink, 'forward', ctx, lag === undefined ? 'R1.13' : 'R6.5', lag?.portName(uplink) ?? '');
      if (ctx !== 0) f.trace(this, uplink, 'tag', ctx, src.policy.vlan.kind === 'pvlan' ? 'R3.11' : 'R3.4');
    }
    f.forward(uplink, frame, ctx);
  }

  private dropAt(port: Port, reason: DropReason, vid: number, rule?: string): void {
    this.fabric.drop(port, reason, vid, rule);
  }

  /** The port of a vNIC / vmknic, by the fabric port on the switch side. */
  portFor(port: Port): VPort | undefined {
    return this.byPort.get(port);
  }

  /** Learned (§4c) and dvFilter (§4a) entries, and registered MACs, for `nestlab macs`. */
  table(now: number): Array<{ mac: number; vlan?: number; port: string; portgroup: string; type: 'registered' | 'learned' | 'dvfilter' | 'learnswitch'; ageS?: number }> {
    if (this.dirty) this.refresh();
    const out: Array<{ mac: number; vlan?: number; port: string; portgroup: string; type: 'registered' | 'learned' | 'dvfilter' | 'learnswitch'; ageS?: number }> = [];
    for (const vp of this.vports) if (vp.registeredMac >= 0) out.push({ mac: vp.registeredMac, port: vp.port.peer?.id ?? vp.port.id, portgroup: vp.policy.portgroup, type: 'registered' });
    for (const [mac, e] of this.learned) out.push({ mac, port: e.vp.port.peer?.id ?? e.vp.port.id, portgroup: e.vp.policy.portgroup, type: 'learned', ageS: (now - e.t) / 1000 });
    for (const vp of this.vports) for (const mac of vp.filter?.keys() ?? []) out.push({ mac, port: vp.port.peer?.id ?? vp.port.id, portgroup: vp.policy.portgroup, type: 'dvfilter' });
    // Learnswitch entries by VLAN, with their age; those past the aging time are gone (R4b.1).
    const ls = this.learnswitch;
    if (ls !== null) {
      ls.age(now);
      for (const e of ls.entries()) {
        const vp = e.leaf ? this.byPort.get(e.port) : undefined;
        out.push({ mac: e.mac, vlan: e.vlan, port: vp ? vp.port.peer?.id ?? vp.port.id : e.port.id, portgroup: vp?.policy.portgroup ?? '', type: 'learnswitch', ageS: Math.max(0, now - e.t) / 1000 });
      }
    }
    return out;
  }
}

/** The VLAN rule that sets a frame's context when it enters from a local port (§3). */
const INGRESS_RULE: Record<VlanMode['kind'], string> = { none: 'R3.2', vst: 'R3.4', all: 'R3.6', trunk: 'R3.7', pvlan: 'R3.11' };

/** The VLAN a port's own untagged frames carry in the switch: its VST id, its private VLAN id (R3.11), else 0. */
export function contextVid(v: VlanMode): number {
  return v.kind === 'vst' ? v.vid : v.kind === 'pvlan' ? v.secondary : 0;
}

export function admits(v: VlanMode, ctx: number): boolean {
  switch (v.kind) {
    case 'none': return ctx === 0;
    case 'vst': return ctx === v.vid;
    case 'all': return true;
    case 'trunk': return v.allowed[ctx] === 1;
    case 'pvlan': return v.accepts[ctx] === 1; // R3.11, pvlan.ts
  }
}

/** R1.11 (b): how long a source sent out counts as "recently transmitted", and when to prune. */
const ECHO_WINDOW_MS = 1000;
const SENT_OUT_LIMIT = 4096;
/** The dvFilter's per-port table [L: the fling documents a limit, not its size] (R4a.3). */
const DVFILTER_TABLE_SIZE = 4096;

/** Net.TeamPolicyUpDelay (ms): a recovered uplink waits this long before teaming uses it (R5.6, §10.24). */
const UP_DELAY_MS = 100;

/** "Around 5 (max. 8) RARP packets for each VM" on failover (R5.10, KB 343401). */
const RARPS_PER_MOVE = 5;


/**
 * R5.4: a hash of source and destination IPv4 addresses, per packet; "for non-IP packets, the
 * switch simply uses the data at those fields" — the same offsets (26–33) of whatever is there.
 */
function ipHash(vp: VPort, frame: Uint8Array | undefined): number {
  if (frame === undefined || frame.length < 34) return macHash(vp, frame);
  let h = 0;
  for (let i = 26; i < 34; i++) h = (h * 31 + frame[i]!) >>> 0;
  return h;
}

/** R5.3: the low 24 bits of the source MAC (the frame's, else the port's own) XOR its high 24 bits. */
function macHash(vp: VPort, frame: Uint8Array | undefined): number {
  const high = frame === undefined ? vp.effective.high : readMacHigh(frame, SRC_OFFSET);
  const low = frame === undefined ? vp.effective.low : readMacLow(frame, SRC_OFFSET);
  return ((low & 0xffffff) ^ ((high << 8) | (low >>> 24))) >>> 0;
}
