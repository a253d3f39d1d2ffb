// The compute model seen from the engine: the admission ledger built from the stored rows (hosts,
// resource pools, running VMs), and what a power-on needs to know about a VM and its host.
import { Ledger, vmDemand, type HostCapacity, type PoolSpec } from '../compute/admission.js';
import type { HostFacts, VmFacts } from '../compute/nested.js';
import type { Cpu } from '../model/cpu.js';
import type { Allocation } from '../model/inventory.js';
import type { Engine } from './engine.js';

interface VmConfig extends VmFacts {
  host: string;
  cluster?: string;
  pool?: string;
  cpus: number;
  memoryMB: number;
  cpuAlloc: Allocation;
  memAlloc: Allocation;
}

interface HostConfig {
  hypervisor: 'esxi' | 'kvm';
  version: string;
  memoryMB: number;
  reservedMB: number;
  cluster?: string;
  vm?: string;
  cpu: Omit<Cpu, 'features'> & { features: string[] };
}

export function vmConfig(engine: Engine, name: string): VmConfig {
  return { ...engine.config<VmConfig>(`vm:${name}`), name };
}

/** What power-on checks read of a host: built once per host per operation (callers must not change it). */
export function hostFacts(engine: Engine, name: string): Readonly<HostFacts & { cluster?: string; memoryMB: number }> {
  return engine.cache(`host-facts:${name}`, () => {
    const c = engine.config<HostConfig>(`host:${name}`);
    return {
      name, hypervisor: c.hypervisor, version: c.version, memoryMB: c.memoryMB, cpu: { ...c.cpu, features: new Set(c.cpu.features) },
      ...(c.vm !== undefined ? { vm: c.vm } : {}), ...(c.cluster !== undefined ? { cluster: c.cluster } : {}),
    };
  });
}

/** The ledger of reservations of running VMs, per host and pool, for this operation. */
export function ledger(engine: Engine): Ledger {
  return engine.cache('ledger', () => {
    const hosts = new Map<string, HostCapacity>();
    const pools = new Map<string, PoolSpec>();
    const running: Array<{ vm: VmConfig; host: string }> = [];
    for (const row of engine.allRows()) {
      if (row.kind === 'host') {
        const c = JSON.parse(row.config) as HostConfig;
        hosts.set(row.name, {
          name: row.name, memoryMB: c.memoryMB - c.reservedMB, cpuMHz: c.cpu.cores * c.cpu.sockets * c.cpu.mhz,
          ...(c.cluster !== undefined ? { cluster: c.cluster } : {}),
        });
      } else if (row.kind === 'pool') {
        const c = JSON.parse(row.config) as { cluster: string; parent?: string; cpu: Allocation; memory: Allocation };
        pools.set(row.id, {
          id: row.id, name: row.name, cluster: c.cluster, ...(c.parent !== undefined ? { parent: `pool:${c.cluster}/${c.parent}` } : {}),
          cpu: { reservation: c.cpu.reservation, expandable: c.cpu.expandable ?? true },
          memory: { reservation: c.memory.reservation, expandable: c.memory.expandable ?? true },
        });
      } else if (row.kind === 'vm') {
        const rt = engine.runtime<{ power?: string; host?: string }>(row.id); // live, not the stored string
        if (rt.power === 'on' && rt.host) running.push({ vm: { ...(JSON.parse(row.config) as VmConfig), name: row.name }, host: rt.host });
      }
    }
    const l = new Ledger(hosts, pools);
    for (const r of running) l.add(vmDemand(r.vm, r.host, hosts.get(r.host)?.cluster));
    return l;
  });
}
