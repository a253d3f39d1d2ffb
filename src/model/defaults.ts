// Defaults that follow the real products (spec/lab-file.md: "the defaults follow the real
// product"): vSS and vDS security policies, teaming, the hypervisor's own memory, workloads.
import type { Security, Teaming, Workload } from './inventory.js';

/** vSS switch defaults: promiscuous reject, MAC changes accept, forged transmits accept (R2.4). */
export const VSS_SECURITY: Security = { promiscuous: 'reject', macChanges: 'accept', forgedTransmits: 'accept' };
/** vDS defaults: all three reject (R2.4, R6.6). */
export const VDS_SECURITY: Security = { promiscuous: 'reject', macChanges: 'reject', forgedTransmits: 'reject' };

export function defaultTeaming(uplinks: readonly string[]): Teaming {
  return { policy: 'port-id', active: [...uplinks], standby: [], unused: [], failback: true, notifySwitches: true, detection: 'link' };
}

export const ESXI_VERSIONS = ['5.0', '5.1', '5.5', '6.0', '6.5', '6.7', '7.0', '8.0', '9.0'] as const;
export const DEFAULT_ESXI_VERSION = '8.0';

/** `8` → `8.0`, `6.7u3` stays; undefined when not an ESXi version. */
export function normalizeEsxiVersion(v: string | number | undefined): string | undefined {
  if (v === undefined) return DEFAULT_ESXI_VERSION;
  const s = typeof v === 'number' ? (Number.isInteger(v) ? v.toFixed(1) : String(v)) : v.trim();
  const m = /^(\d+\.\d+)(?:\.\d+)?(u\d+[a-z]?)?$/i.exec(s);
  return m && (ESXI_VERSIONS as readonly string[]).includes(m[1]!) ? s.toLowerCase() : undefined;
}

/** `1.2.3` vs `1.10` numerically; missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The major.minor of an ESXi version string (`6.7u3` → 6.7). */
export function esxiRelease(version: string): number {
  return Number(/^\d+\.\d+/.exec(version)?.[0] ?? '8.0');
}

/**
 * The hypervisor's own memory (spec/compute.md §2.2, `hostSystemReservedMB`): the seed's
 * "ESXi consumes about 2 GB"; a Linux/KVM host keeps about 1 GB for itself.
 */
export function defaultReservedMB(hypervisor: 'esxi' | 'kvm'): number {
  return hypervisor === 'esxi' ? 2048 : 1024;
}

/** Installer minimum memory of nested/physical ESXi by version (spec/compute.md §2.2, §4). */
export function esxiMinimumMemoryMB(version: string): number {
  const r = esxiRelease(version);
  if (r < 5.5) return 2048;
  if (r < 7.0) return 4096;
  return 8192;
}

export const WORKLOAD_PROFILES: Record<'idle' | 'light' | 'busy', Workload> = {
  idle: { cpu: 0.02, activeMemory: 0.05, dirtyRateMBps: 1 },
  light: { cpu: 0.2, activeMemory: 0.2, dirtyRateMBps: 5 },
  busy: { cpu: 0.8, activeMemory: 0.6, dirtyRateMBps: 50 },
};
export const DEFAULT_WORKLOAD = WORKLOAD_PROFILES.light;

/**
 * Highest virtual hardware version per ESXi release, for the latest update of each [R: VMware
 * KB 1003746 "Virtual machine hardware versions", recalled]; compute.md §2.2 lists HW8 = 5.0,
 * HW9 = 5.1, HW10 = 5.5, HW11 = 6.0, HW13 = 6.5.
 */
const MAX_HARDWARE_VERSION: ReadonlyArray<readonly [number, number]> = [
  [5.0, 8], [5.1, 9], [5.5, 10], [6.0, 11], [6.5, 13], [6.7, 15], [7.0, 19], [8.0, 21], [9.0, 22],
];

export function maxHardwareVersion(esxiVersion: string): number {
  const release = esxiRelease(esxiVersion);
  return MAX_HARDWARE_VERSION.filter(([r]) => r <= release + 1e-9).at(-1)?.[1] ?? 8;
}
