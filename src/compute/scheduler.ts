// One sample period of CPU and memory scheduling on every running host, outer levels first
// (spec/compute.md §1.3, §2.3–§2.8, §3): entitlements by water-filling over shares, reservations,
// limits and demand; active memory sampled and smoothed; the host's memory state from minFree;
// reclamation in the spec's order — page sharing (with salting), ballooning (Tools only, ≤ 65%),
// compression (≤ 10%, half saved), swapping (to an SSD host cache first) — taken from the VMs
// with the lowest idle-taxed shares per page first; CPU ready time where demand exceeds
// entitlement. A nested host's capacity is what its VM is entitled to, less its own hypervisor.
import { divvy, idleTaxedShares, type Claim } from './divvy.js';
import { memoryState, minFreeMB, type MemoryState } from './memstate.js';
import { overheadMB } from './overhead.js';
import { cpuShares, memoryShares, poolShares } from './shares.js';
import type { Allocation, Workload } from '../model/inventory.js';

/** The model's constants [I], named so tests and docs can cite them. */
export const MODEL = {
  samplePeriodS: 60, // Mem.SamplePeriod
  samplePages: 100, // n pages sampled per period (§2.8)
  slowGain: 0.1,
  fastGain: 0.5,
  intraVmSharable: 0.05, // fraction of a VM's memory shareable within it (zero pages, duplicates)
  interVmSharable: 0.15, // more, shareable across VMs when salting allows (§2.4)
  balloonMax: 0.65, // Mem.CtlMaxPercent (§2.5)
  compressMax: 0.1, // Mem.MemZipMaxPct (§2.6)
  compressSaves: 0.5, // a compressed page kept in ≤ 2 KB of 4 KB
  htBonus: 0.2, // both hyper-threads busy: 1.2× a core (§3)
  nestedEfficiency: 0.93, // exit-light nested workloads (§3, Turtles)
} as const;

export interface VmInput {
  name: string;
  host: string;
  cpus: number;
  memoryMB: number;
  tools: boolean;
  cpuAlloc: Allocation;
  memAlloc: Allocation;
  workload: Workload;
  /** the resource pool chain from the cluster root down (ids), for sibling shares */
  pools: Array<{ id: string; cpu: Allocation; memory: Allocation }>;
  /** the nested host this VM runs, if any */
  nested?: string;
  /** sched.mem.pshare.salt */
  pshareSalt?: string;
}

export interface HostInput {
  name: string;
  /** the VM that runs it (nested) */
  vm?: string;
  memoryMB: number;
  reservedMB: number;
  cores: number;
  threads: number;
  mhz: number;
  /** host cache (SSD) capacity for swap, MB */
  cacheMB: number;
}

export interface VmState {
  slow: number;
  fast: number;
  sharedMB: number;
  balloonedMB: number;
  compressedMB: number;
  swappedMB: number;
  cacheSwappedMB: number;
}

export interface VmStats {
  entitlement: { cpuMHz: number; memoryMB: number };
  memory: { activeMB: number; consumedMB: number; balloonedMB: number; compressedMB: number; swappedMB: number; hostCacheMB: number; sharedMB: number; overheadMB: number };
  cpu: { demandMHz: number; usedMHz: number; readyPercent: number };
}

export interface HostStats {
  memory: { state: MemoryState; freeMB: number; minFreeMB: number; capacityMB: number };
  cpu: { usedMHz: number; capacityMHz: number };
}

export interface Settings {
  idleMemoryTax: number;
  shareForceSalting: number;
  seed: number;
}

export interface PeriodResult {
  hosts: Map<string, HostStats>;
  vms: Map<string, VmStats>;
}

const r2 = (x: number) => Math.round(x * 100) / 100;

export function emptyVmState(): VmState {
  return { slow: 0, fast: 0, sharedMB: 0, balloonedMB: 0, compressedMB: 0, swappedMB: 0, cacheSwappedMB: 0 };
}

/** Deterministic pseudo-random in [0, 1): the lab's seed, the VM and the period, hashed. */
function random(seed: number, key: string, period: number, i: number): number {
  let h = (seed ^ 0x9e3779b9 ^ Math.imul(period + 1, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35)) >>> 0;
  for (let k = 0; k < key.length; k++) h = Math.imul(h ^ key.charCodeAt(k), 0x01000193) >>> 0;
  // murmur3's finalizer; `>>> 0` keeps it unsigned (a signed result would bias the sample).
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x100000000;
}

/** Observed active fraction: Binomial(n, f)/n from n sampled pages (§2.8). */
function sampleActive(f: number, seed: number, key: string, period: number): number {
  let touched = 0;
  for (let i = 0; i < MODEL.samplePages; i++) if (random(seed, key, period, i) < f) touched++;
  return touched / MODEL.samplePages;
}

/**
 * Run one period. `states` (per VM) is updated in place when `commit`; the result is the stats.
 * Hosts are given outer levels first; a nested host's capacity comes from its VM's entitlement.
 */
export function runPeriod(
  hosts: readonly HostInput[],
  vms: readonly VmInput[],
  states: Map<string, VmState>,
  settings: Settings,
  period: number,
  commit: boolean,
): PeriodResult {
  const result: PeriodResult = { hosts: new Map(), vms: new Map() };
  const byHost = new Map<string, VmInput[]>();
  for (const v of vms) byHost.set(v.host, [...(byHost.get(v.host) ?? []), v]);
  for (const h of hosts) {
    const outer = h.vm === undefined ? undefined : result.vms.get(h.vm);
    if (h.vm !== undefined && !outer) continue; // its VM is not running: the nested host is down
    const list = byHost.get(h.name) ?? [];
    const coreMHz = h.mhz * (h.vm === undefined ? 1 : MODEL.nestedEfficiency);
    // CPU (§3): capacity in cores × MHz, plus the hyper-threading gain when threads are busy.
    const demand = list.map((v) => Math.min(v.cpus * coreMHz, v.workload.cpu * v.cpus * coreMHz));
    const totalDemand = demand.reduce((a, b) => a + b, 0);
    let cpuCapacity = h.cores * coreMHz;
    if (h.threads > h.cores) cpuCapacity += Math.min(Math.max(0, totalDemand - cpuCapacity), MODEL.htBonus * h.cores * coreMHz);
    if (outer) cpuCapacity = Math.min(cpuCapacity, outer.entitlement.cpuMHz * MODEL.nestedEfficiency);
    const cpuEnt = treeDivvy(cpuCapacity, list, (v, i) => {
      const lo = Math.min(v.cpuAlloc.reservation, demand[i]!);
      return { shares: cpuShares(v.cpuAlloc, v.cpus), lo, hi: Math.max(lo, Math.min(v.cpuAlloc.limit ?? Infinity, demand[i]!)) };
    }, (p) => poolShares(p.cpu, 'cpu'), (p) => p.cpu.limit);

    // Memory (§2): active memory sampled and smoothed, entitlement with the idle memory tax.
    const memCapacityHost = (outer ? Math.min(h.memoryMB, outer.entitlement.memoryMB) : h.memoryMB) - h.reservedMB;
    const overheads = list.map((v) => overheadMB(v.cpus, v.memoryMB));
    const st = list.map((v) => states.get(v.name) ?? emptyVmState());
    const active = list.map((v, i) => {
      const obs = sampleActive(v.workload.activeMemory, settings.seed, v.name, period);
      const s = st[i]!;
      const first = s.slow === 0 && s.fast === 0;
      const slow = first ? obs : s.slow + MODEL.slowGain * (obs - s.slow);
      const fast = first ? obs : s.fast + MODEL.fastGain * (obs - s.fast);
      if (commit) Object.assign(s, { slow, fast });
      return Math.max(slow, fast, obs);
    });
    const memForVms = Math.max(0, memCapacityHost - overheads.reduce((a, b) => a + b, 0));
    const memEnt = treeDivvy(memForVms, list, (v, i) => {
      const lo = Math.min(v.memAlloc.reservation, v.memoryMB);
      return { shares: idleTaxedShares(memoryShares(v.memAlloc, v.memoryMB), active[i]!, settings.idleMemoryTax), lo, hi: Math.max(lo, Math.min(v.memAlloc.limit ?? Infinity, v.memoryMB)) };
    }, (p) => poolShares(p.memory, 'memory'), (p) => p.memory.limit);

    // Reclamation (§2.3–§2.6), in the order the host's state calls for.
    const minFree = minFreeMB(h.memoryMB);
    const work = st.map((s) => ({ ...s }));
    const consumed = (i: number) => {
      const w = work[i]!;
      return list[i]!.memoryMB - w.sharedMB - w.balloonedMB - w.swappedMB - w.compressedMB * MODEL.compressSaves;
    };
    const free = () => memCapacityHost - list.reduce((a, _, i) => a + overheads[i]! + consumed(i), 0);
    let state = memoryState(free(), minFree);
    if (state === 'high') {
      // No pressure: balloons deflate, swapped and compressed pages come back as they are touched.
      for (let i = 0; i < list.length; i++) {
        const w = work[i]!;
        w.balloonedMB = 0;
        w.swappedMB = r2(w.swappedMB * (1 - active[i]!));
        w.cacheSwappedMB = Math.min(w.cacheSwappedMB, w.swappedMB);
        w.compressedMB = r2(w.compressedMB * (1 - active[i]!));
      }
    } else {
      // Below High: large pages are broken and TPS shares what salting allows (§2.4): pages are
      // shared across VMs only between VMs with the same salt.
      const salts = list.map((v) => saltOf(v, settings.shareForceSalting));
      const group = new Map<string, number>();
      for (const k of salts) group.set(k, (group.get(k) ?? 0) + 1);
      for (let i = 0; i < list.length; i++) {
        const v = list[i]!;
        const inter = group.get(salts[i]!)! > 1;
        work[i]!.sharedMB = r2(v.memoryMB * (1 - active[i]!) * (MODEL.intraVmSharable + (inter ? MODEL.interVmSharable : 0)));
      }
      state = memoryState(free(), minFree);
      // Min-funding revocation: the lowest idle-taxed shares per page give first (§2.7).
      const order = list.map((_, i) => i).sort((a, b) => {
        const rho = (i: number) => idleTaxedShares(memoryShares(list[i]!.memAlloc, list[i]!.memoryMB), active[i]!, settings.idleMemoryTax) / list[i]!.memoryMB;
        return rho(a) - rho(b) || (list[a]!.name < list[b]!.name ? -1 : 1);
      });
      const excess = (i: number) => Math.max(0, consumed(i) - memEnt[i]!);
      const floor = (i: number) => list[i]!.memAlloc.reservation; // reserved, touched memory is never reclaimed
      // Pressure builds through Soft before Hard: balloons inflate first (§2.3, §2.5), then
      // compression and swap take what is still missing.
      if (state === 'soft' || state === 'hard' || state === 'low') {
        for (const i of order) {
          const need = minFree - free();
          if (need <= 0) break;
          const v = list[i]!;
          if (!v.tools) continue; // no balloon driver
          const w = work[i]!;
          const take = Math.min(need, excess(i), MODEL.balloonMax * v.memoryMB - w.balloonedMB, Math.max(0, consumed(i) - floor(i)));
          if (take > 0) w.balloonedMB = r2(w.balloonedMB + take);
        }
        state = memoryState(free(), minFree);
      }
      if (state === 'hard' || state === 'low') {
        let cacheLeft = h.cacheMB - work.reduce((a, w) => a + w.cacheSwappedMB, 0);
        for (const i of order) {
          const need = minFree - free();
          if (need <= 0) break;
          const v = list[i]!;
          const w = work[i]!;
          // Compression first (pages that compress to ≤ 2 KB), then swap (§2.6); never below the reservation.
          const room = Math.max(0, consumed(i) - floor(i));
          const zip = Math.min(MODEL.compressMax * v.memoryMB - w.compressedMB, need / MODEL.compressSaves, room / MODEL.compressSaves);
          if (zip > 0) w.compressedMB = r2(w.compressedMB + zip);
          const still = minFree - free();
          if (still <= 0) break;
          const swapFile = v.memoryMB - v.memAlloc.reservation;
          const swap = Math.min(still, swapFile - w.swappedMB, Math.max(0, consumed(i) - floor(i)));
          if (swap > 0) {
            w.swappedMB = r2(w.swappedMB + swap);
            const toCache = Math.min(swap, Math.max(0, cacheLeft));
            w.cacheSwappedMB = r2(w.cacheSwappedMB + toCache);
            cacheLeft -= toCache;
          }
        }
        state = memoryState(free(), minFree);
      }
    }
    if (commit) list.forEach((v, i) => states.set(v.name, work[i]!));
    const usedCpu = cpuEnt.reduce((a, b) => a + b, 0);
    result.hosts.set(h.name, {
      memory: { state, freeMB: r2(free()), minFreeMB: minFree, capacityMB: r2(memCapacityHost) },
      cpu: { usedMHz: r2(usedCpu), capacityMHz: r2(cpuCapacity) },
    });
    list.forEach((v, i) => {
      const w = work[i]!;
      result.vms.set(v.name, {
        entitlement: { cpuMHz: r2(cpuEnt[i]!), memoryMB: r2(memEnt[i]!) },
        memory: {
          activeMB: r2(active[i]! * v.memoryMB), consumedMB: r2(consumed(i)), balloonedMB: w.balloonedMB, compressedMB: w.compressedMB,
          swappedMB: w.swappedMB, hostCacheMB: w.cacheSwappedMB, sharedMB: w.sharedMB, overheadMB: overheads[i]!,
        },
        cpu: { demandMHz: r2(demand[i]!), usedMHz: r2(cpuEnt[i]!), readyPercent: demand[i]! > 0 ? r2(Math.max(0, 1 - cpuEnt[i]! / demand[i]!) * 100) : 0 },
      });
    });
  }
  return result;
}

/**
 * The salt a VM's pages carry (Mem.ShareForceSalting, §2.4): 0 — everyone shares; 1 — its
 * sched.mem.pshare.salt, else 0; 2 (default) — its salt, else a value of its own.
 */
export function saltOf(v: { name: string; pshareSalt?: string }, forceSalting: number): string {
  if (forceSalting === 0) return 'all';
  if (v.pshareSalt !== undefined) return `salt:${v.pshareSalt}`;
  return forceSalting === 1 ? 'salt:0' : `vm:${v.name}`;
}

/**
 * Divvy among siblings through resource pools (§1.1 "shares matter only among siblings"): the
 * VMs of a host grouped by their pool chain; a pool claims the sum of its children, capped by
 * its limit, with its own shares; its allocation is divvied among its children in turn.
 */
function treeDivvy<P extends { id: string }>(
  capacity: number,
  vms: ReadonlyArray<VmInput & { pools: P[] }>,
  leaf: (v: VmInput, i: number) => Claim,
  poolShareOf: (p: P) => number,
  poolLimitOf: (p: P) => number | undefined,
): number[] {
  const out = new Array<number>(vms.length).fill(0);
  const level = (cap: number, members: number[], depth: number) => {
    const groups = new Map<string, { pool: P | null; members: number[] }>();
    for (const i of members) {
      const p = vms[i]!.pools[depth] ?? null;
      const key = p ? p.id : `vm:${i}`;
      const g = groups.get(key) ?? { pool: p, members: [] };
      g.members.push(i);
      groups.set(key, g);
    }
    const entries = [...groups.values()];
    const claims = entries.map((g): Claim => {
      if (g.pool === null) return leaf(vms[g.members[0]!]!, g.members[0]!);
      const sub = g.members.map((i) => leaf(vms[i]!, i));
      const lo = sub.reduce((a, c) => a + c.lo, 0);
      const hi = Math.min(poolLimitOf(g.pool) ?? Infinity, sub.reduce((a, c) => a + c.hi, 0));
      return { shares: poolShareOf(g.pool), lo: Math.min(lo, hi), hi };
    });
    const alloc = divvy(cap, claims);
    entries.forEach((g, k) => {
      if (g.pool === null) out[g.members[0]!] = alloc[k]!;
      else level(alloc[k]!, g.members, depth + 1);
    });
  };
  level(capacity, vms.map((_, i) => i), 0);
  return out;
}
