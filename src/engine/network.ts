// Network operations on a lab: the data plane is rebuilt from the stored lab and runtime state,
// its remembered state restored, the operation run in virtual time, and everything saved back in
// one transaction. Captures append the frames seen at their point to a pcap file.
import { existsSync } from 'node:fs';
import type { Inventory } from '../model/inventory.js';
import { macToString, withOuterTag } from '../net/codec/index.js';
import { PcapWriter } from '../net/pcap.js';
import { endpoint, ping, ProbeError, targetIp, trace, type PingResult, type TraceResult } from '../net/probe.js';
import { emptyNetState, restore, snapshot, type NetState } from '../net/state.js';
import { buildNetwork, type Network } from '../net/topology.js';
import { LinuxBridge } from '../net/bridge.js';
import { OvsBridge } from '../net/ovs.js';
import { PhysicalSwitch } from '../net/pswitch.js';
import { changeLink } from '../net/links.js';
import { runNetwork, startPeriodic } from '../net/periodic.js';
import { hasLoadBasedWork } from '../net/lbt.js';
import { stpNeedsTime } from '../net/stp.js';
import { lacpNeedsTime } from '../net/lacp.js';
import { igmpNeedsTime, linkUp as igmpLinkUp } from '../net/igmp-host.js';
import { COUNTER_SLOTS, DROP_BASE, DROP_REASONS, RX, TX } from '../net/reasons.js';
import type { LabRow, Store } from '../store/store.js';
import { storedInventory } from './apply.js';
import { Engine, OperationError } from './engine.js';
import type { VmRuntime } from './power.js';

export interface Session {
  engine: Engine;
  inventory: Inventory;
  net: Network;
  state: NetState;
}

/**
 * The lab's network as it stands: built from the stored lab and runtime, its saved state restored,
 * its clock the lab's. Nothing runs yet; undefined when the stored lab no longer resolves.
 */
export function storedNetwork(store: Store, lab: LabRow, engine = new Engine(store, lab)): Omit<Session, 'engine'> | undefined {
  const { inventory, errors } = storedInventory(store, lab);
  return errors.length ? undefined : networkOf(store, lab, engine, inventory);
}

function networkOf(store: Store, lab: LabRow, engine: Engine, inventory: Inventory): Omit<Session, 'engine'> {
  const net = buildNetwork(inventory, {
    vm: (name) => {
      const rt = engine.runtime<VmRuntime>(`vm:${name}`);
      return { on: rt.power === 'on', host: rt.host };
    },
  });
  const json = store.labState(lab.name, 'net');
  const state = json ? (JSON.parse(json) as NetState) : emptyNetState();
  restore(net, state);
  net.fabric.now = lab.nowMs;
  return { inventory, net, state };
}

/** Run `fn` on the lab's live network; time it consumes advances the lab's clock. */
export function withNetwork<T>(store: Store, lab: LabRow, fn: (s: Session) => T): T {
  return store.transaction(() => {
    const engine = new Engine(store, lab);
    const { inventory: resolved, errors } = storedInventory(store, lab);
    if (errors.length) throw new OperationError('state-inconsistent', `the stored lab no longer resolves: ${errors[0]!.message}`);
    const { inventory, net, state } = networkOf(store, lab, engine, resolved);
    startPeriodic(net); // beacon probing (R5.9), if any switch uses it
    const writers = openCaptures(net, state.captures);
    try {
      const result = fn({ engine, inventory, net, state });
      // What the network decided on its own (beacon verdicts, failovers), logged at its time.
      for (const e of net.events) {
        engine.advance(Math.max(0, Math.ceil(e.t) - lab.nowMs));
        engine.event(e.type, e.object, e.message, e.data);
      }
      engine.advance(Math.max(0, Math.ceil(net.fabric.now) - lab.nowMs));
      store.putLabState(lab.name, 'net', JSON.stringify(snapshot(net, state.captures)));
      engine.save();
      return result;
    } finally {
      for (const w of writers) w.close();
    }
  });
}

/**
 * Does the lab use beacon probing (R5.9) or load-based teaming with traffic (R5.5) anywhere, or
 * spanning tree with transitions still to come or Linux bridges sending hellos (R9.9)? Then
 * time cannot pass without the network: `advance` runs it. A look at the stored spec (JSON), so
 * other labs pay nothing.
 */
export function hasPeriodicNetworkWork(lab: LabRow, store: Store): boolean {
  // The saved network state, parsed once whoever asks first.
  let parsed: NetState | undefined | null = null;
  const saved = (): NetState | undefined => {
    if (parsed === null) {
      const json = store.labState(lab.name, 'net');
      parsed = json === undefined ? undefined : (JSON.parse(json) as NetState);
    }
    return parsed;
  };
  // R5.5: load-based teaming on a vDS with VMs that have a network rate evaluates every 30 s.
  // R9.9: spanning-tree transitions still to come, Linux bridges' hellos (stp.ts).
  // R6.5: LACP negotiations still to complete (lacp.ts).
  return lab.spec.includes('"detection":"beacon"') || hasLoadBasedWork(lab.spec) || stpNeedsTime(lab.spec, saved) || lacpNeedsTime(lab.spec, saved)
    || igmpNeedsTime(lab.spec); // R1.7, R9.3: IGMP queriers (igmp-host.ts)
}

/** Move the lab's clock forward by `ms` with the network running: beacons, verdicts, failovers (R5.9, R5.10). */
export function advanceNetwork(store: Store, lab: LabRow, ms: number): void {
  withNetwork(store, lab, ({ net }) => runNetwork(net, net.fabric.now + ms));
}

function openCaptures(net: Network, captures: Record<string, string>): PcapWriter[] {
  const writers: PcapWriter[] = [];
  for (const [point, file] of Object.entries(captures)) {
    const port = net.ports.get(point);
    if (!port) continue;
    const writer = new PcapWriter(file, { append: true });
    writers.push(writer);
    port.capture = (t, frame, vid) => writer.write(t / 1000, withOuterTag(frame, vid));
  }
  return writers;
}

function probeError(e: unknown): never {
  if (e instanceof ProbeError) throw new OperationError(e.code, e.message, e.hint ? { hint: e.hint } : {});
  throw e;
}

export function pingLab(store: Store, lab: LabRow, src: string, dst: string, opts: { count?: number; size?: number }): PingResult {
  return withNetwork(store, lab, ({ net }) => {
    try {
      return ping(net, endpoint(net, src), targetIp(net, dst), opts);
    } catch (e) {
      return probeError(e);
    }
  });
}

export function traceLab(store: Store, lab: LabRow, src: string, dst: string): TraceResult {
  return withNetwork(store, lab, ({ net }) => {
    try {
      return trace(net, endpoint(net, src), targetIp(net, dst));
    } catch (e) {
      return probeError(e);
    }
  });
}

/** A port by what people call it: `esx1/vmnic0`, `core/p1`, `web/nic0`, `esx1/vmk0`, or its id. */
export function findPort(net: Network, inv: Inventory, point: string): string {
  if (net.ports.has(point)) return point;
  const iface = net.interfaces.get(point);
  if (iface) return iface.iface.id;
  const slash = point.indexOf('/');
  if (slash > 0) {
    const [a, b] = [point.slice(0, slash), point.slice(slash + 1)];
    for (const id of [`nic:${a}/${b}`, `switchport:${a}/${b}`, `station-nic:${a}/${b}`]) if (net.ports.has(id)) return id;
    if (inv.pswitches.has(a)) return `switchport:${a}/${b}`;
  }
  throw new OperationError('unknown-port', `no port "${point}" in the running lab`, { hint: 'use HOST/NIC (esx1/vmnic0), SWITCH/PORT (core/p1), VM/nicN or HOST/vmkN' });
}

export function setLink(store: Store, lab: LabRow, point: string, up: boolean): { port: string; state: 'up' | 'down'; moved: string[] } {
  return withNetwork(store, lab, ({ net, inventory, engine }) => {
    const id = findPort(net, inventory, point);
    const port = net.ports.get(id);
    if (!port) throw new OperationError('unknown-port', `port ${point} is not running (is its host or VM powered on?)`);
    const now = net.fabric.now;
    const moved = changeLink(net, port, up);
    engine.event(up ? 'link.up' : 'link.down', id, `link ${id} ${up ? 'up' : 'down'}`);
    for (const p of moved) engine.event('teaming.failover', p, `${p} moved to another uplink after ${id} went ${up ? 'up' : 'down'}`);
    // A guest whose link comes up announces itself with gratuitous ARP.
    const guest = net.interfaces.get(id);
    if (up && guest) guest.guest.announce(guest.iface);
    if (up && guest) igmpLinkUp(net, guest.iface); // and reports its multicast groups (igmp-host.ts)
    const logged = net.events.length;
    net.fabric.runUntil(now + 1000);
    // Ports that went back to the uplink once its up-delay passed (R5.6) moved too.
    const later = net.events.slice(logged).filter((e) => e.type === 'teaming.failover').map((e) => e.object);
    return { port: id, state: up ? 'up' : 'down', moved: [...moved, ...later] };
  });
}

export interface MacEntry {
  mac: string;
  vlan?: number;
  port: string;
  type: 'learned' | 'registered' | 'dvfilter' | 'learnswitch';
  ageSeconds?: number;
}

/** The running switch a command names: its id (`pswitch:core`), or its name (`core`, `esx1/vSwitch0`, `dvs@esx1`). */
export function switchId(net: Network, name: string): string {
  const id = [name, `pswitch:${name}`, `vswitch:${name}`, `bridge:${name}`, `dvswitch:${name}`].find((k) => net.switches.has(k));
  if (id === undefined) {
    throw new OperationError('unknown-switch', `no running switch "${name}"`, { switches: [...net.switches.keys()].map((k) => k.replace(/^\w+:/, '')) });
  }
  return id;
}

/** The forwarding table of a physical switch, Linux bridge, Open vSwitch bridge (per VLAN, R8.5) or vSwitch (`HOST/vSwitch0`, `DVS@HOST`). */
export function macTable(store: Store, lab: LabRow, name: string): { switch: string; entries: MacEntry[] } {
  return withNetwork(store, lab, ({ net }) => {
    const id = switchId(net, name);
    const sw = net.switches.get(id)!;
    const now = net.fabric.now;
    let entries: MacEntry[];
    if (sw instanceof PhysicalSwitch || sw instanceof LinuxBridge || sw instanceof OvsBridge) {
      sw.fdb.age(now);
      entries = sw.fdb.entries().map((e) => ({ mac: macToString(e.mac), vlan: e.vlan, port: e.port.id, type: 'learned' as const, ageSeconds: Math.round((now - e.t) / 10) / 100 }));
    } else {
      entries = sw.table(now).map((e) => ({ mac: macToString(e.mac), ...(e.vlan !== undefined ? { vlan: e.vlan } : {}), port: e.port, type: e.type, ...(e.ageS !== undefined ? { ageSeconds: Math.round(e.ageS * 100) / 100 } : {}) }));
    }
    return { switch: id, entries };
  });
}

export function startCapture(store: Store, lab: LabRow, point: string, file: string): { point: string; file: string } {
  return withNetwork(store, lab, ({ net, inventory, state, engine }) => {
    const id = findPort(net, inventory, point);
    if (state.captures[id]) throw new OperationError('capture-running', `a capture is already running at ${id} (into ${state.captures[id]})`);
    new PcapWriter(file).close(); // a fresh file with its header
    state.captures[id] = file;
    engine.event('capture.started', id, `capture at ${id} into ${file}`);
    return { point: id, file };
  });
}

export function stopCapture(store: Store, lab: LabRow, point: string): { point: string; file: string; frames: number } {
  return withNetwork(store, lab, ({ net, inventory, state, engine }) => {
    const id = findPort(net, inventory, point);
    const file = state.captures[id];
    if (!file) throw new OperationError('no-capture', `no capture is running at ${id}`);
    delete state.captures[id];
    engine.event('capture.stopped', id, `capture at ${id} stopped`);
    const frames = existsSync(file) ? PcapWriter.count(file) : 0;
    return { point: id, file, frames };
  });
}

/** Per-port counters: rx, tx and drops by reason (non-zero ones only). */
export function portCounters(values: number[] | undefined): { rx: number; tx: number; drops: Record<string, number> } {
  const v = values ?? new Array<number>(COUNTER_SLOTS).fill(0);
  const drops: Record<string, number> = {};
  DROP_REASONS.forEach(([reason], i) => {
    const n = v[DROP_BASE + i] ?? 0;
    if (n) drops[reason] = n;
  });
  return { rx: v[RX] ?? 0, tx: v[TX] ?? 0, drops };
}
