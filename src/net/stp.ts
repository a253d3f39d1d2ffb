// Spanning tree (IEEE 802.1D, spec/network.md R9.9, R8.4) on physical switches that run it
// (`stp:` on the switch) and on Linux bridges with `stp: true`. ESXi vSwitches take no part:
// they never pass a frame between uplinks (R1.10, R1.14).
//
// The tree is computed centrally from the topology — which STP ports hear which (stp-segments.ts:
// BPDUs crossing the devices that do not run STP as they would in reality) — whenever the network
// is built and whenever a link changes, to the state the distributed protocol converges to: the
// root bridge is the lowest (priority, MAC); each other bridge's root port has the lowest
// (root path cost, designated bridge, designated port, own port); on each segment the port with
// the best (root, cost, bridge, port) vector is designated; the others are alternate (another
// bridge's port is better) or backup (one of its own), and block. Path costs are 802.1D-1998's
// short ones from the link speed (10M 100, 100M 19, 1G 4, 10G 2, faster 1).
//
// Timing is 802.1D's: a port that must start forwarding (its link came up, or its role changed
// from alternate) listens for the forward delay (15 s), learns for another (learns, forwards
// nothing), then forwards — 30 s — unless it is `portfast` (an edge port: forwarding at once). A
// port that must stop forwarding blocks at once. A non-edge port that starts or stops forwarding
// is a topology change: every bridge of the tree ages its MAC table with the forward delay instead
// of its ageing time for max age + forward delay (35 s; 802.1D §8.3.5). Transitions are scheduled
// in virtual time and saved with the network state (state.ts), so `nestlab advance` completes
// them. [L] The lab starts converged: the first time a lab's network runs, every port is already
// in the state its role calls for. [L] Max age is not modelled: a bridge that stops hearing a
// BPDU recomputes at once, as if the loss were on one of its own links.
//
// BPDU guard (R9.9, R1.14): a BPDU received on a `bpduguard` port err-disables it — the switch
// takes the link down (the ESXi side sees link down and fails over, R5.9) until
// `nestlab link up SWITCH/PORT` (shut / no shut). BPDUs of other physical switches are not sent
// frame by frame: a bpduguard port on a segment with another STP switch's port is err-disabled
// when the tree is computed. The frames that do trip it are real: a guest's, forwarded by ESXi
// unless Net.BlockGuestBPDU (R1.14), and the hello BPDUs of Linux bridges with `stp: true`, which
// they send every hello time (2 s) on their designated ports — and, when they start, on all of
// them (a bridge starts believing it is the root, 802.1D §8.4).
//
// Bridge ids: priority (default 32768) and a MAC — [L] for a physical switch 00:1b:d4 followed
// by the low 24 bits of the FNV-1a hash of its name (a stable stand-in for its base MAC); for a
// Linux bridge the lowest MAC of its NICs, as the kernel picks (br_stp_recalculate_bridge_id).
import { macToNumber, macToString, readMac } from './codec/index.js';
import { linkUp, type Port } from './fabric.js';
import { LinuxBridge } from './bridge.js';
import { changeLink } from './links.js';
import { PhysicalSwitch } from './pswitch.js';
import {
  compareBridgeIds, configBpduFrame, formatBridgeId, STP_DISCARDING, STP_FORWARDING, STP_LEARNING, type BpduSink, type BridgeId,
} from './stp-bpdu.js';
import { bpduReach } from './stp-segments.js';
import type { Network } from './topology.js';
import type { Host, Inventory, PhysicalSwitch as SwitchSpec, StpConfig } from '../model/inventory.js';
import { fnv1a } from '../model/mac.js';

export type StpRole = 'root' | 'designated' | 'edge' | 'alternate' | 'backup' | 'disabled';
export type StpState = 'forwarding' | 'learning' | 'listening' | 'blocking' | 'disabled' | 'err-disabled';

/** Linux bridge defaults (bridge(8): priority 32768, forward_delay 15 s, hello_time 2 s). */
const LINUX_STP: StpConfig = { priority: 32768, forwardDelayS: 15, helloTimeS: 2 };
/** 802.1D max age, s: with the forward delay, how long a topology change lasts. */
const MAX_AGE_S = 20;
/** Port priority (802.1D default 128). */
const PORT_PRIORITY = 128;

/** A root path vector: root id, cost to it, designated bridge id, designated port id, own port id. */
type Vector = [rootPriority: number, rootMac: number, cost: number, bridgePriority: number, bridgeMac: number, portId: number, ownPort: number];

export interface StpBridge {
  /** the device id: `pswitch:core`, `bridge:kvm1/br0` */
  id: string;
  kind: 'pswitch' | 'bridge';
  device: PhysicalSwitch | LinuxBridge;
  bridgeId: BridgeId;
  forwardDelayMs: number;
  helloMs: number;
  /** the MAC table's own ageing time, ms (R9.2, R8.2) */
  agingMs: number;
  ports: StpPort[];
  /** where the tree puts it: its root vector and root port (null: it is the root) */
  vector: Vector;
  rootPort: StpPort | null;
  /** a topology change shortens MAC ageing until then (ms), or -1 */
  tcUntil: number;
  /** Linux bridges: when the last hello went out (ms), or -1: never — the next is its first */
  lastHello: number;
}

export interface StpPort {
  /** the port's id; a port channel's own (`channel:core/po1`) */
  id: string;
  bridge: StpBridge;
  /** port number on its bridge, from 1 */
  number: number;
  /** the physical ports: one, or a channel's members */
  members: Port[];
  portfast: boolean;
  bpduguard: boolean;
  /** `stpCost`, when set */
  costOverride: number | undefined;
  /** the source MAC of the BPDUs it sends */
  mac: number;
  role: StpRole;
  state: StpState;
  /** listening/learning: when the next state begins (ms); -1 otherwise */
  until: number;
  errDisabled: boolean;
  /** BPDU guard tripped; the err-disable is on its way */
  tripped: boolean;
  /** not in the saved state: it appeared since the last command */
  fresh: boolean;
  /** STP ports whose BPDUs reach this one */
  heard: StpPort[];
  /** tell the device the port's data-plane state */
  setDevice: (code: number) => void;
}

/** What the network state keeps of the tree between commands (state.ts). */
export interface StpSaved {
  /** each port's state, and when its listening or learning ends (ms) */
  ports: Record<string, [state: StpState, until: number]>;
  /** per bridge: topology change until, last hello (ms) */
  bridges?: Record<string, { tcUntil?: number; hello?: number }>;
  /** transitions or a topology change still to come: `advance` must run the network */
  pending?: boolean;
}

/** 802.1D-1998 short path cost of a link speed in Mb/s (Table 8-5). */
export function pathCost(mbps: number): number {
  const table: Array<[number, number]> = [[4, 250], [10, 100], [16, 62], [45, 39], [100, 19], [155, 14], [622, 6], [1000, 4], [10_000, 2]];
  for (const [speed, cost] of table) if (mbps <= speed) return cost;
  return 1;
}

/** [L] A physical switch's bridge MAC: 00:1b:d4 and the low 24 bits of FNV-1a of its name. */
export function switchMac(name: string): number {
  return 0x001b_d400_0000 + (fnv1a(name) & 0xffffff);
}

const label = (id: string) => id.replace(/^[\w-]+:/, '');
/**
 * What the data plane does in each state (R9.9). A disabled or err-disabled port has its link
 * down: the fabric drops what would cross it as `link-down` (R5.9), as on a switch without STP.
 */
const DEVICE_CODE: Record<StpState, number> = {
  forwarding: STP_FORWARDING, learning: STP_LEARNING, listening: STP_DISCARDING, blocking: STP_DISCARDING, disabled: STP_FORWARDING, 'err-disabled': STP_FORWARDING,
};

function less(a: readonly number[], b: readonly number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

export class SpanningTree implements BpduSink {
  readonly bridges: StpBridge[] = [];
  /** every member port → its STP port */
  private readonly byPort = new Map<Port, StpPort>();
  /** bpduguard ports to err-disable once the fabric runs (BPDUs of another STP switch) */
  private trips: StpPort[] = [];
  /** the scheduler may be used: start() ran (fabric.now is the lab's clock) */
  private started = false;

  constructor(
    private readonly net: Network,
    private readonly blockGuestBPDU: boolean,
  ) {}

  // ---- building --------------------------------------------------------------------------------

  addSwitch(dev: PhysicalSwitch, spec: SwitchSpec, cfg: StpConfig): void {
    const b = this.bridge(dev, 'pswitch', { priority: cfg.priority, mac: switchMac(spec.name) }, cfg);
    const specs = new Map([...spec.ports.values()].map((p) => [p.id, p]));
    dev.logicalPorts().forEach((l, i) => {
      const configs = l.members.map((m) => specs.get(m.id));
      this.port(b, l.port.id, i + 1, l.members, {
        // A channel is one STP port: edge only if every member is, guarded if any is.
        portfast: configs.every((c) => c?.portfast === true), bpduguard: configs.some((c) => c?.bpduguard === true),
        cost: configs[0]?.stpCost, mac: b.bridgeId.mac, setDevice: (code) => dev.setStpState(l.port, code),
      });
    });
    dev.stp = this;
  }

  addBridge(dev: LinuxBridge, host: Host, uplinks: readonly string[]): void {
    const nics = new Map(host.nics.filter((n) => uplinks.includes(n.name)).map((n) => [n.id, macToNumber(n.mac)]));
    const mac = nics.size ? Math.min(...nics.values()) : 0x0200_0000_0000 + (switchMac(dev.id) & 0xffffff);
    const b = this.bridge(dev, 'bridge', { priority: LINUX_STP.priority, mac }, LINUX_STP);
    // A NIC sends its BPDUs from its own MAC; a VM's tap from the bridge's.
    dev.ports.forEach((p, i) => this.port(b, p.id, i + 1, [p], { portfast: false, bpduguard: false, cost: undefined, mac: nics.get(p.id) ?? mac, setDevice: (code) => dev.setStpState(p, code) }));
    dev.stp = this;
  }

  private bridge(device: PhysicalSwitch | LinuxBridge, kind: StpBridge['kind'], bridgeId: BridgeId, cfg: StpConfig): StpBridge {
    const b: StpBridge = {
      id: device.id, kind, device, bridgeId, forwardDelayMs: cfg.forwardDelayS * 1000, helloMs: cfg.helloTimeS * 1000, agingMs: device.fdb.agingMs,
      ports: [], vector: own(bridgeId), rootPort: null, tcUntil: -1, lastHello: -1,
    };
    this.bridges.push(b);
    return b;
  }

  private port(b: StpBridge, id: string, number: number, members: Port[], o: { portfast: boolean; bpduguard: boolean; cost: number | undefined; mac: number; setDevice: (code: number) => void }): void {
    const sp: StpPort = {
      id, bridge: b, number, members, portfast: o.portfast, bpduguard: o.bpduguard, costOverride: o.cost, mac: o.mac, role: 'disabled', state: 'disabled',
      until: -1, errDisabled: false, tripped: false, fresh: false, heard: [], setDevice: o.setDevice,
    };
    b.ports.push(sp);
    for (const m of members) this.byPort.set(m, sp);
  }

  /** The STP port a physical port belongs to. */
  portOf(port: Port): StpPort | undefined {
    return this.byPort.get(port);
  }

  // ---- the tree --------------------------------------------------------------------------------

  private up(sp: StpPort): boolean {
    return !sp.errDisabled && sp.members.some(linkUp);
  }

  /** The port's cost: `stpCost`, else from the speed of its link(s) — the slower end's; a channel's add up. */
  cost(sp: StpPort): number {
    if (sp.costOverride !== undefined) return sp.costOverride;
    let mbps = 0;
    for (const m of sp.members) if (linkUp(m)) mbps += Math.min(m.speedMbps, m.peer!.speedMbps);
    return pathCost(mbps || sp.members[0]!.speedMbps);
  }

  /** Who hears whom, every bridge's root vector and root port, every port's role. */
  private compute(): void {
    const ports = this.bridges.flatMap((b) => b.ports);
    for (const sp of ports) sp.heard = [];
    for (const sp of ports) {
      if (!this.up(sp)) continue;
      for (const m of sp.members) {
        if (!linkUp(m)) continue;
        for (const q of bpduReach(m, this.byPort, this.blockGuestBPDU)) if (q !== sp && this.up(q) && !q.heard.includes(sp)) q.heard.push(sp);
      }
    }
    // Root vectors: Bellman-Ford from every bridge believing it is the root; vectors only improve.
    for (const b of this.bridges) {
      b.vector = own(b.bridgeId);
      b.rootPort = null;
    }
    for (let round = 0, changed = true; changed && round <= this.bridges.length + 1; round++) {
      changed = false;
      for (const b of this.bridges) {
        let best = own(b.bridgeId);
        let via: StpPort | null = null;
        for (const p of b.ports) {
          if (!this.up(p)) continue;
          const c = this.cost(p);
          for (const q of p.heard) {
            if (q.bridge === b) continue;
            const v = q.bridge.vector;
            const cand: Vector = [v[0], v[1], v[2] + c, q.bridge.bridgeId.priority, q.bridge.bridgeId.mac, portId(q), portId(p)];
            if (less(cand, best)) {
              best = cand;
              via = p;
            }
          }
        }
        if (less(best, b.vector) || less(b.vector, best)) changed = true;
        b.vector = best;
        b.rootPort = via;
      }
    }
    for (const b of this.bridges) {
      for (const p of b.ports) {
        if (!this.up(p)) p.role = 'disabled';
        else if (p === b.rootPort) p.role = 'root';
        else {
          const mine = designated(p);
          let better: StpPort | null = null;
          for (const q of p.heard) if (less(designated(q), better === null ? mine : designated(better))) better = q;
          p.role = better === null ? (p.portfast && p.heard.length === 0 ? 'edge' : 'designated') : better.bridge === b ? 'backup' : 'alternate';
        }
        // BPDU guard against another physical switch (its BPDUs are not sent frame by frame).
        if (p.bpduguard && b.kind === 'pswitch' && !p.tripped && p.heard.some((q) => q.bridge !== b && q.bridge.kind === 'pswitch')) {
          p.tripped = true;
          this.trips.push(p);
        }
      }
    }
  }

  /** Compute the tree and put every port in its state at once: a network built afresh. */
  converge(): void {
    this.compute();
    for (const b of this.bridges) for (const p of b.ports) this.setState(p, target(p) ?? 'forwarding', -1);
  }

  /** A link changed at `t` (links.ts): `nestlab link up` on an err-disabled port clears it (shut / no shut). */
  linkChanged(port: Port, up: boolean, t: number): void {
    const sp = this.byPort.get(port);
    if (up && sp !== undefined && sp.errDisabled && port.up) {
      sp.errDisabled = false;
      sp.tripped = false;
    }
    this.recompute(t);
  }

  /** Recompute after a change at `t`: roles that changed are logged; ports start or stop forwarding. */
  private recompute(t: number): void {
    const before = new Map(this.bridges.flatMap((b) => b.ports.map((p) => [p, p.role] as const)));
    const roots = new Map(this.bridges.map((b) => [b, b.vector]));
    this.compute();
    for (const b of this.bridges) {
      const changes = b.ports.filter((p) => before.get(p) !== p.role);
      const old = roots.get(b)!;
      if (changes.length === 0 && old[0] === b.vector[0] && old[1] === b.vector[1]) continue;
      const root = rootOf(b);
      this.net.events.push({
        t, type: 'stp.topology-change', object: b.id,
        message: `${label(b.id)}: ${changes.map((p) => `${label(p.id)} ${before.get(p)} → ${p.role}`).join(', ') || 'port roles unchanged'}; root bridge ${formatBridgeId(root)}${b.rootPort === null ? ' (this one)' : ` via ${label(b.rootPort.id)}`} (R9.9)`,
        data: { root: formatBridgeId(root), rootPort: b.rootPort?.id ?? null, changes: changes.map((p) => ({ port: p.id, from: before.get(p), to: p.role })) },
      });
    }
    for (const b of this.bridges) for (const p of b.ports) this.enter(p, t);
    this.tripAll(t);
  }

  /** Move a port toward the state its role calls for, at `t`. */
  private enter(p: StpPort, t: number): void {
    const want = target(p);
    if (want !== undefined) return this.setState(p, want, t);
    // Root, designated or edge: keep forwarding (or the listening/learning under way) …
    if (p.state === 'forwarding' || p.state === 'listening' || p.state === 'learning') return;
    // … else forward at once when portfast, or listen first (802.1D §8.4).
    if (p.portfast) return this.setState(p, 'forwarding', t);
    this.setState(p, 'listening', t);
    this.arm(p, t + p.bridge.forwardDelayMs);
  }

  private setState(p: StpPort, state: StpState, t: number): void {
    const was = p.state;
    if (state !== 'listening' && state !== 'learning') p.until = -1;
    p.state = state;
    p.setDevice(DEVICE_CODE[state]);
    if (t < 0 || was === state) return; // converging: no history
    const fd = p.bridge.forwardDelayMs / 1000;
    const why: Record<StpState, string> = {
      listening: `forwarding in ${2 * fd} s (listening ${fd} s, then learning ${fd} s; not portfast)`,
      learning: `learning MACs, forwarding in ${fd} s`,
      forwarding: p.portfast ? 'forwarding at once (portfast)' : 'forwarding',
      blocking: `blocking (${p.role})`,
      disabled: 'disabled (link down)',
      'err-disabled': 'err-disabled by BPDU guard',
    };
    this.net.events.push({ t, type: 'stp.port-state', object: p.id, message: `${label(p.id)}: ${was} → ${why[state]} (R9.9)`, data: { from: was, to: state, role: p.role } });
    // A non-edge port that starts or stops forwarding changes the topology (802.1D §8.5.3).
    if (!p.portfast && (state === 'forwarding' || was === 'forwarding')) this.topologyChange(p, t);
  }

  /** Listening/learning ends at `at`. */
  private arm(p: StpPort, at: number): void {
    p.until = at;
    if (this.started) this.net.fabric.schedule(at, () => this.expire(p, at));
  }

  private expire(p: StpPort, at: number): void {
    if (p.until !== at) return; // superseded
    if (p.state === 'listening') {
      this.setState(p, 'learning', at);
      this.arm(p, at + p.bridge.forwardDelayMs);
    } else if (p.state === 'learning') this.setState(p, 'forwarding', at);
  }

  /** 802.1D §8.3.5: the tree's MAC tables age with the forward delay for max age + forward delay. */
  private topologyChange(origin: StpPort, t: number): void {
    const root = rootOf(origin.bridge);
    for (const b of this.bridges) {
      if (compareBridgeIds(rootOf(b), root) !== 0) continue;
      const until = t + b.forwardDelayMs + MAX_AGE_S * 1000;
      if (until <= b.tcUntil) continue;
      b.tcUntil = until;
      b.device.fdb.agingMs = b.forwardDelayMs;
      if (this.started) this.net.fabric.schedule(until, () => this.endTopologyChange(b, until));
    }
  }

  private endTopologyChange(b: StpBridge, until: number): void {
    if (b.tcUntil !== until) return;
    b.tcUntil = -1;
    b.device.fdb.agingMs = b.agingMs;
  }

  // ---- BPDU guard -------------------------------------------------------------------------------

  /** A BPDU arrived at a port of a bridge running STP: the tree's (already computed); BPDU guard acts. */
  bpdu(port: Port, frame: Uint8Array, vid: number): void {
    const f = this.net.fabric;
    const p = this.byPort.get(port);
    if (p !== undefined && p.bpduguard && p.bridge.kind === 'pswitch') {
      f.drop(port, 'bpdu-guard', vid);
      if (!p.tripped) {
        p.tripped = true;
        const at = Math.max(f.now, f.frameTime);
        const source = readMac(frame, 6);
        f.schedule(at, () => this.errDisable(p, at, macToString(source)));
      }
      return;
    }
    f.trace(port.device, port, 'deliver', vid, p?.bridge.kind === 'bridge' ? 'R8.4' : 'R9.9', 'bpdu');
  }

  /** BPDU guard: the switch shuts the port; ESXi on the far end sees its link go down (R5.9). */
  private errDisable(p: StpPort, t: number, source: string): void {
    if (p.errDisabled) return;
    p.errDisabled = true;
    this.net.events.push({
      t, type: 'stp.bpduguard', object: p.id,
      message: `${label(p.id)} received a BPDU from ${source}: BPDU guard err-disables it — link down until \`nestlab link up ${label(p.id)}\` (R9.9, R1.14)`,
      data: { port: p.id, source },
    });
    // The switch takes the link down; changeLink recomputes the tree (err-disabled) and ESXi fails over.
    for (const m of p.members) {
      if (!m.up) continue;
      for (const moved of changeLink(this.net, m, false)) {
        this.net.events.push({ t, type: 'teaming.failover', object: moved, message: `${label(moved)} moved to another uplink after ${label(m.id)} was err-disabled (R5.9)` });
      }
    }
  }

  private tripAll(t: number): void {
    const trips = this.trips;
    this.trips = [];
    for (const p of trips) {
      const neighbour = p.heard.find((q) => q.bridge !== p.bridge && q.bridge.kind === 'pswitch');
      this.net.fabric.schedule(t, () => this.errDisable(p, t, neighbour === undefined ? 'another switch' : macToString(neighbour.mac)));
    }
  }

  // ---- time ------------------------------------------------------------------------------------

  /**
   * The fabric's clock is the lab's: catch up on what came due while the network did not run,
   * schedule what is to come — transitions, topology-change ends, Linux bridges' hellos — and the
   * BPDU guard trips found while building. Once per built network (periodic.ts).
   */
  start(): void {
    const f = this.net.fabric;
    const now = f.now;
    // Catch up first, nothing scheduled (the fabric never runs an event in the past) …
    for (const b of this.bridges) {
      for (const p of b.ports) {
        if (p.fresh) {
          p.fresh = false;
          if (target(p) === undefined) this.enter(p, now);
          continue;
        }
        while ((p.state === 'listening' || p.state === 'learning') && p.until >= 0 && p.until <= now) this.expire(p, p.until);
      }
    }
    // … then what is to come.
    this.started = true;
    for (const b of this.bridges) {
      for (const p of b.ports) {
        const until = p.until;
        if (until >= 0) f.schedule(until, () => this.expire(p, until));
      }
      if (b.tcUntil > now) {
        b.device.fdb.agingMs = b.forwardDelayMs;
        const until = b.tcUntil;
        f.schedule(until, () => this.endTopologyChange(b, until));
      } else if (b.tcUntil >= 0) this.endTopologyChange(b, b.tcUntil);
      if (b.kind === 'bridge') this.startHellos(b, now);
    }
    this.tripAll(now);
  }

  /** R8.4: a Linux bridge with STP sends a hello BPDU every hello time on its designated ports. */
  private startHellos(b: StpBridge, now: number): void {
    const f = this.net.fabric;
    const h = b.helloMs;
    const first = Math.max(Math.ceil(now / h) * h, b.lastHello >= 0 ? b.lastHello + h : 0);
    const tick = (t: number): void => {
      f.untraced(() => this.hello(b, t));
      f.schedule(t + h, () => tick(t + h));
    };
    f.schedule(first, () => tick(first));
  }

  private hello(b: StpBridge, t: number): void {
    // Its first hello: the bridge starts believing it is the root, every port designated (§8.4).
    const startup = b.lastHello < 0;
    b.lastHello = t;
    const v = startup ? own(b.bridgeId) : b.vector;
    for (const p of b.ports) {
      if (p.state === 'disabled' || p.state === 'err-disabled') continue;
      if (!startup && p.role !== 'designated' && p.role !== 'edge') continue;
      const m = p.members[0]!;
      if (!linkUp(m)) continue;
      const frame = configBpduFrame(p.mac, {
        root: { priority: v[0], mac: v[1] }, rootCost: v[2], bridge: b.bridgeId, portId: 0x8000 | (p.number & 0xfff),
        maxAge: MAX_AGE_S, helloTime: b.helloMs / 1000, forwardDelay: b.forwardDelayMs / 1000, topologyChange: b.tcUntil > t,
      });
      this.net.fabric.transmit(m, frame, 0, t);
    }
  }

  // ---- saving and showing ----------------------------------------------------------------------

  snapshot(now: number): StpSaved {
    const s: StpSaved = { ports: {} };
    let pending = false;
    for (const b of this.bridges) {
      for (const p of b.ports) {
        s.ports[p.id] = [p.state, p.until];
        if (p.until > now) pending = true;
      }
      if (b.tcUntil > now || b.lastHello >= 0) {
        (s.bridges ??= {})[b.id] = { ...(b.tcUntil > now ? { tcUntil: b.tcUntil } : {}), ...(b.lastHello >= 0 ? { hello: b.lastHello } : {}) };
      }
      if (b.tcUntil > now || b.kind === 'bridge') pending = true;
    }
    if (pending) s.pending = true;
    return s;
  }

  /**
   * After the links' saved states are back (state.ts): recompute the tree and take each port's saved
   * state where its role allows it. Without a saved tree (the first time, or a state from before
   * spanning tree) the network starts converged.
   */
  restore(saved: StpSaved | undefined): void {
    const errDisabled = (p: StpPort) => saved?.ports[p.id]?.[0] === 'err-disabled';
    for (const b of this.bridges) for (const p of b.ports) if (errDisabled(p) && p.members.every((m) => !m.up)) p.errDisabled = p.tripped = true;
    if (saved === undefined) return this.converge();
    this.compute();
    for (const b of this.bridges) {
      const sb = saved.bridges?.[b.id];
      b.tcUntil = sb?.tcUntil ?? -1;
      b.lastHello = sb?.hello ?? -1;
      for (const p of b.ports) {
        const sp = saved.ports[p.id];
        const want = target(p);
        if (want !== undefined) this.setState(p, want, -1);
        else if (sp !== undefined && (sp[0] === 'forwarding' || sp[0] === 'listening' || sp[0] === 'learning')) {
          this.setState(p, sp[0], -1);
          p.until = sp[0] === 'forwarding' ? -1 : sp[1];
        } else {
          // New since the last command, or it was not forwarding: it starts now (start()).
          this.setState(p, 'disabled', -1);
          p.fresh = true;
        }
      }
    }
  }

  /** The tree as `nestlab show SWITCH` shows it (R9.9). */
  describe(bridgeId: string, now: number): StpView | undefined {
    const b = this.bridges.find((x) => x.id === bridgeId);
    if (b === undefined) return undefined;
    const root = rootOf(b);
    return {
      bridgeId: formatBridgeId(b.bridgeId), root: formatBridgeId(root), isRoot: b.rootPort === null, rootPort: b.rootPort?.id ?? null, rootCost: b.vector[2],
      forwardDelayS: b.forwardDelayMs / 1000, helloTimeS: b.helloMs / 1000, topologyChange: b.tcUntil > now,
      ports: Object.fromEntries(b.ports.map((p) => [p.id, {
        role: p.role, state: p.state, cost: this.cost(p), portId: `${PORT_PRIORITY}.${p.number}`,
        ...(p.portfast ? { portfast: true } : {}), ...(p.bpduguard ? { bpduguard: true } : {}),
        ...(p.until > now ? { nextStateInS: Math.round((p.until - now) / 10) / 100 } : {}),
      }])),
    };
  }
}

export interface StpView {
  bridgeId: string;
  root: string;
  isRoot: boolean;
  rootPort: string | null;
  rootCost: number;
  forwardDelayS: number;
  helloTimeS: number;
  /** MAC tables age with the forward delay now (a topology change) */
  topologyChange: boolean;
  ports: Record<string, { role: StpRole; state: StpState; cost: number; portId: string; portfast?: true; bpduguard?: true; nextStateInS?: number }>;
}

function own(id: BridgeId): Vector {
  return [id.priority, id.mac, 0, id.priority, id.mac, 0, 0];
}

/** Port identifier for comparisons: priority, then number (every port has priority 128 here). */
function portId(p: StpPort): number {
  return PORT_PRIORITY * 65536 + p.number;
}

/** What a port offers its segment: (root, cost, bridge, port). */
function designated(p: StpPort): number[] {
  const v = p.bridge.vector;
  return [v[0], v[1], v[2], p.bridge.bridgeId.priority, p.bridge.bridgeId.mac, portId(p)];
}

function rootOf(b: StpBridge): BridgeId {
  return { priority: b.vector[0], mac: b.vector[1] };
}

/** The state a role imposes at once, or undefined: root/designated/edge, which may have to wait. */
function target(p: StpPort): StpState | undefined {
  if (p.errDisabled) return 'err-disabled';
  if (p.role === 'disabled') return 'disabled';
  if (p.role === 'alternate' || p.role === 'backup') return 'blocking';
  return undefined;
}

/** Spanning tree for the switches and bridges of a built network that run it, or undefined: none does. */
export function buildSpanningTree(net: Network, inv: Inventory): SpanningTree | undefined {
  const stp = new SpanningTree(net, inv.settings.blockGuestBPDU === true);
  for (const sw of inv.pswitches.values()) {
    const dev = net.switches.get(sw.id);
    if (sw.stp !== undefined && dev instanceof PhysicalSwitch) stp.addSwitch(dev, sw, sw.stp);
  }
  for (const h of inv.hosts.values()) {
    for (const b of h.bridges) {
      const dev = net.switches.get(b.id);
      if (b.stp && dev instanceof LinuxBridge) stp.addBridge(dev, h, b.uplinks);
    }
  }
  if (stp.bridges.length === 0) return undefined;
  stp.converge();
  return stp;
}

/**
 * Must `nestlab advance` run the network for spanning tree? When a Linux bridge runs it (hellos
 * every 2 s; `"stp":true` in the stored spec), or when a physical switch does and the saved
 * state has transitions or a topology change still to come (R9.9). Labs without STP pay a
 * substring search of their spec.
 */
export function stpNeedsTime(specJson: string, saved: () => { stp?: StpSaved } | undefined): boolean {
  if (specJson.includes('"stp":true')) return true;
  if (!specJson.includes('"stp":{')) return false;
  return saved()?.stp?.pending === true;
}
