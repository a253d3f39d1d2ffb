// EVC (spec/compute.md §5): which hosts an EVC cluster admits, and what CPU features a VM sees.
// Pure domain logic: the engine glue is src/engine/evc.ts.
import { EVC_BASELINES, maxEvcMode, supportsEvcMode, type Cpu } from '../model/cpu.js';
import { evcVisibleFeatures, HV_FEATURES } from '../model/nesting.js';
import type { EvcMode } from '../spec/schema.js';

export type EvcAdmission =
  | { ok: true }
  | { ok: false; reason: 'vendor-mismatch' | 'missing-features'; missing: string[]; maxMode?: EvcMode; message: string };

/**
 * §5 "A host can join an EVC cluster iff": same vendor, and every feature of the cluster mode's
 * cumulative baseline (its maximum mode ≥ the cluster's). `missing` is in baseline order.
 */
export function evcAdmission(host: string, cpu: Cpu, cluster: string, mode: EvcMode): EvcAdmission {
  const s = supportsEvcMode(cpu, mode);
  if (s.ok) return { ok: true };
  const max = maxEvcMode(cpu);
  const baseline = EVC_BASELINES.get(mode)!;
  const message = s.reason === 'vendor-mismatch'
    ? `host ${host} (${cpu.model}) cannot join cluster ${cluster}: its CPU is ${cpu.vendor === 'intel' ? 'Intel' : 'AMD'}, EVC mode ${mode} is ${baseline.vendor === 'intel' ? 'Intel' : 'AMD'}; Intel and AMD cannot be mixed (compute.md §5)`
    : `host ${host} (${cpu.model}) cannot join cluster ${cluster}: its CPU lacks ${s.missing.join(', ')}, needed by EVC mode ${mode} (${baseline.label})${max ? `; its highest mode is ${max}` : ''} (compute.md §5)`;
  return { ok: false, reason: s.reason, missing: s.missing, ...(max ? { maxMode: max } : {}), message };
}

/**
 * The CPU features a VM sees on a host: the host's (for a nested host, its VM's virtual CPU)
 * masked to the cluster's EVC baseline (§5 "presents identical CPUID features"); hardware
 * virtualization only when the VM exposes it (§4). Sorted, as stored in the VM's runtime.
 */
export function vmVisibleFeatures(hostFeatures: ReadonlySet<string>, evc: EvcMode | undefined, exposeHardwareVirtualization: boolean): string[] {
  const visible = evcVisibleFeatures(hostFeatures, evc);
  if (!exposeHardwareVirtualization) for (const f of HV_FEATURES) visible.delete(f);
  // VMCS shadowing accelerates the host's own handling of a nested hypervisor; it is not a
  // feature the VM depends on, so it neither travels with the VM nor blocks a vMotion.
  visible.delete('vmcs-shadowing');
  return [...visible].sort();
}

/**
 * §6 "Compatible CPUs … or EVC": a running VM keeps the features it powered on with (§5 "running
 * VMs keep the old mode until they are power-cycled"), so every one of them must be there on the
 * target. Returns the missing ones, sorted (empty: compatible).
 */
export function missingCpuFeatures(vmFeatures: Iterable<string>, targetVisible: ReadonlySet<string>): string[] {
  return [...vmFeatures].filter((f) => !targetVisible.has(f)).sort();
}
