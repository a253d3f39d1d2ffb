// vSphere HA and host failures in the engine (spec/compute.md §8, §9; spec/cli.md `fail`,
// `recover`). `fail` is a power loss: everything running on the host stops at T0 without closing
// its files (VMFS locks stay, heartbeats stop), nested hosts inside go down with their VMs. Each
// HA-enabled cluster reacts at its own level through persistent virtual-time timers: the primary
// declares a failed host at T0+15 s, restarts start once the locks are breakable (T0+16 s,
// §11.21), High before Medium before Low. An isolated host (`fail --isolate`) keeps its storage:
// election at T0+10 s, own primary at T0+25 s, isolated at T0+30 s, then the isolation response
// (§11.22). Admission control (slots, percentage, failover hosts) is a power-on check.
import { Engine, OperationError } from './engine.js';
import { effectiveCluster } from './evc.js';
import { ledger } from './compute.js';
import { placementChecks, powerListeners } from './hooks.js';
import { placementRefusal } from './placement.js';
import { findVm, powerOff, powerOn, reset, type HostRuntime, type VmRuntime } from './power.js';
import { cancelTimers, onTimer, scheduleTimer } from './timers.js';
import { asCrash, restartHeartbeat, stopHeartbeat } from './locks.js';
import { overheadMB } from '../compute/overhead.js';
import {
  DEFAULT_RESTART_PRIORITY, HA_FAILURE_DETECTION_MS, HA_ISOLATION_DECLARED_MS, HA_ISOLATION_ELECTION_MS, HA_ISOLATION_SELF_PRIMARY_MS,
  haAdmission, monitorVerdict, percentageDemand, percentageReport, restartOrder, restartTargets, slotReport, vmMonitoringSettings,
  type AdmissionPolicy, type ClusterLoad, type VmMonitoringLevel, type HaHost, type HaVm, type RestartCandidate, type RestartPriority,
} from '../cluster/ha.js';
import { enabledRules, ruleRefusal, type DrsRule } from '../cluster/rules.js';
import { VMFS_LIVENESS_TIMEOUT_MS } from '../storage/locks.js';

interface HostConfig {
  cluster?: string;
  vm?: string;
  datastores?: string[];
  memoryMB: number;
  reservedMB: number;
  maintenance?: boolean;
  cpu: { cores: number; sockets: number; mhz: number };
}

interface ClusterConfig {
  hosts: string[];
  rules?: DrsRule[];
  ha: { enabled: boolean; admissionControl: AdmissionPolicy; isolationResponse: 'leave-powered-on' | 'power-off' | 'shutdown' };
}

interface HaHostRuntime extends HostRuntime {
  failedAtMs?: number;
  heartbeatStoppedAtMs?: number;
  isolated?: boolean;
  isolatedAtMs?: number;
}

interface HaVmConfig {
  nested?: string;
  tools?: boolean;
  cpus: number;
  memoryMB: number;
  disks?: Array<{ datastore: string }>;
  cpuAlloc: { reservation: number };
  memAlloc: { reservation: number };
  ha?: { restartPriority: RestartPriority; vmMonitoring?: VmMonitoringLevel };
}

const hostId = (name: string) => `host:${name}`;
const vmId = (name: string) => `vm:${name}`;

function hostRt(engine: Engine, host: string): HaHostRuntime {
  return engine.runtime<HaHostRuntime>(hostId(host));
}

function findHost(engine: Engine, name: string): void {
  if (engine.row(hostId(name))?.kind !== 'host') throw new OperationError('unknown-object', `no host named "${name}" in lab ${engine.lab.name}`, { name });
}

/** The HA-enabled cluster a host is really in (EVC admission may have refused it), if any. */
function haCluster(engine: Engine, host: string): { name: string; config: ClusterConfig } | undefined {
  const cluster = effectiveCluster(engine, host);
  if (cluster === undefined) return undefined;
  const config = engine.config<ClusterConfig>(`cluster:${cluster}`);
  return config.ha?.enabled ? { name: cluster, config } : undefined;
}

/** A host HA can use: connected, reachable on the management network, heartbeating. */
function hostUp(engine: Engine, host: string): boolean {
  const rt = hostRt(engine, host);
  return rt.state === 'connected' && !rt.isolated && rt.heartbeatStoppedAtMs === undefined;
}

function runningOn(engine: Engine, host: string): string[] {
  const out: string[] = [];
  for (const row of engine.allRows()) {
    if (row.kind !== 'vm') continue;
    const rt = engine.runtime<VmRuntime>(row.id);
    if (rt.power === 'on' && rt.host === host) out.push(row.name);
  }
  return out;
}

// ---- fail / recover ----------------------------------------------------------------------------

export interface FailResult {
  name: string;
  state: string;
  isolated: boolean;
  at: number;
  /** hosts that went down: the failed one and the nested hosts inside it */
  hostsDown: string[];
  vmsDown: string[];
  /** HA reactions scheduled: which cluster's primary declares which host failed (or isolated), when */
  ha: Array<{ cluster: string; host: string; event: string; at: number }>;
}

/** `nestlab fail HOST`: power loss of a host, physical or nested (a nested host: its VM is lost). */
export function failHost(engine: Engine, name: string, opts: { isolate?: boolean } = {}): FailResult {
  findHost(engine, name);
  if (opts.isolate) return isolateHost(engine, name);
  const rt = hostRt(engine, name);
  if (rt.failedAtMs !== undefined || rt.state !== 'connected' && rt.state !== 'maintenance') {
    throw new OperationError('invalid-host-state', `host ${name} is ${rt.failedAtMs !== undefined ? 'already failed' : rt.state}; only a running host can fail`, { name, state: rt.state });
  }
  const t0 = engine.nowMs;
  if (rt.isolated) {
    // An isolated host that loses power: the isolation timeline ends, the failure one starts.
    engine.setRuntime(hostId(name), { isolated: undefined, isolatedAtMs: undefined });
    cancelTimers(engine, 'ha.isolation', (d) => d.host === name);
  }
  // The hosts that go down: this one and, level by level, the nested hosts whose VMs run on them.
  const down: Array<{ host: string; vms: string[] }> = [];
  const queue = [name];
  while (queue.length > 0) {
    const h = queue.shift()!;
    const vms = runningOn(engine, h);
    down.push({ host: h, vms });
    for (const v of vms) {
      const nested = engine.config<HaVmConfig>(vmId(v)).nested;
      if (nested !== undefined && hostRt(engine, nested).state !== 'powered-off') queue.push(nested);
    }
  }
  const hostVm = engine.config<HostConfig>(hostId(name)).vm;
  engine.event('host.failed', hostId(name), `${name} lost power${hostVm !== undefined ? ` (its VM ${hostVm} was lost)` : ''}: ${down[0]!.vms.length} VMs stop without releasing their VMFS locks`, { vms: down[0]!.vms, nested: down.slice(1).map((d) => d.host) });
  asCrash(() => {
    if (hostVm !== undefined) {
      powerOff(engine, hostVm, `host ${name} failed (its VM was lost)`);
    } else {
      for (const v of down[0]!.vms) if (engine.runtime<VmRuntime>(vmId(v)).power === 'on') powerOff(engine, v, `host ${name} failed`);
    }
  });
  // The hypervisor VM of a nested host ran on a live host, which closed its files.
  if (hostVm !== undefined) engine.setRuntime(vmId(hostVm), { lock: undefined });
  const ha: FailResult['ha'] = [];
  for (const d of down) {
    engine.setRuntime(hostId(d.host), { failedAtMs: t0, ...(d.host === name ? { state: 'not-responding' } : {}) });
    stopHeartbeat(engine, d.host, t0);
    if (d.host !== name) engine.event('host.failed', hostId(d.host), `nested host ${d.host} went down with ${name}`, { vms: d.vms, cause: name });
    const cluster = haCluster(engine, d.host);
    if (cluster) {
      const at = t0 + HA_FAILURE_DETECTION_MS;
      scheduleTimer(engine, at, 'ha.declare-failed', { cluster: cluster.name, host: d.host, vms: d.vms, failedAtMs: t0 });
      ha.push({ cluster: cluster.name, host: d.host, event: 'declare-failed', at: at / 1000 });
    }
  }
  return { name, state: hostRt(engine, name).state, isolated: false, at: t0 / 1000, hostsDown: down.map((d) => d.host), vmsDown: down.flatMap((d) => d.vms), ha };
}

/** `nestlab fail HOST --isolate`: the host loses its management network but keeps its storage (§8, §11.22). */
function isolateHost(engine: Engine, name: string): FailResult {
  const rt = hostRt(engine, name);
  if (rt.state !== 'connected' || rt.isolated) throw new OperationError('invalid-host-state', `host ${name} is ${rt.isolated ? 'already isolated' : rt.state}; only a connected host can be isolated`, { name, state: rt.state });
  const t0 = engine.nowMs;
  engine.setRuntime(hostId(name), { isolated: true, isolatedAtMs: t0 });
  engine.event('host.isolated', hostId(name), `${name} lost its management network (no HA network heartbeats); it still reaches its datastores and keeps heartbeating there`, { vms: runningOn(engine, name) });
  const ha: FailResult['ha'] = [];
  const cluster = haCluster(engine, name);
  if (cluster) {
    for (const [stage, ms] of [['election', HA_ISOLATION_ELECTION_MS], ['self-primary', HA_ISOLATION_SELF_PRIMARY_MS], ['isolated', HA_ISOLATION_DECLARED_MS]] as const) {
      scheduleTimer(engine, t0 + ms, 'ha.isolation', { cluster: cluster.name, host: name, stage, isolatedAtMs: t0 });
      ha.push({ cluster: cluster.name, host: name, event: stage, at: (t0 + ms) / 1000 });
    }
  }
  return { name, state: rt.state, isolated: true, at: t0 / 1000, hostsDown: [], vmsDown: [], ha };
}

export interface RecoverResult {
  name: string;
  state: string;
  /** VMs that were running when it failed and are still off (HA did not restart them) */
  stayedOff: string[];
}

/** `nestlab recover HOST`: power (or the management network) is back. VMs not restarted elsewhere stay off. */
export function recoverHost(engine: Engine, name: string): RecoverResult {
  findHost(engine, name);
  const rt = hostRt(engine, name);
  if (rt.isolated) {
    engine.setRuntime(hostId(name), { isolated: undefined, isolatedAtMs: undefined });
    cancelTimers(engine, 'ha.isolation', (d) => d.host === name);
    engine.event('host.isolation-ended', hostId(name), `${name} reaches its management network again`);
    return { name, state: hostRt(engine, name).state, stayedOff: [] };
  }
  if (rt.failedAtMs === undefined) throw new OperationError('invalid-host-state', `host ${name} has not failed (it is ${rt.state})`, { name, state: rt.state });
  const hostVm = engine.config<HostConfig>(hostId(name)).vm;
  if (hostVm !== undefined) {
    // A nested host comes back when its VM powers on again (boot: power listener below).
    // (Its VM is off: a power-on would already have cleared failedAtMs through hostBack.)
    engine.setRuntime(hostId(name), { state: 'powered-off' });
    const outcome = engine.task('power-on', vmId(hostVm), () => powerOn(engine, hostVm, `host ${name} recovered`));
    if (!outcome.ok) throw outcome.error!;
  } else {
    engine.setRuntime(hostId(name), { state: engine.config<HostConfig>(hostId(name)).maintenance ? 'maintenance' : 'connected' });
    hostBack(engine, name);
  }
  const stayedOff = offVmsPlacedOn(engine, name);
  engine.event('host.recovered', hostId(name), `${name} is back${stayedOff.length > 0 ? `; ${stayedOff.join(', ')} stay powered off (not restarted elsewhere)` : ''}`, { stayedOff });
  return { name, state: hostRt(engine, name).state, stayedOff };
}

function offVmsPlacedOn(engine: Engine, host: string): string[] {
  const out: string[] = [];
  for (const row of engine.allRows()) {
    if (row.kind !== 'vm') continue;
    const rt = engine.runtime<VmRuntime>(row.id);
    if (rt.power !== 'on' && rt.host === host && engine.config<{ power?: string }>(row.id).power === 'on') out.push(row.name);
  }
  return out;
}

/** A failed host is back: heartbeating again (its stale locks freed), no longer awaiting HA detection. */
function hostBack(engine: Engine, host: string): void {
  if (hostRt(engine, host).failedAtMs === undefined) return;
  engine.setRuntime(hostId(host), { failedAtMs: undefined });
  cancelTimers(engine, 'ha.declare-failed', (d) => d.host === host);
  restartHeartbeat(engine, host);
}

// A nested host boots when its VM powers on (power.ts); if it had failed, it is back.
powerListeners.push((engine, vm, _host, state) => {
  if (state !== 'on') return;
  const nested = engine.config<HaVmConfig>(vmId(vm)).nested;
  if (nested !== undefined) hostBack(engine, nested);
});

// ---- HA timers ---------------------------------------------------------------------------------

onTimer('ha.declare-failed', (engine, data) => {
  const host = String(data.host);
  const cluster = String(data.cluster);
  if (hostRt(engine, host).failedAtMs !== data.failedAtMs) return; // it came back meanwhile
  if (!engine.config<Partial<ClusterConfig>>(`cluster:${cluster}`).ha?.enabled) return;
  engine.event('ha.host-failed', hostId(host), `vSphere HA primary of cluster ${cluster} declared ${host} failed: no network heartbeats, no ping response and no datastore heartbeats for ${HA_FAILURE_DETECTION_MS / 1000} s (§8)`, { cluster, vms: data.vms });
  // Restarts wait for the VMFS locks to be breakable: the owner's heartbeat stale 16 s (§9, §11.21).
  const at = Math.max(engine.nowMs, Number(data.failedAtMs) + VMFS_LIVENESS_TIMEOUT_MS);
  scheduleTimer(engine, at, 'ha.restart', { cluster, host, vms: data.vms, why: `${host} failed` });
});

onTimer('ha.restart', (engine, data) => {
  restartVms(engine, String(data.cluster), String(data.host), (data.vms as string[]) ?? [], String(data.why), false);
});

onTimer('ha.isolation', (engine, data) => {
  const host = String(data.host);
  const cluster = String(data.cluster);
  const rt = hostRt(engine, host);
  if (!rt.isolated || rt.isolatedAtMs !== data.isolatedAtMs) return;
  if (data.stage === 'election') {
    engine.event('ha.election', hostId(host), `${host} receives no HA heartbeats and starts an election (T0+${HA_ISOLATION_ELECTION_MS / 1000} s, §8)`, { cluster });
  } else if (data.stage === 'self-primary') {
    engine.event('ha.self-primary', hostId(host), `${host} elected itself primary and pings its isolation address (the default gateway); no answer (T0+${HA_ISOLATION_SELF_PRIMARY_MS / 1000} s, §8)`, { cluster });
  } else {
    isolationResponse(engine, cluster, host);
  }
});

function isolationResponse(engine: Engine, cluster: string, host: string): void {
  const ha = engine.config<ClusterConfig>(`cluster:${cluster}`).ha;
  if (!ha?.enabled) return;
  const response = ha.isolationResponse;
  const vms = runningOn(engine, host);
  engine.event('ha.host-isolated', hostId(host), `${host} declared itself isolated (T0+${HA_ISOLATION_DECLARED_MS / 1000} s) and runs the isolation response ${response} (§8)`, { cluster, response, vms });
  if (response === 'leave-powered-on') {
    // The VMs keep running and keep their locks; a restart elsewhere cannot lock their files (§11.22).
    restartVms(engine, cluster, host, vms, `${host} is isolated`, true);
    return;
  }
  for (const v of vms) {
    const tools = engine.config<HaVmConfig>(vmId(v)).tools !== false;
    const how = response === 'shutdown' && tools ? 'shut down' : 'powered off';
    powerOff(engine, v, `vSphere HA isolation response: ${how} on isolated host ${host}`);
  }
  restartVms(engine, cluster, host, vms, `${host} is isolated`, false);
}

// ---- restarts ----------------------------------------------------------------------------------

/**
 * Restart `vms` (which ran on `from`) on the cluster's other usable hosts, High → Medium → Low
 * (§8), each on the host with the most unreserved capacity that passes every check — dedicated
 * failover hosts first. Each attempt is a task; a VM that cannot restart gets an event saying why.
 * `attemptRunning`: try even VMs still running on `from` (an isolated host: their locks refuse it).
 */
function restartVms(engine: Engine, cluster: string, from: string, vms: readonly string[], why: string, attemptRunning: boolean): void {
  const config = engine.config<ClusterConfig>(`cluster:${cluster}`);
  if (!config.ha?.enabled) return; // HA turned off (or the cluster removed) meanwhile
  const entries: Array<{ name: string; priority: RestartPriority }> = [];
  for (const v of vms) {
    if (!engine.row(vmId(v))) continue;
    const rt = engine.runtime<VmRuntime>(vmId(v));
    if (rt.power === 'on' && !(attemptRunning && rt.host === from)) continue; // already back
    const priority = engine.config<HaVmConfig>(vmId(v)).ha?.restartPriority ?? DEFAULT_RESTART_PRIORITY;
    if (priority === 'disabled') {
      engine.event('ha.restart-skipped', vmId(v), `vSphere HA does not restart ${v}: its restart priority is disabled`, { cluster, from });
      continue;
    }
    entries.push({ name: v, priority });
  }
  const rules = enabledRules(config.rules ?? []);
  const failoverHosts = config.ha.admissionControl?.policy === 'failover-hosts' ? new Set(config.ha.admissionControl.hosts) : new Set<string>();
  for (const { name, priority } of restartOrder(entries)) {
    const reasons: Record<string, { code: string; message: string }> = {};
    const candidates: RestartCandidate[] = [];
    for (const h of config.hosts) {
      if (h === from) continue;
      if (effectiveCluster(engine, h) === undefined) {
        reasons[h] = { code: 'host-not-available', message: `${h} was refused by the cluster's EVC mode` };
        continue;
      }
      if (!hostUp(engine, h)) {
        reasons[h] = { code: 'host-not-available', message: `${h} is ${hostRt(engine, h).isolated ? 'isolated' : hostRt(engine, h).state}` };
        continue;
      }
      // §7: HA never violates a must rule, even if the VM then stays down.
      const rule = ruleRefusal(rules, name, h, { placementOf: () => undefined, honourShould: false, vmVm: false });
      if (rule) {
        reasons[h] = { code: 'drs-rule', message: rule };
        continue;
      }
      const e = placementRefusal(engine, name, h, 'restart');
      if (e) {
        reasons[h] = { code: e.code, message: e.message };
        continue;
      }
      const free = ledger(engine).hostUnreserved(h);
      candidates.push({ name: h, failover: failoverHosts.has(h), unreservedMemoryMB: free.memoryMB, unreservedCpuMHz: free.cpuMHz });
    }
    const target = restartTargets(candidates)[0];
    const id = vmId(name);
    if (!target) {
      const codes = [...new Set(Object.values(reasons).map((r) => r.code))];
      const code = codes.length === 1 ? codes[0]! : 'no-compatible-host';
      const detail = Object.entries(reasons).map(([h, r]) => `${h}: ${r.message}`).join('; ');
      const message = `vSphere HA could not restart ${name} (${why}, priority ${priority}): ${detail || `no other host in cluster ${cluster}`}`;
      engine.task('ha-restart', id, () => { throw new OperationError(code, message, { name, cluster, from, priority, reasons }); });
      engine.event('ha.restart-failed', id, message, { cluster, from, priority, reason: code, reasons });
      continue;
    }
    const rt = engine.runtime<VmRuntime>(id);
    const before = rt.host;
    if (rt.power === 'on') continue; // attemptRunning but a target passed: cannot happen while the owner is alive
    engine.setRuntime(id, { host: target.name });
    const outcome = engine.task('ha-restart', id, () => powerOn(engine, name, `vSphere HA restart (${why})`, 'restart'));
    if (outcome.ok) {
      engine.event('ha.vm-restarted', id, `vSphere HA restarted ${name} on ${target.name} (${why}, priority ${priority})`, { cluster, from, to: target.name, priority });
    } else {
      engine.setRuntime(id, { host: before });
      engine.event('ha.restart-failed', id, `vSphere HA could not restart ${name} on ${target.name}: ${outcome.error!.message}`, { cluster, from, priority, reason: outcome.error!.code });
    }
  }
}

// ---- admission control (§8 a–c) ------------------------------------------------------------------

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

/** `nestlab ha [CLUSTER]`: HA state and admission control figures of a cluster. */
export function haStatus(engine: Engine, cluster: string): Record<string, unknown> {
  const row = engine.row(`cluster:${cluster}`);
  if (row?.kind !== 'cluster') throw new OperationError('unknown-object', `no cluster named "${cluster}" in lab ${engine.lab.name}`, { name: cluster });
  const config = engine.config<ClusterConfig>(row.id);
  const hosts = haHosts(engine, config);
  const running = clusterRunning(engine, config);
  const slots = slotReport(hosts, running);
  const pct = percentageReport(hosts, running);
  return {
    cluster, enabled: config.ha?.enabled ?? false, admissionControl: config.ha?.admissionControl, isolationResponse: config.ha?.isolationResponse,
    hosts: config.hosts.map((h) => ({ name: h, state: hostRt(engine, h).state, isolated: hostRt(engine, h).isolated === true, failed: hostRt(engine, h).failedAtMs !== undefined })),
    poweredOnVms: running.length,
    slots: { cpuMHz: slots.slot.cpuMHz, memoryMB: Math.round(slots.slot.memoryMB * 100) / 100, perHost: slots.slots, total: slots.totalSlots, failoverCapacity: Math.max(0, slots.failoverCapacity) },
    percentage: { cpuFailoverCapacity: Math.round(pct.cpuFailoverCapacity * 10_000) / 10_000, memoryFailoverCapacity: Math.round(pct.memoryFailoverCapacity * 10_000) / 10_000 },
  };
}

// ---- VM monitoring (§8, §11.33) ------------------------------------------------------------------

interface MonitoredVmRuntime extends VmRuntime {
  /** when its VMware Tools heartbeats stopped (absent: they arrive) */
  toolsLostAtMs?: number;
  /** the hung guest still does disk/network I/O */
  ioActive?: boolean;
  /** virtual times of VM monitoring resets */
  haResetsMs?: number[];
}

export interface HangResult {
  name: string;
  at: number;
  monitoring: VmMonitoringLevel;
  /** when HA looks at it, if it monitors the VM */
  checkAt?: number;
}

/** `nestlab hang VM [--io]`: the guest hangs — its Tools heartbeats stop; with --io it still does I/O. */
export function hangVm(engine: Engine, name: string, opts: { io?: boolean } = {}): HangResult {
  const id = findVm(engine, name);
  const rt = engine.runtime<MonitoredVmRuntime>(id);
  if (rt.power !== 'on') throw new OperationError('invalid-power-state', `VM ${name} is not running`, { name, state: rt.power });
  if (rt.toolsLostAtMs !== undefined) throw new OperationError('invalid-power-state', `VM ${name} is already hung`, { name });
  const t0 = engine.nowMs;
  engine.setRuntime(id, { toolsLostAtMs: t0, ioActive: opts.io === true });
  engine.event('vm.tools-heartbeat-lost', id, `${name} hung: its VMware Tools heartbeats stopped${opts.io ? ' (it still does disk/network I/O)' : ' (and it does no I/O)'}`, { io: opts.io === true });
  const level = engine.config<HaVmConfig>(id).ha?.vmMonitoring ?? 'disabled';
  const settings = haCluster(engine, rt.host) ? vmMonitoringSettings(level) : undefined;
  if (!settings) return { name, at: t0 / 1000, monitoring: 'disabled' };
  const at = Math.max(t0 + settings.failureIntervalMs, (rt.poweredOnAtMs ?? 0) + settings.minUptimeMs);
  scheduleTimer(engine, at, 'ha.vm-monitor', { vm: name, lostAtMs: t0 });
  return { name, at: t0 / 1000, monitoring: level, checkAt: at / 1000 };
}

onTimer('ha.vm-monitor', (engine, data) => {
  const name = String(data.vm);
  const id = vmId(name);
  if (!engine.row(id)) return;
  const rt = engine.runtime<MonitoredVmRuntime>(id);
  const lostAtMs = rt.toolsLostAtMs;
  if (rt.power !== 'on' || lostAtMs === undefined || lostAtMs !== data.lostAtMs) return;
  const level = engine.config<HaVmConfig>(id).ha?.vmMonitoring ?? 'disabled';
  const settings = haCluster(engine, rt.host) ? vmMonitoringSettings(level) : undefined;
  if (!settings) return;
  const v = monitorVerdict(settings, {
    nowMs: engine.nowMs, lostAtMs, poweredOnAtMs: rt.poweredOnAtMs ?? 0,
    lastIoAtMs: rt.ioActive ? engine.nowMs : undefined, resetTimesMs: rt.haResetsMs ?? [],
  });
  if (v.action === 'wait') {
    scheduleTimer(engine, v.untilMs, 'ha.vm-monitor', data);
  } else if (v.action === 'io-active') {
    engine.event('ha.vm-monitor-io', id, `VM monitoring: no VMware Tools heartbeat from ${name} for ${settings.failureIntervalMs / 1000} s, but it did disk/network I/O within ${settings.ioStatsIntervalMs / 1000} s: not reset (§8)`);
  } else if (v.action === 'max-resets') {
    engine.event('ha.vm-monitor-max-resets', id, `VM monitoring: ${name} has no VMware Tools heartbeat and no I/O, but it was already reset ${v.resets} times (maximum ${settings.maxResets}${settings.windowMs === null ? '' : ` within ${settings.windowMs / 3_600_000} h`}): no further automatic reset (§8, §11.33)`, { resets: v.resets });
  } else {
    engine.task('ha-vm-reset', id, () => reset(engine, name));
    engine.setRuntime(id, { toolsLostAtMs: undefined, ioActive: undefined, haResetsMs: [...(rt.haResetsMs ?? []), engine.nowMs] });
    engine.event('ha.vm-reset', id, `VM monitoring reset ${name}: no VMware Tools heartbeat for ${(engine.nowMs - lostAtMs) / 1000} s and no disk/network I/O in ${settings.ioStatsIntervalMs / 1000} s (§8)`, { resets: (rt.haResetsMs ?? []).length + 1 });
  }
});

// A VM that powers off (or on) starts with a healthy guest.
powerListeners.push((engine, vm) => {
  const id = vmId(vm);
  if (engine.runtime<MonitoredVmRuntime>(id).toolsLostAtMs !== undefined) engine.setRuntime(id, { toolsLostAtMs: undefined, ioActive: undefined });
});
