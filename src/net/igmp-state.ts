// What IGMP snooping remembers between commands (state.ts): group memberships, learned
// multicast-router ports, the queriers heard, which guests have reported since they came up and
// when each querier last queried — and the groups view of a switch (`nestlab groups`).
import { ipToString, macToString } from './codec/index.js';
import type { Port } from './fabric.js';
import { LinuxBridge } from './bridge.js';
import { ANY_SOURCE, INCLUDE, MEMBERSHIP_MS, type GroupTable, type Mrouters } from './igmp.js';
import { igmpNet, reportKey } from './igmp-host.js';
import { PhysicalSwitch } from './pswitch.js';
import type { Network } from './topology.js';
import { VSwitch } from './vswitch.js';

export interface IgmpState {
  /** switch id → memberships: VLAN, group (unsigned), port id, last report (ms), source mode (0 any, 1 include, 2 exclude), sources */
  groups: Record<string, Array<[vlan: number, group: number, port: string, t: number, mode: number, sources: number[]]>>;
  /** switch id → multicast-router ports learned from queries */
  mrouters: Record<string, Array<[vlan: number, port: string, t: number]>>;
  /** switch id → VLANs where a query was heard, and when */
  queriers: Record<string, Array<[vlan: number, t: number]>>;
  /** guests that reported their groups since they came up: where they plug in, and the groups (reportKey) */
  reported: string[];
  /** querier id → when it last queried (ms) */
  lastQuery: Record<string, number>;
}

/** A switch's snooping tables, and how the groups view names a port. */
interface Snooper {
  groups: GroupTable;
  /** physical switches and Linux bridges; a vDS has none */
  mrouters?: Mrouters;
  /** VLAN → when a query was last heard */
  queriers: Map<number, number>;
  name: (p: Port) => string;
}

/** The snooping tables of `sw`, or undefined: it does not snoop. */
function snooperOf(sw: unknown): Snooper | undefined {
  if ((sw instanceof PhysicalSwitch || sw instanceof LinuxBridge) && sw.igmp !== null) {
    return { groups: sw.igmp.groups, mrouters: sw.igmp.mrouters, queriers: sw.igmp.queriers, name: (p) => p.id };
  }
  // A vDS port is named by what plugs into it (the vNIC), as `nestlab macs` names it.
  if (sw instanceof VSwitch && sw.snooping !== null) return { groups: sw.snooping.groups, queriers: sw.snooping.heard, name: (p) => p.peer?.id ?? p.id };
  return undefined;
}

function snoopers(net: Network): Array<Snooper & { id: string }> {
  const out: Array<Snooper & { id: string }> = [];
  for (const [id, sw] of net.switches) {
    const sn = snooperOf(sw);
    if (sn !== undefined) out.push({ id, ...sn });
  }
  return out;
}

/** The port of `id` on switch `switchId`: a port, or a physical switch's channel. */
function portById(net: Network, switchId: string, id: string): Port | undefined {
  const sw = net.switches.get(switchId);
  return net.ports.get(id) ?? (sw instanceof PhysicalSwitch ? sw.channelPort(id) : undefined);
}

export function snapshotIgmp(net: Network): IgmpState | undefined {
  const st = igmpNet(net);
  if (st === undefined) return undefined;
  const now = net.fabric.now;
  const s: IgmpState = { groups: {}, mrouters: {}, queriers: {}, reported: [...st.reported].sort(), lastQuery: {} };
  for (const sn of snoopers(net)) {
    sn.groups.age(now);
    const groups = sn.groups.entries().flatMap((e) => e.members.map((m) => [e.vlan, e.group >>> 0, m.port.id, m.t, m.mode, m.sources.map((x) => x >>> 0)] as [number, number, string, number, number, number[]]));
    if (groups.length) s.groups[sn.id] = groups;
    const r = sn.mrouters;
    if (r) {
      r.age(now);
      const learned = r.ports.flatMap((p, i) => (r.times[i] === Infinity ? [] : [[r.vlans[i]!, p.id, r.times[i]!] as [number, string, number]]));
      if (learned.length) s.mrouters[sn.id] = learned;
    }
    if (sn.queriers.size) s.queriers[sn.id] = [...sn.queriers];
  }
  for (const q of st.queriers) if (q.last >= 0) s.lastQuery[q.id] = q.last;
  return s;
}

export function restoreIgmp(net: Network, s: IgmpState | undefined): void {
  const st = igmpNet(net);
  if (st === undefined || s === undefined) return;
  const byId = new Map(snoopers(net).map((sn) => [sn.id, sn]));
  for (const [id, rows] of Object.entries(s.groups)) {
    const sn = byId.get(id);
    for (const [vlan, group, portId, t, mode, sources] of rows) {
      const port = sn && portById(net, id, portId);
      if (port) sn!.groups.join(vlan, group, port, t, mode, sources.map((x) => x | 0));
    }
  }
  for (const [id, rows] of Object.entries(s.mrouters)) {
    const sn = byId.get(id);
    for (const [vlan, portId, t] of rows) {
      const port = sn?.mrouters && portById(net, id, portId);
      if (port) sn!.mrouters!.learn(vlan, port, t);
    }
  }
  for (const [id, rows] of Object.entries(s.queriers)) for (const [vlan, t] of rows) byId.get(id)?.queriers.set(vlan, t);
  // A guest that is no longer where it reported from (powered off, moved), or whose groups
  // changed, reports again.
  const current = new Set<string>();
  for (const [iface, groups] of st.groups) current.add(reportKey(iface, groups));
  for (const key of s.reported) if (current.has(key)) st.reported.add(key);
  for (const q of st.queriers) q.last = s.lastQuery[q.id] ?? -1;
}

export interface GroupsView {
  switch: string;
  /** basic: the vNICs' multicast filters (MACs, R1.7); snooping: IGMP snooping tables; off: a switch that floods multicast */
  mode: 'basic' | 'snooping' | 'off';
  groups: Array<{
    vlan?: number;
    group?: string;
    mac?: string;
    ports: Array<{ port: string; ageSeconds?: number; expiresSeconds?: number; filter?: 'include' | 'exclude'; sources?: string[] }>;
  }>;
  mrouters: Array<{ vlan?: number; port: string; type: 'static' | 'learned'; ageSeconds?: number }>;
  /** a snooping switch: VLANs where a querier was heard (Linux: snooping is in force there) */
  queriers: Array<{ vlan: number; ageSeconds: number }>;
}

/** ms → s with two decimals (a frame's time runs a little ahead of `now`: never −0) */
const seconds = (ms: number) => Math.max(0, Math.round(ms / 10) / 100);

/** The groups of switch `id` at `now`: for `nestlab groups`. */
export function groupsView(net: Network, id: string, now: number): GroupsView {
  const sw = net.switches.get(id);
  const view: GroupsView = { switch: id, mode: 'off', groups: [], mrouters: [], queriers: [] };
  const table = snooperOf(sw);
  if (sw instanceof VSwitch && table === undefined) {
    // Basic multicast filtering (R1.7): the multicast MACs each vNIC registered.
    view.mode = 'basic';
    const byMac = new Map<number, string[]>();
    for (const vp of sw.vports) {
      const port = vp.port.peer?.id ?? vp.port.id;
      for (const mac of vp.mcastFilter?.keys() ?? []) byMac.set(mac, [...(byMac.get(mac) ?? []), port]);
    }
    for (const [mac, ports] of byMac) view.groups.push({ mac: macToString(mac), ports: ports.map((port) => ({ port })) });
    return view;
  }
  if (table === undefined) return view;
  view.mode = 'snooping';
  table.groups.age(now);
  for (const e of table.groups.entries()) {
    view.groups.push({
      vlan: e.vlan, group: ipToString(e.group >>> 0),
      ports: e.members.map((m) => ({
        port: table.name(m.port), ageSeconds: seconds(now - m.t), expiresSeconds: seconds(m.t + MEMBERSHIP_MS - now),
        ...(m.mode === ANY_SOURCE ? {} : { filter: m.mode === INCLUDE ? 'include' as const : 'exclude' as const, sources: m.sources.map((x) => ipToString(x >>> 0)) }),
      })),
    });
  }
  if (table.mrouters) {
    const r = table.mrouters;
    r.age(now);
    r.ports.forEach((p, i) => {
      const learned = r.times[i] !== Infinity;
      view.mrouters.push({ ...(r.vlans[i] !== -1 ? { vlan: r.vlans[i]! } : {}), port: p.id, type: learned ? 'learned' : 'static', ...(learned ? { ageSeconds: seconds(now - r.times[i]!) } : {}) });
    });
  }
  for (const [vlan, t] of table.queriers) view.queriers.push({ vlan, ageSeconds: seconds(now - t) });
  return view;
}

