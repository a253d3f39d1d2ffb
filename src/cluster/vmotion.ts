// vMotion (spec/compute.md §6): the iterative pre-copy model and the link-speed rules. Pure domain
// logic: the checks that need the lab and the move itself are in src/engine/migrate.ts.

/** Effective vMotion throughput per link: 1 GbE ≈ 110 MB/s (§11.26), proportional above and below. */
export const MBPS_PER_MBIT = 0.11;
/** §6: vMotion is supported on links of at least 1000 Mb/s full duplex (VMotionLinkCapacityLow). */
export const MIN_VMOTION_LINK_MBIT = 1000;

export function vmotionBandwidthMBps(linkMbit: number): number {
  return linkMbit * MBPS_PER_MBIT;
}

export interface PrecopyInput {
  /** M: the VM's memory, MB */
  memoryMB: number;
  /** B: effective bandwidth, MB/s */
  bandwidthMBps: number;
  /** D: dirty rate, MB/s */
  dirtyRateMBps: number;
  /** W: writable working set, MB (default M) */
  workingSetMB?: number;
  /** T: switchover budget, s (default 0.5) */
  switchoverS?: number;
  /** N_max (default 30) */
  maxIterations?: number;
  /** SDPS (ESXi 5.0+, default true) */
  sdps?: boolean;
  /** σ: SDPS target D_eff = σ·B (model 0.5) */
  sigma?: number;
  /** t_state: device state transfer, ms (model 10–50; 10) */
  stateMs?: number;
  /** t_RARP, ms (model ≈ 1) */
  rarpMs?: number;
}

export interface Iteration {
  mb: number;
  seconds: number;
  /** the last copy, with the VM stunned (the remaining pages, §6 process step 3) */
  stunned?: true;
}

export interface PrecopyResult {
  converged: boolean;
  /** pre-copy rounds, then the stunned copy of what remained */
  iterations: Iteration[];
  /** the stunned copy alone (V_n / B), ms */
  stunMs: number;
  /** V_n/B + t_state + t_RARP, ms */
  downtimeMs: number;
  /** Σ t_i + downtime, s */
  totalSeconds: number;
  /** SDPS throttled the guest (D ≥ B): D_eff = σ·B, guest CPU progress scaled by D_eff/D */
  sdps: { dirtyRateMBps: number; cpuProgress: number } | null;
}

const r2 = (x: number) => Math.round(x * 100) / 100;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * §6 "Model": V_0 = M; t_i = V_i / B; V_{i+1} = min(W, D·t_i); stop when V_i / B ≤ T or i = N_max.
 * If D ≥ B, SDPS throttles the guest to D_eff = σ·B (§6 process 7); without SDPS (pre-5.0) the
 * migration does not converge and fails after N_max (§11.27).
 */
export function precopy(input: PrecopyInput): PrecopyResult {
  const M = input.memoryMB;
  const B = input.bandwidthMBps;
  const W = input.workingSetMB ?? M;
  const T = input.switchoverS ?? 0.5;
  const nMax = input.maxIterations ?? 30;
  const sigma = input.sigma ?? 0.5;
  const D = input.dirtyRateMBps;
  if (!(B > 0)) throw new Error('vMotion bandwidth must be positive');
  const throttle = D >= B && (input.sdps ?? true);
  const dEff = throttle ? sigma * B : D;
  const iterations: Iteration[] = [];
  let v = M;
  let precopyS = 0;
  while (v / B > T && iterations.length < nMax) {
    const t = v / B;
    iterations.push({ mb: r2(v), seconds: r3(t) });
    precopyS += t;
    v = Math.min(W, dEff * t);
  }
  const converged = v / B <= T || D < B || throttle;
  const stunMs = (v / B) * 1000;
  iterations.push({ mb: r2(v), seconds: r3(v / B), stunned: true });
  const downtimeMs = stunMs + (input.stateMs ?? 10) + (input.rarpMs ?? 1);
  return {
    converged,
    iterations,
    stunMs: Math.round(stunMs * 10) / 10,
    downtimeMs: Math.round(downtimeMs * 10) / 10,
    totalSeconds: r3(precopyS + downtimeMs / 1000),
    sdps: throttle ? { dirtyRateMBps: r2(dEff), cpuProgress: r3(dEff / D) } : null,
  };
}

/** SDPS exists since ESXi 5.0 (§6 process 7). */
export function hasSdps(esxiVersion: string): boolean {
  return Number(esxiVersion.split('.')[0]) >= 5;
}
