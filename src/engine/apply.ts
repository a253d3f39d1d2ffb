// `up`, `plan` and `down`: bring the state to what the lab file says, in one transaction. `up` on
// an existing lab applies only the difference; a second `up` of the same file changes nothing
// and logs nothing.
import type { Inventory } from '../model/inventory.js';
import { inventoryRecords } from '../model/records.js';
import { resolveLab, type ResolveContext } from '../model/resolve.js';
import { makePlan, withJson, type DesiredRecord, type Plan } from '../plan/plan.js';
import type { LabSpec } from '../spec/schema.js';
import type { LabRow, ObjectRow, Store } from '../store/store.js';
import { Engine, selectLab, silentProgress, type Progress } from './engine.js';
import { powerOff, powerOn, type HostRuntime, type VmRuntime } from './power.js';
import { advanceNetwork, hasPeriodicNetworkWork } from './network.js';
import { runDuePeriods } from './stats.js';
import { runDueTimers } from './timers.js';
import { runDueDrs } from './drs.js';
import { admitEvcHosts } from './evc.js';
import { hostAvailableListeners } from './hooks.js';
import { nicReconfigured } from './vcenter.js';

export interface UpResult {
  lab: string;
  created: string[];
  updated: string[];
  deleted: string[];
  poweredOn: string[];
  poweredOff: string[];
  failed: Array<{ name: string; error: Record<string, unknown> }>;
}

/** What the state already decided and must not change: MACs given, hosts VMs were placed on. */
export function resolveContext(store: Store, lab: string): ResolveContext {
  const macs = new Map<string, string>();
  const placements = new Map<string, string>();
  for (const row of store.objects(lab)) {
    if (row.kind === 'vnic' || row.kind === 'nic' || row.kind === 'vmknic' || row.kind === 'station-nic') {
      const mac = (JSON.parse(row.config) as { mac?: string }).mac;
      if (mac) macs.set(row.id, mac);
    } else if (row.kind === 'vm') {
      const host = (JSON.parse(row.runtime) as { host?: string }).host;
      if (host) placements.set(row.name, host);
    }
  }
  return { macs, placements };
}

/** The inventory of the lab as last applied, with the MACs and placements the state already holds. */
export function storedInventory(store: Store, lab: LabRow): ReturnType<typeof resolveLab> {
  return resolveLab(JSON.parse(lab.spec) as LabSpec, resolveContext(store, lab.name));
}

export function planLab(inventory: Inventory, current: readonly ObjectRow[]): Plan {
  return makePlan(inventory.lab, withJson(inventoryRecords(inventory)), current);
}

/**
 * Objects whose creation, change and removal the event log records. Their parts (NICs, switch
 * ports, VMkernel ports, cables) come and go with them and are not logged one by one.
 */
const LOGGED_KINDS = new Set(['host', 'vm', 'vswitch', 'portgroup', 'bridge', 'dvswitch', 'dvportgroup', 'pswitch', 'station', 'datastore', 'cluster', 'pool']);

function initialRuntime(r: DesiredRecord): Record<string, unknown> {
  if (r.kind === 'vm') return { power: 'off', host: String(r.config.host) } satisfies VmRuntime;
  if (r.kind === 'host') {
    const state: HostRuntime['state'] = r.config.vm !== undefined ? 'powered-off' : r.config.maintenance ? 'maintenance' : 'connected';
    return { state } satisfies HostRuntime;
  }
  return {};
}

export function up(store: Store, file: string, spec: LabSpec, inventory: Inventory, progress: Progress = silentProgress): UpResult {
  return store.transaction(() => {
    const existing = store.lab(inventory.lab);
    const lab: LabRow = existing ?? { name: inventory.lab, file, spec: '', nowMs: 0, nextEvent: 1, nextTask: 1 };
    lab.file = file;
    lab.spec = JSON.stringify(spec);
    const engine = new Engine(store, lab, progress);
    const desired = withJson(inventoryRecords(inventory));
    const plan = makePlan(inventory.lab, desired, [...engine.allRows()]);
    const result: UpResult = { lab: inventory.lab, created: [], updated: [], deleted: [], poweredOn: [], poweredOff: [], failed: [] };
    if (!existing) engine.event('lab.created', null, `Lab ${inventory.lab} created from ${file}`);

    // Deleted objects: power off the VMs among them first (innermost levels go down with their host).
    for (const item of plan.delete) {
      if (item.kind === 'vm' && engine.runtime<VmRuntime>(item.id).power === 'on') powerOff(engine, item.name, 'removed from the lab file');
    }
    for (const item of plan.delete) {
      engine.remove(item.id);
      if (LOGGED_KINDS.has(item.kind)) engine.event('object.deleted', item.id, `Removed ${item.kind} ${item.name}`);
      result.deleted.push(item.id);
    }

    const byId = new Map(desired.map((d) => [d.id, d]));
    progress.start('creating objects', plan.create.length);
    plan.create.forEach((item, i) => {
      const d = byId.get(item.id)!;
      const row: ObjectRow = { id: d.id, kind: d.kind, name: d.name, parent: d.parent, config: d.json, runtime: JSON.stringify(initialRuntime(d)) };
      engine.create(row);
      if (LOGGED_KINDS.has(d.kind)) engine.event('object.created', d.id, `Created ${d.kind} ${d.name}${d.parent ? ` in ${d.parent}` : ''}`);
      result.created.push(d.id);
      if (i % 1024 === 0) progress.tick(i);
    });
    progress.stop();

    // Every reconfiguration first, then what follows from them (relocations, maintenance): a change
    // drops the operation's caches, and rebuilding them between changes would cost O(changes × rows).
    for (const item of plan.update) {
      const d = byId.get(item.id)!;
      engine.reconfigure({ id: d.id, kind: d.kind, name: d.name, parent: d.parent, config: d.json });
      engine.event('object.updated', d.id, `Reconfigured ${d.kind} ${d.name}: ${item.changes.join(', ')}`, { changes: item.changes });
      result.updated.push(d.id);
    }
    for (const item of plan.update) applyUpdate(engine, byId.get(item.id)!, item.changes);
    // R6.2: a NIC added to an existing VM, or moved to another network, takes its dvPort now.
    const newVms = new Set(plan.create.filter((i) => i.kind === 'vm').map((i) => i.id));
    for (const item of plan.create) if (item.kind === 'vnic' && !newVms.has(byId.get(item.id)!.parent ?? '')) nicReconfigured(engine, item.id);
    for (const item of plan.update) if (item.kind === 'vnic' && item.changes.some((c) => c === 'network' || c === 'connected')) nicReconfigured(engine, item.id);

    // EVC admission (compute.md §5): hosts a cluster refuses stay out of it, before VMs power on.
    admitEvcHosts(engine);

    // Power: off first, then on, outer levels before inner ones (desired order).
    for (const d of desired) {
      if (d.kind !== 'vm' || d.config.power !== 'off' || engine.runtime<VmRuntime>(d.id).power !== 'on') continue;
      engine.task('power-off', d.id, () => powerOff(engine, d.name, 'the lab file says power: off'));
      result.poweredOff.push(d.name);
    }
    const toPowerOn = desired.filter((d) => d.kind === 'vm' && d.config.power === 'on' && engine.runtime<VmRuntime>(d.id).power !== 'on');
    progress.start('powering on VMs', toPowerOn.length);
    toPowerOn.forEach((d, i) => {
      const outcome = engine.task('power-on', d.id, () => powerOn(engine, d.name, 'lab up'));
      if (outcome.ok) result.poweredOn.push(d.name);
      else result.failed.push({ name: d.name, error: outcome.error!.toJSON() });
      if (i % 1024 === 0) progress.tick(i);
    });
    progress.stop();

    engine.save();
    return result;
  });
}

/** What a reconfiguration sets off: a VM moved to another host, a host in or out of maintenance mode. */
function applyUpdate(engine: Engine, d: DesiredRecord, changes: string[]): void {
  if (d.kind === 'vm' && changes.includes('host')) {
    // A VM moved to another host in the lab file: a cold relocation (power off, move).
    const rt = engine.runtime<VmRuntime>(d.id);
    if (rt.power === 'on') powerOff(engine, d.name, `relocating to ${String(d.config.host)}`);
    engine.setRuntime(d.id, { host: d.config.host });
    engine.event('vm.relocated', d.id, `${d.name} relocated from ${rt.host} to ${String(d.config.host)}`, { from: rt.host, to: d.config.host });
  }
  if (d.kind === 'host' && changes.includes('maintenance')) {
    const rt = engine.runtime<HostRuntime>(d.id);
    if (rt.state === 'connected' || rt.state === 'maintenance') {
      engine.setRuntime(d.id, { state: d.config.maintenance ? 'maintenance' : 'connected' });
      engine.event(d.config.maintenance ? 'host.entered-maintenance' : 'host.exited-maintenance', d.id, `${d.name} ${d.config.maintenance ? 'entered' : 'exited'} maintenance mode`);
      if (!d.config.maintenance) for (const l of hostAvailableListeners) l(engine, d.name);
    }
  }
}

export function down(store: Store, name?: string): { lab: string; deleted: number } {
  return store.transaction(() => {
    const lab = selectLab(store, name);
    const count = store.objects(lab.name).length;
    store.deleteLab(lab.name);
    return { lab: lab.name, deleted: count };
  });
}

export function advance(store: Store, lab: LabRow, seconds: number): { lab: string; now: number; samplePeriods: number; drsPasses: number } {
  return store.transaction(() => {
    // The network's periodic work — beacon probing (R5.9), load-based teaming (R5.5), spanning
    // tree timers and hellos (R9.9): a lab that has some advances with its network running; others
    // never build the network here (MAC tables age lazily).
    const target = lab.nowMs + Math.round(seconds * 1000);
    const networked = hasPeriodicNetworkWork(lab, store);
    if (networked) advanceNetwork(store, lab, seconds * 1000);
    const engine = new Engine(store, lab);
    // Timers (HA detection, restarts …) fire at their own virtual times; in a lab whose network
    // also advanced (beacon probing) they fire after it, at the end of the interval.
    runDueTimers(engine, target);
    const samplePeriods = runDuePeriods(engine);
    engine.save();
    const drsPasses = runDueDrs(store, lab);
    return { lab: lab.name, now: lab.nowMs / 1000, samplePeriods, drsPasses };
  });
}
