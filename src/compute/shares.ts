// Default share values (spec/compute.md §1.1): per vCPU and per configured MB for a VM; a resource
// pool counts as a VM with 4 vCPUs and 16 GB.
import type { Allocation } from '../model/inventory.js';

const LEVEL = { low: 1, normal: 2, high: 4 } as const;

export function cpuShares(a: Allocation, cpus: number): number {
  return typeof a.shares === 'number' ? a.shares : 500 * LEVEL[a.shares] * cpus;
}

export function memoryShares(a: Allocation, memoryMB: number): number {
  return typeof a.shares === 'number' ? a.shares : 5 * LEVEL[a.shares] * memoryMB;
}

/** A resource pool's shares: as a VM with 4 vCPUs and 16 GB (§1.1). */
export function poolShares(a: Allocation, resource: 'cpu' | 'memory'): number {
  return resource === 'cpu' ? cpuShares(a, 4) : memoryShares(a, 16 * 1024);
}
