// Nested virtualization requirements at power-on (spec/compute.md §4): a hypervisor VM that
// exposes hardware virtualization needs VT-x + EPT (or AMD-V + RVI) from its host; a 64-bit guest
// on ESXi needs hardware-assisted virtualization from the CPU its host sees — on a nested ESXi,
// that is only there when the outer VM exposes it (vhv.enable); and a VM cannot run a virtual
// hardware version newer than its ESXi host supports.
import type { Cpu } from '../model/cpu.js';
import { hardwareVirtualization } from '../model/cpu.js';
import { maxHardwareVersion } from '../model/defaults.js';

export interface NestedRefusal {
  code: 'hardware-virtualization-unavailable' | 'nested-virtualization-not-exposed' | 'hardware-version-unsupported';
  message: string;
  details: Record<string, unknown>;
}

export interface VmFacts {
  name: string;
  nested?: string;
  exposeHardwareVirtualization: boolean;
  hardwareVersion: number;
  guestArch: 'x86_64' | 'i386';
}

export interface HostFacts {
  name: string;
  hypervisor: 'esxi' | 'kvm';
  version: string;
  /** the CPU as this host sees it (a nested host: its VM's virtual CPU) */
  cpu: Cpu;
  /** the VM that runs this host, if nested */
  vm?: string;
}

export function nestedRefusal(vm: VmFacts, host: HostFacts): NestedRefusal | undefined {
  const hv = hardwareVirtualization(host.cpu);
  if (host.hypervisor === 'esxi' && vm.hardwareVersion > maxHardwareVersion(host.version)) {
    return {
      code: 'hardware-version-unsupported',
      message: `${vm.name} has virtual hardware version ${vm.hardwareVersion}; ESXi ${host.version} on ${host.name} runs at most ${maxHardwareVersion(host.version)}`,
      details: { hardwareVersion: vm.hardwareVersion, max: maxHardwareVersion(host.version), host: host.name },
    };
  }
  if (vm.exposeHardwareVirtualization && !(hv.vt && hv.mmu)) {
    const why = host.vm !== undefined ? `its host ${host.name} is itself a VM (${host.vm}) that does not expose hardware virtualization` : `the host CPU (${host.cpu.model}) has ${hv.label}`;
    return {
      code: host.vm !== undefined ? 'nested-virtualization-not-exposed' : 'hardware-virtualization-unavailable',
      message: `Virtualized ${host.cpu.vendor === 'amd' ? 'AMD-V/RVI' : 'Intel VT-x/EPT'} is not supported on this platform: ${why}`,
      details: { host: host.name, cpu: host.cpu.model, virtualization: hv.label },
    };
  }
  if (host.hypervisor === 'esxi' && vm.guestArch === 'x86_64' && !hv.vt) {
    // VMware needs hardware assist for 64-bit guests (compute.md §4; on AMD too when nested).
    return host.vm !== undefined
      ? {
        code: 'nested-virtualization-not-exposed',
        message: `64-bit guest ${vm.name} cannot start on nested ESXi ${host.name}: its VM does not expose hardware-assisted virtualization (set exposeHardwareVirtualization: true on ${host.vm}); 32-bit guests (guestArch: i386) still run`,
        details: { host: host.name, hostVm: host.vm, guestArch: vm.guestArch },
      }
      : {
        code: 'hardware-virtualization-unavailable',
        message: `64-bit guest ${vm.name} needs VT-x/AMD-V, which ${host.cpu.model} on ${host.name} lacks`,
        details: { host: host.name, cpu: host.cpu.model },
      };
  }
  return undefined;
}
