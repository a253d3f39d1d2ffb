// vSphere HA admission control in the engine (spec/compute.md §8 a–c): slots, cluster resource
// percentage and dedicated failover hosts, checked at every power-on (not at HA's own restarts),
// over the cluster's live hosts and its powered-on VMs — kept per host, in step with power changes,
// so a power-on at configuration maxima does not rebuild the cluster's VM list.
import { Engine, OperationError } from './engine.js';
import { effectiveCluster } from './evc.js';
import { placementChecks, powerListeners } from './hooks.js';
import type { VmRuntime } from './power.js';
import { haCluster, hostId, hostUp, vmId, type ClusterConfig, type HaVmConfig, type HostConfig } from './ha-state.js';
import { overheadMB } from '../compute/overhead.js';
import { haAdmission, percentageDemand, percentageReport, slotCaps, slotReport, type ClusterLoad, type HaHost, type HaVm } from '../cluster/ha.js';

function haVm(engine: Engine, vm: string): HaVm {
  const c = engine.config<HaVmConfig>(vmId(vm));
  return { name: vm, cpuReservationMHz: c.cpuAlloc.reservation, memoryReservationMB: c.memAlloc.reservation, overheadMB: overheadMB(c.cpus, c.memoryMB) };
}

function haHosts(engine: Engine, config: ClusterConfig): HaHost[] {
  // The live hosts of a cluster, rebuilt only when some host's state changed in this operation.
  const cache = engine.cache('ha.hosts', () => new Map<string, { version: number; hosts: HaHost[] }>());
  const key = config.hosts.join(',');
  const hit = cache.get(key);
  if (hit && hit.version === engine.hostChanges) return hit.hosts;
  const hosts = config.hosts.filter((h) => engine.row(hostId(h)) && effectiveCluster(engine, h) !== undefined && hostUp(engine, h)).map((h) => {
    const c = engine.config<HostConfig>(hostId(h));
    return { name: h, cpuMHz: c.cpu.cores * c.cpu.sockets * c.cpu.mhz, memoryMB: c.memoryMB };
  });
  cache.set(key, { version: engine.hostChanges, hosts });
  return hosts;
}

/** Powered-on VMs by the host they run on, built once per operation and kept in step by a power listener. */
function runningByHost(engine: Engine): Map<string, Map<string, HaVm>> {
  return engine.cache('ha.running', () => {
    const m = new Map<string, Map<string, HaVm>>();
    for (const row of engine.allRows()) {
      if (row.kind !== 'vm') continue;
      const rt = engine.runtime<VmRuntime>(row.id);
      if (rt.power !== 'on') continue;
      const set = m.get(rt.host) ?? new Map<string, HaVm>();
      set.set(row.name, haVm(engine, row.name));
      m.set(rt.host, set);
    }
    return m;
  });
}

/** Percentage-policy totals of running VMs per host, kept in step with power changes. */
function totalsByHost(engine: Engine): Map<string, { cpuMHz: number; memoryMB: number }> {
  return engine.cache('ha.totals', () => {
    const m = new Map<string, { cpuMHz: number; memoryMB: number }>();
    for (const [host, vms] of runningByHost(engine)) {
      const t = { cpuMHz: 0, memoryMB: 0 };
      for (const v of vms.values()) {
        const d = percentageDemand(v);
        t.cpuMHz += d.cpuMHz;
        t.memoryMB += d.memoryMB;
      }
      m.set(host, t);
    }
    return m;
  });
}

powerListeners.push((engine, vm, host, state) => {
  if (!haCluster(engine, host)) return; // only HA clusters keep these maps
  const m = runningByHost(engine);
  const totals = totalsByHost(engine);
  const set = m.get(host) ?? new Map<string, HaVm>();
  const t = totals.get(host) ?? { cpuMHz: 0, memoryMB: 0 };
  const before = set.get(vm);
  if (before) {
    const d = percentageDemand(before);
    t.cpuMHz -= d.cpuMHz;
    t.memoryMB -= d.memoryMB;
    set.delete(vm);
  }
  if (state === 'on') {
    const v = haVm(engine, vm);
    set.set(vm, v);
    const d = percentageDemand(v);
    t.cpuMHz += d.cpuMHz;
    t.memoryMB += d.memoryMB;
  }
  m.set(host, set);
  totals.set(host, t);
});

function clusterLoad(engine: Engine, config: ClusterConfig, except?: string): ClusterLoad {
  return {
    running: () => clusterRunning(engine, config, except),
    totals: () => {
      const byHost = totalsByHost(engine);
      const out = { cpuMHz: 0, memoryMB: 0 };
      for (const h of config.hosts) {
        const t = byHost.get(h);
        if (t) { out.cpuMHz += t.cpuMHz; out.memoryMB += t.memoryMB; }
      }
      if (except !== undefined) {
        const v = runningByHost(engine);
        for (const h of config.hosts) {
          const e = v.get(h)?.get(except);
          if (e) { const d = percentageDemand(e); out.cpuMHz -= d.cpuMHz; out.memoryMB -= d.memoryMB; }
        }
      }
      return out;
    },
  };
}

function clusterRunning(engine: Engine, config: ClusterConfig, except?: string): HaVm[] {
  const byHost = runningByHost(engine);
  const out: HaVm[] = [];
  for (const h of config.hosts) for (const [name, v] of byHost.get(h) ?? []) if (name !== except) out.push(v);
  return out;
}

// Failover itself is not subject to admission control; a vMotion leaves the cluster's load as it
// is, but may not land on a dedicated failover host (§8 c).
placementChecks.push((engine, vm, host, why) => {
  if (why === 'restart') return undefined;
  const cluster = haCluster(engine, host);
  const policy = cluster?.config.ha.admissionControl;
  if (!cluster || !policy || policy.policy === 'disabled') return undefined;
  if (why === 'vmotion' && policy.policy !== 'failover-hosts') return undefined;
  const refused = haAdmission(policy, haHosts(engine, cluster.config), clusterLoad(engine, cluster.config, vm), haVm(engine, vm), host, cluster.name);
  return refused ? new OperationError('insufficient-failover-resources', refused.message, { name: vm, ...refused.details }) : undefined;
});


/** Admission control's figures for `nestlab ha` (slot policy and percentage policy, compute.md §8). */
export interface AdmissionFigures {
  poweredOnVms: number;
  slots: { cpuMHz: number; memoryMB: number; perHost: Record<string, number>; total: number; failoverCapacity: number };
  percentage: { cpuFailoverCapacity: number; memoryFailoverCapacity: number };
}

export function admissionFigures(engine: Engine, config: ClusterConfig): AdmissionFigures {
  const hosts = haHosts(engine, config);
  const running = clusterRunning(engine, config);
  const slots = slotReport(hosts, running, slotCaps(config.ha?.admissionControl));
  const pct = percentageReport(hosts, running);
  return {
    poweredOnVms: running.length,
    slots: { cpuMHz: slots.slot.cpuMHz, memoryMB: Math.round(slots.slot.memoryMB * 100) / 100, perHost: slots.slots, total: slots.totalSlots, failoverCapacity: Math.max(0, slots.failoverCapacity) },
    percentage: { cpuFailoverCapacity: Math.round(pct.cpuFailoverCapacity * 10_000) / 10_000, memoryFailoverCapacity: Math.round(pct.memoryFailoverCapacity * 10_000) / 10_000 },
  };
}
