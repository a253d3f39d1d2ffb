// LACP (IEEE 802.3ad / 802.1AX) between the LAGs of vDS proxy switches (R6.5, lag.ts) and the
// LACP port channels of physical switches (`channelMode: active|passive`; `on`, the default, is
// the static EtherChannel of R5.4 and takes no part).
//
// Like spanning tree (stp.ts), negotiation is computed centrally from the topology whenever the
// network is built and whenever a link changes (links.ts), to the state the protocol settles in:
// - a member has a partner when the port at the other end of its cable is an LACP member too;
//   "If the host and the switch are both in passive mode, the LAG does not initialize since an
//   active part is needed to trigger the linking. At least one must be Active" (vSAN Network
//   Design Guide 8.0, "LACP"; Cisco, Dell and Aruba say the same) — active–active and
//   active–passive negotiate, passive–passive does not;
// - an aggregator (a LAG on one host, a channel on one switch) bundles links to one partner
//   system and key only: [L] the partner of its first member that negotiates (in port order). A
//   member whose partner is another switch, another channel or another host stays out; so does a
//   link the other end did not select (802.1AX: no Synchronization from the partner);
// - a member that cannot bundle: on ESXi it stays out of the LAG, "individual" [L: VMware does
//   not document the state's name; the member carries nothing for the LAG]; on a physical switch
//   it is suspended — Catalyst 9000's default `port-channel standalone-disable`: "When no
//   response is received from an LACP peer, ports in the port channel are moved to suspended
//   state" (Catalyst 9400 17.5 EtherChannel guide; Nexus: `lacp suspend-individual`, also the
//   default). The switch-side `(I)` stand-alone state (`no port-channel standalone-disable`) is not
//   modelled. A static (`on`) channel facing an LACP LAG sends into the links anyway, and ESXi
//   drops what arrives on a member it did not bundle (lacp-not-bundled);
// - timing: a link that goes down leaves its bundle at once (both ends see it). A member that can
//   bundle after its link comes up does so Aggregate_Wait_Time later — 2 s (802.3ad §43.4.4,
//   Linux bond_3ad.c AD_AGGREGATE_WAIT_TIME): the first LACPDUs go out at once (the receive
//   machine starts expired, with a short timeout, whatever the configured rate), then the mux
//   machine waits before attaching. The rate (slow: LACPDUs every 30 s, partner timed out after
//   90 s; fast: 1 s / 3 s, §43.4.4) decides how soon a partner that stops sending with its link
//   up is dropped — [L] this model has no such failure (a link is up or down at both ends), so
//   the rate shows in `show` and in the LACPDUs' timeout bit only.
// LACPDUs are put on the wire (lacp-pdu.ts) when a link comes up and when its members bundle —
// what a capture sees of the exchange — toward physical switches and ESXi hosts, which take them
// in; [L] the periodic ones (every 30 s / 1 s) are not sent frame by frame, nor toward other
// devices (they never forward the 802.1D reserved address anyway). Transitions still to come are
// saved with the network state (state.ts): `nestlab advance` completes them.
//
// System ids: physical switch — priority 32768 and [L] its bridge MAC (stp.ts switchMac); ESXi —
// priority 32768 and [L] the host's lowest NIC MAC. Keys: the channel's number (po1 → 1), a LAG's
// position on its switch [L]. No RARP when a port's traffic moves between members of one LAG
// (R5.10 item 1: "not for LAGs").
import { macToNumber, macToString } from './codec/index.js';
import { linkUp, type Port } from './fabric.js';
import {
  LACP_ACTIVITY, LACP_AGGREGATION, LACP_COLLECTING, LACP_DISTRIBUTING, LACP_SHORT_TIMEOUT, LACP_SYNC, lacpduFrame, type LacpPortInfo,
} from './lacp-pdu.js';
import type { Lag } from './lag.js';
import { PhysicalSwitch } from './pswitch.js';
import { switchMac } from './stp.js';
import type { Network } from './topology.js';
import { VSwitch } from './vswitch.js';
import type { Inventory } from '../model/inventory.js';

export type LacpMode = 'active' | 'passive';
export type LacpRate = 'slow' | 'fast';
export type LacpState = 'bundled' | 'negotiating' | 'individual' | 'suspended' | 'down';

/** 802.3ad §43.4.4: Aggregate_Wait_Time — from a link's LACPDUs to its members collecting and distributing. */
export const AGGREGATE_WAIT_MS = 2000;
/** Cisco `lacp system-priority` / `lacp port-priority` defaults; [L] ESXi's too. */
const PRIORITY = 32768;

interface Aggregator {
  /** `lag:dvs@esx1/lag1`, or the channel's own port id `channel:psw/po1` */
  id: string;
  kind: 'lag' | 'channel';
  /** lag1, po1 */
  name: string;
  /** the proxy switch `dvs@esx1`, or the physical switch `psw` */
  owner: string;
  system: number;
  key: number;
  members: Member[];
  /** the partner aggregator it bundles with (compute()), or null */
  partner: Aggregator | null;
  /** the ESXi proxy switch whose teaming follows the LAG */
  sw: VSwitch | null;
  /** LAG: its load-balancing mode */
  loadBalancing?: string;
}

interface Member {
  port: Port;
  agg: Aggregator;
  /** the LAG port (lag1-0) or the switch port (p1) */
  name: string;
  /** LACP port number */
  number: number;
  mode: LacpMode;
  rate: LacpRate;
  state: LacpState;
  /** negotiating: when it bundles (ms); -1 otherwise (or not yet known: `fresh`) */
  until: number;
  /** why it is not bundled */
  why: string;
  /** the LACP member at the other end of its cable (compute()) */
  partner: Member | null;
  /** not in the saved state: it negotiates from the time the network starts */
  fresh: boolean;
  /** the data plane: the LAG member's or channel member's bundled flag */
  set: (bundled: boolean) => void;
}

/** What the network state keeps between commands (state.ts). */
export interface LacpSaved {
  /** each member's state, and when a negotiating one bundles (ms) */
  members: Record<string, [state: LacpState, until: number]>;
  /** negotiations still to complete: `advance` must run the network */
  pending?: boolean;
}

export interface LacpMemberView {
  /** the LAG port (lag1-0) or switch port (p1) */
  port: string;
  /** the physical port: esx1/vmnic2, psw/p1 */
  interface: string;
  state: LacpState;
  mode: LacpMode;
  rate: LacpRate;
  /** the far end when it runs LACP: its system, key and port */
  partner?: { system: string; key: number; port: string };
  reason?: string;
  bundlesInS?: number;
}

export interface LacpView {
  name: string;
  kind: 'lag' | 'channel';
  system: string;
  key: number;
  loadBalancing?: string;
  /** the system it bundles with, or null */
  partner: string | null;
  bundled: number;
  members: LacpMemberView[];
}

const label = (id: string) => id.replace(/^[\w-]+:/, '');
const systemId = (a: Aggregator) => `${PRIORITY},${macToString(a.system)}`;
const describe = (a: Aggregator | null) => (a === null ? 'nothing' : `${a.kind === 'lag' ? `LAG ${a.name} of ${a.owner}` : `${a.owner} ${a.name}`} (system ${systemId(a)}, key ${a.key})`);

export class Lacp {
  readonly aggregators: Aggregator[] = [];
  private readonly byPort = new Map<Port, Member>();
  private started = false;

  constructor(private readonly net: Network) {}

  // ---- building --------------------------------------------------------------------------------

  addLag(sw: VSwitch, lag: Lag, owner: string, cfg: { mode: LacpMode; timeout: LacpRate; key: number }, system: number): void {
    const a = this.aggregator({ id: `lag:${owner}/${lag.name}`, kind: 'lag', name: lag.name, owner, system, key: cfg.key, sw, loadBalancing: lag.algorithm });
    lag.members.forEach((port, i) => this.member(a, port, lag.portNames[i]!, i + 1, cfg.mode, cfg.timeout, (b) => { lag.bundled[i] = b ? 1 : 0; }));
  }

  addChannel(dev: PhysicalSwitch, id: string, name: string, owner: string, key: number, system: number, ports: Array<{ port: Port; name: string; number: number; mode: LacpMode; rate: LacpRate }>): void {
    const a = this.aggregator({ id, kind: 'channel', name, owner, system, key, sw: null });
    for (const p of ports) this.member(a, p.port, p.name, p.number, p.mode, p.rate, (b) => dev.setLacpBundled(p.port, b));
  }

  private aggregator(a: Omit<Aggregator, 'members' | 'partner'>): Aggregator {
    const agg: Aggregator = { ...a, members: [], partner: null };
    this.aggregators.push(agg);
    return agg;
  }

  private member(agg: Aggregator, port: Port, name: string, number: number, mode: LacpMode, rate: LacpRate, set: (b: boolean) => void): void {
    const m: Member = { port, agg, name, number, mode, rate, state: 'down', until: -1, why: '', partner: null, fresh: false, set };
    agg.members.push(m);
    this.byPort.set(port, m);
  }

  // ---- negotiation -----------------------------------------------------------------------------

  /** Who is whose partner, and which partner each aggregator bundles with. */
  private compute(): void {
    for (const a of this.aggregators) for (const m of a.members) m.partner = m.port.peer === null ? null : this.byPort.get(m.port.peer) ?? null;
    for (const a of this.aggregators) {
      a.partner = null;
      for (const m of a.members) {
        if (negotiates(m)) {
          a.partner = m.partner!.agg;
          break;
        }
      }
    }
  }

  /** The state a member settles in now, and why it is not bundled. */
  private target(m: Member): [LacpState, string] {
    if (!linkUp(m.port)) return ['down', 'link down'];
    const out: LacpState = m.agg.kind === 'lag' ? 'individual' : 'suspended';
    const p = m.partner;
    if (p === null) return [out, this.noPartner(m)];
    if (m.mode === 'passive' && p.mode === 'passive') return [out, `both ends are passive (${label(p.port.id)} too): neither sends the first LACPDU`];
    if (p.agg !== m.agg.partner) return [out, `its partner ${describe(p.agg)} is not the one ${m.agg.name} bundles with, ${describe(m.agg.partner)}: an aggregator bundles links to one partner system and key (802.1AX)`];
    if (p.agg.partner !== m.agg) return [out, `the partner ${describe(p.agg)} bundles with ${describe(p.agg.partner)} instead`];
    return ['bundled', ''];
  }

  private noPartner(m: Member): string {
    const peer = m.port.peer!;
    const d = peer.device;
    if (d instanceof PhysicalSwitch) return `${label(peer.id)} is not an LACP port (a static channel, mode on, or no channel): no LACPDUs come back`;
    if (d instanceof VSwitch && d.portFor(peer) !== undefined) return `the far end is a port of ${label(d.id)}, a virtual switch: LACP between nested ESXi hosts is not possible (vSphere LACP limitations)`;
    if (d instanceof VSwitch) return `${label(peer.id)} is not a LAG port: its host sends no LACPDUs on it`;
    return `${label(peer.id)} does not run LACP`;
  }

  /** Every member in the state its target calls for, at once: a network built afresh (no history). */
  converge(): void {
    this.compute();
    for (const a of this.aggregators) {
      for (const m of a.members) {
        const [state, why] = this.target(m);
        m.state = state;
        m.why = why;
        m.until = -1;
        m.set(state === 'bundled');
      }
    }
  }

  /** A link changed at `t` (links.ts, before teaming looks at it): members leave bundles at once, or start negotiating. */
  linkChanged(t: number): void {
    this.compute();
    for (const a of this.aggregators) for (const m of a.members) this.apply(m, t);
  }

  private apply(m: Member, t: number): void {
    const [want, why] = this.target(m);
    const was = m.state;
    m.why = why;
    if (was === 'down' && want !== 'down') this.sendPdu(m, t, false); // its link came up: the first LACPDUs
    if (want === 'bundled') {
      if (was === 'bundled' || was === 'negotiating') return;
      m.state = 'negotiating';
      m.set(false);
      this.arm(m, t + AGGREGATE_WAIT_MS);
      return;
    }
    m.until = -1;
    if (was === want) return;
    m.state = want;
    m.set(false);
    const where = `${label(m.port.id)} (${m.name} of ${m.agg.kind === 'lag' ? `LAG ${m.agg.name} on ${m.agg.owner}` : `${m.agg.owner} ${m.agg.name}`})`;
    if (was === 'bundled' || was === 'negotiating') {
      this.net.events.push({ t, type: 'lacp.unbundled', object: m.port.id, message: `${where} left the bundle: ${why} (R6.5)`, data: { aggregator: m.agg.id, state: want, reason: why } });
    } else if (want !== 'down') {
      this.net.events.push({ t, type: 'lacp.not-bundled', object: m.port.id, message: `${where} is ${want}, not bundled: ${why} (R6.5)`, data: { aggregator: m.agg.id, state: want, reason: why } });
    }
  }

  /** Negotiation ends at `at`. */
  private arm(m: Member, at: number): void {
    m.until = at;
    if (this.started) this.net.fabric.schedule(at, () => this.expire(m, at));
  }

  /** Aggregate_Wait_Time is over: the member bundles — and ESXi teaming may move ports onto its LAG (R5.7, R5.11). */
  private expire(m: Member, at: number): void {
    if (m.until !== at || m.state !== 'negotiating') return;
    const f = this.net.fabric;
    const t = Math.max(at, f.now); // catching up (start()): moves happen now, never in the past
    const sw = m.agg.sw;
    sw?.settleUplinks();
    m.state = 'bundled';
    m.until = -1;
    m.why = '';
    m.set(true);
    const p = m.partner;
    this.net.events.push({
      t: at, type: 'lacp.bundled', object: m.port.id,
      message: `${label(m.port.id)} (${m.name}) bundled into ${m.agg.kind === 'lag' ? `LAG ${m.agg.name} on ${m.agg.owner}` : `${m.agg.owner} ${m.agg.name}`} with ${p === null ? 'its partner' : `${label(p.port.id)} of ${describe(p.agg)}`} (R6.5, 802.1AX)`,
      data: { aggregator: m.agg.id, partner: p === null ? null : systemId(p.agg) },
    });
    if (at >= f.now) this.sendPdu(m, at, true);
    if (sw === null) return;
    for (const moved of sw.uplinksChanged(t)) {
      this.net.events.push({ t, type: 'teaming.failover', object: moved, message: `${label(moved)} moved to LAG ${m.agg.name} once ${label(m.port.id)} bundled (R6.5, R5.11)` });
    }
  }

  /** An LACPDU out of the member at `t`: its first when its link came up, or the one that says it is in sync and distributing. */
  private sendPdu(m: Member, t: number, inSync: boolean): void {
    const p = m.partner;
    // A passive port speaks only when spoken to (UplinkLacpMode "speak when spoken to").
    if (!this.started || (m.mode === 'passive' && (p === null || p.mode === 'passive'))) return;
    const peer = m.port.peer;
    if (peer === null || !(peer.device instanceof PhysicalSwitch || peer.device instanceof VSwitch)) return;
    const state = (m.mode === 'active' ? LACP_ACTIVITY : 0) | (m.rate === 'fast' ? LACP_SHORT_TIMEOUT : 0) | LACP_AGGREGATION
      | (inSync ? LACP_SYNC | LACP_COLLECTING | LACP_DISTRIBUTING : 0);
    const actor: LacpPortInfo = { systemPriority: PRIORITY, system: m.agg.system, key: m.agg.key, portPriority: PRIORITY, port: m.number, state };
    const partner: LacpPortInfo | null = p === null || !inSync ? null : {
      systemPriority: PRIORITY, system: p.agg.system, key: p.agg.key, portPriority: PRIORITY, port: p.number,
      state: (p.mode === 'active' ? LACP_ACTIVITY : 0) | (p.rate === 'fast' ? LACP_SHORT_TIMEOUT : 0) | LACP_AGGREGATION | LACP_SYNC | LACP_COLLECTING | LACP_DISTRIBUTING,
    };
    const f = this.net.fabric;
    f.untraced(() => f.transmit(m.port, lacpduFrame(m.agg.system, actor, partner), 0, t));
  }

  // ---- time, saving, showing -------------------------------------------------------------------

  /**
   * The fabric's clock is the lab's: negotiations that ended while the network did not run bundle
   * now; members new since the last command start negotiating now; the rest is scheduled. Once
   * per built network (periodic.ts).
   */
  start(): void {
    const now = this.net.fabric.now;
    this.started = true;
    for (const a of this.aggregators) {
      for (const m of a.members) {
        if (m.fresh) {
          m.fresh = false;
          m.until = now + AGGREGATE_WAIT_MS;
        }
        if (m.state !== 'negotiating' || m.until < 0) continue;
        const at = m.until;
        if (at <= now) this.expire(m, at);
        else this.net.fabric.schedule(at, () => this.expire(m, at));
      }
    }
  }

  snapshot(now: number): LacpSaved {
    const s: LacpSaved = { members: {} };
    for (const a of this.aggregators) {
      for (const m of a.members) {
        s.members[m.port.id] = [m.state, m.until];
        if (m.state === 'negotiating' && (m.until > now || m.until < 0)) s.pending = true;
      }
    }
    return s;
  }

  /**
   * After the links' saved states are back (state.ts): each member takes its saved state where
   * the topology still allows it. Without a saved state (the first time, or a state from before
   * LACP) the network stays as built: converged.
   */
  restore(saved: LacpSaved | undefined): void {
    if (saved === undefined) return this.converge();
    this.compute();
    for (const a of this.aggregators) {
      for (const m of a.members) {
        const [want, why] = this.target(m);
        const sv = saved.members[m.port.id];
        m.why = why;
        m.until = -1;
        if (want !== 'bundled') m.state = want;
        else if (sv?.[0] === 'bundled') m.state = 'bundled';
        else {
          // Negotiating (still, or since the topology changed between commands): it bundles later.
          m.state = 'negotiating';
          if (sv?.[0] === 'negotiating' && sv[1] >= 0) m.until = sv[1];
          else m.fresh = true;
        }
        m.set(m.state === 'bundled');
      }
    }
  }

  /** The LAGs of a proxy switch (`dvswitch:dvs@esx1`) or the LACP channels of a physical switch (`pswitch:psw`), as `show` gives them. */
  describe(deviceId: string, now: number): LacpView[] {
    const owner = label(deviceId);
    return this.aggregators.filter((a) => a.owner === owner && (a.kind === 'lag') === deviceId.startsWith('dvswitch:')).map((a) => ({
      name: a.name, kind: a.kind, system: systemId(a), key: a.key, ...(a.loadBalancing !== undefined ? { loadBalancing: a.loadBalancing } : {}),
      partner: a.partner === null || !a.members.some((m) => m.state === 'bundled') ? null : systemId(a.partner),
      bundled: a.members.filter((m) => m.state === 'bundled').length,
      members: a.members.map((m) => ({
        port: m.name, interface: label(m.port.id), state: m.state, mode: m.mode, rate: m.rate,
        ...(m.partner !== null ? { partner: { system: systemId(m.partner.agg), key: m.partner.agg.key, port: label(m.partner.port.id) } } : {}),
        ...(m.state !== 'bundled' && m.why ? { reason: m.why } : {}),
        ...(m.state === 'negotiating' && m.until > now ? { bundlesInS: Math.round((m.until - now) / 10) / 100 } : {}),
      })),
    }));
  }
}

function negotiates(m: Member): boolean {
  return linkUp(m.port) && m.partner !== null && (m.mode === 'active' || m.partner.mode === 'active');
}

/** LACP for the LAGs and LACP channels of a built network, converged; undefined when there are none. */
export function buildLacp(net: Network, inv: Inventory): Lacp | undefined {
  const lacp = new Lacp(net);
  for (const d of inv.dvswitches.values()) {
    if (!d.lags?.length) continue;
    for (const m of d.members) {
      const sw = net.switches.get(`${d.id}@${m.host}`);
      const host = inv.hosts.get(m.host);
      if (!(sw instanceof VSwitch) || host === undefined) continue;
      // [L] ESXi's LACP system id: the host's lowest NIC MAC.
      const system = Math.min(...host.nics.map((n) => macToNumber(n.mac)));
      for (const lag of sw.lagList()) {
        const i = d.lags.findIndex((l) => l.name === lag.name);
        const cfg = d.lags[i]!;
        lacp.addLag(sw, lag, `${d.name}@${m.host}`, { mode: cfg.mode, timeout: cfg.timeout, key: i + 1 }, system);
      }
    }
  }
  for (const sw of inv.pswitches.values()) {
    const dev = net.switches.get(sw.id);
    if (!(dev instanceof PhysicalSwitch)) continue;
    const channels = new Map<string, Array<{ port: Port; name: string; number: number; mode: LacpMode; rate: LacpRate }>>();
    [...sw.ports.values()].forEach((p, i) => {
      const port = net.ports.get(p.id);
      if (p.channel === undefined || p.channelMode === undefined || port === undefined) return;
      const list = channels.get(p.channel) ?? [];
      list.push({ port, name: p.name, number: i + 1, mode: p.channelMode, rate: p.lacpRate ?? 'slow' });
      channels.set(p.channel, list);
    });
    [...channels].forEach(([name, ports], i) => {
      const digits = /(\d+)$/.exec(name);
      lacp.addChannel(dev, `channel:${sw.name}/${name}`, name, sw.name, digits ? Number(digits[1]) % 65536 : i + 1, switchMac(sw.name), ports);
    });
  }
  if (lacp.aggregators.length === 0) return undefined;
  lacp.converge();
  return lacp;
}

/**
 * Must `nestlab advance` run the network for LACP? When the lab has LAGs or LACP channels and the
 * saved state has negotiations still to complete. Labs without LACP pay a substring search.
 */
export function lacpNeedsTime(specJson: string, saved: () => { lacp?: LacpSaved } | undefined): boolean {
  if (!specJson.includes('"lags":[{') && !specJson.includes('"channelMode":"active"') && !specJson.includes('"channelMode":"passive"')) return false;
  return saved()?.lacp?.pending === true;
}
