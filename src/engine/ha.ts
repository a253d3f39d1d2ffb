// vSphere HA and host failures in the engine (spec/compute.md §8, §9; spec/cli.md `fail`,
// `recover`, `ha`). `fail` is a power loss: everything running on the host stops at T0 without
// closing its files (VMFS locks stay, heartbeats stop), nested hosts inside go down with their VMs.
// Each HA-enabled cluster reacts at its own level through persistent virtual-time timers. A
// secondary that fails is declared failed by the primary at T0+15 s; a primary that fails is
// declared by the primary the others elect (election at T0+10 s, elected at T0+25 s; ha-primary.ts).
// Restarts start once the locks are breakable (T0+16 s, §11.21), High before Medium before Low,
// and are retried (ha-restarts.ts). An isolated host (`fail --isolate`) keeps its storage: a
// secondary runs its own election at T0+10 s, is its own primary at T0+25 s and declares itself
// isolated at T0+30 s; a primary declares itself isolated at T0+5 s while the others elect a new
// one; then the isolation response (§11.22). Admission control (slots, percentage, failover hosts)
// is a power-on check (ha-admission.ts); VM monitoring is ha-monitoring.ts.
import type { AdmissionPolicy } from '../cluster/ha.js';
import { Engine, OperationError } from './engine.js';
import { powerListeners } from './hooks.js';
import { powerOff, powerOn, type VmRuntime } from './power.js';
import { cancelTimers, onTimer, scheduleTimer } from './timers.js';
import { asCrash, restartHeartbeat, stopHeartbeat } from './locks.js';
import { admissionFigures, type AdmissionFigures } from './ha-admission.js';
import { declaredAt, electionEndsAt, ensurePrimary, primaryBack, primaryOf, startElection, watchFailedHost, type HaReaction } from './ha-primary.js';
import { capacityAppeared, restartVms } from './ha-restarts.js';
import { clusterRt, haCluster, hostId, hostRt, runningOn, vmId, type ClusterConfig, type HaVmConfig, type HostConfig } from './ha-state.js';
import {
  HA_ISOLATION_DECLARED_MS, HA_ISOLATION_ELECTION_MS, HA_ISOLATION_SELF_PRIMARY_MS, HA_PRIMARY_ISOLATION_DECLARED_MS, nextRestartAttemptMs,
} from '../cluster/ha.js';

export { hangVm, type HangResult } from './ha-monitoring.js';

function findHost(engine: Engine, name: string): void {
  if (engine.row(hostId(name))?.kind !== 'host') throw new OperationError('unknown-object', `no host named "${name}" in lab ${engine.lab.name}`, { name });
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
  /** HA reactions scheduled: elections, which host is declared failed (or isolated), when */
  ha: HaReaction[];
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
  // The hosts that go down: this one and, level by level, the nested hosts whose VMs run on them.
  const down: Array<{ host: string; vms: string[]; cluster?: string }> = [];
  const queue = [name];
  while (queue.length > 0) {
    const h = queue.shift()!;
    const vms = runningOn(engine, h);
    down.push({ host: h, vms, cluster: haCluster(engine, h)?.name });
    for (const v of vms) {
      const nested = engine.config<HaVmConfig>(vmId(v)).nested;
      if (nested !== undefined && hostRt(engine, nested).state !== 'powered-off') queue.push(nested);
    }
  }
  // Who each cluster's primary is, before anything changes.
  const primaries = new Map<string, string | undefined>();
  for (const d of down) if (d.cluster !== undefined && !primaries.has(d.cluster)) primaries.set(d.cluster, ensurePrimary(engine, d.cluster));
  if (rt.isolated) {
    // An isolated host that loses power: the isolation timeline ends, the failure one starts.
    engine.setRuntime(hostId(name), { isolated: undefined, isolatedAtMs: undefined });
    cancelTimers(engine, 'ha.isolation', (d) => d.host === name);
  }
  const hostVm = engine.config<HostConfig>(hostId(name)).vm;
  engine.event('host.failed', hostId(name), `${name} lost power${hostVm !== undefined ? ` (its VM ${hostVm} was lost)` : ''}: ${down[0]!.vms.length} VMs stop without releasing their VMFS locks`, { vms: down[0]!.vms, nested: down.slice(1).map((d) => d.host) });
  // Down before their VMs stop, so that nothing takes the stopped VMs for freed capacity.
  for (const d of down) {
    engine.setRuntime(hostId(d.host), { failedAtMs: t0, haLostVms: d.vms, haDeclared: undefined });
    stopHeartbeat(engine, d.host, t0);
  }
  asCrash(() => {
    if (hostVm !== undefined) {
      powerOff(engine, hostVm, `host ${name} failed (its VM was lost)`);
    } else {
      for (const v of down[0]!.vms) if (engine.runtime<VmRuntime>(vmId(v)).power === 'on') powerOff(engine, v, `host ${name} failed`);
    }
  });
  engine.setRuntime(hostId(name), { state: 'not-responding' });
  // The hypervisor VM of a nested host ran on a live host, which closed its files.
  if (hostVm !== undefined) engine.setRuntime(vmId(hostVm), { lock: undefined });
  const ha: HaReaction[] = [];
  // A lost primary: the others elect a new one, which then declares it (and the rest) failed.
  for (const d of down) {
    if (d.cluster === undefined || primaries.get(d.cluster) !== d.host) continue;
    ha.push(...startElection(engine, d.cluster, d.host, t0), { cluster: d.cluster, host: d.host, event: 'declare-failed', at: declaredAt(engine, d.cluster, t0) / 1000 });
  }
  for (const d of down) {
    if (d.host !== name) engine.event('host.failed', hostId(d.host), `nested host ${d.host} went down with ${name}`, { vms: d.vms, cause: name });
    if (d.cluster === undefined || primaries.get(d.cluster) === d.host) continue;
    watchFailedHost(engine, d.cluster, d.host, t0);
    ha.push({ cluster: d.cluster, host: d.host, event: 'declare-failed', at: declaredAt(engine, d.cluster, t0) / 1000 });
  }
  return { name, state: hostRt(engine, name).state, isolated: false, at: t0 / 1000, hostsDown: down.map((d) => d.host), vmsDown: down.flatMap((d) => d.vms), ha };
}

/** `nestlab fail HOST --isolate`: the host loses its management network but keeps its storage (§8, §11.22). */
function isolateHost(engine: Engine, name: string): FailResult {
  const rt = hostRt(engine, name);
  if (rt.state !== 'connected' || rt.isolated) throw new OperationError('invalid-host-state', `host ${name} is ${rt.isolated ? 'already isolated' : rt.state}; only a connected host can be isolated`, { name, state: rt.state });
  const t0 = engine.nowMs;
  const cluster = haCluster(engine, name)?.name;
  const primary = cluster === undefined ? undefined : ensurePrimary(engine, cluster);
  engine.setRuntime(hostId(name), { isolated: true, isolatedAtMs: t0 });
  engine.event('host.isolated', hostId(name), `${name} lost its management network (no HA network heartbeats); it still reaches its datastores and keeps heartbeating there`, { vms: runningOn(engine, name) });
  const ha: HaReaction[] = [];
  if (cluster === undefined) return { name, state: rt.state, isolated: true, at: t0 / 1000, hostsDown: [], vmsDown: [], ha };
  const stages: Array<readonly [string, number]> = name === primary
    ? [['isolated', HA_PRIMARY_ISOLATION_DECLARED_MS]] // it hears no secondary; the others elect a new primary (below)
    : [['election', HA_ISOLATION_ELECTION_MS], ['self-primary', HA_ISOLATION_SELF_PRIMARY_MS], ['isolated', HA_ISOLATION_DECLARED_MS]];
  for (const [stage, ms] of stages) {
    scheduleTimer(engine, t0 + ms, 'ha.isolation', { cluster, host: name, stage, isolatedAtMs: t0 });
    ha.push({ cluster, host: name, event: stage, at: (t0 + ms) / 1000 });
  }
  if (name === primary) ha.push(...startElection(engine, cluster, name, t0));
  return { name, state: rt.state, isolated: true, at: t0 / 1000, hostsDown: [], vmsDown: [], ha };
}

export interface RecoverResult {
  name: string;
  state: string;
  /** VMs that were running when it failed and are still off (HA did not restart them) */
  stayedOff: string[];
}

/**
 * `nestlab recover HOST`: power (or the management network) is back. VMs not restarted elsewhere
 * stay off; its cluster's pending restarts are retried (new capacity).
 */
export function recoverHost(engine: Engine, name: string): RecoverResult {
  findHost(engine, name);
  const rt = hostRt(engine, name);
  const cluster = haCluster(engine, name)?.name;
  if (rt.isolated) {
    engine.setRuntime(hostId(name), { isolated: undefined, isolatedAtMs: undefined });
    cancelTimers(engine, 'ha.isolation', (d) => d.host === name);
    engine.event('host.isolation-ended', hostId(name), `${name} reaches its management network again`);
    if (cluster !== undefined) rejoin(engine, cluster, name);
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
  if (cluster !== undefined) rejoin(engine, cluster, name);
  return { name, state: hostRt(engine, name).state, stayedOff };
}

/**
 * A lost host is back in its HA cluster: primary again if it was and the election has not started,
 * else a secondary (or, in a cluster left without a primary, elected); its capacity is new.
 */
function rejoin(engine: Engine, cluster: string, host: string): void {
  primaryBack(engine, cluster, host);
  ensurePrimary(engine, cluster);
  capacityAppeared(engine, cluster, `${host} is back`);
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
  engine.setRuntime(hostId(host), { failedAtMs: undefined, haLostVms: undefined, haDeclared: undefined });
  cancelTimers(engine, 'ha.declare-failed', (d) => d.host === host);
  restartHeartbeat(engine, host);
}

// A nested host boots when its VM powers on (power.ts): if it had failed, it is back; either way
// its cluster has new capacity.
powerListeners.push((engine, vm, _host, state) => {
  if (state !== 'on') return;
  const nested = engine.config<HaVmConfig>(vmId(vm)).nested;
  if (nested === undefined) return;
  hostBack(engine, nested);
  const cluster = haCluster(engine, nested);
  if (cluster) capacityAppeared(engine, cluster.name, `nested host ${nested} booted`);
});

// ---- isolation ---------------------------------------------------------------------------------

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
    isolationResponse(engine, cluster, host, engine.nowMs - Number(data.isolatedAtMs));
  }
});

function isolationResponse(engine: Engine, cluster: string, host: string, afterMs: number): void {
  const ha = engine.config<ClusterConfig>(`cluster:${cluster}`).ha;
  if (!ha?.enabled) return;
  const response = ha.isolationResponse;
  const vms = runningOn(engine, host);
  // "If a virtual machine has a restart priority setting of Disabled, no host isolation response
  // is made" (vSphere Availability guide): those VMs keep running.
  const exempt = new Set(vms.filter((v) => engine.config<HaVmConfig>(vmId(v)).ha?.restartPriority === 'disabled'));
  const kept = response === 'leave-powered-on' || exempt.size === 0 ? '' : `; ${[...exempt].join(', ')} keep running (restart priority disabled)`;
  engine.event('ha.host-isolated', hostId(host), `${host} declared itself isolated (T0+${afterMs / 1000} s) and runs the isolation response ${response}${kept} (§8)`, { cluster, response, vms, exempt: [...exempt] });
  if (response === 'leave-powered-on') {
    // The VMs keep running and keep their locks; a restart elsewhere cannot lock their files (§11.22).
    restartAfterIsolation(engine, cluster, host, vms, true);
    return;
  }
  const stopped = vms.filter((v) => !exempt.has(v));
  for (const v of stopped) {
    const tools = engine.config<HaVmConfig>(vmId(v)).tools !== false;
    const how = response === 'shutdown' && tools ? 'shut down' : 'powered off';
    powerOff(engine, v, `vSphere HA isolation response: ${how} on isolated host ${host}`);
  }
  restartAfterIsolation(engine, cluster, host, stopped, false);
}

/** The primary restarts an isolated host's VMs: now, or — the isolated host was the primary — once the others elected one. */
function restartAfterIsolation(engine: Engine, cluster: string, host: string, vms: string[], running: boolean): void {
  const why = `${host} is isolated`;
  const at = electionEndsAt(engine, cluster);
  if (at === undefined) restartVms(engine, cluster, vms.map((vm) => ({ vm, from: host, why })), running);
  else scheduleTimer(engine, at, 'ha.restart', { cluster, host, vms, why, running });
}

// ---- status --------------------------------------------------------------------------------------

/** What `nestlab ha CLUSTER` reports (its --json keys). */
export interface HaStatus extends AdmissionFigures {
  cluster: string;
  enabled: boolean;
  primary: string | null;
  admissionControl: AdmissionPolicy | undefined;
  isolationResponse: string | undefined;
  hosts: Array<{ name: string; role: 'primary' | 'secondary'; state: string; isolated: boolean; failed: boolean }>;
  pendingRestarts: Array<{ vm: string; from: string; attempts: number; nextAttemptAt: number }>;
}

/** `nestlab ha [CLUSTER]`: HA state, primary and secondaries, pending restarts, admission control figures. */
export function haStatus(engine: Engine, cluster: string): HaStatus {
  const row = engine.row(`cluster:${cluster}`);
  if (row?.kind !== 'cluster') throw new OperationError('unknown-object', `no cluster named "${cluster}" in lab ${engine.lab.name}`, { name: cluster });
  const config = engine.config<ClusterConfig>(row.id);
  const primary = primaryOf(engine, cluster) ?? null;
  return {
    cluster, enabled: config.ha?.enabled ?? false, primary, admissionControl: config.ha?.admissionControl, isolationResponse: config.ha?.isolationResponse,
    hosts: config.hosts.map((h) => ({ name: h, role: h === primary ? 'primary' : 'secondary', state: hostRt(engine, h).state, isolated: hostRt(engine, h).isolated === true, failed: hostRt(engine, h).failedAtMs !== undefined })),
    pendingRestarts: (clusterRt(engine, cluster).haRestarts ?? []).map((p) => ({ vm: p.vm, from: p.from, attempts: p.attempts, nextAttemptAt: (nextRestartAttemptMs(p.firstAttemptMs, p.attempts) ?? 0) / 1000 })),
    ...admissionFigures(engine, config),
  };
}
