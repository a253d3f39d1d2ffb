// vSphere HA restarts in the engine (spec/compute.md §8, §11.21): the VMs of a failed (or isolated)
// host restart on the cluster's other usable hosts, High → Medium → Low, each on the host with the
// most unreserved capacity that passes every check, dedicated failover hosts first. A VM that
// cannot restart is retried: on FDM's schedule (T+2, +6, +14, +30 min after the first attempt) and
// at once when capacity appears in its cluster (a host comes back, a VM powers off), up to
// das.maxvmrestartcount = 5 attempts. Pending restarts live in the cluster's runtime (`haRestarts`),
// their next attempt in a timer.
import { Engine, OperationError } from './engine.js';
import { effectiveCluster } from './evc.js';
import { ledger } from './compute.js';
import { hostAvailableListeners, powerListeners } from './hooks.js';
import { placementRefusal } from './placement.js';
import { powerOn, type VmRuntime } from './power.js';
import { cancelTimers, onTimer, scheduleTimer } from './timers.js';
import {
  clusterId, clusterRt, haCluster, hostRt, hostUp, vmId,
  type ClusterConfig, type HaVmConfig, type PendingRestart,
} from './ha-state.js';
import {
  DEFAULT_RESTART_PRIORITY, HA_MAX_RESTART_ATTEMPTS, nextRestartAttemptMs, restartOrder, restartTargets,
  type RestartCandidate, type RestartPriority,
} from '../cluster/ha.js';
import { enabledRules, ruleRefusal } from '../cluster/rules.js';

/** A VM to restart: it ran on `from`, which `why` explains; `trigger`: what set off this retry. */
export interface RestartRequest {
  vm: string;
  from: string;
  why: string;
  trigger?: string;
}

interface Attempt extends RestartRequest {
  priority: RestartPriority;
  /** the attempt's number, 1-based */
  attempt: number;
  firstAttemptMs: number;
}

const pendingOf = (engine: Engine, cluster: string): PendingRestart[] => clusterRt(engine, cluster).haRestarts ?? [];

/**
 * Restart `batch` in `cluster`. Each attempt is a task; a VM that cannot restart gets an event saying
 * why and stays pending for a retry, unless its attempts are spent (`ha.restart-gave-up`).
 * `attemptRunning`: try even VMs still running on their host (an isolated host: their locks refuse it).
 */
export function restartVms(engine: Engine, cluster: string, batch: readonly RestartRequest[], attemptRunning = false): void {
  const config = engine.config<ClusterConfig>(clusterId(cluster));
  if (!config.ha?.enabled) { // HA turned off (or the cluster removed) meanwhile: nothing pending either
    if (pendingOf(engine, cluster).length > 0) engine.setRuntime(clusterId(cluster), { haRestarts: undefined });
    return;
  }
  const pending = new Map(pendingOf(engine, cluster).map((p) => [p.vm, p]));
  const attempts: Attempt[] = [];
  for (const r of batch) {
    const rt = engine.row(vmId(r.vm)) ? engine.runtime<VmRuntime>(vmId(r.vm)) : undefined;
    if (!rt || (rt.power === 'on' && !(attemptRunning && rt.host === r.from))) { // gone, or already back
      pending.delete(r.vm);
      continue;
    }
    const priority = engine.config<HaVmConfig>(vmId(r.vm)).ha?.restartPriority ?? DEFAULT_RESTART_PRIORITY;
    if (priority === 'disabled') {
      engine.event('ha.restart-skipped', vmId(r.vm), `vSphere HA does not restart ${r.vm}: its restart priority is disabled`, { cluster, from: r.from });
      pending.delete(r.vm);
      continue;
    }
    const before = pending.get(r.vm);
    attempts.push({ ...r, priority, attempt: (before?.attempts ?? 0) + 1, firstAttemptMs: before?.firstAttemptMs ?? engine.nowMs });
  }
  const failoverHosts = config.ha.admissionControl?.policy === 'failover-hosts' ? new Set(config.ha.admissionControl.hosts) : new Set<string>();
  const rules = enabledRules(config.rules ?? []);
  for (const a of restartOrder(attempts)) {
    // A VM still running where it was (an isolated host that leaves its VMs powered on) keeps its
    // files locked while that host lives, so there is nothing to retry (§11.22); should the host
    // fail, its failure is declared and the VM restarts from there.
    const running = engine.runtime<VmRuntime>(vmId(a.vm)).power === 'on';
    const retryAt = running ? undefined : nextRestartAttemptMs(a.firstAttemptMs, a.attempt);
    if (restartOne(engine, cluster, config, a, { failoverHosts, rules, retryAt, running })) {
      pending.delete(a.vm);
    } else if (retryAt !== undefined) {
      pending.set(a.vm, { vm: a.vm, from: a.from, why: a.why, firstAttemptMs: a.firstAttemptMs, attempts: a.attempt });
    } else {
      pending.delete(a.vm);
      if (!running) {
        engine.event('ha.restart-gave-up', vmId(a.vm), `vSphere HA gave up restarting ${a.vm} after ${a.attempt} attempts (das.maxvmrestartcount = ${HA_MAX_RESTART_ATTEMPTS}, §8): it stays powered off`, { cluster, from: a.from, attempts: a.attempt });
      }
    }
  }
  const list = [...pending.values()];
  engine.setRuntime(clusterId(cluster), { haRestarts: list.length > 0 ? list : undefined });
  scheduleRetry(engine, cluster, list);
}

/** One attempt: try every host of the cluster once, start the VM on the best one. True if it runs. */
function restartOne(engine: Engine, cluster: string, config: ClusterConfig, a: Attempt, o: { failoverHosts: ReadonlySet<string>; rules: ReturnType<typeof enabledRules>; retryAt: number | undefined; running: boolean }): boolean {
  const reasons: Record<string, { code: string; message: string }> = {};
  const candidates: RestartCandidate[] = [];
  for (const h of config.hosts) {
    // The host it ran on: not at the first attempt (HA restarts elsewhere what it lost there), and
    // later only once it is back — a host coming back online is the capacity retries wait for.
    if (h === a.from && (a.attempt === 1 || !hostUp(engine, h))) continue;
    if (effectiveCluster(engine, h) === undefined) {
      reasons[h] = { code: 'host-not-available', message: `${h} was refused by the cluster's EVC mode` };
      continue;
    }
    if (!hostUp(engine, h)) {
      const rt = hostRt(engine, h);
      reasons[h] = { code: 'host-not-available', message: `${h} is ${rt.isolated ? 'isolated' : rt.state === 'maintenance' ? 'in maintenance mode' : rt.state}` };
      continue;
    }
    // §7: HA never violates a must rule, even if the VM then stays down.
    const rule = ruleRefusal(o.rules, a.vm, h, { placementOf: () => undefined, honourShould: false, vmVm: false });
    if (rule) {
      reasons[h] = { code: 'drs-rule', message: rule };
      continue;
    }
    const e = placementRefusal(engine, a.vm, h, 'restart');
    if (e) {
      reasons[h] = { code: e.code, message: e.message };
      continue;
    }
    const free = ledger(engine).hostUnreserved(h);
    candidates.push({ name: h, failover: o.failoverHosts.has(h), unreservedMemoryMB: free.memoryMB, unreservedCpuMHz: free.cpuMHz });
  }
  const target = restartTargets(candidates)[0];
  const id = vmId(a.vm);
  const retry = { cluster, from: a.from, priority: a.priority, attempt: a.attempt, nextAttemptAt: o.retryAt === undefined ? null : o.retryAt / 1000 };
  const then = o.running ? `it keeps running on ${a.from}, which holds its locks: no retry while that host lives`
    : `attempt ${a.attempt} of ${HA_MAX_RESTART_ATTEMPTS}${o.retryAt === undefined ? '' : `; next at T+${o.retryAt / 1000}s, or sooner when capacity appears`}`;
  const why = a.trigger === undefined ? a.why : `${a.why}; retried: ${a.trigger}`;
  if (!target) {
    const codes = [...new Set(Object.values(reasons).map((r) => r.code))];
    const code = codes.length === 1 ? codes[0]! : 'no-compatible-host';
    const detail = Object.entries(reasons).map(([h, r]) => `${h}: ${r.message}`).join('; ');
    const message = `vSphere HA could not restart ${a.vm} (${why}, priority ${a.priority}): ${detail || `no other host in cluster ${cluster}`}`;
    engine.task('ha-restart', id, () => { throw new OperationError(code, message, { name: a.vm, cluster, from: a.from, priority: a.priority, reasons }); });
    engine.event('ha.restart-failed', id, `${message} (${then})`, { ...retry, reason: code, reasons });
    return false;
  }
  const rt = engine.runtime<VmRuntime>(id);
  if (rt.power === 'on') return false; // attemptRunning but a target passed: cannot happen while the owner is alive
  const before = rt.host;
  engine.setRuntime(id, { host: target.name });
  const outcome = engine.task('ha-restart', id, () => powerOn(engine, a.vm, `vSphere HA restart (${why})`, 'restart'));
  if (outcome.ok) {
    engine.event('ha.vm-restarted', id, `vSphere HA restarted ${a.vm} on ${target.name} (${why}, priority ${a.priority}${a.attempt > 1 ? `, attempt ${a.attempt}` : ''})`, { cluster, from: a.from, to: target.name, priority: a.priority, attempt: a.attempt });
    return true;
  }
  engine.setRuntime(id, { host: before });
  engine.event('ha.restart-failed', id, `vSphere HA could not restart ${a.vm} on ${target.name}: ${outcome.error!.message} (${then})`, { ...retry, reason: outcome.error!.code });
  return false;
}

// ---- retries ---------------------------------------------------------------------------------------

/** One timer per cluster, at the earliest attempt due among its pending restarts. */
function scheduleRetry(engine: Engine, cluster: string, pending: readonly PendingRestart[]): void {
  let next: number | undefined;
  for (const p of pending) {
    const at = nextRestartAttemptMs(p.firstAttemptMs, p.attempts);
    if (at !== undefined && (next === undefined || at < next)) next = at;
  }
  const scheduled = clusterRt(engine, cluster).haRetryAtMs;
  if (next === scheduled) return;
  if (scheduled !== undefined) cancelTimers(engine, 'ha.restart-retry', (d) => d.cluster === cluster && d.capacity === undefined);
  if (next !== undefined) scheduleTimer(engine, next, 'ha.restart-retry', { cluster });
  engine.setRuntime(clusterId(cluster), { haRetryAtMs: next });
}

/**
 * Capacity appeared in `cluster` (`why`): its pending restarts are retried at once — at this
 * virtual instant, by a timer, so that whatever freed the capacity has finished first.
 */
export function capacityAppeared(engine: Engine, cluster: string, why: string): void {
  const rt = clusterRt(engine, cluster);
  if (!rt.haRestarts?.length || rt.haCapacityRetryAtMs === engine.nowMs) return;
  scheduleTimer(engine, engine.nowMs, 'ha.restart-retry', { cluster, capacity: why });
  engine.setRuntime(clusterId(cluster), { haCapacityRetryAtMs: engine.nowMs });
}

onTimer('ha.restart-retry', (engine, data) => {
  const cluster = String(data.cluster);
  const capacity = data.capacity as string | undefined;
  engine.setRuntime(clusterId(cluster), capacity === undefined ? { haRetryAtMs: undefined } : { haCapacityRetryAtMs: undefined });
  const due = pendingOf(engine, cluster).filter((p) => capacity !== undefined || (nextRestartAttemptMs(p.firstAttemptMs, p.attempts) ?? Infinity) <= engine.nowMs);
  restartVms(engine, cluster, due.map((p) => ({ vm: p.vm, from: p.from, why: p.why, trigger: capacity ?? `attempt ${p.attempts + 1} of ${HA_MAX_RESTART_ATTEMPTS} is due` })));
});

onTimer('ha.restart', (engine, data) => {
  const from = String(data.host);
  const why = String(data.why);
  restartVms(engine, String(data.cluster), ((data.vms as string[]) ?? []).map((vm) => ({ vm, from, why })), data.running === true);
});

// A VM powering off on a live host frees capacity for the restarts its cluster has pending.
powerListeners.push((engine, vm, host, state) => {
  if (state !== 'off' || !hostUp(engine, host)) return;
  const cluster = haCluster(engine, host);
  if (cluster) capacityAppeared(engine, cluster.name, `${vm} powered off on ${host}`);
});

// A host leaving maintenance mode is capacity too.
hostAvailableListeners.push((engine, host) => {
  const cluster = haCluster(engine, host);
  if (cluster) capacityAppeared(engine, cluster.name, `${host} exited maintenance mode`);
});
