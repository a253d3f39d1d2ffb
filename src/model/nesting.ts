// What a nested hypervisor sees of the CPU: its VM's virtual CPU. The VM gets the outer host's
// CPU model and features, masked down to the EVC baseline when the outer host is in an EVC
// cluster (an EVC cluster presents the baseline's CPUID features to every VM on it, nested
// hypervisors included — spec/compute.md §5). Hardware virtualization (VT-x/EPT, AMD-V/RVI)
// reaches the VM only when it is exposed (vhv.enable, §4), and only what the outer CPU has.
import { EVC_BASELINES, type Cpu } from './cpu.js';
import type { EvcMode } from '../spec/schema.js';

/** Hardware-virtualization flags: never part of an EVC baseline, passed through by vhv.enable. */
export const HV_FEATURES: ReadonlySet<string> = new Set(['vmx', 'svm', 'ept', 'npt', 'vmcs-shadowing']);
/** The x86-64 base every baseline implies (EVC masks only what lies above it). */
const X86_64_BASE: ReadonlySet<string> = new Set(['fpu', 'tsc', 'cx8', 'cmov', 'clflush', 'mmx', 'fxsr', 'sse', 'sse2', 'syscall', 'lm', 'nx']);

/** The features a VM sees on a host in an EVC cluster of mode `evc` (all of them without EVC). */
export function evcVisibleFeatures(features: ReadonlySet<string>, evc: EvcMode | undefined): Set<string> {
  const baseline = evc === undefined ? undefined : EVC_BASELINES.get(evc);
  if (!baseline) return new Set(features);
  return new Set([...features].filter((f) => baseline.features.has(f) || X86_64_BASE.has(f) || HV_FEATURES.has(f)));
}

export function nestedCpu(
  outer: Cpu,
  vm: { name: string; cpus: number; exposeHardwareVirtualization: boolean },
  outerEvc?: EvcMode,
): Cpu {
  const features = evcVisibleFeatures(outer.features, outerEvc);
  if (!vm.exposeHardwareVirtualization) for (const f of HV_FEATURES) features.delete(f);
  return {
    id: `virtual:${vm.name}`,
    model: `${outer.model} (virtual)`,
    vendor: outer.vendor,
    generation: outer.generation,
    sockets: 1,
    cores: vm.cpus,
    threads: vm.cpus,
    mhz: outer.mhz,
    features,
  };
}
