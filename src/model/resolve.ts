// LabSpec → Inventory: every reference resolved (host, cluster, pool, port group, dv port group,
// bridge, datastore, SWITCH/PORT), names checked, nesting cycles refused, VMs declared with
// `cluster:` placed, MACs and ids assigned. Problems come back as findings with the path of the
// offending value; nothing here throws on user input.
import { resolveConflicts } from '../cluster/rules.js';
import type { Finding, Path } from '../spec/diagnostics.js';
import type { AllocationSpec, DvPortgroupSpec, EvcMode, HostSpec, HostSwitchSpec, LabSpec, NestedSpec, PhysicalSwitchSpec, SecuritySpec, SwitchPortSpec, TeamingSpec, VmSpec } from '../spec/schema.js';
import { PVLAN_ON_STANDARD_SWITCH } from '../spec/sentinels.js';
import { didYouMean } from '../spec/suggest.js';
import { catalogIds, resolveCpu, supportsEvcMode, type Cpu } from './cpu.js';
import {
  DEFAULT_WORKLOAD, defaultReservedMB, defaultTeaming, normalizeEsxiVersion, VDS_SECURITY, VSS_SECURITY, WORKLOAD_PROFILES,
} from './defaults.js';
import {
  ids, type Allocation, type Bridge, type Cluster, type DvPortgroup, type DvSwitch, type DvVlan, type Host, type HostNic,
  type Inventory, type NetworkRef, type PhysicalSwitch, type Portgroup, type PortRef, type Security, type StpConfig, type SwitchPort,
  type Teaming, type VlanRanges, type Vm, type VmNic, type VSwitch,
} from './inventory.js';
import { MacAllocator } from './mac.js';
import { resolveOvsBridge } from './ovs-resolve.js';
import { dvsMulticastFiltering, multicastMac, nicGroups, portMrouter } from './igmp-resolve.js';
import { nestedCpu } from './nesting.js';
import { resolvePvlanMap, resolvePvlanVlan } from './pvlan-resolve.js';
import { checkLagTeaming, resolveLags, resolveMemberLags } from './lacp-resolve.js';
import { MAXIMA, maxVcpus } from './maxima.js';

export interface ResolveContext {
  /** MACs already assigned in the state, by object id: kept so MACs never change */
  macs?: ReadonlyMap<string, string>;
  /** where `cluster:` VMs already run, by VM name: kept so a re-apply never moves them */
  placements?: ReadonlyMap<string, string>;
}

/** How the resolver and its helper modules report a problem in the lab file (nothing throws on input). */
export type ErrorFn = (code: string, message: string, path: Path, hint?: string) => void;

export interface ResolveResult {
  inventory: Inventory;
  errors: Finding[];
}

export function resolveLab(spec: LabSpec, ctx: ResolveContext = {}): ResolveResult {
  return new Resolver(spec, ctx).run();
}

type NameKind = 'host' | 'vm' | 'station';

class Resolver {
  private readonly errors: Finding[] = [];
  private readonly macs: MacAllocator;
  private readonly inv: Inventory;
  private readonly names = new Map<string, { kind: NameKind; path: Path }>();
  private readonly vmSpecs = new Map<string, { spec: VmSpec; index: number }>();
  /** nic ids already used as an uplink, to refuse a NIC on two switches */
  private readonly uplinkOwner = new Map<string, string>();
  /** switch port id → what plugs into it */
  private readonly portOwner = new Map<string, string>();
  /** memory of the powered-on VMs on a host: those the lab file pins there with `host:`, then those `cluster:` placement put there */
  private readonly placedMB = new Map<string, number>();
  private readonly evcAdmits = new Map<string, boolean>();

  constructor(
    private readonly spec: LabSpec,
    private readonly ctx: ResolveContext,
  ) {
    this.macs = new MacAllocator(spec.lab, ctx.macs);
    this.inv = {
      lab: spec.lab,
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      settings: spec.settings,
      hosts: new Map(),
      vms: new Map(),
      stations: new Map(),
      pswitches: new Map(),
      links: [],
      dvswitches: new Map(),
      datastores: new Map(),
      clusters: new Map(),
    };
  }

  /** Records a problem; bound, so the resolver's helper modules report through it too. */
  private readonly error: ErrorFn = (code, message, path, hint) => {
    this.errors.push({ code, message, path, ...(hint ? { hint } : {}) });
  };

  private unknown(what: string, value: string, path: Path, candidates: Iterable<string>, extra?: string): void {
    const hint = didYouMean(value, candidates);
    this.error('unknown-reference', `${what} "${value}" does not exist${extra ? ` ${extra}` : ''}`, path, hint);
  }

  run(): ResolveResult {
    this.reserveExplicitMacs();
    this.declareNames();
    this.physicalNetwork();
    this.datastores();
    this.physicalHosts();
    this.vms();
    this.distributedSwitches();
    this.vmNetworks();
    this.mounts();
    this.clusters();
    this.vcenter();
    this.cabling();
    this.portChannels();
    this.maxima();
    return { inventory: this.inv, errors: this.errors };
  }

  // ---- names ---------------------------------------------------------------------------

  private reserveExplicitMacs(): void {
    const s = this.spec;
    for (const h of s.hosts) for (const n of h.nics) if (n.mac) this.macs.reserve(n.mac);
    for (const v of s.vms) for (const n of v.nics) if (n.mac) this.macs.reserve(n.mac);
    for (const st of s.network.stations) for (const n of st.nics) if (n.mac) this.macs.reserve(n.mac);
    const switches = [...s.hosts.flatMap((h) => h.switches), ...s.vms.flatMap((v) => v.nested?.switches ?? [])];
    for (const sw of switches) for (const pg of sw.portgroups) for (const k of pg.vmkernel) if (k.mac) this.macs.reserve(k.mac);
  }

  private declareNames(): void {
    const declare = (name: string, kind: NameKind, path: Path) => {
      const prior = this.names.get(name);
      if (prior) {
        this.error('duplicate-name', `the name "${name}" is already used by a ${prior.kind} (hosts, VMs and stations share one namespace)`, path);
        return false;
      }
      this.names.set(name, { kind, path });
      return true;
    };
    this.spec.hosts.forEach((h, i) => declare(h.name, 'host', ['hosts', i, 'name']));
    this.spec.vms.forEach((v, i) => {
      if (declare(v.name, 'vm', ['vms', i, 'name'])) this.vmSpecs.set(v.name, { spec: v, index: i });
    });
    this.spec.network.stations.forEach((s, i) => declare(s.name, 'station', ['network', 'stations', i, 'name']));
  }

  private unique<T extends { name: string }>(items: readonly T[], path: Path, what: string): Map<string, number> {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      if (seen.has(item.name)) this.error('duplicate-name', `${what} "${item.name}" is declared twice`, [...path, i, 'name']);
      else seen.set(item.name, i);
    });
    return seen;
  }

  // ---- physical network -------------------------------------------------------------------

  private physicalNetwork(): void {
    const net = this.spec.network;
    this.unique(net.switches, ['network', 'switches'], 'physical switch');
    net.switches.forEach((sw, i) => {
      if (this.inv.pswitches.has(sw.name)) return;
      const ps: PhysicalSwitch = { id: ids.pswitch(sw.name), kind: 'pswitch', name: sw.name, source: ['network', 'switches', i], agingTimeS: sw.agingTime, ports: new Map(), ...switchStp(sw.stp), ...(sw.igmpSnooping === true ? { igmpSnooping: true as const } : {}) };
      for (const [port, p] of Object.entries(sw.ports)) {
        if (port === 'default') continue;
        const allowed = this.vlanRanges(p.allowed, ['network', 'switches', i, 'ports', port, 'allowed'], 1);
        ps.ports.set(port, {
          id: ids.switchport(sw.name, port), kind: 'switchport', name: port, switch: sw.name, source: ['network', 'switches', i, 'ports', port],
          mode: p.mode, vlan: p.vlan, native: p.native, allowed, ...(p.channel !== undefined ? { channel: p.channel } : {}), ...portStp(p), ...portLacp(p), ...portMrouter(p), declared: true,
        });
      }
      this.inv.pswitches.set(sw.name, ps);
    });
    net.stations.forEach((st, i) => {
      if (this.names.get(st.name)?.path[2] !== i) return;
      const used = new Set<string>();
      this.inv.stations.set(st.name, {
        id: ids.station(st.name), kind: 'station', name: st.name, source: ['network', 'stations', i], router: st.router, ...(st.igmpQuerier === true ? { igmpQuerier: true as const } : {}),
        nics: st.nics.map((n, j) => {
          const name = n.name ?? `eth${j}`;
          const path = ['network', 'stations', i, 'nics', j];
          if (used.has(name)) this.error('duplicate-name', `station NIC "${name}" is declared twice`, [...path, 'name']);
          used.add(name);
          const id = ids.stationNic(st.name, name);
          return {
            id, kind: 'station-nic' as const, name, station: st.name, source: path,
            mac: n.mac ? n.mac.toLowerCase() : this.macs.assign(id, 'physical'),
            ...(n.ip ? { ip: n.ip } : {}), ...(n.gateway ? { gateway: n.gateway } : {}), ...(n.vlan !== undefined ? { vlan: n.vlan } : {}),
            connect: this.portRef(n.connect), ...(n.multicast?.length ? { groups: n.multicast } : {}),
          };
        }),
      });
    });
  }

  /** Members of one port channel must agree on mode and VLANs, as switches require to bundle them (R5.4). */
  private portChannels(): void {
    for (const sw of this.inv.pswitches.values()) {
      const first = new Map<string, SwitchPort>();
      for (const p of sw.ports.values()) {
        if (p.channel === undefined && p.channelMode !== undefined) {
          this.error('not-applicable', `switch port ${sw.name}/${p.name} has channelMode ${p.channelMode} but no channel: LACP runs on a port channel`, p.declared ? [...p.source, 'channelMode'] : p.source,
            'add channel: po1 (the same on every member), or drop channelMode');
        }
        if (p.channel === undefined) continue;
        const f = first.get(p.channel);
        if (!f) {
          first.set(p.channel, p);
          continue;
        }
        // Cisco refuses a member whose protocol differs: mode on (static) and LACP do not mix in one channel (R6.5).
        if ((f.channelMode === undefined) !== (p.channelMode === undefined)) {
          this.error('channel-mode-mismatch', `switch port ${sw.name}/${p.name} is in channel ${p.channel} with ${f.name} but ${p.channelMode === undefined ? 'is a static member (mode on)' : `runs LACP (mode ${p.channelMode})`} while ${f.name} ${f.channelMode === undefined ? 'is static (mode on)' : `runs LACP (mode ${f.channelMode})`}`,
            p.declared ? [...p.source, 'channelMode'] : p.source, `give every member of ${p.channel} the same kind of channelMode: on, or active/passive`);
        }
        const same = f.mode === p.mode && (p.mode === 'access' ? f.vlan === p.vlan : f.native === p.native && JSON.stringify(f.allowed) === JSON.stringify(p.allowed));
        if (!same) {
          this.error('channel-mismatch', `switch port ${sw.name}/${p.name} is in channel ${p.channel} with ${f.name} but its mode or VLANs differ`, p.declared ? [...p.source, 'channel'] : p.source,
            `give every member of ${p.channel} the same mode, vlan, native and allowed`);
        }
      }
    }
  }

  private portRef(text: string): PortRef {
    const slash = text.indexOf('/');
    return { switch: text.slice(0, slash), port: text.slice(slash + 1) };
  }

  /** Resolve SWITCH/PORT to its switch port, creating an implicit port from the switch's `default`. */
  private switchPort(ref: PortRef, path: Path, owner: string): SwitchPort | undefined {
    const sw = this.inv.pswitches.get(ref.switch);
    if (!sw) {
      this.unknown('physical switch', ref.switch, path, this.inv.pswitches.keys(), 'under network.switches');
      return undefined;
    }
    let port = sw.ports.get(ref.port);
    if (!port) {
      const swIndex = sw.source[2] as number;
      const d = this.spec.network.switches[swIndex]?.ports.default;
      port = {
        id: ids.switchport(sw.name, ref.port), kind: 'switchport', name: ref.port, switch: sw.name, source: path,
        mode: d?.mode ?? 'access', vlan: d?.vlan ?? 1, native: d?.native ?? 1,
        allowed: d ? this.vlanRanges(d.allowed, [...sw.source, 'ports', 'default', 'allowed'], 1) : [[1, 4094]],
        ...(d?.channel !== undefined ? { channel: d.channel } : {}), ...(d ? { ...portStp(d), ...portLacp(d), ...portMrouter(d) } : {}), declared: false,
      };
      sw.ports.set(ref.port, port);
    }
    const prior = this.portOwner.get(port.id);
    if (prior && prior !== owner) {
      this.error('port-in-use', `switch port ${ref.switch}/${ref.port} is already connected to ${prior}`, path, 'a port takes one cable: pick another port');
      return undefined;
    }
    this.portOwner.set(port.id, owner);
    return port;
  }

  private vlanRanges(spec: 'all' | ReadonlyArray<number | string>, path: Path, min: number): VlanRanges {
    if (spec === 'all') return [[min, 4094]];
    const ranges: Array<[number, number]> = [];
    spec.forEach((item, i) => {
      const [first, last = first] = typeof item === 'number' ? [item] : item.split('-').map(Number);
      const [lo, hi] = [first!, last!];
      if (!(lo >= min && hi <= 4094 && lo <= hi)) {
        this.error('invalid-value', `VLAN range "${item}" must lie within ${min}–4094 with low ≤ high`, [...path, i]);
        return;
      }
      ranges.push([lo, hi]);
    });
    ranges.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const r of ranges) {
      const last = merged[merged.length - 1];
      if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    return merged;
  }

  // ---- datastores -----------------------------------------------------------------------

  private datastores(): void {
    this.unique(this.spec.datastores, ['datastores'], 'datastore');
    this.spec.datastores.forEach((d, i) => {
      if (this.inv.datastores.has(d.name)) return;
      this.inv.datastores.set(d.name, {
        id: ids.datastore(d.name), kind: 'datastore', name: d.name, source: ['datastores', i],
        type: d.type, capacityMB: d.capacity, hosts: [], cache: d.cache,
      });
    });
  }

  // ---- hosts ----------------------------------------------------------------------------

  private physicalHosts(): void {
    this.spec.hosts.forEach((h, i) => {
      if (this.names.get(h.name)?.path[1] !== i) return;
      const path: Path = ['hosts', i];
      const cpu = resolveCpu(h.cpu);
      if (!cpu) {
        this.unknown('CPU', String(h.cpu), [...path, 'cpu'], catalogIds());
        return;
      }
      const host = this.hostShell(h, h.name, path, cpu, h.memory, 0);
      const nicNames = new Set<string>();
      h.nics.forEach((n, j) => {
        if (nicNames.has(n.name)) this.error('duplicate-name', `NIC "${n.name}" is declared twice on host ${h.name}`, [...path, 'nics', j, 'name']);
        nicNames.add(n.name);
        const id = ids.nic(h.name, n.name);
        host.nics.push({
          id, kind: 'nic', name: n.name, host: h.name, source: [...path, 'nics', j], speed: n.speed,
          mac: n.mac ? n.mac.toLowerCase() : this.macs.assign(id, 'physical'),
          ...(n.connect ? { connect: this.portRef(n.connect) } : {}),
        });
      });
      this.hostSwitches(host, h, path);
      this.inv.hosts.set(h.name, host);
    });
  }

  private hostShell(h: HostSpec | NestedSpec, name: string, path: Path, cpu: Cpu, memoryMB: number, depth: number): Host {
    let version: string;
    if (h.hypervisor === 'esxi') {
      const v = normalizeEsxiVersion(h.version);
      if (v === undefined) this.error('invalid-value', `ESXi version ${JSON.stringify(h.version)} is not one nestlab knows`, [...path, 'version'], 'use 5.5, 6.0, 6.5, 6.7, 7.0 or 8.0, optionally with an update such as 6.7u3');
      version = v ?? '8.0';
    } else version = h.version === undefined ? 'linux' : String(h.version);
    const reservedMB = h.reserved ?? defaultReservedMB(h.hypervisor);
    if (reservedMB >= memoryMB) {
      this.error('invalid-value', `the hypervisor's own memory (${reservedMB} MB) must be less than the host's memory (${memoryMB} MB)`, [...path, h.reserved !== undefined ? 'reserved' : 'memory']);
    }
    return {
      id: ids.host(name), kind: 'host', name, source: path, hypervisor: h.hypervisor, version, depth, cpu, memoryMB, reservedMB,
      nics: [], vswitches: [], bridges: [], datastores: [], maintenance: h.maintenance,
    };
  }

  private hostSwitches(host: Host, h: HostSpec | NestedSpec, path: Path): void {
    this.unique(h.switches, [...path, 'switches'], `switch on ${host.name}:`);
    const pgNames = new Map<string, Path>();
    const vmkNames = new Set<string>();
    h.switches.forEach((sw, i) => {
      const swPath = [...path, 'switches', i];
      // R3.11: private VLANs exist on distributed switches only.
      sw.portgroups.forEach((pg, j) => {
        if (pg.vlan === PVLAN_ON_STANDARD_SWITCH) {
          this.error('pvlan-needs-vds', `private VLANs are a distributed switch feature; port group "${pg.name}" is on ${host.hypervisor === 'esxi' ? 'the standard vSwitch' : 'the bridge'} ${sw.name} of ${host.name}`,
            [...swPath, 'portgroups', j, 'vlan'], 'put the port group on a distributedSwitches entry with a pvlans map, or give it a plain vlan id');
        }
      });
      // R6.5: LACP link aggregation groups exist on distributed switches only.
      if (sw.lags !== undefined) {
        this.error('lag-needs-vds', `link aggregation groups (LACP) are a distributed switch feature; ${sw.name} of ${host.name} is ${host.hypervisor === 'esxi' ? 'a standard vSwitch' : 'a bridge'}`,
          [...swPath, 'lags'], 'declare the LAG under distributedSwitches: [{ lags: [{ name: lag1, ports: 2 }], members: [{ host, lags: { lag1: [vmnic0, vmnic1] } }] }], or use a static EtherChannel with teaming: { policy: ip-hash }');
      }
      if (host.vswitches.some((s) => s.name === sw.name) || host.bridges.some((b) => b.name === sw.name)) return;
      const uplinks = this.uplinks(host, sw.uplinks, [...swPath, 'uplinks'], ids[host.hypervisor === 'esxi' ? 'vswitch' : 'bridge'](host.name, sw.name));
      if (host.hypervisor === 'kvm') {
        if (sw.type === 'ovs') {
          this.notApplicable(sw, swPath, ['multicastSnooping'], 'an Open vSwitch bridge (its mcast_snooping_enable is not modelled)');
          // R8.5: an Open vSwitch bridge (src/model/ovs-resolve.ts).
          const names = new Set(h.switches.map((x) => x.name));
          host.bridges.push(resolveOvsBridge(host, sw, swPath, uplinks, pgNames, names, this.error));
          return;
        }
        this.notApplicable(sw, swPath, ['security', 'teaming'], 'a Linux bridge (kvm host)');
        this.notApplicable(sw, swPath, ['bond'], 'a Linux bridge (it applies to Open vSwitch bridges, type: ovs)');
        if (sw.portgroups.length) this.error('not-applicable', 'port groups belong to ESXi vSwitches and Open vSwitch bridges (type: ovs); VM NICs on a Linux bridge attach to it by its name', [...swPath, 'portgroups']);
        host.bridges.push({
          id: ids.bridge(host.name, sw.name), kind: 'bridge', name: sw.name, source: swPath, host: host.name, uplinks, mtu: sw.mtu,
          agingTimeS: sw.agingTime ?? 300, vlanFiltering: sw.vlanFiltering ?? false, stp: sw.stp ?? false, ...(sw.multicastSnooping === false ? { multicastSnooping: false as const } : {}),
        });
        return;
      }
      this.notApplicable(sw, swPath, ['multicastSnooping'], 'an ESXi vSwitch (standard switches filter multicast by MAC, R1.7; snooping is a distributed switch\'s multicastFiltering: snooping)');
      this.notApplicable(sw, swPath, ['agingTime', 'vlanFiltering', 'stp', 'type', 'bond'], 'an ESXi vSwitch (they apply to Linux bridges and Open vSwitch bridges on kvm hosts)');
      const security = withSecurity(VSS_SECURITY, sw.security);
      const teaming = this.teaming(defaultTeaming(uplinks), sw.teaming, uplinks, [...swPath, 'teaming']);
      const vs: VSwitch = {
        id: ids.vswitch(host.name, sw.name), kind: 'vswitch', name: sw.name, source: swPath, host: host.name, uplinks, mtu: sw.mtu,
        security, teaming, portgroups: [],
      };
      sw.portgroups.forEach((pg, j) => {
        const pgPath = [...swPath, 'portgroups', j];
        if (pgNames.has(pg.name)) {
          this.error('duplicate-name', `port group "${pg.name}" already exists on host ${host.name} (port group names are unique per host)`, [...pgPath, 'name']);
          return;
        }
        pgNames.set(pg.name, pgPath);
        const p: Portgroup = {
          id: ids.portgroup(host.name, pg.name), kind: 'portgroup', name: pg.name, source: pgPath, host: host.name, vswitch: sw.name,
          vlan: pg.vlan === PVLAN_ON_STANDARD_SWITCH ? 0 : pg.vlan, security: withSecurity(security, pg.security),
          teaming: this.teaming(teaming, pg.teaming, uplinks, [...pgPath, 'teaming']), vmkernel: [],
        };
        pg.vmkernel.forEach((k, m) => {
          const kPath = [...pgPath, 'vmkernel', m];
          if (vmkNames.has(k.name)) {
            this.error('duplicate-name', `VMkernel port ${k.name} already exists on host ${host.name}`, [...kPath, 'name']);
            return;
          }
          vmkNames.add(k.name);
          const id = ids.vmknic(host.name, k.name);
          // R1.16: vmk0 takes the MAC of its switch's first uplink; other vmknics get 00:50:56:…
          const firstUplink = host.nics.find((n) => n.name === uplinks[0]);
          const mac = k.mac ? k.mac.toLowerCase() : k.name === 'vmk0' && firstUplink ? firstUplink.mac : this.macs.assign(id, 'vmknic');
          p.vmkernel.push({
            id, kind: 'vmknic', name: k.name, source: kPath, host: host.name, portgroup: pg.name, vswitch: sw.name, mac, services: k.services,
            ...(k.ip ? { ip: k.ip } : {}), ...(k.gateway ? { gateway: k.gateway } : {}),
          });
        });
        vs.portgroups.push(p);
      });
      host.vswitches.push(vs);
    });
  }

  private notApplicable(sw: HostSwitchSpec, path: Path, fields: Array<keyof HostSwitchSpec>, where: string): void {
    for (const f of fields) if (sw[f] !== undefined) this.error('not-applicable', `"${f}" does not apply to ${where}`, [...path, f]);
  }

  /** Uplink names must be the host's NICs, each NIC serving one switch. */
  private uplinks(host: Host, names: readonly string[], path: Path, owner: string): string[] {
    const out: string[] = [];
    names.forEach((n, i) => {
      const nic = host.nics.find((x) => x.name === n);
      if (!nic) {
        const extra = host.vm ? `(the nested host's NICs are its VM's vNICs: ${host.nics.map((x) => x.name).join(', ') || 'none'})` : `on host ${host.name}`;
        this.unknown('NIC', n, [...path, i], host.nics.map((x) => x.name), extra);
        return;
      }
      const prior = this.uplinkOwner.get(nic.id);
      if (prior && prior !== owner) {
        this.error('uplink-in-use', `${host.name}/${n} is already an uplink of ${prior.replace(/^\w+:/, '')}`, [...path, i], 'a physical NIC serves one switch');
        return;
      }
      this.uplinkOwner.set(nic.id, owner);
      if (!out.includes(n)) out.push(n);
    });
    return out;
  }

  private teaming(base: Teaming, spec: TeamingSpec | undefined, uplinks: readonly string[], path: Path): Teaming {
    if (!spec) return base;
    const t: Teaming = {
      policy: spec.policy ?? base.policy,
      failback: spec.failback ?? base.failback,
      notifySwitches: spec.notifySwitches ?? base.notifySwitches,
      detection: spec.detection ?? base.detection,
      active: base.active, standby: base.standby, unused: base.unused,
    };
    if (spec.active || spec.standby || spec.unused) {
      // Overriding the failover order sets all three lists; uplinks not named become unused.
      const seen = new Map<string, string>();
      const list = (key: 'active' | 'standby' | 'unused') =>
        (spec[key] ?? []).filter((n, i) => {
          if (!uplinks.includes(n)) {
            this.unknown('uplink', n, [...path, key, i], uplinks, 'on this switch');
            return false;
          }
          if (seen.has(n)) {
            this.error('invalid-teaming', `uplink ${n} is listed as both ${seen.get(n)} and ${key}`, [...path, key, i]);
            return false;
          }
          seen.set(n, key);
          return true;
        });
      t.active = list('active');
      t.standby = list('standby');
      t.unused = [...list('unused'), ...uplinks.filter((u) => !seen.has(u))];
    }
    if (t.policy === 'ip-hash' && t.standby.length) {
      this.error('invalid-teaming', 'route based on IP hash cannot have standby uplinks (R5.4)', [...path, 'standby'], 'make every uplink active, or choose another policy');
    }
    return t;
  }

  // ---- VMs and nested hosts -----------------------------------------------------------------

  /** Depth of every VM (1 = on a physical host); refuses cycles such as a VM hosted on itself. */
  private vms(): void {
    const depth = new Map<string, number>();
    const visiting = new Set<string>();
    const clusterOf = new Map(this.spec.clusters.map((c, i) => [c.name, i] as const));
    const hostDepth = (name: string, via: string): number | undefined => {
      if (this.inv.hosts.has(name) && !this.vmSpecs.has(name)) return 0;
      const v = this.vmSpecs.get(name);
      if (!v?.spec.nested) return undefined;
      return vmDepth(name, via);
    };
    const vmDepth = (name: string, via: string): number | undefined => {
      const known = depth.get(name);
      if (known !== undefined) return known;
      if (visiting.has(name)) {
        const { index } = this.vmSpecs.get(via)!;
        this.error('nesting-cycle', `VM "${via}" would run inside itself: its host chain loops back through "${name}"`, ['vms', index, this.vmSpecs.get(via)!.spec.host !== undefined ? 'host' : 'cluster']);
        return undefined;
      }
      const v = this.vmSpecs.get(name);
      if (!v) return undefined;
      visiting.add(name);
      let d: number | undefined;
      if (v.spec.host !== undefined) {
        const hd = hostDepth(v.spec.host, name);
        d = hd === undefined ? undefined : hd + 1;
      } else if (v.spec.cluster !== undefined) {
        const ci = clusterOf.get(v.spec.cluster);
        const hosts = ci === undefined ? [] : this.spec.clusters[ci]!.hosts;
        const ds = hosts.map((h) => hostDepth(h, name));
        d = ds.length && ds.every((x) => x !== undefined) ? Math.max(...(ds as number[])) + 1 : undefined;
      }
      visiting.delete(name);
      if (d !== undefined) depth.set(name, d);
      return d;
    };

    for (const [name, { spec: v, index }] of this.vmSpecs) {
      const path: Path = ['vms', index];
      if ((v.host === undefined) === (v.cluster === undefined)) {
        this.error(v.host === undefined ? 'missing-field' : 'invalid-value', `VM "${name}" needs exactly one of host or cluster`, v.host === undefined ? path : [...path, 'cluster'],
          'host: names the hypervisor it runs on; cluster: lets placement pick one');
        continue;
      }
      if (v.host !== undefined && !this.inv.hosts.has(v.host) && !this.vmSpecs.get(v.host)?.spec.nested) {
        const isVm = this.vmSpecs.has(v.host);
        const candidates = [...this.inv.hosts.keys(), ...[...this.vmSpecs.values()].filter((x) => x.spec.nested).map((x) => x.spec.name)];
        if (isVm) this.error('not-a-hypervisor', `VM "${name}" is placed on "${v.host}", a VM that runs no hypervisor`, [...path, 'host'], `give "${v.host}" a nested: block to make it a hypervisor`);
        else this.unknown('host', v.host, [...path, 'host'], candidates);
        continue;
      }
      if (v.cluster !== undefined && !clusterOf.has(v.cluster)) {
        this.unknown('cluster', v.cluster, [...path, 'cluster'], clusterOf.keys());
        continue;
      }
      vmDepth(name, name);
    }
    // Pinned VMs count before any `cluster:` VM is registered, whatever their order in the file.
    for (const { spec: v } of this.vmSpecs.values()) if (v.host !== undefined && v.power === 'on') this.placed(v.host, v.memory);
    // Resolve outer levels first: a nested host must exist before the VMs inside it.
    const order = [...depth.entries()].sort((a, b) => a[1] - b[1] || this.vmSpecs.get(a[0])!.index - this.vmSpecs.get(b[0])!.index);
    for (const [name, d] of order) this.vm(this.vmSpecs.get(name)!, d);
  }

  private vm({ spec: v, index }: { spec: VmSpec; index: number }, depth: number): void {
    const path: Path = ['vms', index];
    const hostName = v.host ?? this.place(v, path);
    const host = hostName === undefined ? undefined : this.inv.hosts.get(hostName);
    if (!host) return;
    const cpuAlloc = this.allocation(v.resources?.cpu, 'cpu', [...path, 'resources', 'cpu'], v.cpus * host.cpu.mhz);
    const memAlloc = this.allocation(v.resources?.memory, 'memory', [...path, 'resources', 'memory'], v.memory);
    const outerVm = host.vm ? this.inv.vms.get(host.vm) : undefined;
    const vm: Vm = {
      id: ids.vm(v.name), kind: 'vm', name: v.name, source: path, host: host.name,
      ...(v.cluster !== undefined ? { cluster: v.cluster } : {}), ...(v.pool !== undefined ? { pool: v.pool } : {}),
      cpus: v.cpus, memoryMB: v.memory, hardwareVersion: v.hardwareVersion, exposeHardwareVirtualization: v.exposeHardwareVirtualization,
      tools: v.tools, guestArch: v.guestArch, ...(v.pshareSalt !== undefined ? { pshareSalt: v.pshareSalt } : {}), power: v.power, cpuAlloc, memAlloc, workload: workload(v.workload),
      disks: v.disks.map((d) => ({ datastore: d.datastore, sizeMB: d.size, provisioning: d.provisioning, ...(d.linkedCloneOf ? { linkedCloneOf: d.linkedCloneOf } : {}) })),
      nics: [], ...(v.role ? { role: v.role } : {}), ...(v.ha ? { ha: { restartPriority: v.ha.restartPriority, vmMonitoring: v.ha.vmMonitoring } } : {}),
      ...(v.drs ? { drs: { automation: v.drs.automation } } : {}),
      path: outerVm ? [...outerVm.path, v.name] : [host.name, v.name],
    };
    if (v.exposeHardwareVirtualization && v.pciPassthrough) {
      this.error('passthrough-with-vhv', 'Virtualization is not supported on a virtual machine with a PCI passthrough device', [...path, 'exposeHardwareVirtualization'], 'remove the passthrough device, or do not expose hardware virtualization');
    }
    if (v.exposeHardwareVirtualization && v.hardwareVersion < 9) {
      this.error('hardware-version-too-old', `exposeHardwareVirtualization needs virtual hardware version 9 or later; VM "${v.name}" has ${v.hardwareVersion}`, [...path, 'hardwareVersion'], 'set hardwareVersion: 9 or higher');
    }
    // NICs get their MACs now (a nested host's vmnics take them); networks resolve later, once vDSs exist.
    vm.nics = v.nics.map((n, j) => {
      const id = ids.vnic(v.name, j);
      return {
        id, kind: 'vnic', name: `Network adapter ${j + 1}`, source: [...path, 'nics', j], vm: v.name, index: j,
        network: { kind: 'portgroup', id: '', host: host.name, name: n.network }, adapter: n.adapter,
        mac: n.mac ? n.mac.toLowerCase() : this.macs.assign(id, 'vnic'),
        ...(n.ip ? { ip: n.ip } : {}), ...(n.gateway ? { gateway: n.gateway } : {}), ...(n.vlan !== undefined ? { vlan: n.vlan } : {}),
        promiscuous: n.promiscuous, connected: n.connected, macLearn: n.macLearn === true || n.macLearn === 'dvfilter', ...(n.macLearn === 'learnswitch' ? { learnswitch: true as const } : {}), multicast: n.multicast.map(multicastMac), ...nicGroups(n.multicast),
      };
    });
    this.inv.vms.set(v.name, vm);
    if (v.nested) {
      const nestedHost = this.hostShell(v.nested, v.name, [...path, 'nested'], nestedCpu(host.cpu, v, this.specIndex().evc.get(host.name)), v.memory, depth);
      nestedHost.vm = v.name;
      vm.nested = v.name;
      const prefix = v.nested.hypervisor === 'esxi' ? 'vmnic' : 'eth';
      nestedHost.nics = vm.nics.map((n): HostNic => ({
        id: ids.nic(v.name, `${prefix}${n.index}`), kind: 'nic', name: `${prefix}${n.index}`, host: v.name, source: n.source, mac: n.mac, speed: 10000, vnic: n.id,
      }));
      this.hostSwitches(nestedHost, v.nested, [...path, 'nested']);
      this.inv.hosts.set(v.name, nestedHost);
    }
  }

  /** Initial placement of a `cluster:` VM: the host it already runs on, else the compatible host with the most unplaced memory. */
  private place(v: VmSpec, path: Path): string | undefined {
    const cluster = this.spec.clusters.find((c) => c.name === v.cluster)!;
    const kept = this.ctx.placements?.get(v.name);
    if (kept && cluster.hosts.includes(kept) && this.inv.hosts.has(kept)) return this.placed(kept, v.memory);
    let best: { host: Host; free: number } | undefined;
    const reasons: string[] = [];
    for (const name of cluster.hosts) {
      const h = this.inv.hosts.get(name);
      if (!h) continue;
      if (h.maintenance) { reasons.push(`${name} is in maintenance mode`); continue; }
      // compute.md §5: a host whose CPU lacks the cluster's EVC mode is refused by the cluster.
      if (cluster.evc && !this.admitsEvc(h, cluster.evc)) { reasons.push(`${name} is refused by the cluster's EVC mode ${cluster.evc}`); continue; }
      const missing = v.nics.find((n) => !this.hostHasNetwork(h, n.network))?.network;
      if (missing !== undefined) { reasons.push(`${name} has no network "${missing}"`); continue; }
      const ds = v.disks.find((d) => !this.mountedOn(d.datastore, name))?.datastore;
      if (ds !== undefined) { reasons.push(`${name} does not mount datastore "${ds}"`); continue; }
      const free = h.memoryMB - h.reservedMB - (this.placedMB.get(name) ?? 0);
      if (!best || free > best.free) best = { host: h, free };
    }
    if (!best) {
      this.error('no-compatible-host', `no host in cluster "${cluster.name}" can run VM "${v.name}"${reasons.length ? `: ${reasons.join('; ')}` : ' (the cluster has no hosts)'}`, [...path, 'cluster']);
      return undefined;
    }
    return this.placed(best.host.name, v.memory);
  }

  /** compute.md §5: can this host join a cluster at this EVC mode? (once per host and mode) */
  private admitsEvc(h: Host, mode: EvcMode): boolean {
    const key = `${h.name}\u0000${mode}`;
    let ok = this.evcAdmits.get(key);
    if (ok === undefined) this.evcAdmits.set(key, (ok = supportsEvcMode(h.cpu, mode).ok));
    return ok;
  }

  private placed(host: string, memoryMB: number): string {
    this.placedMB.set(host, (this.placedMB.get(host) ?? 0) + memoryMB);
    return host;
  }

  private hostHasNetwork(h: Host, network: string): boolean {
    if (h.vswitches.some((s) => s.portgroups.some((p) => p.name === network))) return true;
    if (h.bridges.some((b) => b.name === network || b.ovs?.portgroups.some((p) => p.name === network))) return true;
    return this.specIndex().dvNetworks.get(h.name)?.has(network) ?? false;
  }

  private mountedOn(datastore: string, host: string): boolean {
    return this.specIndex().mounts.get(host)?.has(datastore) ?? false;
  }

  private index?: { mounts: Map<string, Set<string>>; dvNetworks: Map<string, Set<string>>; evc: Map<string, EvcMode> };

  /** As declared: datastores each host mounts, dv port groups it sees, its cluster's EVC mode. */
  private specIndex(): NonNullable<Resolver['index']> {
    if (this.index) return this.index;
    const mounts = new Map<string, Set<string>>();
    const dvNetworks = new Map<string, Set<string>>();
    const add = (m: Map<string, Set<string>>, k: string, v: string) => {
      let set = m.get(k);
      if (!set) m.set(k, (set = new Set()));
      set.add(v);
    };
    for (const d of this.spec.datastores) for (const h of d.hosts) add(mounts, h, d.name);
    for (const h of this.spec.hosts) for (const d of h.datastores) add(mounts, h.name, d);
    for (const v of this.spec.vms) for (const d of v.nested?.datastores ?? []) add(mounts, v.name, d);
    for (const d of this.spec.distributedSwitches) for (const m of d.members) for (const p of d.portgroups) add(dvNetworks, m.host, p.name);
    const evc = new Map<string, EvcMode>();
    for (const c of this.spec.clusters) if (c.evc) for (const h of c.hosts) if (!evc.has(h)) evc.set(h, c.evc);
    this.index = { mounts, dvNetworks, evc };
    return this.index;
  }

  private allocation(spec: AllocationSpec | undefined, what: 'cpu' | 'memory', path: Path, configured: number): Allocation {
    const a: Allocation = { shares: spec?.shares ?? 'normal', reservation: spec?.reservation ?? 0, ...(spec?.limit !== undefined ? { limit: spec.limit } : {}) };
    const unit = what === 'cpu' ? 'MHz' : 'MB';
    if (what === 'memory' && a.reservation > configured) {
      this.error('invalid-value', `memory reservation ${a.reservation} MB is larger than the VM's memory (${configured} MB)`, [...path, 'reservation']);
    }
    if (a.limit !== undefined && a.limit < a.reservation) {
      this.error('invalid-value', `${what} limit ${a.limit} ${unit} is below the reservation ${a.reservation} ${unit}`, [...path, 'limit']);
    }
    return a;
  }

  // ---- distributed switches ---------------------------------------------------------------

  private distributedSwitches(): void {
    this.unique(this.spec.distributedSwitches, ['distributedSwitches'], 'distributed switch');
    this.spec.distributedSwitches.forEach((d, i) => {
      if (this.inv.dvswitches.has(d.name)) return;
      const path: Path = ['distributedSwitches', i];
      const version = typeof d.version === 'number' ? `${d.version.toFixed(1)}.0` : d.version;
      const members: DvSwitch['members'] = [];
      const memberSpecs: Array<[Host, LabSpec['distributedSwitches'][number]['members'][number], number, string[]]> = [];
      let maxUplinks = 0;
      d.members.forEach((m, j) => {
        const host = this.inv.hosts.get(m.host);
        if (!host) {
          this.unknown('host', m.host, [...path, 'members', j, 'host'], this.inv.hosts.keys());
          return;
        }
        if (host.hypervisor !== 'esxi') {
          this.error('not-applicable', `host ${m.host} runs kvm; only ESXi hosts join a distributed switch`, [...path, 'members', j, 'host']);
          return;
        }
        if (members.some((x) => x.host === m.host)) {
          this.error('duplicate-name', `host ${m.host} is already a member of this distributed switch`, [...path, 'members', j, 'host']);
          return;
        }
        const uplinks = this.uplinks(host, m.uplinks, [...path, 'members', j, 'uplinks'], ids.dvswitch(d.name));
        maxUplinks = Math.max(maxUplinks, uplinks.length);
        memberSpecs.push([host, m, j, uplinks]);
      });
      // vDS teaming names dvUplinks: uplink1 … uplinkN map to each member's uplinks in order.
      const dvUplinks = Array.from({ length: Math.max(maxUplinks, 1) }, (_, k) => `uplink${k + 1}`);
      // R6.5: LAGs (lacp-resolve.ts) — teaming names them like uplinks; a new LAG is unused.
      const lags = resolveLags(d, version, dvUplinks, path, this.error);
      for (const [host, m, j, uplinks] of memberSpecs) {
        const at: Path = [...path, 'members', j];
        const onLags = resolveMemberLags(host, m, lags, uplinks, at, this.error, (names, p) => this.uplinks(host, names, p, ids.dvswitch(d.name)));
        members.push({ host: m.host, uplinks, ...(onLags ? { lags: onLags } : {}) });
      }
      const teamNames = [...dvUplinks, ...(lags ?? []).map((l) => l.name)];
      const security = withSecurity(VDS_SECURITY, d.security);
      const teaming = this.teaming({ ...defaultTeaming(dvUplinks), unused: (lags ?? []).map((l) => l.name) }, d.teaming, teamNames, [...path, 'teaming']);
      if (d.teaming) checkLagTeaming(teaming, lags, [...path, 'teaming'], this.error);
      this.unique(d.portgroups, [...path, 'portgroups'], 'dv port group');
      const dvs: DvSwitch = { id: ids.dvswitch(d.name), kind: 'dvswitch', name: d.name, source: path, version, mtu: d.mtu, members, security, teaming, portgroups: [], ...(lags ? { lags } : {}),
        ...dvsMulticastFiltering(d.multicastFiltering, version, path, this.error) };
      // R3.11: the private VLAN map, before the port groups that name its ids (pvlan-resolve.ts).
      const pvlans = resolvePvlanMap(d.pvlans, [...path, 'pvlans'], this.error);
      if (pvlans) dvs.pvlans = pvlans;
      d.portgroups.forEach((pg, j) => {
        if (dvs.portgroups.some((p) => p.name === pg.name)) return;
        const pgPath = [...path, 'portgroups', j];
        dvs.portgroups.push({
          id: ids.dvportgroup(d.name, pg.name), kind: 'dvportgroup', name: pg.name, source: pgPath, dvswitch: d.name,
          vlan: this.dvVlan(pg, pgPath, dvs), binding: pg.binding, ports: pg.ports,
          security: withSecurity(security, pg.security), teaming: this.pgTeaming(teaming, pg.teaming, teamNames, lags, [...pgPath, 'teaming']),
          macLearning: {
            enabled: pg.macLearning?.enabled ?? false, allowUnicastFlooding: pg.macLearning?.allowUnicastFlooding ?? true,
            limit: pg.macLearning?.limit ?? 4096, limitPolicy: pg.macLearning?.limitPolicy ?? 'drop', agingTimeS: pg.macLearning?.agingTime ?? 300,
          },
        });
      });
      this.inv.dvswitches.set(d.name, dvs);
    });
  }

  /** A dv port group's teaming over the switch's, with the LAG rules when it overrides them (R6.5). */
  private pgTeaming(base: Teaming, spec: TeamingSpec | undefined, names: readonly string[], lags: DvSwitch['lags'], path: Path): Teaming {
    const t = this.teaming(base, spec, names, path);
    if (spec) checkLagTeaming(t, lags, path, this.error);
    return t;
  }

  private dvVlan(pg: DvPortgroupSpec, path: Path, dvs: DvSwitch): DvVlan {
    const v = pg.vlan;
    if (v === undefined || v === 'none' || v === 0) return { type: 'none' };
    if (typeof v === 'number') return { type: 'vlan', id: v };
    if ('pvlan' in v) return resolvePvlanVlan(v.pvlan, dvs.pvlans, dvs.name, [...path, 'vlan', 'pvlan'], this.error);
    return { type: 'trunk', ranges: this.vlanRanges(v.trunk, [...path, 'vlan', 'trunk'], 0) };
  }

  // ---- VM networks ------------------------------------------------------------------------

  private vmNetworks(): void {
    for (const vm of this.inv.vms.values()) {
      const host = this.inv.hosts.get(vm.host)!;
      for (const nic of vm.nics) {
        const ref = this.network(host, nic.network.name, [...nic.source, 'network']);
        if (ref) nic.network = ref;
        // R4b.1: the Learnswitch fling "requires a VDS".
        if (ref && nic.learnswitch && ref.kind !== 'dvportgroup') {
          this.error('learnswitch-needs-vds', `the ESXi Learnswitch works on distributed switches only; VM "${vm.name}" NIC ${nic.index} is on ${ref.kind === 'portgroup' ? 'the standard port group' : 'the bridge'} "${ref.name}" of ${host.name}`,
            [...nic.source, 'macLearn'], 'attach the vNIC to a dv port group (promiscuous and forged transmits accept), or use macLearn: dvfilter, which works on standard vSwitches (§4a)');
        }
      }
    }
  }

  private network(host: Host, name: string, path: Path): NetworkRef | undefined {
    const found: NetworkRef[] = [];
    for (const s of host.vswitches) for (const p of s.portgroups) if (p.name === name) found.push({ kind: 'portgroup', id: p.id, host: host.name, name });
    for (const b of host.bridges) if (b.name === name) found.push({ kind: 'bridge', id: b.id, host: host.name, name });
    // R8.5: an Open vSwitch port group names its bridge and the access tag the VM port gets.
    for (const b of host.bridges) for (const p of b.ovs?.portgroups ?? []) if (p.name === name) found.push({ kind: 'bridge', id: b.id, host: host.name, name: b.name, portgroup: name });
    for (const d of this.inv.dvswitches.values()) {
      if (!d.members.some((m) => m.host === host.name)) continue;
      for (const p of d.portgroups) if (p.name === name) found.push({ kind: 'dvportgroup', id: p.id, dvswitch: d.name, name });
    }
    if (found.length === 1) return found[0];
    if (found.length > 1) {
      this.error('ambiguous-network', `network "${name}" names more than one network on host ${host.name}: ${found.map((f) => f.id).join(', ')}`, path, 'rename one of them');
      return undefined;
    }
    const available = [
      ...host.vswitches.flatMap((s) => s.portgroups.map((p) => p.name)), ...host.bridges.flatMap((b) => [b.name, ...(b.ovs?.portgroups.map((p) => p.name) ?? [])]),
      ...[...this.inv.dvswitches.values()].filter((d) => d.members.some((m) => m.host === host.name)).flatMap((d) => d.portgroups.map((p) => p.name)),
    ];
    const hint = didYouMean(name, available) ?? (available.length ? `networks on ${host.name}: ${available.join(', ')}` : `host ${host.name} has no port groups, dv port groups or bridges`);
    this.error('unknown-reference', `network "${name}" does not exist on host ${host.name} (names are case-sensitive)`, path, hint);
    return undefined;
  }

  // ---- datastores mounted by hosts, disks ---------------------------------------------------

  private mounts(): void {
    const mount = (ds: string, host: string, path: Path) => {
      const d = this.inv.datastores.get(ds);
      if (!d) return this.unknown('datastore', ds, path, this.inv.datastores.keys());
      if (!d.hosts.includes(host)) d.hosts.push(host);
      const h = this.inv.hosts.get(host);
      if (h && !h.datastores.includes(ds)) h.datastores.push(ds);
    };
    this.spec.datastores.forEach((d, i) => d.hosts.forEach((h, j) => {
      if (!this.inv.hosts.has(h)) this.unknown('host', h, ['datastores', i, 'hosts', j], this.inv.hosts.keys());
      else mount(d.name, h, ['datastores', i, 'hosts', j]);
    }));
    for (const h of this.inv.hosts.values()) {
      const spec = h.vm ? this.vmSpecs.get(h.vm)?.spec.nested : this.spec.hosts.find((x) => x.name === h.name);
      spec?.datastores.forEach((ds, j) => mount(ds, h.name, [...h.source, 'datastores', j]));
    }
    for (const vm of this.inv.vms.values()) {
      vm.disks.forEach((d, j) => {
        const path = [...vm.source, 'disks', j];
        const ds = this.inv.datastores.get(d.datastore);
        if (!ds) this.unknown('datastore', d.datastore, [...path, 'datastore'], this.inv.datastores.keys());
        else if (!ds.hosts.includes(vm.host)) {
          this.error('datastore-not-mounted', `datastore "${d.datastore}" is not mounted on host ${vm.host}, where VM "${vm.name}" runs`, [...path, 'datastore'], `add ${vm.host} to the datastore's hosts`);
        }
        if (d.linkedCloneOf !== undefined && !this.vmSpecs.has(d.linkedCloneOf)) this.unknown('VM', d.linkedCloneOf, [...path, 'linkedCloneOf'], this.vmSpecs.keys());
      });
    }
  }

  // ---- clusters, pools, rules -----------------------------------------------------------

  private clusters(): void {
    this.unique(this.spec.clusters, ['clusters'], 'cluster');
    this.spec.clusters.forEach((c, i) => {
      if (this.inv.clusters.has(c.name)) return;
      const path: Path = ['clusters', i];
      const hosts: string[] = [];
      c.hosts.forEach((h, j) => {
        const host = this.inv.hosts.get(h);
        if (!host) return this.unknown('host', h, [...path, 'hosts', j], this.inv.hosts.keys());
        if (host.cluster) return this.error('duplicate-name', `host ${h} is already in cluster ${host.cluster}`, [...path, 'hosts', j], 'a host belongs to one cluster');
        host.cluster = c.name;
        hosts.push(h);
      });
      const cluster: Cluster = {
        id: ids.cluster(c.name), kind: 'cluster', name: c.name, source: path, hosts, ...(c.evc ? { evc: c.evc } : {}),
        drs: { enabled: c.drs?.enabled ?? false, automation: c.drs?.automation ?? 'fully-automated', threshold: c.drs?.threshold ?? 3 },
        ha: {
          enabled: c.ha?.enabled ?? false,
          admissionControl: { policy: 'percentage', hostFailures: 1, hosts: [], ...c.ha?.admissionControl },
          isolationResponse: c.ha?.isolationResponse ?? 'leave-powered-on',
        },
        rules: [], pools: [],
      };
      cluster.ha.admissionControl.hosts.forEach((h, j) => {
        if (!hosts.includes(h)) this.unknown('host', h, [...path, 'ha', 'admissionControl', 'hosts', j], hosts, `in cluster ${c.name}`);
      });
      this.unique(c.resourcePools, [...path, 'resourcePools'], 'resource pool');
      c.resourcePools.forEach((p, j) => {
        if (cluster.pools.some((x) => x.name === p.name)) return;
        cluster.pools.push({
          id: ids.pool(c.name, p.name), kind: 'pool', name: p.name, source: [...path, 'resourcePools', j], cluster: c.name,
          ...(p.parent !== undefined ? { parent: p.parent } : {}),
          cpu: poolAllocation(p.cpu), memory: poolAllocation(p.memory),
        });
      });
      for (const pool of cluster.pools) this.checkPoolParent(cluster, pool.name);
      c.rules.forEach((r, j) => {
        const rPath = [...path, 'rules', j];
        r.vms.forEach((v, k) => { if (!this.inv.vms.has(v) && !this.vmSpecs.has(v)) this.unknown('VM', v, [...rPath, 'vms', k], this.vmSpecs.keys()); });
        r.hosts.forEach((h, k) => { if (!hosts.includes(h)) this.unknown('host', h, [...rPath, 'hosts', k], hosts, `in cluster ${c.name}`); });
        if (r.type.startsWith('vm-host') && r.hosts.length === 0) this.error('missing-field', `a ${r.type} rule needs hosts`, [...rPath, 'hosts']);
        cluster.rules.push({ name: r.name ?? `rule-${j + 1}`, type: r.type, vms: r.vms, hosts: r.hosts });
      });
      cluster.rules = resolveConflicts(cluster.rules); // §7: the older of two conflicting rules wins
      this.inv.clusters.set(c.name, cluster);
    });
    // A VM's pool lives in the cluster of the host it runs on.
    for (const vm of this.inv.vms.values()) {
      if (vm.pool === undefined) continue;
      const clusterName = vm.cluster ?? this.inv.hosts.get(vm.host)?.cluster;
      const cluster = clusterName === undefined ? undefined : this.inv.clusters.get(clusterName);
      if (!cluster) this.error('unknown-reference', `VM "${vm.name}" names pool "${vm.pool}" but its host ${vm.host} is in no cluster`, [...vm.source, 'pool']);
      else if (!cluster.pools.some((p) => p.name === vm.pool)) this.unknown('resource pool', vm.pool, [...vm.source, 'pool'], cluster.pools.map((p) => p.name), `in cluster ${cluster.name}`);
    }
  }

  private checkPoolParent(cluster: Cluster, start: string): void {
    const seen = new Set<string>();
    let cur = cluster.pools.find((p) => p.name === start);
    while (cur?.parent !== undefined) {
      if (seen.has(cur.name)) {
        this.error('pool-cycle', `resource pool "${start}" is its own ancestor`, [...cluster.pools.find((p) => p.name === start)!.source, 'parent']);
        return;
      }
      seen.add(cur.name);
      const parent = cluster.pools.find((p) => p.name === cur!.parent);
      if (!parent) {
        this.unknown('resource pool', cur.parent, [...cur.source, 'parent'], cluster.pools.map((p) => p.name), `in cluster ${cluster.name}`);
        return;
      }
      cur = parent;
    }
  }

  private vcenter(): void {
    const name = this.spec.vcenter;
    if (name === undefined) return;
    this.inv.vcenter = name;
    if (name === 'external') return;
    const vm = this.inv.vms.get(name);
    if (!vm) {
      if (!this.vmSpecs.has(name)) this.unknown('VM', name, ['vcenter'], this.vmSpecs.keys(), '(vcenter names the vCenter appliance VM, or external)');
      return;
    }
    if (vm.role === 'router') this.error('invalid-value', `VM "${name}" is a router; the vCenter VM has role vcenter`, ['vcenter']);
    vm.role = 'vcenter';
  }

  // ---- configuration maximums (compute.md §10) -------------------------------------------

  private maxima(): void {
    const over = (what: string, n: number, max: number, path: Path) =>
      this.error('config-maximum', `${what}: ${n.toLocaleString('en-US')}, over the vSphere 8 maximum of ${max.toLocaleString('en-US')}`, path);
    for (const c of this.inv.clusters.values()) {
      if (c.hosts.length > MAXIMA.hostsPerCluster) over(`hosts in cluster ${c.name}`, c.hosts.length, MAXIMA.hostsPerCluster, [...c.source, 'hosts', MAXIMA.hostsPerCluster]);
    }
    const perHost = new Map<string, number>();
    const perCluster = new Map<string, number>();
    for (const vm of this.inv.vms.values()) {
      const n = (perHost.get(vm.host) ?? 0) + 1;
      perHost.set(vm.host, n);
      if (n === MAXIMA.vmsPerHost + 1) over(`VMs on host ${vm.host}`, n, MAXIMA.vmsPerHost, vm.source);
      const cluster = this.inv.hosts.get(vm.host)?.cluster;
      if (cluster !== undefined) {
        const m = (perCluster.get(cluster) ?? 0) + 1;
        perCluster.set(cluster, m);
        if (m === MAXIMA.vmsPerCluster + 1) over(`VMs in cluster ${cluster}`, m, MAXIMA.vmsPerCluster, vm.source);
      }
      if (vm.cpus > maxVcpus(vm.hardwareVersion)) {
        this.error('config-maximum', `VM "${vm.name}" has ${vm.cpus} vCPUs; virtual hardware ${vm.hardwareVersion} allows at most ${maxVcpus(vm.hardwareVersion)}`, [...vm.source, 'cpus'], 'raise hardwareVersion (HW18+ allows 768) or lower cpus');
      }
    }
    const physical = [...this.inv.hosts.values()].filter((h) => h.vm === undefined).length;
    if (this.inv.vcenter !== undefined && physical > MAXIMA.hostsPerVcenter) over('hosts managed by vCenter', physical, MAXIMA.hostsPerVcenter, ['hosts', MAXIMA.hostsPerVcenter]);
  }

  // ---- cabling: physical NICs to switch ports, switch to switch ----------------------------

  private cabling(): void {
    const link = (a: string, b: string, source: Path) => this.inv.links.push({ id: ids.link(a, b), kind: 'link', name: `${a}~${b}`, source, a, b });
    for (const h of this.inv.hosts.values()) {
      for (const n of h.nics) {
        if (!n.connect) continue;
        const port = this.switchPort(n.connect, [...n.source, 'connect'], `${h.name}/${n.name}`);
        if (port) link(n.id, port.id, [...n.source, 'connect']);
      }
    }
    for (const st of this.inv.stations.values()) {
      for (const n of st.nics) {
        const port = this.switchPort(n.connect, [...n.source, 'connect'], `${st.name}/${n.name}`);
        if (port) link(n.id, port.id, [...n.source, 'connect']);
      }
    }
    this.spec.network.links.forEach(([a, b], i) => {
      const path: Path = ['network', 'links', i];
      const pa = this.switchPort(this.portRef(a), [...path, 0], b);
      const pb = this.switchPort(this.portRef(b), [...path, 1], a);
      if (pa && pb) {
        if (pa.id === pb.id) this.error('invalid-value', `a link cannot connect ${a} to itself`, path);
        else link(pa.id, pb.id, path);
      }
    });
  }
}

function withSecurity(base: Security, spec: SecuritySpec | undefined): Security {
  return {
    promiscuous: spec?.promiscuous ?? base.promiscuous,
    macChanges: spec?.macChanges ?? base.macChanges,
    forgedTransmits: spec?.forgedTransmits ?? base.forgedTransmits,
  };
}

function poolAllocation(spec: (AllocationSpec & { expandable: boolean }) | undefined): Allocation {
  return {
    shares: spec?.shares ?? 'normal', reservation: spec?.reservation ?? 0, expandable: spec?.expandable ?? true,
    ...(spec?.limit !== undefined ? { limit: spec.limit } : {}),
  };
}

function workload(spec: VmSpec['workload']): Vm['workload'] {
  if (spec === undefined) return DEFAULT_WORKLOAD;
  if (typeof spec === 'string') return WORKLOAD_PROFILES[spec];
  return {
    cpu: spec.cpu ?? DEFAULT_WORKLOAD.cpu,
    activeMemory: spec.activeMemory ?? DEFAULT_WORKLOAD.activeMemory,
    dirtyRateMBps: spec.dirtyRate ?? DEFAULT_WORKLOAD.dirtyRateMBps,
    // Only when declared: the stored config of labs without it stays as it was (no plan change).
    ...(spec.network !== undefined ? { network: { txMbps: spec.network.tx, rxMbps: spec.network.rx } } : {}),
  };
}

// Re-exported for callers that only need the types alongside resolution.
export type { Bridge, Portgroup, DvPortgroup, VmNic, VSwitch };

/**
 * A physical switch's spanning tree (R9.9): present when `stp` is true or a block not saying
 * `enabled: false`; Cisco's defaults (priority 32768, forward delay 15 s, hello 2 s). Absent, the
 * switch runs none — the inventory of a lab without STP stays as it was (no plan change).
 */
function switchStp(spec: PhysicalSwitchSpec['stp']): { stp?: StpConfig } {
  if (spec === undefined || spec === false || (typeof spec === 'object' && spec.enabled === false)) return {};
  const o = typeof spec === 'object' ? spec : {};
  return { stp: { priority: o.priority ?? 32768, forwardDelayS: o.forwardDelay ?? 15, helloTimeS: o.helloTime ?? 2 } };
}

/** LACP on a channel member (R6.5): channel-group N mode active|passive; mode on is today's static EtherChannel, stored as nothing. */
function portLacp(p: SwitchPortSpec): Pick<SwitchPort, 'channelMode' | 'lacpRate'> {
  return {
    ...(p.channelMode === 'active' || p.channelMode === 'passive' ? { channelMode: p.channelMode } : {}),
    ...(p.lacpRate === 'fast' && p.channelMode !== undefined && p.channelMode !== 'on' ? { lacpRate: 'fast' as const } : {}),
  };
}

/** A switch port's STP and speed settings, only those set (R9.9). */
function portStp(p: SwitchPortSpec): Pick<SwitchPort, 'portfast' | 'bpduguard' | 'speedMbps' | 'stpCost'> {
  return {
    ...(p.portfast !== undefined ? { portfast: p.portfast } : {}), ...(p.bpduguard !== undefined ? { bpduguard: p.bpduguard } : {}),
    ...(p.speed !== undefined ? { speedMbps: p.speed } : {}), ...(p.stpCost !== undefined ? { stpCost: p.stpCost } : {}),
  };
}
