// DRS and maintenance mode in the engine (spec/compute.md §7): a DRS pass over a cluster reads
// host capacities, the VMs' entitlements from the scheduler, their reservations, the cluster's
// rules and what each host can run; recommendations are applied with vMotion when the cluster is
// fully automated (or when maintenance mode evacuates a host). DRS needs vCenter.
import { drsPass, placementOrder, type DrsAutomation, type DrsResult } from '../cluster/drs.js';
import { enabledRules, type DrsRule } from '../cluster/rules.js';
import { vmDemand } from '../compute/admission.js';
import type { Inventory } from '../model/inventory.js';
import type { LabRow, Store } from '../store/store.js';
import { storedInventory } from './apply.js';
import { ledger } from './compute.js';
import { Engine, OperationError, operate } from './engine.js';
import { migrate } from './migrate.js';
import { placementRefusal } from './placement.js';
import { effectiveCluster } from './evc.js';
import { hostAvailableListeners, hostChoosers, powerListeners } from './hooks.js';
import { hostRefusal, type HostRuntime, type VmRuntime } from './power.js';
import { currentStats } from './stats.js';
import { requireVcenter, vcenterNow } from './vcenter.js';

export interface DrsReport extends DrsResult {
  cluster: string;
  automation: string;
  threshold: number;
  applied: Array<{ vm: string; from: string; to: string; ok: boolean; error?: Record<string, unknown> }>;
}

function inventoryOf(store: Store, lab: LabRow): Inventory {
  return storedInventory(store, lab).inventory;
}

/** One DRS pass over `cluster`, with `maintenance` hosts treated as entering maintenance mode. */
interface Pass {
  result: DrsResult;
  automation: string;
  threshold: number;
  /** the recommendations DRS applies by itself: those of VMs whose level (the cluster's, or their override) is fully automated */
  automatic: DrsResult['recommendations'];
}

function pass(store: Store, lab: LabRow, cluster: string, maintenance: ReadonlySet<string>): Pass {
  const engine = new Engine(store, lab);
  requireVcenter(engine, `DRS in cluster ${cluster}`);
  const inv = inventoryOf(store, lab);
  const c = inv.clusters.get(cluster);
  if (!c) throw new OperationError('unknown-object', `no cluster named "${cluster}"`, { cluster });
  const stats = currentStats(engine);
  const l = ledger(engine);
  const hosts = c.hosts.filter((h) => {
    const rt = engine.runtime<HostRuntime>(`host:${h}`);
    return rt.state === 'connected' || rt.state === 'maintenance';
  });
  const live = new Set(hosts);
  const vms = [...inv.vms.values()].flatMap((v) => {
    const rt = engine.runtime<VmRuntime>(v.id);
    if (rt.power !== 'on' || !live.has(rt.host)) return [];
    const s = stats.vms.get(v.name);
    const d = vmDemand(v, rt.host, cluster);
    return [{
      name: v.name, host: rt.host, cpuMHz: s?.entitlement.cpuMHz ?? 0, memoryMB: s?.entitlement.memoryMB ?? v.memoryMB, reserveMemoryMB: d.memoryMB, reserveCpuMHz: d.cpuMHz,
      automation: v.drs?.automation ?? c.drs.automation,
    }];
  });
  // Storage, networks, CPU, nested virtualization, HA failover hosts: as vMotion checks them.
  const verdicts = new Map<string, boolean>();
  const compatible = (vm: string, host: string) => {
    const key = `${vm}\u0000${host}`;
    let ok = verdicts.get(key);
    if (ok === undefined) verdicts.set(key, (ok = placementRefusal(engine, vm, host, 'vmotion', { admission: false }) === undefined));
    return ok;
  };
  const result = drsPass({
    hosts: hosts.map((h) => ({ name: h, ...l.hostCapacity(h), maintenance: maintenance.has(h) || engine.runtime<HostRuntime>(`host:${h}`).state === 'maintenance' })),
    vms, rules: enabledRules(c.rules), threshold: c.drs.threshold, compatible,
    reserved: (h) => l.hostReserved(h), capacity: (h) => l.hostCapacity(h),
  });
  const auto = new Set(vms.filter((v) => v.automation === 'fully-automated').map((v) => v.name));
  return { result, automation: c.drs.automation, threshold: c.drs.threshold, automatic: result.recommendations.filter((r) => auto.has(r.vm)) };
}

function apply(store: Store, lab: LabRow, recs: DrsResult['recommendations']): DrsReport['applied'] {
  return recs.map((r) => {
    const outcome = migrate(store, lab, r.vm, r.to);
    return { vm: r.vm, from: r.from, to: r.to, ok: outcome.ok, ...(outcome.ok ? {} : { error: outcome.error!.toJSON() }) };
  });
}

/** `nestlab drs [CLUSTER]`: recommendations, applied when the cluster is fully automated. */
export function drs(store: Store, lab: LabRow, cluster?: string): DrsReport[] {
  return store.transaction(() => {
    const inv = inventoryOf(store, lab);
    const names = cluster !== undefined ? [cluster] : [...inv.clusters.values()].filter((c) => c.drs.enabled).map((c) => c.name);
    return names.map((name) => {
      const c = inv.clusters.get(name);
      if (!c) throw new OperationError('unknown-object', `no cluster named "${name}"`, { cluster: name });
      if (!c.drs.enabled) throw new OperationError('drs-disabled', `DRS is not enabled in cluster ${name}`, { cluster: name });
      const { result, automation, threshold, automatic } = pass(store, lab, name, new Set());
      const applied = apply(store, lab, automatic);
      return { cluster: name, automation, threshold, ...result, applied };
    });
  });
}

/** DRS runs every 5 minutes (§7); fully automated clusters apply their moves as time passes. */
const DRS_PERIOD_MS = 5 * 60 * 1000;

/** Called by `advance`: a DRS pass per fully automated cluster for each period that fell due. */
export function runDueDrs(store: Store, lab: LabRow): number {
  const inv = inventoryOf(store, lab);
  const overridden = [...inv.vms.values()].some((v) => v.drs?.automation === 'fully-automated');
  const auto = [...inv.clusters.values()].filter((c) => c.drs.enabled && (c.drs.automation === 'fully-automated' || overridden));
  const last = Number(store.labState(lab.name, 'drs') ?? 0);
  const due = Math.floor((lab.nowMs - last) / DRS_PERIOD_MS);
  if (due <= 0 || auto.length === 0) return 0;
  store.putLabState(lab.name, 'drs', String(last + due * DRS_PERIOD_MS));
  if (!vcenterNow(new Engine(store, lab)).up) return 0; // no vCenter, no DRS
  for (const c of auto) {
    apply(store, lab, pass(store, lab, c.name, new Set()).automatic);
  }
  return 1;
}

/** Enter maintenance mode: DRS evacuates the powered-on VMs (priority 1), or nothing changes. */
export function enterMaintenance(store: Store, lab: LabRow, host: string): { host: string; state: string; evacuated: DrsReport['applied'] } {
  return store.transaction(() => {
    const engine = new Engine(store, lab);
    if (!engine.row(`host:${host}`)) throw new OperationError('unknown-object', `no host named "${host}"`, { host });
    const rt = engine.runtime<HostRuntime>(`host:${host}`);
    if (rt.state === 'maintenance') return { host, state: 'maintenance', evacuated: [] };
    if (rt.state !== 'connected') throw new OperationError('host-not-running', `host ${host} is ${rt.state}`, { host });
    const cluster = (engine.config<{ cluster?: string }>(`host:${host}`)).cluster;
    const running = [...engine.allRows()].filter((r) => r.kind === 'vm' && engine.runtime<VmRuntime>(r.id).power === 'on' && engine.runtime<VmRuntime>(r.id).host === host).map((r) => r.name);
    let evacuated: DrsReport['applied'] = [];
    if (running.length) {
      if (cluster === undefined) throw new OperationError('maintenance-blocked', `host ${host} runs ${running.join(', ')} and is in no cluster: power them off or move them first`, { host, vms: running });
      const { result } = pass(store, lab, cluster, new Set([host]));
      const mine = result.recommendations.filter((r) => r.priority === 1 && r.from === host);
      const blocked = result.stuck.filter((s) => running.includes(s.vm));
      if (blocked.length) {
        throw new OperationError('maintenance-blocked', `host ${host} cannot enter maintenance mode: ${blocked.map((b) => `${b.vm}: ${b.reason}`).join('; ')}`, { host, blocked });
      }
      evacuated = apply(store, lab, mine);
      const failed = evacuated.filter((e) => !e.ok);
      if (failed.length) throw new OperationError('maintenance-blocked', `evacuating ${host} failed: ${failed.map((f) => `${f.vm}: ${String(f.error?.message)}`).join('; ')}`, { host, failed });
    }
    operate(store, lab, (after) => {
      after.setRuntime(`host:${host}`, { state: 'maintenance' });
      after.event('host.entered-maintenance', `host:${host}`, `${host} entered maintenance mode${evacuated.length ? ` after DRS moved ${evacuated.map((e) => e.vm).join(', ')}` : ''}`);
    });
    return { host, state: 'maintenance', evacuated };
  });
}

export function exitMaintenance(store: Store, lab: LabRow, host: string): { host: string; state: string } {
  return operate(store, lab, (engine) => {
    if (!engine.row(`host:${host}`)) throw new OperationError('unknown-object', `no host named "${host}"`, { host });
    if (engine.runtime<HostRuntime>(`host:${host}`).state === 'maintenance') {
      engine.setRuntime(`host:${host}`, { state: 'connected' });
      engine.event('host.exited-maintenance', `host:${host}`, `${host} exited maintenance mode`);
      for (const l of hostAvailableListeners) l(engine, host);
    }
    return { host, state: engine.runtime<HostRuntime>(`host:${host}`).state };
  });
}

// ---- initial placement (§7) ----------------------------------------------------------------------

interface PlacedVmConfig {
  cluster?: string;
  drs?: { automation: DrsAutomation };
  cpus: number;
  memoryMB: number;
}

interface DrsClusterConfig {
  hosts: string[];
  drs?: { enabled: boolean; automation: string };
  rules?: DrsRule[];
}

/** What running VMs ask of each host, for placement: configured memory and vCPUs (kept in step below). */
function expectedLoads(engine: Engine): Map<string, { memoryMB: number; cpus: number }> {
  return engine.cache('drs.loads', () => {
    const m = new Map<string, { memoryMB: number; cpus: number }>();
    for (const row of engine.allRows()) {
      if (row.kind !== 'vm') continue;
      const rt = engine.runtime<VmRuntime>(row.id);
      if (rt.power === 'on') addLoad(m, rt.host, engine.config<PlacedVmConfig>(row.id), 1);
    }
    return m;
  });
}

function addLoad(m: Map<string, { memoryMB: number; cpus: number }>, host: string, vm: PlacedVmConfig, sign: number): void {
  const t = m.get(host) ?? { memoryMB: 0, cpus: 0 };
  t.memoryMB += sign * vm.memoryMB;
  t.cpus += sign * vm.cpus;
  m.set(host, t);
}

powerListeners.push((engine, vm, host, state) => addLoad(expectedLoads(engine), host, engine.config<PlacedVmConfig>(`vm:${vm}`), state === 'on' ? 1 : -1));

/** A cluster as placement reads it, once per operation: its hosts' capacities and its rules in force. */
function drsCluster(engine: Engine, name: string): { cluster: DrsClusterConfig; hosts: Array<{ name: string; memoryMB: number; cores: number }>; rules: DrsRule[] } {
  return engine.cache(`drs.cluster:${name}`, () => {
    const cluster = engine.config<DrsClusterConfig>(`cluster:${name}`);
    const l = ledger(engine);
    const hosts = cluster.hosts.filter((h) => engine.row(`host:${h}`)).map((h) => {
      const cpu = engine.config<{ cpu: { cores: number; sockets: number } }>(`host:${h}`).cpu;
      return { name: h, memoryMB: l.hostCapacity(h).memoryMB, cores: cpu.cores * cpu.sockets };
    });
    return { cluster, hosts, rules: enabledRules(cluster.rules ?? []) };
  });
}

/**
 * A VM declared with `cluster:` that powers on in a DRS cluster (vCenter up) starts on the host DRS
 * picks: never against a must rule or an anti-affinity rule, preferring should rules and affinity,
 * then the host left least loaded (the larger of memory and vCPUs per core), that passes every
 * power-on check. In manual mode DRS only recommends; the lab file names no host, so nestlab takes
 * the first recommendation. Without DRS (or vCenter) the VM starts where it is registered.
 */
hostChoosers.push((engine, vm) => {
  const id = `vm:${vm}`;
  const config = engine.config<PlacedVmConfig>(id);
  if (config.cluster === undefined) return undefined;
  const { cluster, hosts, rules } = drsCluster(engine, config.cluster);
  const automation = config.drs?.automation ?? cluster.drs?.automation;
  if (!cluster.drs?.enabled || automation === 'disabled' || !vcenterNow(engine).up) return undefined;
  const loads = expectedLoads(engine);
  const candidates = hosts.map((h) => {
    const t = loads.get(h.name) ?? { memoryMB: 0, cpus: 0 };
    return { name: h.name, loadAfter: Math.max((t.memoryMB + config.memoryMB) / h.memoryMB, (t.cpus + config.cpus) / h.cores) };
  });
  const placementOf = (o: string) => {
    const rt = engine.row(`vm:${o}`) ? engine.runtime<VmRuntime>(`vm:${o}`) : undefined;
    return rt?.power === 'on' ? rt.host : undefined;
  };
  const { order, refused } = placementOrder(candidates, rules, vm, placementOf);
  const reasons: Record<string, { code: string; message: string }> = {};
  for (const [h, why] of Object.entries(refused)) reasons[h] = { code: 'drs-rule', message: why };
  const errors: OperationError[] = [];
  for (const h of order) {
    const e = effectiveCluster(engine, h) !== config.cluster
      ? new OperationError('host-not-available', `${h} was refused by the cluster's EVC mode`, { name: vm, host: h })
      : hostRefusal(engine, vm, h) ?? placementRefusal(engine, vm, h, 'power-on');
    if (e) {
      reasons[h] = { code: e.code, message: e.message };
      errors.push(e);
      continue;
    }
    const from = engine.runtime<VmRuntime>(id).host;
    if (from !== h) engine.setRuntime(id, { host: h });
    const manual = automation === 'manual' ? ' (manual mode: its first recommendation, as the lab file names no host)' : '';
    engine.event('drs.placed', id, `DRS placed ${vm} on ${h}${manual}: ${order.indexOf(h) === 0 ? 'the best host' : `after ${order.slice(0, order.indexOf(h)).join(', ')} refused it`} (§7)`, { cluster: config.cluster, host: h, automation });
    return 'placed';
  }
  // Every host refused for one reason (admission control, say): that refusal, as a power-on gives it.
  const codes = new Set(Object.values(reasons).map((r) => r.code));
  if (codes.size === 1 && errors.length > 0) return errors[0];
  const detail = Object.entries(reasons).map(([h, r]) => `${h}: ${r.message}`).join('; ');
  return new OperationError('no-compatible-host', `DRS found no host in cluster ${config.cluster} for ${vm}: ${detail || 'the cluster has no hosts'} (§7)`, { name: vm, cluster: config.cluster, reasons });
});
