// What the data plane remembers between commands: learned MAC tables (physical switches, Linux
// bridges, vDS MAC learning, dvFilters), guests' ARP caches and MAC changes, links taken down,
// port counters, running captures and beacon probing's miss counters (R5.9). The topology itself
// is rebuilt from the inventory.
import { VSwitch } from './vswitch.js';
import { PhysicalSwitch } from './pswitch.js';
import { LinuxBridge } from './bridge.js';
import { OvsBridge } from './ovs.js';
import type { Network } from './topology.js';
import { restoreLearnswitch, snapshotLearnswitch, type LearnswitchState } from './learnswitch-state.js';
import { restoreLbt, snapshotLbt, type LbtState } from './lbt.js';
import type { StpSaved } from './stp.js';
import type { LacpSaved } from './lacp.js';
import { restoreIgmp, snapshotIgmp, type IgmpState } from './igmp-state.js';

export interface NetState {
  fdb: Record<string, Array<[vlan: number, mac: number, port: string, t: number]>>;
  learned: Record<string, Array<[mac: number, port: string, t: number]>>;
  filters: Record<string, number[]>;
  arp: Record<string, Array<[ip: number, mac: number, t: number]>>;
  macs: Record<string, number>;
  down: string[];
  counters: Record<string, number[]>;
  captures: Record<string, string>;
  /** the uplink each vSwitch port uses now (failback No remembers it, R5.11) */
  selected?: Record<string, string>;
  /** beacon probing per vSwitch (R5.9): the last tick's time and each uplink's consecutive misses (non-zero ones) */
  beacons?: Record<string, { t: number; misses: Record<string, number> }>;
  /** the Learnswitch fling's tables (R4b.1): leaf entries by vNIC id (they follow vMotion), uplink entries by NIC id */
  learnswitch?: LearnswitchState;
  /** the active member of each Open vSwitch bridge's bond, by bridge (R8.5: kept while its link is up, no failback) */
  bonds?: Record<string, string>;
  /** load-based teaming (R5.5): the uplinks LBT moved ports to, busy uplinks and every loaded switch's uplink loads */
  lbt?: LbtState;
  /** spanning tree (R9.9): port states and their timers, topology changes, Linux bridges' last hellos */
  stp?: StpSaved;
  /** LACP (R6.5): each LAG or LACP channel member's state, and when a negotiating one bundles */
  lacp?: LacpSaved;
  /** IGMP snooping (igmp-state.ts): memberships, multicast-router ports, queriers heard, guests that reported, queriers' last rounds */
  igmp?: IgmpState;
}

export const emptyNetState = (): NetState => ({ fdb: {}, learned: {}, filters: {}, arp: {}, macs: {}, down: [], counters: {}, captures: {} });

export function snapshot(net: Network, captures: Record<string, string>): NetState {
  const s = emptyNetState();
  s.captures = captures;
  for (const [id, sw] of net.switches) {
    if (sw instanceof PhysicalSwitch || sw instanceof LinuxBridge || sw instanceof OvsBridge) {
      const entries = sw.fdb.entries();
      if (entries.length) s.fdb[id] = entries.map((e) => [e.vlan, e.mac, e.port.id, e.t]);
      if (sw instanceof OvsBridge && sw.active !== null) (s.bonds ??= {})[id] = sw.active.id;
    } else {
      if (sw.learned.size) s.learned[id] = [...sw.learned].map(([mac, e]) => [mac, e.vp.port.id, e.t]);
      for (const vp of sw.vports) {
        if (vp.filter?.size) s.filters[vp.port.id] = [...vp.filter.keys()];
        if (vp.selected !== null) (s.selected ??= {})[vp.port.id] = vp.selected.id;
      }
      const probe = sw.beacon;
      if (probe !== null && probe.lastTick >= 0) {
        const misses: Record<string, number> = {};
        probe.uplinks.forEach((u, i) => { if (probe.misses[i]) misses[u.id] = probe.misses[i]!; });
        (s.beacons ??= {})[id] = { t: probe.lastTick, misses };
      }
    }
  }
  for (const [key, { iface }] of net.interfaces) {
    if (key !== iface.id) continue; // each interface once, by id
    if (iface.arp.size) s.arp[iface.id] = [...iface.arp].map(([ip, e]) => [ip, e.mac, e.t]);
    if (iface.effectiveMac !== iface.mac) s.macs[iface.id] = iface.effectiveMac;
  }
  const lbt = snapshotLbt(net);
  if (lbt !== undefined) s.lbt = lbt;
  if (net.stp !== undefined) s.stp = net.stp.snapshot(net.fabric.now);
  if (net.lacp !== undefined) s.lacp = net.lacp.snapshot(net.fabric.now);
  const igmp = snapshotIgmp(net);
  if (igmp !== undefined) s.igmp = igmp;
  for (const [id, port] of net.ports) {
    if (!port.up) s.down.push(id);
    if (port.counters.some((c) => c !== 0)) s.counters[id] = [...port.counters];
  }
  const ls = snapshotLearnswitch(net);
  if (ls !== undefined) s.learnswitch = ls;
  return s;
}

export function restore(net: Network, s: NetState): void {
  for (const [id, entries] of Object.entries(s.fdb)) {
    const sw = net.switches.get(id);
    if (!(sw instanceof PhysicalSwitch || sw instanceof LinuxBridge || sw instanceof OvsBridge)) continue;
    for (const [vlan, mac, portId, t] of entries) {
      const port = net.ports.get(portId) ?? (sw instanceof PhysicalSwitch ? sw.channelPort(portId) : sw instanceof OvsBridge ? sw.bondPort(portId) : undefined);
      if (port) sw.fdb.restore(vlan, mac, port, t);
    }
  }
  for (const [id, entries] of Object.entries(s.learned)) {
    const sw = net.switches.get(id);
    if (!(sw instanceof VSwitch)) continue;
    for (const [mac, portId, t] of entries) {
      const port = net.ports.get(portId);
      const vp = port && sw.portFor(port);
      if (vp) {
        sw.learned.setMac(mac, { vp, t });
        vp.learnedCount++;
      }
    }
  }
  for (const [portId, macs] of Object.entries(s.filters)) {
    const port = net.ports.get(portId);
    const sw = port?.device;
    const vp = sw instanceof VSwitch ? sw.portFor(port!) : undefined;
    if (vp?.filter) for (const m of macs) vp.filter.setMac(m, true);
  }
  for (const [id, entries] of Object.entries(s.arp)) {
    const i = net.interfaces.get(id);
    if (i) for (const [ip, mac, t] of entries) i.iface.arp.set(ip, { mac, t });
  }
  for (const [id, mac] of Object.entries(s.macs)) {
    const i = net.interfaces.get(id);
    if (i) i.guest.setMac(i.iface, mac);
  }
  for (const [portId, uplinkId] of Object.entries(s.selected ?? {})) {
    const port = net.ports.get(portId);
    const uplink = net.ports.get(uplinkId);
    const vp = port && port.device instanceof VSwitch ? port.device.portFor(port) : undefined;
    if (vp && uplink) vp.selected = uplink;
  }
  for (const id of s.down) {
    const p = net.ports.get(id);
    if (p) p.up = false;
  }
  for (const [id, memberId] of Object.entries(s.bonds ?? {})) {
    const sw = net.switches.get(id);
    const member = net.ports.get(memberId);
    if (sw instanceof OvsBridge && member && sw.bond?.members.includes(member)) sw.active = member; // R8.5
  }
  // Beacon verdicts follow from the misses and the link states just restored (R5.9).
  for (const [id, b] of Object.entries(s.beacons ?? {})) {
    const sw = net.switches.get(id);
    const probe = sw instanceof VSwitch ? sw.beacon : null;
    if (!probe) continue;
    probe.lastTick = b.t;
    probe.uplinks.forEach((u, i) => { probe.misses[i] = b.misses[u.id] ?? 0; });
  }
  for (const sw of net.switches.values()) if (sw instanceof VSwitch) sw.beacon?.update();
  restoreLearnswitch(net, s.learnswitch); // R4b.1: leaf entries land where their vNIC is now
  restoreLbt(net, s.lbt); // R5.5: LBT's choices, and which uplinks have been busy since when
  net.stp?.restore(s.stp); // R9.9: over the link states just restored
  net.lacp?.restore(s.lacp); // R6.5: LAG members bundled, or still negotiating
  restoreIgmp(net, s.igmp); // R1.7, R9.3: snooping tables, and who already reported
  for (const [id, values] of Object.entries(s.counters)) {
    const p = net.ports.get(id);
    if (p) values.forEach((v, i) => { if (i < p.counters.length) p.counters[i] = v; });
  }
}
