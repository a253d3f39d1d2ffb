// What a nested hypervisor sees of the CPU: its VM's virtual CPU. The VM gets the outer host's
// CPU model and features; hardware virtualization (VT-x/EPT, AMD-V/RVI) reaches it only when
// the VM exposes it (vhv.enable, spec/compute.md §4), and only what the outer CPU itself has.
import type { Cpu } from './cpu.js';

const HV_FEATURES = ['vmx', 'svm', 'ept', 'npt', 'vmcs-shadowing'];

export function nestedCpu(outer: Cpu, vm: { name: string; cpus: number; exposeHardwareVirtualization: boolean }): Cpu {
  const features = new Set(outer.features);
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
