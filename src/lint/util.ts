// Shared helpers of the lint rules: the rule type, object naming for messages, network look-ups
// and "which MACs leave through this vmnic of a nested hypervisor".
import type { Finding, Path } from '../spec/diagnostics.js';
import type {
  Bridge, DvPortgroup, DvSwitch, Host, HostNic, Inventory, NetworkRef, Portgroup, SwitchPort, Teaming, Vm, VmNic, VSwitch,
} from '../model/inventory.js';
import { compareVersions } from '../model/defaults.js';

export { compareVersions };

/** A lint rule: a warning (never an error) with a stable kebab-case id; a finding's `code` is the id. */
export interface LintRule {
  id: string;
  summary: string;
  check(inv: Inventory): Finding[];
}

export function finding(code: string, message: string, path: Path, hint?: string): Finding {
  return { code, message, path, ...(hint ? { hint } : {}) };
}

// ---- naming ------------------------------------------------------------------------------

/** `host esx1`, or `nested host nesx1` for a hypervisor running in a VM. */
export function hostLabel(h: Host): string {
  return h.vm ? `nested host ${h.name}` : `host ${h.name}`;
}

// ---- networks ----------------------------------------------------------------------------

export type ResolvedNetwork =
  | { kind: 'portgroup'; pg: Portgroup; vswitch: VSwitch; host: Host }
  | { kind: 'dvportgroup'; pg: DvPortgroup; dvs: DvSwitch }
  | { kind: 'bridge'; bridge: Bridge; host: Host };

/** The object a VM NIC's network reference names; undefined when it did not resolve. */
export function resolveNetwork(inv: Inventory, ref: NetworkRef): ResolvedNetwork | undefined {
  if (ref.kind === 'dvportgroup') {
    const dvs = inv.dvswitches.get(ref.dvswitch);
    const pg = dvs?.portgroups.find((p) => p.id === ref.id);
    return dvs && pg ? { kind: 'dvportgroup', pg, dvs } : undefined;
  }
  const host = inv.hosts.get(ref.host);
  if (!host) return undefined;
  if (ref.kind === 'bridge') {
    const bridge = host.bridges.find((b) => b.id === ref.id);
    return bridge ? { kind: 'bridge', bridge, host } : undefined;
  }
  for (const vswitch of host.vswitches) {
    const pg = vswitch.portgroups.find((p) => p.id === ref.id);
    if (pg) return { kind: 'portgroup', pg, vswitch, host };
  }
  return undefined;
}

export function networkLabel(n: ResolvedNetwork): string {
  switch (n.kind) {
    case 'portgroup': return `port group "${n.pg.name}" on ${n.host.name}`;
    case 'dvportgroup': return `dv port group "${n.pg.name}" of vDS ${n.dvs.name}`;
    case 'bridge': return `${n.bridge.ovs ? 'Open vSwitch bridge' : 'bridge'} ${n.bridge.name} on ${n.host.name}`;
  }
}


/** The physical switch port a host NIC is cabled to, if any. */
export function cabledPort(inv: Inventory, nic: HostNic | undefined): SwitchPort | undefined {
  const c = nic?.connect;
  return c ? inv.pswitches.get(c.switch)?.ports.get(c.port) : undefined;
}

/** Native vDS MAC learning exists from vDS 6.6.0 (R4c.1); on an older vDS the setting does nothing. */
export function macLearningActive(dvs: DvSwitch, pg: DvPortgroup): boolean {
  return pg.macLearning.enabled && compareVersions(dvs.version, '6.6.0') >= 0;
}

/** The uplinks a port group's traffic leaves through in normal operation: the active ones (R1.13), else the standby ones. */
export function carriers(t: Teaming): string[] {
  return t.active.length ? t.active : t.standby;
}

// ---- who is attached where -----------------------------------------------------------------

export interface Attachment {
  vm: Vm;
  nic: VmNic;
}

/** Every VM NIC, by the id of the network (port group, dv port group, bridge) it attaches to. */
export function attachments(inv: Inventory): Map<string, Attachment[]> {
  const out = new Map<string, Attachment[]>();
  for (const vm of inv.vms.values()) {
    for (const nic of vm.nics) {
      if (!nic.network.id) continue;
      let list = out.get(nic.network.id);
      if (!list) out.set(nic.network.id, (list = []));
      list.push({ vm, nic });
    }
  }
  return out;
}

/** The VM NIC that is this vmnic of a nested host (HostNic.vnic). */
export function vnicOf(inv: Inventory, host: Host, nic: HostNic): Attachment | undefined {
  if (!host.vm || !nic.vnic) return undefined;
  const vm = inv.vms.get(host.vm);
  const vnic = vm?.nics.find((n) => n.id === nic.vnic);
  return vm && vnic ? { vm, nic: vnic } : undefined;
}

/** Where frames leave a host: a port group/dv port group/bridge inside it and the uplink names it uses there. */
export interface InnerNetwork {
  network: ResolvedNetwork;
  /** NIC names of the host that carry this network's traffic */
  uplinks: string[];
}

/** Every network inside `host` with the host NICs (vmnicN/ethN) that carry its traffic out. */
export function innerNetworks(inv: Inventory, host: Host): InnerNetwork[] {
  const out: InnerNetwork[] = [];
  for (const vswitch of host.vswitches) {
    for (const pg of vswitch.portgroups) {
      out.push({ network: { kind: 'portgroup', pg, vswitch, host }, uplinks: carriers(pg.teaming).filter((u) => vswitch.uplinks.includes(u)) });
    }
  }
  for (const bridge of host.bridges) out.push({ network: { kind: 'bridge', bridge, host }, uplinks: [...bridge.uplinks] });
  for (const dvs of inv.dvswitches.values()) {
    const member = dvs.members.find((m) => m.host === host.name);
    if (!member) continue;
    for (const pg of dvs.portgroups) {
      // dvUplinks uplink1…uplinkN are the member's uplinks in order (resolve.ts).
      const uplinks = carriers(pg.teaming)
        .map((u) => /^uplink(\d+)$/.exec(u))
        .map((m) => (m ? member.uplinks[Number(m[1]) - 1] : undefined))
        .filter((u): u is string => u !== undefined);
      out.push({ network: { kind: 'dvportgroup', pg, dvs }, uplinks });
    }
  }
  return out;
}

export interface MacSource {
  mac: string;
  /** for messages: `VM "web-1"`, `vmk1 of nested host nesx1` */
  what: string;
}

/**
 * The source MACs of the frames that leave `host` (a nested hypervisor) through its NIC `nic`:
 * the VMs and VMkernel ports on the networks that use that NIC as an active uplink, and —
 * for a VM that is itself a hypervisor — whatever leaves through its matching vmnic, recursively
 * (network.md §7.7). The NIC's own MAC may be among them (vmk0, or the 1:1 mapping of §7.6).
 */
export function macsBehind(inv: Inventory, host: Host, nic: HostNic, attached = attachments(inv), seen = new Set<string>()): MacSource[] {
  if (seen.has(nic.id)) return [];
  seen.add(nic.id);
  const out: MacSource[] = [];
  for (const inner of innerNetworks(inv, host)) {
    if (!inner.uplinks.includes(nic.name)) continue;
    const n = inner.network;
    if (n.kind === 'portgroup') {
      for (const k of n.pg.vmkernel) out.push({ mac: k.mac, what: `${k.name} of ${host.name}` });
    }
    const netId = n.kind === 'bridge' ? n.bridge.id : n.pg.id;
    for (const a of attached.get(netId) ?? []) {
      if (a.vm.host !== host.name) continue; // a dv port group spans hosts
      out.push({ mac: a.nic.mac, what: `VM "${a.vm.name}"` });
      const nestedHost = a.vm.nested ? inv.hosts.get(a.vm.nested) : undefined;
      const nestedNic = nestedHost?.nics.find((x) => x.vnic === a.nic.id);
      if (nestedHost && nestedNic) {
        for (const m of macsBehind(inv, nestedHost, nestedNic, attached, seen)) {
          if (m.mac !== a.nic.mac) out.push({ mac: m.mac, what: `${m.what} (inside ${nestedHost.name})` });
        }
      }
    }
  }
  return out;
}

/** `VM "a" (00:50:56:…)`, `VM "b" (…)` and 3 more. */
export function listMacs(list: readonly MacSource[], max = 3): string {
  const shown = list.slice(0, max).map((m) => `${m.what} (${m.mac})`);
  const more = list.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

/** A nested hypervisor's VM declared with `host:` or `cluster:` — the field to point at. */
export function placementPath(vm: Vm): Path {
  return [...vm.source, vm.cluster !== undefined ? 'cluster' : 'host'];
}

/** The lab-file path of a host's memory: `hosts[i].memory`, or the VM's `memory` for a nested host. */
export function hostMemoryPath(inv: Inventory, host: Host): Path {
  const vm = host.vm ? inv.vms.get(host.vm) : undefined;
  return vm ? [...vm.source, 'memory'] : [...host.source, 'memory'];
}

export function mb(n: number): string {
  return `${Math.round(n).toLocaleString('en-US')} MB`;
}
