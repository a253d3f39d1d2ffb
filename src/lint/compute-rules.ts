// Compute and cluster lint rules: what a nested hypervisor needs from its VM and its host
// (spec/compute.md §4, seeds 000/001), memory sizing (§2.1, §2.2), EVC (§5), clusters without
// vCenter or shared storage (§6–§8) and the MAC Learning dvFilter under DRS (seed 001).
import type { Finding } from '../spec/diagnostics.js';
import type { EvcMode } from '../spec/schema.js';
import type { Cluster, Host, Inventory, NetworkRef, Vm } from '../model/inventory.js';
import { commonEvcMode, hardwareVirtualization, maxEvcMode, supportsEvcMode, type Cpu } from '../model/cpu.js';
import { esxiMinimumMemoryMB, esxiRelease, maxHardwareVersion } from '../model/defaults.js';
import { HV_FEATURES } from '../model/nesting.js';
import { overheadMB } from '../compute/overhead.js';
import { finding, hostLabel, hostMemoryPath, mb, placementPath, type LintRule } from './util.js';

/** The VMs that run hypervisors, with their nested host. */
function nestedVms(inv: Inventory): Array<{ vm: Vm; host: Host }> {
  const out: Array<{ vm: Vm; host: Host }> = [];
  for (const vm of inv.vms.values()) {
    const host = vm.nested === undefined ? undefined : inv.hosts.get(vm.nested);
    if (host) out.push({ vm, host });
  }
  return out;
}

const kind = (h: Host) => (h.hypervisor === 'esxi' ? `ESXi ${h.version}` : 'KVM');

// ---- what a nested hypervisor needs (compute.md §4) ------------------------------------------

/** Rule 4 — compute.md §4 (vhv.enable), §3 "Without virtualized HV"; seed 001. */
export const nestedHvNotExposed: LintRule = {
  id: 'nested-hv-not-exposed',
  summary: 'a VM that runs a hypervisor should expose hardware-assisted virtualization (vhv.enable)',
  check(inv) {
    return nestedVms(inv).filter(({ vm }) => !vm.exposeHardwareVirtualization).map(({ vm, host }) => finding(
      'nested-hv-not-exposed',
      host.hypervisor === 'esxi'
        ? `VM "${vm.name}" runs ${kind(host)} but does not expose hardware-assisted virtualization: the nested ESXi sees no VT-x/AMD-V, so its 64-bit guests will not power on (only 32-bit guests run, compute.md §4).`
        : `VM "${vm.name}" runs KVM but does not expose hardware-assisted virtualization: the guest has no VT-x/AMD-V, so /dev/kvm is missing and its VMs fall back to slow emulation or do not start (compute.md §4).`,
      [...vm.source, 'exposeHardwareVirtualization'],
      'set exposeHardwareVirtualization: true ("Expose hardware assisted virtualization to the guest OS"; the VM must be powered off to change it)',
    ));
  },
};

/** Rule 5 — compute.md §4 (virtualized HV supported from hardware version 9); seed 001. */
export const nestedHardwareVersion: LintRule = {
  id: 'nested-hardware-version',
  summary: 'a VM that runs a hypervisor needs virtual hardware version 9 or later',
  check(inv) {
    return nestedVms(inv).filter(({ vm }) => vm.hardwareVersion < 9).map(({ vm, host }) => finding(
      'nested-hardware-version',
      `VM "${vm.name}" runs ${kind(host)} on virtual hardware version ${vm.hardwareVersion}: exposing hardware virtualization to a guest needs version 9 (ESXi 5.1 compatibility) or later (compute.md §4).`,
      [...vm.source, 'hardwareVersion'],
      'set hardwareVersion: 9 or higher (seed 001: "at least Virtual Machine hardware version 9 or 10")',
    ));
  },
};

/** Rule 6a — compute.md §2.2 (installer minimums), §4 "Nested ESXi minimum memory". */
export const nestedEsxiMinMemory: LintRule = {
  id: 'nested-esxi-min-memory',
  summary: 'a nested ESXi VM needs at least the installer minimum memory of its version',
  check(inv) {
    const out: Finding[] = [];
    for (const { vm, host } of nestedVms(inv)) {
      if (host.hypervisor !== 'esxi') continue;
      const min = esxiMinimumMemoryMB(host.version);
      if (vm.memoryMB >= min) continue;
      out.push(finding(
        'nested-esxi-min-memory',
        `VM "${vm.name}" runs ESXi ${host.version} with ${mb(vm.memoryMB)}, below the ${mb(min)} the ESXi ${esxiRelease(host.version).toFixed(1)} installer requires: `
        + 'it will not install, and ESXi itself keeps about 2 GB, leaving little for nested VMs (compute.md §2.2, §4).',
        [...vm.source, 'memory'],
        `set memory: ${min / 1024}GB or more (seed 001 gave its nested ESXi 5.5 hosts 6 GB)`,
      ));
    }
    return out;
  },
};

/** Rule 6b — compute.md §2.2 (6.0: "2 CPU cores"), §4 "At least 2 vCPUs". */
export const nestedEsxiMinCpus: LintRule = {
  id: 'nested-esxi-min-cpus',
  summary: 'a nested ESXi VM needs at least 2 vCPUs',
  check(inv) {
    return nestedVms(inv).filter(({ vm, host }) => host.hypervisor === 'esxi' && vm.cpus < 2).map(({ vm, host }) => finding(
      'nested-esxi-min-cpus',
      `VM "${vm.name}" runs ESXi ${host.version} with ${vm.cpus} vCPU: ESXi needs at least 2 CPU cores and refuses to install on fewer (compute.md §4).`,
      [...vm.source, 'cpus'],
      'set cpus: 2 or more (seed 001: "give your virtual ESXi at least 2 vCPU\'s")',
    ));
  },
};

/** Rule 7 — compute.md §4 (VT-x + EPT or AMD-V + RVI on the host); seed 000/001 (since Nehalem). */
export const hostCpuLacksNestedSupport: LintRule = {
  id: 'host-cpu-lacks-nested-support',
  summary: 'a nested hypervisor needs a host CPU with VT-x + EPT or AMD-V + RVI',
  check(inv) {
    const out: Finding[] = [];
    for (const { vm, host } of nestedVms(inv)) {
      const outer = inv.hosts.get(vm.host);
      if (!outer) continue;
      const hv = hardwareVirtualization(outer.cpu);
      if (hv.vt && hv.mmu) continue;
      const outerVm = outer.vm ? inv.vms.get(outer.vm) : undefined;
      const why = outerVm && !outerVm.exposeHardwareVirtualization
        ? `${hostLabel(outer)}, whose VM does not expose hardware virtualization (its virtual CPU has ${hv.label})`
        : `${hostLabel(outer)}, whose CPU ${outer.cpu.model} has ${hv.label}`;
      out.push(finding(
        'host-cpu-lacks-nested-support',
        `VM "${vm.name}" runs ${kind(host)} on ${why}: nested virtualization needs ${outer.cpu.vendor === 'intel' ? 'VT-x + EPT (Nehalem or later)' : 'AMD-V + RVI'}, `
        + 'so the checkbox "Expose hardware assisted virtualization" is greyed out and 64-bit nested guests cannot run (compute.md §4).',
        placementPath(vm),
        outerVm && !outerVm.exposeHardwareVirtualization
          ? `set exposeHardwareVirtualization: true on VM "${outerVm.name}"`
          : 'run it on a host with an Intel Nehalem-or-later or AMD K10-or-later CPU (e.g. xeon-x5570 or newer)',
      ));
    }
    return out;
  },
};

// ---- memory (compute.md §2) ------------------------------------------------------------------


/**
 * Rule 8 — compute.md §2.1, §2.2 (hostSystemReservedMB), seed 000/001 ("memory is the biggest
 * burden"). Needed = the hypervisor's own memory + per powered-on VM its overhead and its
 * reservation — or, for a VM that runs a hypervisor, its whole configured memory (a nested
 * hypervisor touches all of it and balloons poorly).
 */
export const hostMemoryOvercommitted: LintRule = {
  id: 'host-memory-overcommitted',
  summary: 'a host\'s own memory, reservations, overheads and nested hypervisors\' memory exceed its RAM',
  check(inv) {
    const out: Finding[] = [];
    const onHost = new Map<string, Vm[]>();
    for (const vm of inv.vms.values()) {
      if (vm.power !== 'on') continue;
      const list = onHost.get(vm.host);
      if (list) list.push(vm);
      else onHost.set(vm.host, [vm]);
    }
    for (const host of inv.hosts.values()) {
      const vms = onHost.get(host.name) ?? [];
      let overhead = 0;
      let reserved = 0;
      let nested = 0;
      for (const vm of vms) {
        overhead += overheadMB(vm.cpus, vm.memoryMB);
        if (vm.nested !== undefined) nested += Math.max(vm.memoryMB, vm.memAlloc.reservation);
        else reserved += vm.memAlloc.reservation;
      }
      const needed = host.reservedMB + overhead + reserved + nested;
      if (needed <= host.memoryMB) continue;
      out.push(finding(
        'host-memory-overcommitted',
        `${hostLabel(host)} needs about ${mb(needed)} but has ${mb(host.memoryMB)}: ${mb(host.reservedMB)} for ${host.hypervisor === 'esxi' ? 'ESXi' : 'the hypervisor'} itself`
        + ` + ${mb(nested)} for nested hypervisors + ${mb(reserved)} of reservations + ${mb(overhead)} of per-VM overhead (compute.md §2.1): `
        + 'VMs will fail to power on or the host will swap.',
        hostMemoryPath(inv, host),
        'give the host more memory, power off or move VMs, or shrink the nested hypervisors (seed 000: "get at least a 32GB server")',
      ));
    }
    return out;
  },
};

// ---- EVC (compute.md §5) ------------------------------------------------------------------------

/** Hosts' CPUs compare by vendor and the features their VMs see (EVC masking is in the model). */
function cpuKey(cpu: Cpu): string {
  return `${cpu.vendor}|${[...cpu.features].filter((f) => !HV_FEATURES.has(f)).sort().join(' ')}`;
}

function clusterHosts(inv: Inventory, c: Cluster): Array<{ host: Host; index: number }> {
  return c.hosts.flatMap((name, index) => {
    const host = inv.hosts.get(name);
    return host ? [{ host, index }] : [];
  });
}

/** Rule 9a — compute.md §5, §6 ("compatible CPUs ... or EVC"); seed 000 (Xeon + Atom with EVC Westmere). */
export const clusterMixedCpuWithoutEvc: LintRule = {
  id: 'cluster-mixed-cpu-without-evc',
  summary: 'a cluster whose hosts have different CPUs needs an EVC mode for vMotion/DRS',
  check(inv) {
    const out: Finding[] = [];
    for (const c of inv.clusters.values()) {
      if (c.evc !== undefined) continue;
      const hosts = clusterHosts(inv, c).map(({ host }) => ({ host, v: { cpu: host.cpu } }));
      if (new Set(hosts.map((h) => cpuKey(h.v.cpu))).size < 2) continue;
      const vendors = new Set(hosts.map((h) => h.v.cpu.vendor));
      const list = hosts.map((h) => `${h.host.name} (${h.v.cpu.model}, ${h.v.cpu.generation})`).join(', ');
      const common: EvcMode | undefined = vendors.size === 1 ? commonEvcMode(hosts.map((h) => h.v.cpu)) : undefined;
      out.push(finding(
        'cluster-mixed-cpu-without-evc',
        vendors.size > 1
          ? `cluster ${c.name} mixes Intel and AMD hosts: ${list}. VMs cannot vMotion between vendors, with or without EVC (compute.md §5).`
          : `cluster ${c.name} has hosts with different CPUs and no EVC mode: ${list}. A VM started on the newer CPU cannot vMotion to the older one, so DRS and maintenance mode cannot move it (compute.md §5, §6).`,
        [...c.source, 'evc'],
        vendors.size > 1
          ? 'split the cluster by CPU vendor'
          : common ? `set evc: ${common} (the highest mode every host supports)` : 'no EVC mode fits all hosts: replace or remove the oldest host',
      ));
    }
    return out;
  },
};

/** Rule 9b — compute.md §5 (a host can join an EVC cluster iff same vendor and its max mode ≥ the cluster's). */
export const evcModeUnsupported: LintRule = {
  id: 'evc-mode-unsupported',
  summary: 'a host\'s CPU does not support its cluster\'s EVC mode',
  check(inv) {
    const out: Finding[] = [];
    for (const c of inv.clusters.values()) {
      if (c.evc === undefined) continue;
      for (const { host, index } of clusterHosts(inv, c)) {
        const v = { cpu: host.cpu };
        const s = supportsEvcMode(v.cpu, c.evc);
        if (s.ok) continue;
        const max = maxEvcMode(v.cpu);
        out.push(finding(
          'evc-mode-unsupported',
          s.reason === 'vendor-mismatch'
            ? `${hostLabel(host)} has an ${v.cpu.vendor === 'intel' ? 'Intel' : 'AMD'} CPU (${v.cpu.model}) but cluster ${c.name} uses EVC mode ${c.evc}: Intel and AMD cannot be mixed, so the host cannot join (compute.md §5).`
            : `${hostLabel(host)} (${v.cpu.model}) lacks ${s.missing.length > 6 ? `${s.missing.slice(0, 6).join(', ')} and ${s.missing.length - 6} more features` : s.missing.join(', ')}, needed by EVC mode ${c.evc} of cluster ${c.name}: vCenter refuses to add it to the cluster (compute.md §5).`,
          [...c.source, 'hosts', index],
          max && s.reason === 'missing-features'
            ? `lower the cluster to evc: ${commonEvcMode(clusterHosts(inv, c).map((x) => x.host.cpu)) ?? max} or move ${host.name} to another cluster (its highest mode is ${max})`
            : `move ${host.name} to another cluster`,
        ));
      }
    }
    return out;
  },
};

// ---- clusters -----------------------------------------------------------------------------------

/** Rule 12 — compute.md §6 (shared storage), §8 (HA restarts VMs from shared datastores). */
export const clusterNoSharedDatastore: LintRule = {
  id: 'cluster-no-shared-datastore',
  summary: 'a DRS or HA cluster needs a datastore mounted by all its hosts',
  check(inv) {
    const out: Finding[] = [];
    for (const c of inv.clusters.values()) {
      if (!c.drs.enabled && !c.ha.enabled) continue;
      const hosts = clusterHosts(inv, c).map((x) => x.host);
      if (hosts.length < 2) continue;
      const shared = hosts.slice(1).reduce((acc, h) => acc.filter((d) => h.datastores.includes(d)), [...hosts[0]!.datastores]);
      if (shared.length) continue;
      const services = [c.drs.enabled ? 'DRS' : '', c.ha.enabled ? 'HA' : ''].filter(Boolean).join(' and ');
      out.push(finding(
        'cluster-no-shared-datastore',
        `cluster ${c.name} has ${services} enabled but no datastore is mounted by all of ${hosts.map((h) => h.name).join(', ')}: `
        + `${c.ha.enabled ? 'HA cannot restart a failed host\'s VMs elsewhere and ' : ''}DRS can move VMs only with slow storage migrations (compute.md §6).`,
        [...c.source, 'hosts'],
        'add a shared (NFS or VMFS) datastore whose hosts: lists every host of the cluster',
      ));
    }
    return out;
  },
};

/** Rule 13 — seed 001 (dvFilter entries never age out), network.md R4a.3, R4a.5. */
export const maclearnFrequentMoves: LintRule = {
  id: 'maclearn-frequent-moves',
  summary: 'the MAC Learning dvFilter (entries never age out) on a nested hypervisor whose VMs DRS moves often',
  check(inv) {
    const out: Finding[] = [];
    for (const { vm, host } of nestedVms(inv)) {
      const drsOf = (h: Host | undefined) => {
        const c = h?.cluster === undefined ? undefined : inv.clusters.get(h.cluster);
        return c?.drs.enabled ? c : undefined;
      };
      const outer = drsOf(inv.hosts.get(vm.host));
      const inner = drsOf(host);
      if (!outer && !inner) continue;
      const why = [
        outer ? `VM "${vm.name}" is in DRS cluster ${outer.name} (it moves, and learned entries do not move with it, R4a.5)` : '',
        inner ? `its nested VMs are in DRS cluster ${inner.name} (they move between nested hosts)` : '',
      ].filter(Boolean).join(', and ');
      for (const nic of vm.nics) {
        if (!nic.macLearn) continue;
        out.push(finding(
          'maclearn-frequent-moves',
          `the MAC Learning dvFilter is on VM "${vm.name}"'s NIC ${nic.index}, but ${why}: its learned MACs never age out (R4a.3), `
          + 'so every MAC that ever moved stays registered on every port it passed and the filter\'s performance gain goes away (seed 001).',
          [...nic.source, 'macLearn'],
          'keep the dvFilter for stable nested labs; otherwise use native MAC learning on a vDS 6.6+ dv port group (entries age out, R4c.7)',
        ));
      }
    }
    return out;
  },
};

/** Rule 14 — lab-file.md `vcenter` ("Absent: no vCenter, so no clusters, DRS, HA, vMotion"); seed 001. */
export const clusterWithoutVcenter: LintRule = {
  id: 'cluster-without-vcenter',
  summary: 'clusters (DRS, HA, vMotion) need a vCenter',
  check(inv) {
    if (inv.vcenter !== undefined) return [];
    return [...inv.clusters.values()].map((c) => finding(
      'cluster-without-vcenter',
      `cluster ${c.name} is declared but the lab has no vCenter: clusters, DRS, HA and vMotion are vCenter services, so the hosts run standalone.`,
      c.source,
      'add vcenter: <the vCenter VM> (or vcenter: external)',
    ));
  },
};

// ---- extras ---------------------------------------------------------------------------------------


/** Extra — compute.md §2.2 (hardware versions by release), cloud-nested example ("ESXi 6.0 hosts run up to virtual hardware 11"). */
export const hardwareVersionUnsupported: LintRule = {
  id: 'hardware-version-unsupported',
  summary: 'a VM\'s virtual hardware version is newer than its ESXi host runs',
  check(inv) {
    const out: Finding[] = [];
    for (const vm of inv.vms.values()) {
      const host = inv.hosts.get(vm.host);
      if (host?.hypervisor !== 'esxi') continue;
      const max = maxHardwareVersion(host.version);
      if (vm.hardwareVersion <= max) continue;
      out.push(finding(
        'hardware-version-unsupported',
        `VM "${vm.name}" has virtual hardware version ${vm.hardwareVersion}, but ${hostLabel(host)} runs ESXi ${host.version}, which runs at most version ${max}: the VM cannot be registered or powered on there.`,
        [...vm.source, 'hardwareVersion'],
        `set hardwareVersion: ${max} or lower (the default is 13), or upgrade the host`,
      ));
    }
    return out;
  },
};

/** Extra — compute.md §6 ("identically named VM port groups on both hosts", "on a VDS, both hosts must be members"). */
export const drsNetworkNotOnAllHosts: LintRule = {
  id: 'drs-network-not-on-all-hosts',
  summary: 'a VM in a DRS cluster uses a network that some hosts of the cluster do not have',
  check(inv) {
    const out: Finding[] = [];
    const has = (h: Host, net: NetworkRef): boolean => {
      if (net.kind === 'dvportgroup') return inv.dvswitches.get(net.dvswitch)?.members.some((m) => m.host === h.name) ?? false;
      if (net.kind === 'bridge') return h.bridges.some((b) => b.name === net.name && (net.portgroup === undefined || (b.ovs?.portgroups.some((p) => p.name === net.portgroup) ?? false)));
      return h.vswitches.some((s) => s.portgroups.some((p) => p.name === net.name));
    };
    // Hosts of a cluster lacking a network, computed once per (cluster, network): 40,000 VMs in
    // clusters of 96 hosts would otherwise cost millions of lookups.
    const lacking = new Map<string, Host[]>();
    const hostsLacking = (c: Cluster, net: NetworkRef): Host[] => {
      const key = `${c.name}\u0000${net.kind}\u0000${net.kind === 'dvportgroup' ? net.dvswitch : ''}\u0000${net.name}${net.kind === 'bridge' && net.portgroup !== undefined ? `\u0000${net.portgroup}` : ''}`;
      let list = lacking.get(key);
      if (!list) lacking.set(key, (list = clusterHosts(inv, c).map((x) => x.host).filter((h) => !h.maintenance && !has(h, net))));
      return list;
    };
    for (const vm of inv.vms.values()) {
      const cname = inv.hosts.get(vm.host)?.cluster;
      const c = cname === undefined ? undefined : inv.clusters.get(cname);
      if (!c?.drs.enabled) continue;
      for (const nic of vm.nics) {
        if (!nic.network.id) continue;
        const missing = hostsLacking(c, nic.network).filter((h) => h.name !== vm.host);
        if (!missing.length) continue;
        out.push(finding(
          'drs-network-not-on-all-hosts',
          `VM "${vm.name}" uses network "${nic.network.name}", which ${missing.map((h) => h.name).join(', ')} in DRS cluster ${c.name} ${missing.length === 1 ? 'does' : 'do'} not have: `
          + 'vMotion needs identically named port groups (case-sensitive) on both hosts, so DRS can never move the VM there (compute.md §6).',
          [...nic.source, 'network'],
          `create port group "${nic.network.name}" on ${missing.map((h) => h.name).join(', ')} (seed 001: "create this on each physical host separately"), or use a vDS all hosts are members of`,
        ));
      }
    }
    return out;
  },
};

/** compute.md §7: of two conflicting DRS rules the older wins and the newer is disabled. */
export const drsRuleConflict: LintRule = {
  id: 'drs-rule-conflict',
  summary: 'two DRS rules of a cluster conflict: the newer one is disabled',
  check(inv) {
    const out: Finding[] = [];
    for (const c of inv.clusters.values()) {
      c.rules.forEach((r, j) => {
        if (r.disabledBy === undefined) return;
        out.push(finding(
          'drs-rule-conflict',
          `rule "${r.name}" of cluster ${c.name} conflicts with the older rule "${r.disabledBy}": the older rule wins, so "${r.name}" is disabled — DRS and HA ignore it (compute.md §7).`,
          [...c.source, 'rules', j],
          `remove one of the two rules, or change their VMs or hosts so they agree`,
        ));
      });
    }
    return out;
  },
};
