// The inventory: every object of a lab, resolved — references checked, defaults applied, MACs
// assigned, ids given. It is the one model every later layer (network, compute, cluster)
// reads. Ids are `kind:path` strings, stable for the same lab and names (vcsim's ids change on
// restart; ours never do).
import type { DrsRule } from '../cluster/rules.js';
import type { Cpu } from './cpu.js';
import type { EvcMode, Settings } from '../spec/schema.js';
import type { LagAlgorithm } from '../spec/lacp-names.js';
import type { Path } from '../spec/diagnostics.js';

export type Id = string;
export type Policy = 'accept' | 'reject';

export interface Security {
  promiscuous: Policy;
  macChanges: Policy;
  forgedTransmits: Policy;
}

export interface Teaming {
  policy: 'port-id' | 'mac-hash' | 'ip-hash' | 'explicit' | 'load-based';
  active: string[];
  standby: string[];
  unused: string[];
  failback: boolean;
  notifySwitches: boolean;
  detection: 'link' | 'beacon';
}

/** A VLAN set as sorted, disjoint inclusive ranges. */
export type VlanRanges = ReadonlyArray<readonly [number, number]>;

interface Base {
  id: Id;
  name: string;
  /** where the object is declared in the lab file */
  source: Path;
}

export interface HostNic extends Base {
  kind: 'nic';
  host: string;
  mac: string;
  speed: number;
  /** physical cabling: the switch port this NIC plugs into */
  connect?: PortRef;
  /** nested hosts: the VM NIC that is this vmnic */
  vnic?: Id;
}

export interface PortRef {
  switch: string;
  port: string;
}

export interface Host extends Base {
  kind: 'host';
  hypervisor: 'esxi' | 'kvm';
  version: string;
  /** the VM that runs this hypervisor, for a nested host */
  vm?: string;
  /** 0 for a physical host, n for a host nested n levels down */
  depth: number;
  cpu: Cpu;
  memoryMB: number;
  reservedMB: number;
  nics: HostNic[];
  vswitches: VSwitch[];
  bridges: Bridge[];
  datastores: string[];
  cluster?: string;
  maintenance: boolean;
}

export interface VSwitch extends Base {
  kind: 'vswitch';
  host: string;
  uplinks: string[];
  mtu: number;
  security: Security;
  teaming: Teaming;
  portgroups: Portgroup[];
}

export interface Portgroup extends Base {
  kind: 'portgroup';
  host: string;
  vswitch: string;
  /** 0 none, 1–4094 VST, 4095 all VLANs (VGT) */
  vlan: number;
  /** effective policies: port group overrides over switch values (R2.2) */
  security: Security;
  teaming: Teaming;
  vmkernel: VmkernelPort[];
}

export interface VmkernelPort extends Base {
  kind: 'vmknic';
  host: string;
  portgroup: string;
  vswitch: string;
  ip?: string;
  gateway?: string;
  mac: string;
  services: string[];
}

export interface Bridge extends Base {
  kind: 'bridge';
  host: string;
  uplinks: string[];
  mtu: number;
  agingTimeS: number;
  vlanFiltering: boolean;
  stp: boolean;
  /** present when the bridge is an Open vSwitch bridge (`type: ovs`, R8.5) */
  ovs?: OvsBridgeConfig;
  /** multicast_snooping turned off (`multicastSnooping: false`); absent: on, the Linux default (igmp.ts) */
  multicastSnooping?: false;
}

/** An Open vSwitch bridge's own settings (R8.5); its agingTimeS is mac-aging-time, already forced into 15–3600 s. */
export interface OvsBridgeConfig {
  /** the mac-aging-time asked for, when OVS forced it into 15–3600 s */
  requestedAgingTimeS?: number;
  /** bond_mode of the uplinks' bond, when there are two or more uplinks */
  bond?: 'active-backup' | 'balance-slb';
  /** libvirt-style port groups: VM ports attached by one of these names are access ports of `vlan` (0: trunk) */
  portgroups: Array<{ name: string; vlan: number }>;
}

export interface DvSwitch extends Base {
  kind: 'dvswitch';
  version: string;
  mtu: number;
  /** each host's standalone uplinks (uplink1 … in order) and, when it has any, its vmnics on LAG ports by LAG name (R6.5) */
  members: Array<{ host: string; uplinks: string[]; lags?: Record<string, string[]> }>;
  security: Security;
  teaming: Teaming;
  portgroups: DvPortgroup[];
  /** link aggregation groups (enhanced LACP, R6.5); absent when the switch has none */
  lags?: DvLag[];
  /** the private VLAN map (R3.11), promiscuous entries included; absent when the switch has none */
  pvlans?: PvlanEntry[];
  /** IGMP/MLD snooping (vDS 6.0.0+, R1.7, igmp-vds.ts); absent: basic multicast filtering */
  multicastFiltering?: 'snooping';
}

/** A link aggregation group of a vDS (VMwareDvsLacpGroupConfig, R6.5): teaming names it like an uplink. */
export interface DvLag {
  name: string;
  /** LAG ports (uplinkNum): at most this many vmnics per host */
  ports: number;
  mode: 'active' | 'passive';
  loadBalancing: LagAlgorithm;
  timeout: 'slow' | 'fast';
}

export type PvlanType = 'promiscuous' | 'isolated' | 'community';

/** vSphere's VMwareDVSPvlanMapEntry (R3.11): promiscuous entries have secondary = primary. */
export interface PvlanEntry {
  primary: number;
  secondary: number;
  type: PvlanType;
}

export type DvVlan =
  | { type: 'none' } | { type: 'vlan'; id: number } | { type: 'trunk'; ranges: VlanRanges }
  /** a private VLAN (R3.11): the port group's secondary id, its primary and its type */
  | { type: 'pvlan'; primary: number; secondary: number; pvlanType: PvlanType };

export interface MacLearning {
  enabled: boolean;
  allowUnicastFlooding: boolean;
  limit: number;
  limitPolicy: 'drop' | 'allow';
  agingTimeS: number;
}

export interface DvPortgroup extends Base {
  kind: 'dvportgroup';
  dvswitch: string;
  vlan: DvVlan;
  binding: 'static' | 'ephemeral';
  ports: number;
  security: Security;
  teaming: Teaming;
  macLearning: MacLearning;
}

export type NetworkRef =
  | { kind: 'portgroup'; id: Id; host: string; name: string }
  | { kind: 'dvportgroup'; id: Id; dvswitch: string; name: string }
  | { kind: 'bridge'; id: Id; host: string; name: string; /** an Open vSwitch bridge's port group the NIC attaches by (R8.5) */ portgroup?: string };

export interface VmNic extends Base {
  kind: 'vnic';
  vm: string;
  index: number;
  network: NetworkRef;
  adapter: 'vmxnet3' | 'e1000' | 'e1000e';
  mac: string;
  ip?: string;
  gateway?: string;
  vlan?: number;
  promiscuous: boolean;
  connected: boolean;
  macLearn: boolean;
  /** the ESXi Learnswitch fling on this vNIC (`macLearn: learnswitch`, R4b.1); absent: not used */
  learnswitch?: true;
  /** multicast MACs the guest registered (its vNIC's mcastFilter, R1.7/R1.9); IPv4 groups already mapped (RFC 1112) */
  multicast: string[];
  /** the IPv4 groups of `multicast`, as written: what the guest reports with IGMP (igmp-host.ts); absent: none */
  groups?: string[];
}

export interface Allocation {
  shares: 'low' | 'normal' | 'high' | number;
  reservation: number;
  /** undefined: unlimited */
  limit?: number;
  expandable?: boolean;
}

export interface Workload {
  cpu: number;
  activeMemory: number;
  dirtyRateMBps: number;
  /** Mb/s the VM sends and receives over the physical network (uplink load, R5.5); absent: none */
  network?: { txMbps: number; rxMbps: number };
}

export interface Disk {
  datastore: string;
  sizeMB: number;
  provisioning: 'thin' | 'thick';
  linkedCloneOf?: string;
}

export interface Vm extends Base {
  kind: 'vm';
  /** the host it is placed on (for `cluster:` VMs, the host placement chose) */
  host: string;
  /** declared with `cluster:` (placement picks the host) */
  cluster?: string;
  pool?: string;
  cpus: number;
  memoryMB: number;
  hardwareVersion: number;
  exposeHardwareVirtualization: boolean;
  tools: boolean;
  guestArch: 'x86_64' | 'i386';
  /** sched.mem.pshare.salt */
  pshareSalt?: string;
  power: 'on' | 'off';
  cpuAlloc: Allocation;
  memAlloc: Allocation;
  workload: Workload;
  disks: Disk[];
  nics: VmNic[];
  role?: 'vcenter' | 'router';
  /** vSphere HA per-VM settings, when declared (absent: the cluster default, restart priority medium, compute.md §8) */
  ha?: { restartPriority: 'high' | 'medium' | 'low' | 'disabled'; vmMonitoring: 'disabled' | 'default' | 'high' | 'medium' | 'low' };
  /** a DRS automation override for this VM (compute.md §7) */
  drs?: { automation: 'manual' | 'partially-automated' | 'fully-automated' | 'disabled' };
  /** the name of the nested host this VM runs, if it is a hypervisor */
  nested?: string;
  /** the nesting chain of host names down to this VM: ["esx1", "nested-esx-1", "web-1"] */
  path: string[];
}

export interface SwitchPort extends Base {
  kind: 'switchport';
  switch: string;
  mode: 'access' | 'trunk';
  vlan: number;
  native: number;
  allowed: VlanRanges;
  /** EtherChannel: ports of one switch with the same channel form one logical port (R5.4) */
  channel?: string;
  /** LACP on the channel (channel-group N mode active|passive); absent: mode on, a static EtherChannel */
  channelMode?: 'active' | 'passive';
  /** `lacp rate fast`; absent: slow */
  lacpRate?: 'fast';
  /** STP edge port: forwarding at once when its link comes up (R9.9); only when set */
  portfast?: boolean;
  /** a BPDU received err-disables the port (R9.9, R1.14); only when set */
  bpduguard?: boolean;
  /** the port's speed, Mb/s (absent: 10000) */
  speedMbps?: number;
  /** spanning-tree cost instead of the one the link speed gives (R9.9) */
  stpCost?: number;
  /** IGMP snooping: a configured multicast-router port (igmp.ts); only when set */
  mrouter?: true;
  /** declared under `ports:` (false: created by a `connect:`) */
  declared: boolean;
}

export interface PhysicalSwitch extends Base {
  kind: 'pswitch';
  agingTimeS: number;
  ports: Map<string, SwitchPort>;
  /** spanning tree (802.1D, R9.9), present when the switch runs it */
  stp?: StpConfig;
  /** IGMP snooping (R9.3, igmp.ts); absent: off */
  igmpSnooping?: true;
}

/** A bridge's spanning-tree settings (physical switches; Linux bridges with stp on use the defaults). */
export interface StpConfig {
  priority: number;
  forwardDelayS: number;
  helloTimeS: number;
}

export interface StationNic extends Base {
  kind: 'station-nic';
  station: string;
  mac: string;
  ip?: string;
  gateway?: string;
  vlan?: number;
  connect: PortRef;
  /** IPv4 multicast groups the station joins (igmp-host.ts); absent: none */
  groups?: string[];
}

export interface Station extends Base {
  kind: 'station';
  router: boolean;
  /** the IGMP querier of its links (igmp-host.ts); absent: not */
  igmpQuerier?: true;
  nics: StationNic[];
}

/** A cable: a physical NIC or a switch port at each end. */
export interface Link extends Base {
  kind: 'link';
  a: Id;
  b: Id;
}

export interface Datastore extends Base {
  kind: 'datastore';
  type: 'vmfs' | 'nfs' | 'local-ssd';
  capacityMB: number;
  hosts: string[];
  cache: boolean;
}

export interface ResourcePool extends Base {
  kind: 'pool';
  cluster: string;
  parent?: string;
  cpu: Allocation;
  memory: Allocation;
}

/** A DRS rule of a cluster (spec/compute.md §7). */
export type ClusterRule = DrsRule;

export interface Cluster extends Base {
  kind: 'cluster';
  hosts: string[];
  evc?: EvcMode;
  drs: { enabled: boolean; automation: 'manual' | 'partially-automated' | 'fully-automated'; threshold: number };
  ha: {
    enabled: boolean;
    admissionControl: { policy: 'slots' | 'percentage' | 'failover-hosts' | 'disabled'; hostFailures: number; cpu?: number; memory?: number; hosts: string[]; slotCpu?: number; slotMemory?: number };
    isolationResponse: 'leave-powered-on' | 'power-off' | 'shutdown';
  };
  rules: ClusterRule[];
  pools: ResourcePool[];
}

export interface Inventory {
  lab: string;
  description?: string;
  settings: Settings;
  /** the vCenter VM's name, `external`, or undefined (no vCenter) */
  vcenter?: string;
  hosts: Map<string, Host>;
  vms: Map<string, Vm>;
  stations: Map<string, Station>;
  pswitches: Map<string, PhysicalSwitch>;
  links: Link[];
  dvswitches: Map<string, DvSwitch>;
  datastores: Map<string, Datastore>;
  clusters: Map<string, Cluster>;
}

export const ids = {
  host: (name: string) => `host:${name}`,
  nic: (host: string, nic: string) => `nic:${host}/${nic}`,
  vswitch: (host: string, name: string) => `vswitch:${host}/${name}`,
  portgroup: (host: string, name: string) => `portgroup:${host}/${name}`,
  vmknic: (host: string, name: string) => `vmknic:${host}/${name}`,
  bridge: (host: string, name: string) => `bridge:${host}/${name}`,
  dvswitch: (name: string) => `dvswitch:${name}`,
  dvportgroup: (dvs: string, name: string) => `dvportgroup:${dvs}/${name}`,
  vm: (name: string) => `vm:${name}`,
  vnic: (vm: string, index: number) => `vnic:${vm}/${index}`,
  pswitch: (name: string) => `pswitch:${name}`,
  switchport: (sw: string, port: string) => `switchport:${sw}/${port}`,
  station: (name: string) => `station:${name}`,
  stationNic: (station: string, nic: string) => `station-nic:${station}/${nic}`,
  link: (a: Id, b: Id) => `link:${a < b ? a : b}~${a < b ? b : a}`,
  datastore: (name: string) => `datastore:${name}`,
  cluster: (name: string) => `cluster:${name}`,
  pool: (cluster: string, name: string) => `pool:${cluster}/${name}`,
} as const;
