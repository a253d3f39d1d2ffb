// vSphere HA (spec/compute.md §8) as pure functions: FDM detection and isolation timings,
// admission control (slots, cluster resource percentage, dedicated failover hosts) with the
// spec's formulas, the primary's election, restart priorities, placement and retries. The engine
// glue is engine/ha.ts and engine/ha-*.ts.

// ---- detection (§8 "Detection", §11.21, §11.22) ------------------------------------------------

/** A secondary without network heartbeats, ping or datastore heartbeats is declared failed after 15 s. */
export const HA_FAILURE_DETECTION_MS = 15_000;
/** Hosts that stop hearing the primary start an election 10 s later; it ends with a primary at 25 s. */
export const HA_ELECTION_START_MS = 10_000;
export const HA_ELECTION_DONE_MS = 25_000;
/** Isolation timeline of a secondary: election at T0+10 s, own primary at T0+25 s, isolated at T0+30 s. */
export const HA_ISOLATION_ELECTION_MS = HA_ELECTION_START_MS;
export const HA_ISOLATION_SELF_PRIMARY_MS = HA_ELECTION_DONE_MS;
export const HA_ISOLATION_DECLARED_MS = 30_000;
/** An isolated primary hears no secondary and declares itself isolated at about 5 s. */
export const HA_PRIMARY_ISOLATION_DECLARED_MS = 5_000;

// ---- primary election (§8 "One primary (master) host plus secondaries") --------------------------

export interface ElectionCandidate {
  name: string;
  /** datastores the host mounts */
  datastores: number;
}

/**
 * FDM's election among the live hosts: the host that mounts the most datastores wins; a tie goes
 * to the highest managed-object id, lexically ("host-99" beats "host-100"). nestlab has no
 * managed-object ids, so the lexically highest host name stands in for it.
 */
export function electPrimary(candidates: readonly ElectionCandidate[]): string | undefined {
  let best: ElectionCandidate | undefined;
  for (const c of candidates) if (!best || c.datastores > best.datastores || (c.datastores === best.datastores && c.name > best.name)) best = c;
  return best?.name;
}

// ---- restart retries (§8) -------------------------------------------------------------------------

/**
 * `das.maxvmrestartcount`, default 5: the attempts HA makes to restart a VM, where one attempt
 * tries every host of the cluster once (Epping & Denneman, vSphere HA deep dive). "If there are
 * insufficient resources, vSphere HA waits for more unreserved capacity to become available, for
 * example, due to a host coming back online, and then retries the placement" (vSphere
 * Availability guide).
 */
export const HA_MAX_RESTART_ATTEMPTS = 5;
const MINUTE = 60_000;
/** When attempt n + 1 is due, after the first: T, T+2 min, T+6 min, T+14 min, T+30 min (Epping & Denneman, vSphere HA deep dive). */
const RESTART_ATTEMPT_OFFSETS_MS = [0, 2 * MINUTE, 6 * MINUTE, 14 * MINUTE, 30 * MINUTE] as const;

/**
 * When the next attempt to restart a VM is due, given the time of its first attempt and how many
 * attempts were made (on this schedule or early, when capacity appeared: each counts); undefined
 * once `HA_MAX_RESTART_ATTEMPTS` are spent.
 */
export function nextRestartAttemptMs(firstAttemptMs: number, attemptsMade: number): number | undefined {
  if (attemptsMade >= HA_MAX_RESTART_ATTEMPTS) return undefined;
  return firstAttemptMs + RESTART_ATTEMPT_OFFSETS_MS[attemptsMade]!;
}

// ---- restart priority (§8) ---------------------------------------------------------------------

export type RestartPriority = 'high' | 'medium' | 'low' | 'disabled';
/** §8: Medium is the default. */
export const DEFAULT_RESTART_PRIORITY: RestartPriority = 'medium';
const RANK: Record<RestartPriority, number> = { high: 0, medium: 1, low: 2, disabled: 3 };

/** High, then Medium, then Low (§8, §11.21); stable within a priority; disabled ones are left out. */
export function restartOrder<T extends { priority: RestartPriority }>(vms: readonly T[]): T[] {
  return vms.map((v, i) => ({ v, i })).filter((x) => x.v.priority !== 'disabled')
    .sort((a, b) => RANK[a.v.priority] - RANK[b.v.priority] || a.i - b.i).map((x) => x.v);
}

// ---- admission control (§8 a–c) ----------------------------------------------------------------

/** A host as HA admission control sees it: its CPU (cores × MHz) and memory. */
export interface HaHost {
  name: string;
  cpuMHz: number;
  memoryMB: number;
}

/** A powered-on VM's requirement: CPU reservation, memory reservation and overhead. */
export interface HaVm {
  name: string;
  cpuReservationMHz: number;
  memoryReservationMB: number;
  overheadMB: number;
}

/** §8 (a): 32 MHz when no VM reserves CPU (5.x+; 4.x used 256 MHz). */
export const DEFAULT_SLOT_CPU_MHZ = 32;

export interface SlotSize {
  cpuMHz: number;
  memoryMB: number;
}

/** §8 (a): CPU slot = largest CPU reservation (or 32 MHz); memory slot = largest reservation + overhead. */
export function slotSize(vms: readonly HaVm[], caps: { cpuMHz?: number; memoryMB?: number } = {}): SlotSize {
  let cpu = 0;
  let mem = 0;
  for (const v of vms) {
    cpu = Math.max(cpu, v.cpuReservationMHz);
    mem = Math.max(mem, v.memoryReservationMB + v.overheadMB);
  }
  if (cpu === 0) cpu = DEFAULT_SLOT_CPU_MHZ;
  if (caps.cpuMHz !== undefined) cpu = Math.min(cpu, caps.cpuMHz);
  if (caps.memoryMB !== undefined) mem = Math.min(mem, caps.memoryMB);
  return { cpuMHz: cpu, memoryMB: mem };
}

/** §8 (a): slots(host) = min(floor(hostCPU / cpuSlot), floor(hostMem / memSlot)). */
export function hostSlots(host: HaHost, slot: SlotSize): number {
  const cpu = Math.floor(host.cpuMHz / slot.cpuMHz);
  const mem = slot.memoryMB > 0 ? Math.floor(host.memoryMB / slot.memoryMB) : Number.MAX_SAFE_INTEGER;
  return Math.min(cpu, mem);
}

/** §8 (a): the largest k such that removing the k hosts with most slots leaves Σ slots ≥ VMs. */
export function failoverCapacity(slots: readonly number[], poweredOnVms: number): number {
  const sorted = [...slots].sort((a, b) => b - a);
  let remaining = sorted.reduce((s, x) => s + x, 0);
  if (remaining < poweredOnVms) return -1; // not even all hosts hold them
  let k = 0;
  for (const s of sorted) {
    remaining -= s;
    if (remaining < poweredOnVms) break;
    k++;
  }
  return k;
}

export interface SlotReport {
  slot: SlotSize;
  slots: Record<string, number>;
  totalSlots: number;
  poweredOnVms: number;
  failoverCapacity: number;
}

/** The slot policy over the cluster's hosts and powered-on VMs (include a candidate to test a power-on). */
export function slotReport(hosts: readonly HaHost[], vms: readonly HaVm[], caps: { cpuMHz?: number; memoryMB?: number } = {}): SlotReport {
  const slot = slotSize(vms, caps);
  const slots: Record<string, number> = {};
  for (const h of hosts) slots[h.name] = hostSlots(h, slot);
  const values = Object.values(slots);
  return { slot, slots, totalSlots: values.reduce((s, x) => s + x, 0), poweredOnVms: vms.length, failoverCapacity: failoverCapacity(values, vms.length) };
}

export interface PercentageReport {
  cpuFailoverCapacity: number;
  memoryFailoverCapacity: number;
  cpuRequiredMHz: number;
  memoryRequiredMB: number;
  cpuCapacityMHz: number;
  memoryCapacityMB: number;
}

/** §8 (b): (Σ host − Σ VM requirements) / Σ host; requirement = reservation, or 32 MHz / 0 MB + overhead. */
/** What one powered-on VM counts for the percentage policy: its reservations (CPU at least the default slot) and overhead. */
export function percentageDemand(v: HaVm): { cpuMHz: number; memoryMB: number } {
  return { cpuMHz: v.cpuReservationMHz > 0 ? v.cpuReservationMHz : DEFAULT_SLOT_CPU_MHZ, memoryMB: v.memoryReservationMB + v.overheadMB };
}

export function percentageReport(hosts: readonly HaHost[], vms: readonly HaVm[]): PercentageReport {
  let cpuReq = 0;
  let memReq = 0;
  for (const v of vms) {
    const d = percentageDemand(v);
    cpuReq += d.cpuMHz;
    memReq += d.memoryMB;
  }
  return percentageFromTotals(hosts, cpuReq, memReq);
}

/** The percentage report from the cluster's totals (kept incrementally by the engine). */
export function percentageFromTotals(hosts: readonly HaHost[], cpuReq: number, memReq: number): PercentageReport {
  const cpuCap = hosts.reduce((s, h) => s + h.cpuMHz, 0);
  const memCap = hosts.reduce((s, h) => s + h.memoryMB, 0);
  return {
    cpuFailoverCapacity: cpuCap > 0 ? (cpuCap - cpuReq) / cpuCap : 0,
    memoryFailoverCapacity: memCap > 0 ? (memCap - memReq) / memCap : 0,
    cpuRequiredMHz: cpuReq, memoryRequiredMB: memReq, cpuCapacityMHz: cpuCap, memoryCapacityMB: memCap,
  };
}

export interface AdmissionPolicy {
  policy: 'slots' | 'percentage' | 'failover-hosts' | 'disabled';
  hostFailures: number;
  cpu?: number;
  memory?: number;
  hosts: string[];
  /** das.slotcpuinmhz, das.slotmeminmb: caps on the slot size (§8 a) */
  slotCpu?: number;
  slotMemory?: number;
}

/** The slot caps a policy sets. */
export function slotCaps(policy: Pick<AdmissionPolicy, 'slotCpu' | 'slotMemory'> | undefined): { cpuMHz?: number; memoryMB?: number } {
  return { ...(policy?.slotCpu !== undefined ? { cpuMHz: policy.slotCpu } : {}), ...(policy?.slotMemory !== undefined ? { memoryMB: policy.slotMemory } : {}) };
}

export interface HaRefusal {
  message: string;
  details: Record<string, unknown>;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/**
 * Would powering on `candidate` on `target` violate the cluster's HA admission control? `hosts` are
 * the cluster's hosts that count (connected); `running` the powered-on VMs in the cluster.
 * Refusals are InsufficientFailoverResourcesFault (`insufficient-failover-resources`).
 */
/** The powered-on VMs of a cluster, as admission control reads them: listed (slots) or summed (percentage). */
export interface ClusterLoad {
  running(): readonly HaVm[];
  totals(): { cpuMHz: number; memoryMB: number };
}

export function haAdmission(policy: AdmissionPolicy, hosts: readonly HaHost[], load: ClusterLoad, candidate: HaVm, target: string, cluster: string): HaRefusal | undefined {
  switch (policy.policy) {
    case 'disabled':
      return undefined;
    case 'slots': {
      const vms = [...load.running(), candidate];
      const r = slotReport(hosts, vms, slotCaps(policy));
      if (r.failoverCapacity >= policy.hostFailures) return undefined;
      return {
        message: `Insufficient resources to satisfy configured failover level for vSphere HA in cluster ${cluster}: with ${candidate.name} powered on, ${r.poweredOnVms} VMs need ${r.poweredOnVms} slots of ${r.slot.cpuMHz} MHz / ${Math.round(r.slot.memoryMB * 100) / 100} MB; the cluster has ${r.totalSlots} and would tolerate ${Math.max(0, r.failoverCapacity)} host failures, ${policy.hostFailures} configured (§8 a)`,
        details: { policy: 'slots', cluster, slotCpuMHz: r.slot.cpuMHz, slotMemoryMB: Math.round(r.slot.memoryMB * 100) / 100, slots: r.slots, totalSlots: r.totalSlots, poweredOnVms: r.poweredOnVms, failoverCapacity: Math.max(0, r.failoverCapacity), configured: policy.hostFailures },
      };
    }
    case 'percentage': {
      // 6.5+: the percentage follows from host failures to tolerate (N/H) unless overridden (§8 b).
      const auto = hosts.length > 0 ? Math.min(1, policy.hostFailures / hosts.length) : 1;
      const cpuWant = policy.cpu ?? auto;
      const memWant = policy.memory ?? auto;
      const t = load.totals();
      const d = percentageDemand(candidate);
      const r = percentageFromTotals(hosts, t.cpuMHz + d.cpuMHz, t.memoryMB + d.memoryMB);
      if (r.cpuFailoverCapacity >= cpuWant - 1e-12 && r.memoryFailoverCapacity >= memWant - 1e-12) return undefined;
      return {
        message: `Insufficient resources to satisfy configured failover level for vSphere HA in cluster ${cluster}: with ${candidate.name} powered on, the current failover capacity would be ${pct(r.cpuFailoverCapacity)} CPU and ${pct(r.memoryFailoverCapacity)} memory; ${pct(cpuWant)} CPU and ${pct(memWant)} memory are reserved for failover (§8 b)`,
        details: {
          policy: 'percentage', cluster, cpuFailoverCapacity: round4(r.cpuFailoverCapacity), memoryFailoverCapacity: round4(r.memoryFailoverCapacity),
          cpuConfigured: round4(cpuWant), memoryConfigured: round4(memWant),
        },
      };
    }
    case 'failover-hosts': {
      if (!policy.hosts.includes(target)) return undefined;
      return {
        message: `${candidate.name} cannot run on ${target}: it is a dedicated vSphere HA failover host of cluster ${cluster}, kept free for restarts — VMs neither power on nor migrate there (§8 c)`,
        details: { policy: 'failover-hosts', cluster, host: target, failoverHosts: policy.hosts },
      };
    }
  }
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

// ---- restart placement (§8 "Detection": hosts with the most unreserved capacity) ------------------

export interface RestartCandidate {
  name: string;
  unreservedMemoryMB: number;
  unreservedCpuMHz: number;
  /** a dedicated failover host (§8 c): preferred */
  failover: boolean;
}

/** Try order: dedicated failover hosts first, then the most unreserved memory, then CPU, then name. */
export function restartTargets(candidates: readonly RestartCandidate[]): RestartCandidate[] {
  return [...candidates].sort((a, b) => Number(b.failover) - Number(a.failover)
    || b.unreservedMemoryMB - a.unreservedMemoryMB || b.unreservedCpuMHz - a.unreservedCpuMHz || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// ---- VM monitoring (§8 "VM monitoring", §11.33) ---------------------------------------------------

export type VmMonitoringLevel = 'disabled' | 'default' | 'high' | 'medium' | 'low';

export interface VmMonitoringSettings {
  /** no VMware Tools heartbeat for this long: check I/O, then reset */
  failureIntervalMs: number;
  /** das.iostatsinterval: any disk/network I/O in this window keeps the VM from a reset */
  ioStatsIntervalMs: number;
  /** monitoring starts this long after a power-on or reset */
  minUptimeMs: number;
  maxResets: number;
  /** resets counted within this window; null: no window (−1) */
  windowMs: number | null;
}

const HOUR = 3_600_000;

/** §8: defaults 30 s / 120 s I/O / 120 s uptime / 3 resets / no window; presets [R] High 30 s / 1 h, Medium 60 s / 24 h, Low 120 s / 7 days. */
export function vmMonitoringSettings(level: VmMonitoringLevel): VmMonitoringSettings | undefined {
  const base = { ioStatsIntervalMs: 120_000, minUptimeMs: 120_000, maxResets: 3 };
  switch (level) {
    case 'disabled': return undefined;
    case 'default': return { ...base, failureIntervalMs: 30_000, windowMs: null };
    case 'high': return { ...base, failureIntervalMs: 30_000, windowMs: HOUR };
    case 'medium': return { ...base, failureIntervalMs: 60_000, windowMs: 24 * HOUR };
    case 'low': return { ...base, failureIntervalMs: 120_000, windowMs: 7 * 24 * HOUR };
  }
}

export type MonitorVerdict =
  | { action: 'wait'; untilMs: number }
  | { action: 'io-active' }
  | { action: 'max-resets'; resets: number }
  | { action: 'reset' };

/**
 * What HA does about a VM whose Tools heartbeats stopped at `lostAtMs` (§8, §11.33): wait for the
 * failure interval and the minimum uptime; no reset while the VM did I/O in the last I/O-stats
 * interval; at most `maxResets` within the window.
 */
export function monitorVerdict(s: VmMonitoringSettings, o: { nowMs: number; lostAtMs: number; poweredOnAtMs: number; lastIoAtMs: number | undefined; resetTimesMs: readonly number[] }): MonitorVerdict {
  const due = Math.max(o.lostAtMs + s.failureIntervalMs, o.poweredOnAtMs + s.minUptimeMs);
  if (o.nowMs < due) return { action: 'wait', untilMs: due };
  if (o.lastIoAtMs !== undefined && o.nowMs - o.lastIoAtMs <= s.ioStatsIntervalMs) return { action: 'io-active' };
  const counted = o.resetTimesMs.filter((t) => s.windowMs === null || o.nowMs - t < s.windowMs).length;
  if (counted >= s.maxResets) return { action: 'max-resets', resets: counted };
  return { action: 'reset' };
}
