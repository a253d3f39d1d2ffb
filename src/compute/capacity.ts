// Will the lab fit? For a lab file, before buying hardware: what each host needs at each nesting
// level (the hypervisor's own memory, VMs' memory and overhead, reservations), how far memory and
// CPU are overcommitted, and which VMs would not power on and why — by running the same
// admission control and nested checks `up` runs, in the same order.
import type { Host, Inventory, Vm } from '../model/inventory.js';
import { esxiMinimumMemoryMB } from '../model/defaults.js';
import { Ledger, vmDemand, type HostCapacity, type PoolSpec } from './admission.js';
import { nestedRefusal } from './nested.js';
import { overheadMB } from './overhead.js';

export interface HostNeeds {
  name: string;
  /** 0 physical, 1 nested in a physical host, … */
  level: number;
  runsIn: string | null;
  memoryMB: number;
  hypervisorMB: number;
  /** VMs meant to run here (power: on) */
  vms: number;
  /** their configured memory, and the overhead on top */
  vmMemoryMB: number;
  overheadMB: number;
  reservedMB: number;
  /** hypervisor + VMs' memory + overhead: what running everything fully backed takes */
  neededMB: number;
  /** neededMB / memoryMB, in percent (over 100: overcommitted, relying on reclamation) */
  memoryCommitPercent: number;
  vcpus: number;
  cores: number;
  vcpusPerCore: number;
}

export interface CapacityReport {
  lab: string;
  hosts: HostNeeds[];
  /** VMs `up` would fail to power on, in power-on order */
  notPoweredOn: Array<{ name: string; host: string; code: string; message: string }>;
  /** physical hosts: RAM installed against RAM needed */
  physical: { memoryMB: number; neededMB: number; fits: boolean };
}

const round = (x: number) => Math.round(x * 100) / 100;

export function capacityReport(inv: Inventory): CapacityReport {
  const hosts = new Map<string, HostCapacity>();
  for (const h of inv.hosts.values()) {
    hosts.set(h.name, { name: h.name, memoryMB: h.memoryMB - h.reservedMB, cpuMHz: h.cpu.cores * h.cpu.sockets * h.cpu.mhz, ...(h.cluster ? { cluster: h.cluster } : {}) });
  }
  const pools = new Map<string, PoolSpec>();
  for (const c of inv.clusters.values()) {
    for (const p of c.pools) {
      pools.set(p.id, {
        id: p.id, name: p.name, cluster: c.name, ...(p.parent ? { parent: `pool:${c.name}/${p.parent}` } : {}),
        cpu: { reservation: p.cpu.reservation, expandable: p.cpu.expandable ?? true },
        memory: { reservation: p.memory.reservation, expandable: p.memory.expandable ?? true },
      });
    }
  }
  const ledger = new Ledger(hosts, pools);
  const up = new Set<string>([...inv.hosts.values()].filter((h) => h.vm === undefined && !h.maintenance).map((h) => h.name));
  const notPoweredOn: CapacityReport['notPoweredOn'] = [];
  for (const vm of inv.vms.values()) {
    if (vm.power !== 'on') continue;
    const host = inv.hosts.get(vm.host)!;
    const refusal = !up.has(host.name)
      ? { code: host.maintenance ? 'host-in-maintenance' : 'host-not-running', message: `host ${host.name} is not running` }
      : nestedRefusal(vm, host) ?? ledger.check(vmDemand(vm, host.name, host.cluster));
    if (refusal) {
      notPoweredOn.push({ name: vm.name, host: host.name, code: refusal.code, message: refusal.message });
      continue;
    }
    ledger.add(vmDemand(vm, host.name, host.cluster));
    const nested = vm.nested === undefined ? undefined : inv.hosts.get(vm.nested);
    if (nested && !nested.maintenance && (nested.hypervisor !== 'esxi' || vm.memoryMB >= esxiMinimumMemoryMB(nested.version))) up.add(nested.name);
  }
  const report = [...inv.hosts.values()].map((h) => needs(inv, h, ledger));
  const physical = report.filter((h) => h.level === 0);
  const memoryMB = physical.reduce((a, h) => a + h.memoryMB, 0);
  const neededMB = round(physical.reduce((a, h) => a + h.neededMB, 0));
  return { lab: inv.lab, hosts: report, notPoweredOn, physical: { memoryMB, neededMB, fits: neededMB <= memoryMB && notPoweredOn.length === 0 } };
}

function needs(inv: Inventory, h: Host, ledger: Ledger): HostNeeds {
  const vms: Vm[] = [...inv.vms.values()].filter((v) => v.host === h.name && v.power === 'on');
  const vmMemoryMB = vms.reduce((a, v) => a + v.memoryMB, 0);
  const overhead = round(vms.reduce((a, v) => a + overheadMB(v.cpus, v.memoryMB), 0));
  const vcpus = vms.reduce((a, v) => a + v.cpus, 0);
  const cores = h.cpu.cores * h.cpu.sockets;
  const neededMB = round(h.reservedMB + vmMemoryMB + overhead);
  return {
    name: h.name, level: h.depth, runsIn: h.vm === undefined ? null : inv.vms.get(h.vm)!.host,
    memoryMB: h.memoryMB, hypervisorMB: h.reservedMB, vms: vms.length, vmMemoryMB, overheadMB: overhead,
    reservedMB: ledger.hostReserved(h.name).memoryMB, neededMB, memoryCommitPercent: Math.round((neededMB / h.memoryMB) * 100),
    vcpus, cores, vcpusPerCore: round(vcpus / cores),
  };
}
