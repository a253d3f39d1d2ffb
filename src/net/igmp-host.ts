// IGMP as hosts and queriers speak it (RFC 2236, RFC 3376), in labs where something listens: a
// vDS in snooping mode, a physical switch with IGMP snooping, or a querier station. Elsewhere
// nestlab's guests stay silent — their groups are only their vNICs' multicast filters (R1.7) — so
// that labs written before snooping behave frame for frame as they did [L: real guests always
// report; a switch that does not snoop would only learn their MACs from it].
//  - A guest whose NIC joined groups (`multicast: [239.1.1.1]`) reports them unsolicited when the
//    network first runs with it up (after power-on, `nestlab link up`, a vMotion — where ESXi
//    sends Net.IGMPQueries = 2 queries "after VMotion/Teaming failover" [S33] to learn it at once,
//    nestlab has the guest report from its new port [L]), as an IGMPv3 report (CHANGE_TO_EXCLUDE
//    {}: any source) — Linux and Windows default to IGMPv3 [L: once, not robustness-many times] —
//    and answers queries: a general query with all its groups, a
//    group-specific one for that group, after a delay within the query's max response time
//    [L: fixed per NIC, not random], in the query's version (a v2 query gets one v2 report per
//    group, sent to the group). Every IPv4 guest takes the all-systems group 224.0.0.1 (its vNIC
//    filter has 01:00:5e:00:00:01), as a host does from start.
//  - A station with `igmpQuerier: true` (a multicast router) sends an IGMPv2 general query every
//    125 s out of each NIC (Cisco IOS routers default to `ip igmp version 2`), the first when the
//    network first runs.
//  - A vDS in snooping mode sends its own IGMPv3 general query to its VMs every
//    Net.IGMPQueryInterval (125 s) from Net.IGMPRouterIP (0.0.0.0) — "the switch sends general
//    queries about the membership of virtual machines in case a snooping querier is not
//    configured on the physical switch" (S40) [L: in a VLAN where it heard no query from the
//    physical network for 255 s; to its local ports only, not up the uplink].
// Queries, and the reports they bring back, are not what `nestlab trace` follows: they run untraced.
import {
  ALL_SYSTEMS, CHANGE_TO_EXCLUDE, MODE_IS_EXCLUDE, groupMac, igmpQueryFrame, igmpReportFrame, igmpV3ReportFrame, ipToNumber, macToNumber, parseIgmp,
} from './codec/index.js';
import type { Guest, Interface } from './guest.js';
import { LinuxBridge } from './bridge.js';
import { OTHER_QUERIER_MS, QUERY_INTERVAL_MS, QUERY_RESPONSE_MS, SnoopingSwitch } from './igmp.js';
import { VdsSnooping } from './igmp-vds.js';
import { PhysicalSwitch } from './pswitch.js';
import type { Network } from './topology.js';
import { VSwitch, admits, contextVid } from './vswitch.js';
import type { Inventory } from '../model/inventory.js';

/** A querier and when it last queried (ms; −1: never). */
export interface Querier {
  /** `station:router`, or a vDS proxy switch's id */
  id: string;
  last: number;
  /** a station queries as soon as the network first runs; a vDS one interval later (its VMs just reported) */
  readonly queriesAtStart: boolean;
  /** send one round of general queries at `t` */
  query(t: number): void;
}

/** IGMP in a running network (absent from a network whose lab does not speak it). */
export interface IgmpNet {
  /** the IPv4 groups each guest interface joined */
  readonly groups: Map<Interface, number[]>;
  /** guests that reported their groups since they came up (reportKey: where they plug in, and the groups) */
  readonly reported: Set<string>;
  readonly queriers: Querier[];
  /** interfaces with a query response on its way (one answers every query meanwhile) */
  readonly pending: Set<Interface>;
}

const nets = new WeakMap<Network, IgmpNet>();

/** The network's IGMP, or undefined: its lab does not speak IGMP. */
export function igmpNet(net: Network): IgmpNet | undefined {
  return nets.get(net);
}

/** Does anything in the lab listen to IGMP: a snooping vDS or physical switch, a querier station? */
function speaksIgmp(inv: Inventory): boolean {
  return [...inv.dvswitches.values()].some((d) => d.multicastFiltering === 'snooping')
    || [...inv.pswitches.values()].some((s) => s.igmpSnooping === true)
    || [...inv.stations.values()].some((s) => s.igmpQuerier === true);
}

/** Does the lab have IGMP work in virtual time — a querier (a snooping vDS, a querier station)? A look at the stored spec (JSON). */
export function igmpNeedsTime(specJson: string): boolean {
  return specJson.includes('"multicastFiltering":"snooping"') || specJson.includes('"igmpQuerier":true');
}

/** Wire IGMP into a network just built (topology.ts): snooping on the switches that do it, guests' groups, queriers. */
export function attachIgmp(net: Network, inv: Inventory): void {
  if (!speaksIgmp(inv)) return;
  const f = net.fabric;
  const st: IgmpNet = { groups: new Map(), reported: new Set(), queriers: [], pending: new Set() };
  nets.set(net, st);
  for (const sw of inv.pswitches.values()) {
    const dev = net.switches.get(sw.id);
    if (sw.igmpSnooping !== true || !(dev instanceof PhysicalSwitch)) continue;
    const snoop = new SnoopingSwitch(dev, f, 'cisco');
    dev.igmp = snoop;
    // `mrouter: true`: a multicast-router port of every VLAN it carries (a channel's member: the channel).
    for (const p of sw.ports.values()) {
      const port = p.mrouter === true ? net.ports.get(p.id) : undefined;
      const logical = port && dev.logicalPorts().find((l) => l.members.includes(port));
      if (logical) snoop.mrouters.addStatic(logical.port);
    }
  }
  for (const h of inv.hosts.values()) {
    for (const b of h.bridges) {
      const dev = net.switches.get(b.id);
      if (b.multicastSnooping !== false && dev instanceof LinuxBridge) dev.igmp = new SnoopingSwitch(dev, f, 'linux');
    }
  }
  for (const d of inv.dvswitches.values()) {
    if (d.multicastFiltering !== 'snooping') continue;
    for (const m of d.members) {
      const sw = net.switches.get(`${d.id}@${m.host}`);
      if (!(sw instanceof VSwitch)) continue;
      const snoop = new VdsSnooping(sw, f);
      sw.snooping = snoop;
      const nic = inv.hosts.get(m.host)?.nics.find((n) => n.name === m.uplinks[0]);
      st.queriers.push(vdsQuerier(sw, snoop, nic ? macToNumber(nic.mac) : 0));
    }
  }
  // Guests: their groups, the all-systems group on their vNIC filter, IGMP in their stack.
  for (const vm of inv.vms.values()) for (const nic of vm.nics) setGroups(st, net, nic.id, nic.groups);
  for (const s of inv.stations.values()) {
    for (const n of s.nics) setGroups(st, net, n.id, n.groups);
    const guest = net.guests.get(s.id);
    if (s.igmpQuerier === true && guest) st.queriers.push(stationQuerier(guest));
  }
  for (const [key, { guest, iface }] of net.interfaces) {
    if (key !== iface.id) continue; // each interface once, by id
    guest.onIgmp = (i, frame, off, end, t) => receive(st, guest, i, frame, off, end, t);
    const peer = iface.port.peer;
    if (iface.ip && peer && peer.device instanceof VSwitch) peer.device.portFor(peer)?.joinMulticast([groupMac(ALL_SYSTEMS)]);
  }
}

function setGroups(st: IgmpNet, net: Network, id: string, groups: readonly string[] | undefined): void {
  const i = net.interfaces.get(id);
  if (i && groups?.length) st.groups.set(i.iface, groups.map(ipToNumber));
}

/**
 * What a guest has reported, as `reported` keeps it: where it plugs in — the switch port its
 * reports enter (a vMotion changes it) — and its groups (a changed lab file changes them).
 */
export function reportKey(iface: Interface, groups: readonly number[]): string {
  return `${iface.port.peer?.id ?? iface.id} ${groups.join(',')}`;
}

/**
 * Start IGMP in a network just built and restored (periodic.ts): queriers that never ran send
 * their first query, guests that have not reported since they came up report their groups, and
 * the queriers' rounds are scheduled.
 */
export function startIgmp(net: Network): void {
  const st = nets.get(net);
  if (st === undefined) return;
  const f = net.fabric;
  f.untraced(() => {
    for (const q of st.queriers) if (q.last < 0 && q.queriesAtStart) runQuery(q, f.now);
    for (const iface of st.groups.keys()) announceGroups(net, iface);
  });
  for (const q of st.queriers) {
    if (q.last < 0) q.last = f.now; // a vDS: one interval from now
    const schedule = (at: number): void => f.schedule(at, () => {
      f.untraced(() => runQuery(q, at));
      schedule(at + QUERY_INTERVAL_MS);
    });
    schedule(Math.max(f.now, q.last + QUERY_INTERVAL_MS));
  }
}

function runQuery(q: Querier, t: number): void {
  q.query(t);
  q.last = t;
}

/** A guest interface (re)announces its groups: when it comes up, unless it already did since (IGMPv3, RFC 3376 §5.1). */
function announceGroups(net: Network, iface: Interface): void {
  const st = nets.get(net);
  const groups = st?.groups.get(iface);
  if (st === undefined || groups === undefined || st.reported.has(reportKey(iface, groups))) return;
  st.reported.add(reportKey(iface, groups));
  const frame = igmpV3ReportFrame(iface.effectiveMac, iface.ip?.ip ?? 0, groups.map((group) => ({ type: CHANGE_TO_EXCLUDE, group, sources: [] })));
  const guest = net.interfaces.get(iface.id)?.guest;
  if (guest) net.fabric.untraced(() => guest.send(iface, frame));
}

/** `nestlab link up` of a guest NIC: it reports its groups again. */
export function linkUp(net: Network, iface: Interface): void {
  const st = nets.get(net);
  const groups = st?.groups.get(iface);
  if (groups !== undefined) st!.reported.delete(reportKey(iface, groups));
  announceGroups(net, iface);
}

/** An IGMP message reaches a guest's stack (guest.ts). */
function receive(st: IgmpNet, guest: Guest, iface: Interface, frame: Uint8Array, off: number, end: number, t: number): void {
  const f = guest.fabric;
  const m = parseIgmp(frame, off, end);
  if (m === null) return f.drop(iface.port, 'malformed', iface.vlan);
  if (m.kind !== 'query') return; // reports and leaves are for routers; a querier here does not act on them [L]
  const joined = st.groups.get(iface) ?? [];
  const answer = m.group === 0 ? joined : joined.filter((g) => g === m.group >>> 0);
  if (answer.length === 0 || st.pending.has(iface)) return;
  st.pending.add(iface);
  const version = m.version;
  f.schedule(t + responseDelay(iface, m.maxRespMs), () => {
    st.pending.delete(iface);
    f.untraced(() => {
      if (version === 3) {
        guest.send(iface, igmpV3ReportFrame(iface.effectiveMac, iface.ip?.ip ?? 0, answer.map((group) => ({ type: MODE_IS_EXCLUDE, group, sources: [] }))));
      } else for (const g of answer) guest.send(iface, igmpReportFrame(iface.effectiveMac, iface.ip?.ip ?? 0, g, version));
    });
  });
}

/** When within the max response time a host answers [L: spread by its MAC, the same every time]. */
function responseDelay(iface: Interface, maxRespMs: number): number {
  return Math.floor((((iface.mac % 997) + 1) / 998) * maxRespMs);
}

function stationQuerier(guest: Guest): Querier {
  return {
    id: guest.id, last: -1, queriesAtStart: true,
    query(t) {
      for (const iface of guest.interfaces) {
        const frame = igmpQueryFrame({ srcMac: iface.effectiveMac, srcIp: iface.ip?.ip ?? 0, version: 2, maxRespMs: QUERY_RESPONSE_MS });
        guest.fabric.transmit(iface.port, frame, iface.vlan, t);
      }
    },
  };
}

/** The vDS's own querier (S40): to the VMs of each VLAN it serves where no other querier was heard. */
function vdsQuerier(sw: VSwitch, snoop: VdsSnooping, mac: number): Querier {
  return {
    id: sw.id, last: -1, queriesAtStart: false,
    query(t) {
      const frame = igmpQueryFrame({ srcMac: mac, srcIp: 0, version: 3, maxRespMs: QUERY_RESPONSE_MS, intervalS: QUERY_INTERVAL_MS / 1000 });
      const vlans = new Set<number>();
      for (const vp of sw.vports) {
        const v = vp.policy.vlan;
        if (v.kind === 'none' || v.kind === 'vst' || v.kind === 'pvlan') vlans.add(contextVid(v)); // VGT ports: their guests' own VLANs [L: not queried]
      }
      for (const ctx of vlans) {
        const heard = snoop.heard.get(ctx);
        if (heard !== undefined && t - heard <= OTHER_QUERIER_MS) continue;
        for (const vp of sw.vports) {
          if (!admits(vp.policy.vlan, ctx) || !vp.receives) continue;
          const egress = vp.policy.vlan.kind === 'all' || vp.policy.vlan.kind === 'trunk' ? ctx : 0;
          sw.fabric.transmit(vp.port, frame, egress, t);
        }
      }
    },
  };
}

