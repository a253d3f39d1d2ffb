// Admission control on power-on (spec/compute.md §1.4): a VM powers on only if its memory
// reservation plus overhead, and its CPU reservation, fit in what is unreserved — on its host's
// root resource pool (the host's memory less the hypervisor's own, §2.2) and along its resource
// pool's chain, where an expandable pool borrows from its parent and a fixed one cannot.

import { overheadMB } from './overhead.js';

export interface Demand {
  name: string;
  host: string;
  /** resource pool id (`pool:cluster/name`), if the VM is in one */
  pool?: string;
  memoryMB: number;
  cpuMHz: number;
}

/** The fields of a VM that admission control reads (an inventory VM or its stored configuration). */
export interface VmSizing {
  name: string;
  cpus: number;
  memoryMB: number;
  cluster?: string;
  pool?: string;
  memAlloc: { reservation: number };
  cpuAlloc: { reservation: number };
}

/**
 * What a running VM holds against admission control: memory reservation + overhead (§2.1), CPU
 * reservation; `hostCluster` is the cluster of the host it runs on (its pool lives there).
 */
export function vmDemand(vm: VmSizing, host: string, hostCluster: string | undefined): Demand {
  const cluster = vm.cluster ?? hostCluster;
  return {
    name: vm.name, host,
    ...(vm.pool !== undefined && cluster !== undefined ? { pool: `pool:${cluster}/${vm.pool}` } : {}),
    memoryMB: vm.memAlloc.reservation + overheadMB(vm.cpus, vm.memoryMB),
    cpuMHz: vm.cpuAlloc.reservation,
  };
}

export interface HostCapacity {
  name: string;
  /** what the root pool offers VMs: physical (or VM) memory less the hypervisor's own */
  memoryMB: number;
  /** physical cores × MHz (§3: cores, not threads) */
  cpuMHz: number;
  cluster?: string;
}

export interface PoolSpec {
  id: string;
  name: string;
  cluster: string;
  /** parent pool id; absent: the cluster's root pool */
  parent?: string;
  memory: { reservation: number; expandable: boolean };
  cpu: { reservation: number; expandable: boolean };
}

export interface Refusal {
  code: 'insufficient-memory-resources' | 'insufficient-cpu-resources';
  message: string;
  details: Record<string, unknown>;
}

type Resource = 'memory' | 'cpu';
const UNIT: Record<Resource, string> = { memory: 'MB', cpu: 'MHz' };
const round = (x: number) => Math.round(x * 100) / 100;

export class Ledger {
  /** reserved (reservation + overhead for memory) by running VMs, per host */
  private readonly hostUse = new Map<string, { memory: number; cpu: number }>();
  /** reserved by running VMs directly in each pool */
  private readonly poolUse = new Map<string, { memory: number; cpu: number }>();
  private readonly children = new Map<string, PoolSpec[]>();

  constructor(
    private readonly hosts: ReadonlyMap<string, HostCapacity>,
    private readonly pools: ReadonlyMap<string, PoolSpec>,
  ) {
    for (const p of pools.values()) {
      const key = p.parent ?? `root:${p.cluster}`;
      this.children.set(key, [...(this.children.get(key) ?? []), p]);
    }
  }

  add(d: Demand, sign = 1): void {
    const h = this.hostUse.get(d.host) ?? { memory: 0, cpu: 0 };
    h.memory += sign * d.memoryMB;
    h.cpu += sign * d.cpuMHz;
    this.hostUse.set(d.host, h);
    if (d.pool) {
      const p = this.poolUse.get(d.pool) ?? { memory: 0, cpu: 0 };
      p.memory += sign * d.memoryMB;
      p.cpu += sign * d.cpuMHz;
      this.poolUse.set(d.pool, p);
    }
  }

  remove(d: Demand): void {
    this.add(d, -1);
  }

  /** What running VMs have reserved on a host. */
  hostReserved(host: string): { memoryMB: number; cpuMHz: number } {
    const u = this.hostUse.get(host);
    return { memoryMB: round(u?.memory ?? 0), cpuMHz: round(u?.cpu ?? 0) };
  }

  /** What a host's root pool offers VMs (memory less the hypervisor's own, CPU of its cores). */
  hostCapacity(host: string): { memoryMB: number; cpuMHz: number } {
    const h = this.hosts.get(host);
    return { memoryMB: h?.memoryMB ?? 0, cpuMHz: h?.cpuMHz ?? 0 };
  }

  /** What is left on a host for more reservations. */
  hostUnreserved(host: string): { memoryMB: number; cpuMHz: number } {
    const c = this.hostCapacity(host);
    const u = this.hostUse.get(host);
    return { memoryMB: c.memoryMB - (u?.memory ?? 0), cpuMHz: c.cpuMHz - (u?.cpu ?? 0) };
  }

  /** Why `d` cannot power on now, or undefined. */
  check(d: Demand): Refusal | undefined {
    const host = this.hosts.get(d.host);
    if (!host) return undefined;
    for (const r of ['memory', 'cpu'] as const) {
      const requested = r === 'memory' ? d.memoryMB : d.cpuMHz;
      if (requested === 0) continue;
      const used = this.hostUse.get(d.host)?.[r] ?? 0;
      const capacity = r === 'memory' ? host.memoryMB : host.cpuMHz;
      if (used + requested > capacity + 1e-9) return refusal(r, requested, capacity - used, `host ${host.name}`);
      if (d.pool) {
        const r2 = this.poolCheck(d.pool, r, requested, host.cluster);
        if (r2) return r2;
      }
    }
    return undefined;
  }

  /** Reserved usage of a pool: its VMs plus, per child pool, the larger of its reservation and its usage. */
  private usage(id: string, r: Resource, extra: Map<string, number>): number {
    let u = (this.poolUse.get(id)?.[r] ?? 0) + (extra.get(id) ?? 0);
    for (const c of this.children.get(id) ?? []) u += Math.max(c[r].reservation, this.usage(c.id, r, extra));
    return u;
  }

  /** Add `requested` to a pool and walk up: a fixed pool must hold it; an expandable one borrows (§1.4). */
  private poolCheck(poolId: string, r: Resource, requested: number, cluster: string | undefined): Refusal | undefined {
    const extra = new Map([[poolId, requested]]);
    for (let id: string | undefined = poolId; id !== undefined;) {
      const p = this.pools.get(id);
      if (!p) break;
      const u = this.usage(id, r, extra);
      if (u <= p[r].reservation + 1e-9) return undefined; // fits inside this pool's own reservation
      if (!p[r].expandable) {
        const unreserved = p[r].reservation - this.usage(id, r, new Map());
        return refusal(r, requested, Math.max(0, unreserved), `resource pool ${p.name}`, { pool: p.name, expandable: false });
      }
      id = p.parent;
      if (id === undefined) break;
    }
    // Borrowed up to the cluster's root pool: the cluster's capacity bounds it.
    if (cluster === undefined) return undefined;
    let capacity = 0;
    let used = 0;
    for (const h of this.hosts.values()) {
      if (h.cluster !== cluster) continue;
      capacity += r === 'memory' ? h.memoryMB : h.cpuMHz;
    }
    for (const top of this.children.get(`root:${cluster}`) ?? []) used += Math.max(top[r].reservation, this.usage(top.id, r, extra));
    for (const [host, u] of this.hostUse) if (this.hosts.get(host)?.cluster === cluster) used += u[r];
    for (const [pool, u] of this.poolUse) if (this.pools.get(pool)?.cluster === cluster) used -= u[r]; // counted within pools
    if (used > capacity + 1e-9) return refusal(r, requested, Math.max(0, capacity - (used - requested)), `cluster ${cluster}`, { cluster });
    return undefined;
  }
}

function refusal(r: Resource, requested: number, unreserved: number, where: string, more: Record<string, unknown> = {}): Refusal {
  const unit = UNIT[r];
  return {
    code: r === 'memory' ? 'insufficient-memory-resources' : 'insufficient-cpu-resources',
    message: `Insufficient resources: ${r} admission control failed in ${where}: requested ${round(requested)} ${unit}, unreserved ${round(unreserved)} ${unit}`,
    details: r === 'memory'
      ? { requestedMB: round(requested), unreservedMB: round(unreserved), where, ...more }
      : { requestedMHz: round(requested), unreservedMHz: round(unreserved), where, ...more },
  };
}
