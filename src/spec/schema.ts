// The lab file's schema (spec/lab-file.md is the contract). Zod validates and fills defaults;
// `nestlab schema` prints the same schema as JSON Schema for editors. Every field that
// spec/lab-file.md names is here with its meaning in `.meta({ description })`.
import * as z from 'zod';
import { EVC_MODES, GENERATIONS } from './cpu-names.js';
import { PVLAN_ON_STANDARD_SWITCH } from './sentinels.js';
import { DEFAULT_LAG_ALGORITHM, LAG_ALGORITHMS } from './lacp-names.js';
import { parseDurationSeconds, parseFraction, parseMbps, parseMemoryMB, parseMHz } from './units.js';

export { EVC_MODES, GENERATIONS, type EvcMode, type Generation } from './cpu-names.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAC_RE = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/;
const IPV4_CIDR_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(\/(3[0-2]|[12]?\d))?$/;
const IPV4_RE = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

// ---- scalars -------------------------------------------------------------------------------

export const name = z
  .string()
  .regex(NAME_RE, { error: 'expected a name of letters, digits, ".", "_" or "-", starting with a letter or digit' })
  .max(80, { error: 'a name has at most 80 characters' });

const portgroupName = z
  .string()
  .min(1, { error: 'a port group name cannot be empty' })
  .max(80, { error: 'a port group name has at most 80 characters (vSphere limit)' })
  .regex(/^[^\s/][^/]*$/, { error: 'a port group name cannot start with a space or contain "/"' });

const mac = z.string().regex(MAC_RE, { error: 'expected a MAC address such as 00:50:56:01:02:03' });
const ipCidr = z.string().regex(IPV4_CIDR_RE, { error: 'expected an IPv4 address with prefix, such as 10.0.0.5/24' });
const ipv4 = z.string().regex(IPV4_RE, { error: 'expected an IPv4 address such as 10.0.0.1' });
const portRef = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/\S.*$/, { error: 'expected SWITCH/PORT, such as core/p1' })
  .meta({ description: 'a physical switch port, SWITCH/PORT; the port is created if the switch does not declare it' });

function unit(
  parse: (v: string | number) => number | undefined,
  pattern: RegExp,
  expected: string,
  max: number,
  description: string,
) {
  return z
    .union([z.number(), z.string().regex(pattern, { error: `expected ${expected}` })], {
      error: `expected ${expected}`,
    })
    .transform((v, ctx) => {
      const n = parse(v);
      if (n === undefined) {
        ctx.issues.push({ code: 'custom', message: `expected ${expected}`, input: v });
        return z.NEVER;
      }
      if (n > max) {
        ctx.issues.push({ code: 'custom', message: `too large: at most ${max} (${description})`, input: v });
        return z.NEVER;
      }
      return n;
    })
    .meta({ description });
}

/** Memory in MB; GB = 1024 MB. 24 TB is the vSphere 8 per-host and per-VM maximum. */
export const memory = unit(
  parseMemoryMB,
  /^\s*\d+(\.\d+)?\s*(KB|KiB|MB|MiB|GB|GiB|TB|TiB)?\s*$/i,
  'a memory size such as 512MB, 6GB, 6GiB, 3TB or a number of MB',
  24 * 1024 * 1024,
  'memory: 512MB, 6GB, 6GiB, 3TB or a bare number of MB (GB = 1024 MB)',
);
/** Storage sizes share the memory units; up to 64 TB (VMFS maximum volume size). */
export const size = unit(
  parseMemoryMB,
  /^\s*\d+(\.\d+)?\s*(KB|KiB|MB|MiB|GB|GiB|TB|TiB)?\s*$/i,
  'a size such as 40GB, 3TB or a number of MB',
  64 * 1024 * 1024,
  'size: 40GB, 3TB or a bare number of MB',
);
export const mhz = unit(parseMHz, /^\s*\d+(\.\d+)?\s*(MHz|GHz)?\s*$/i, 'a frequency such as 2400, 2400MHz or 2.4GHz', 10_000_000, 'CPU in MHz (or 2.4GHz)');
export const duration = unit(
  parseDurationSeconds,
  /^\s*\d+(\.\d+)?\s*(ms|s|m|h|d)?\s*$/,
  'a duration such as 300s, 5m, 1h or a number of seconds',
  10 * 365 * 86400,
  'duration: 300s, 5m, 1h or a bare number of seconds',
);
export const fraction = unit(parseFraction, /^\s*\d+(\.\d+)?\s*%\s*$/, 'a percentage such as 25% or 0.25', 1, 'percentage: 25% or 0.25');
/** A network rate in Mb/s (bits: `800Mbps`, `1.5Gbps`, `800Mb/s`); 400 Gb/s is the fastest NIC speed. */
export const bandwidth = unit(
  parseMbps,
  /^\s*\d+(\.\d+)?\s*([kKmMgG](bps|b\/s))?\s*$/,
  'a network rate such as 800Mbps, 1.5Gbps, 800Mb/s or a number of Mb/s',
  400_000,
  'network rate: 800Mbps, 1.5Gbps, 800Mb/s or a bare number of Mb/s',
);

const policy = z.enum(['accept', 'reject'], { error: 'expected accept or reject' });
const int = (min: number, max: number, what: string) =>
  z.number({ error: `expected ${what}: a whole number from ${min} to ${max}` }).int({ error: `expected ${what}: a whole number` })
    .min(min, { error: `expected ${what} ≥ ${min}` }).max(max, { error: `expected ${what} ≤ ${max}` });

// ---- network policies ---------------------------------------------------------------------

export const security = z
  .strictObject({
    promiscuous: policy.optional().meta({ description: 'allow the guest to receive every frame of its VLANs (R2.3)' }),
    macChanges: policy.optional().meta({ description: 'accept inbound frames for a MAC the guest changed to (R2.6)' }),
    forgedTransmits: policy.optional().meta({ description: 'accept frames whose source MAC is not the port\'s MAC (R2.5)' }),
  })
  .meta({ description: 'layer-2 security policy; unset properties inherit from the switch (R2.2)' });

export const teaming = z
  .strictObject({
    policy: z.enum(['port-id', 'mac-hash', 'ip-hash', 'explicit', 'load-based']).optional()
      .meta({ description: 'load balancing: route based on originating port id (default), source MAC hash, IP hash, explicit failover order, or physical NIC load (vDS)' }),
    active: z.array(z.string()).optional(),
    standby: z.array(z.string()).optional(),
    unused: z.array(z.string()).optional(),
    failback: z.boolean().optional(),
    notifySwitches: z.boolean().optional(),
    detection: z.enum(['link', 'beacon']).optional(),
  })
  .meta({ description: 'NIC teaming and failover; unset properties inherit from the switch' });

const vmkernel = z.strictObject({
  name: z.string().regex(/^vmk\d+$/, { error: 'expected a VMkernel port name such as vmk0, vmk1' }),
  ip: ipCidr.optional(),
  gateway: ipv4.optional(),
  mac: mac.optional().meta({ description: 'default: vmk0 takes its switch\'s first uplink\'s MAC (R1.16); others get 00:50:56:…' }),
  services: z.array(z.enum(['management', 'vmotion', 'provisioning', 'ft', 'vsan', 'replication', 'nfs'])).default([]),
});

const standardPortgroup = z.strictObject({
  name: portgroupName,
  vlan: z.union([
    int(0, 4095, 'a VLAN id (0 none, 1–4094, 4095 trunk)'),
    z.strictObject({ pvlan: int(1, 4094, 'a private VLAN id') }).transform(() => PVLAN_ON_STANDARD_SWITCH),
  ], { error: 'expected a VLAN id (0 none, 1–4094, 4095 trunk)' }).default(0)
    .meta({ description: '0: untagged (EST), 1–4094: VST, 4095: all VLANs / trunk (VGT)' }),
  security: security.optional(),
  teaming: teaming.optional(),
  vmkernel: z.array(vmkernel).default([]),
});

/** A standard vSwitch (esxi) or a Linux bridge (kvm): one entry of a host's `switches`. */
const hostSwitch = z.strictObject({
  name: name.meta({ description: 'vSwitch0 … (esxi) or br0 … (kvm)' }),
  uplinks: z.array(z.string()).default([]).meta({ description: 'NIC names of the host (vmnic0 …, or eth0 … for kvm)' }),
  mtu: int(1280, 9000, 'an MTU').default(1500),
  security: security.optional().meta({ description: 'esxi: switch defaults promiscuous reject, macChanges accept, forgedTransmits accept' }),
  teaming: teaming.optional(),
  portgroups: z.array(standardPortgroup).default([])
    .meta({ description: 'esxi; or an Open vSwitch bridge\'s libvirt-style port groups { name, vlan }: vlan 1–4094 makes the VM port an access port (OVS tag=), 0 a trunk' }),
  type: z.enum(['linux-bridge', 'ovs'], { error: 'expected linux-bridge or ovs' }).optional()
    .meta({ description: 'kvm only: a Linux bridge (default) or an Open vSwitch bridge (R8.5)' }),
  bond: z.strictObject({
    mode: z.enum(['active-backup', 'balance-slb', 'balance-tcp'], { error: 'expected active-backup, balance-slb or balance-tcp' }).optional()
      .meta({ description: 'OVS bond_mode, default active-backup; balance-tcp needs LACP, which nestlab does not model' }),
  }).optional().meta({ description: 'ovs only: the uplinks (two or more) form one bond port' }),
  agingTime: duration.optional().meta({ description: 'kvm bridge only: MAC ageing, default 300s (R8.2); ovs: mac-aging-time, forced into 15–3600 s (R8.5)' }),
  vlanFiltering: z.boolean().optional().meta({ description: 'kvm bridge only, default false' }),
  multicastSnooping: z.boolean().optional()
    .meta({ description: 'kvm bridge only, default true (multicast_snooping): learns IGMP; forwards IPv4 groups by its table only while a querier is heard, else floods' }),
  stp: z.boolean().optional().meta({ description: 'kvm bridge only, default false: true runs 802.1D spanning tree (priority 32768, hello 2s, forward delay 15s) and sends hello BPDUs on its designated ports (R8.4)' }),
  lags: z.array(z.unknown()).optional()
    .meta({ description: 'not available: link aggregation groups (LACP) exist on distributed switches only (R6.5); accepted here so the resolver refuses it with lag-needs-vds' }),
});

// ---- CPU ----------------------------------------------------------------------------------

const customCpu = z.strictObject({
  vendor: z.enum(['intel', 'amd']),
  generation: z.enum([...GENERATIONS.intel, ...GENERATIONS.amd]),
  model: z.string().optional(),
  sockets: int(1, 16, 'sockets').default(1),
  cores: int(1, 512, 'cores per socket'),
  threads: int(1, 1024, 'threads per socket').optional().meta({ description: 'default: cores (no hyper-threading)' }),
  mhz: mhz,
  features: z.array(z.string().regex(/^[a-z0-9_.-]+$/, { error: 'CPU features are lower case, as Linux names CPU flags' }))
    .default([]).meta({ description: 'vmx/svm, ept/npt, vmcs-shadowing, lm, aes, avx, avx2, … (as Linux names CPU flags)' }),
});

export const cpu = z
  .union([z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'expected a CPU catalog id such as xeon-e3-1230-v3' }), customCpu], {
    error: 'expected a CPU catalog id (xeon-e3-1230-v3, atom-c2750, …) or { vendor, generation, cores, mhz, features }',
  })
  .meta({ description: 'a CPU catalog id or a custom CPU' });

// ---- hosts ----------------------------------------------------------------------------------

const hostNic = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9._-]*$/, { error: 'expected a NIC name such as vmnic0 or eth0' }),
  mac: mac.optional(),
  speed: int(10, 400_000, 'a link speed in Mb/s').default(1000),
  connect: portRef.optional(),
});

const hypervisorFields = {
  hypervisor: z.enum(['esxi', 'kvm']).default('esxi'),
  version: z.union([z.string(), z.number()]).optional()
    .meta({ description: 'ESXi 5.5, 6.0, 6.5, 6.7, 7.0, 8.0 (default 8.0), optionally with an update (6.7u3); kvm: free text' }),
  reserved: memory.optional().meta({ description: 'the hypervisor\'s own memory; default ESXi 2 GB, kvm 1 GB' }),
  datastores: z.array(name).default([]),
  switches: z.array(hostSwitch).default([]),
  maintenance: z.boolean().default(false),
};

export const host = z.strictObject({
  name,
  ...hypervisorFields,
  cpu,
  memory,
  nics: z.array(hostNic).default([]),
});

/** `nested:` on a VM: the VM runs a hypervisor; CPU, memory and NICs come from the VM. */
export const nested = z.strictObject(hypervisorFields);

// ---- physical network -------------------------------------------------------------------

const vlanList = z.union([z.literal('all'), z.array(z.union([int(1, 4094, 'a VLAN id'), z.string().regex(/^\d+(-\d+)?$/, { error: 'expected a VLAN id or range such as 100-110' })]))]);

const switchPort = z.strictObject({
  mode: z.enum(['access', 'trunk']).default('access'),
  vlan: int(1, 4094, 'an access VLAN').default(1).meta({ description: 'access VLAN (access ports)' }),
  native: int(1, 4094, 'a native VLAN').default(1).meta({ description: 'native VLAN (trunk ports)' }),
  allowed: vlanList.default('all').meta({ description: 'trunk: "all" or a list of VLANs and ranges' }),
  channel: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { error: 'expected a port-channel name such as po1' }).optional()
    .meta({ description: 'EtherChannel: ports of this switch with the same channel name (po1 …) form one logical port — what IP-hash teaming needs (R5.4)' }),
  portfast: z.boolean().optional()
    .meta({ description: 'STP (R9.9): an edge port — forwarding as soon as its link comes up, no 30 s of listening and learning; default false. What ports toward ESXi hosts should be' }),
  bpduguard: z.boolean().optional()
    .meta({ description: 'STP (R9.9, R1.14): a BPDU received on this port err-disables it (link down until `nestlab link up SWITCH/PORT`); default false' }),
  speed: int(10, 400_000, 'a link speed in Mb/s').optional()
    .meta({ description: 'the port\'s speed, Mb/s (default 10000); the link runs at the slower end\'s — and the STP port cost follows from it (802.1D-1998: 10M 100, 100M 19, 1G 4, 10G 2)' }),
  stpCost: int(1, 200_000_000, 'an STP port cost').optional()
    .meta({ description: 'spanning-tree cost of the port, instead of the one its link speed gives (R9.9)' }),
  mrouter: z.boolean().optional()
    .meta({ description: 'IGMP snooping: a multicast-router port for every VLAN it carries (ip igmp snooping vlan N mrouter interface); default false — mrouter ports are learned from queries' }),
  channelMode: z.enum(['on', 'active', 'passive'], { error: 'expected on, active or passive' }).optional()
    .meta({ description: 'with channel: Cisco channel-group N mode — on (default): a static EtherChannel (R5.4); active/passive: LACP negotiates which members bundle, and a member that cannot (no LACP partner, both ends passive, another partner) is suspended (R6.5)' }),
  lacpRate: z.enum(['slow', 'fast'], { error: 'expected slow or fast' }).optional()
    .meta({ description: 'LACP ports: Cisco lacp rate — slow (default, LACPDUs every 30 s, partner timed out after 90 s) or fast (1 s / 3 s)' }),
});

/** `stp:` of a physical switch (R9.9): true, or the bridge's settings (which imply enabled). */
const switchStp = z.union([
  z.boolean(),
  z.strictObject({
    enabled: z.boolean().optional().meta({ description: 'default true when the stp block is present' }),
    priority: int(0, 61440, 'a bridge priority').refine((p) => p % 4096 === 0, { error: 'expected a bridge priority in steps of 4096 (0, 4096, … 32768, … 61440): the low 12 bits carry the VLAN (extended system id)' }).optional()
      .meta({ description: 'bridge priority, default 32768; the lowest (priority, MAC) is the root' }),
    forwardDelay: duration.refine((s) => s >= 4 && s <= 30, { error: 'expected a forward delay from 4s to 30s (802.1D)' }).optional()
      .meta({ description: 'time in listening and again in learning before a port forwards, default 15s' }),
    helloTime: duration.refine((s) => s >= 1 && s <= 10, { error: 'expected a hello time from 1s to 10s (802.1D)' }).optional()
      .meta({ description: 'BPDU interval, default 2s' }),
  }),
], { error: 'expected true, false or { enabled, priority, forwardDelay, helloTime }' });

const physicalSwitch = z.strictObject({
  name,
  agingTime: duration.default(300).meta({ description: 'MAC table ageing, default 300s; 0 disables ageing (R9.2)' }),
  stp: switchStp.optional()
    .meta({ description: 'spanning tree (802.1D, R9.9): absent or false — the switch runs none and floods BPDUs like other multicast; true or { priority, forwardDelay, helloTime } — it does' }),
  igmpSnooping: z.boolean().optional()
    .meta({ description: 'IGMP snooping (Cisco ip igmp snooping, R9.3): IPv4 group traffic goes to member and multicast-router ports only; default false (Catalyst defaults to on — nestlab keeps flooding unless asked)' }),
  ports: z.record(z.string().regex(/^\S+$/, { error: 'a port name has no spaces' }), switchPort).default({})
    .meta({ description: 'port name → settings; the key "default" applies to ports created implicitly by connect:' }),
});

/** An IPv4 multicast group (224.0.0.0/4). */
const isIpv4Group = (s: string) => IPV4_RE.test(s) && Number(s.split('.')[0]) >= 224 && Number(s.split('.')[0]) <= 239;

/** IPv4 multicast groups (224.0.0.0/4) a guest joins: it sends IGMP for them in labs that snoop or query (igmp-host.ts). */
const ipv4Groups = z.array(z.string().refine(isIpv4Group, { error: 'expected an IPv4 multicast group (224.0.0.0/4) such as 239.1.1.1' }));

const stationNic = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9._-]*$/).optional(),
  mac: mac.optional(),
  ip: ipCidr.optional(),
  gateway: ipv4.optional(),
  vlan: int(1, 4094, 'a VLAN id').optional().meta({ description: 'the station tags its frames with this VLAN' }),
  connect: portRef,
  multicast: ipv4Groups.optional().meta({ description: 'IPv4 multicast groups the station joins (IGMP reports in labs with snooping or a querier)' }),
});

const station = z.strictObject({
  name,
  nics: z.array(stationNic).min(1, { error: 'a station needs at least one NIC' }),
  router: z.boolean().default(false),
  igmpQuerier: z.boolean().optional()
    .meta({ description: 'the station is the IGMP querier of its links (a multicast router): an IGMPv2 general query every 125 s; default false' }),
});

const network = z.strictObject({
  switches: z.array(physicalSwitch).default([]),
  stations: z.array(station).default([]),
  links: z.array(z.tuple([portRef, portRef], { error: 'a link is a pair [SWITCH/PORT, SWITCH/PORT]' })).default([]),
});

// ---- storage, vDS, clusters ---------------------------------------------------------------

const datastore = z.strictObject({
  name,
  type: z.enum(['vmfs', 'nfs', 'local-ssd']).default('vmfs'),
  capacity: size.default(1024 * 1024),
  hosts: z.array(name).default([]),
  cache: z.boolean().default(false).meta({ description: 'an SSD usable as host cache / Flash Read Cache' }),
});

const macLearning = z.strictObject({
  enabled: z.boolean().default(false),
  allowUnicastFlooding: z.boolean().default(true),
  limit: int(1, 4096, 'a MAC limit').default(4096),
  limitPolicy: z.enum(['drop', 'allow']).default('drop'),
  agingTime: duration.default(300),
});

const dvVlan = z.union([
  int(0, 4094, 'a VLAN id'),
  z.strictObject({ trunk: z.array(z.union([int(0, 4094, 'a VLAN id'), z.string().regex(/^\d+(-\d+)?$/, { error: 'expected a VLAN range such as 0-4094' })])) }),
  z.strictObject({ pvlan: int(1, 4094, 'a private VLAN id') })
    .meta({ description: 'a private VLAN of the switch\'s pvlans map: a secondary id (isolated or community), or a primary id (promiscuous) (R3.11)' }),
  z.literal('none'),
], { error: 'expected a VLAN id, { trunk: [\'0-4094\'] }, { pvlan: id } or none' });

/** A private VLAN map entry (vSphere VMwareDVSPvlanMapEntry, R3.11); 0 and 4095 are reserved. */
const pvlanEntry = z.strictObject({
  primary: int(1, 4094, 'a primary VLAN id'),
  secondary: int(1, 4094, 'a secondary VLAN id'),
  type: z.enum(['promiscuous', 'isolated', 'community'], { error: 'expected promiscuous, isolated or community' }),
});

const dvPortgroup = z.strictObject({
  name: portgroupName,
  vlan: dvVlan.optional().meta({ description: 'none (default), a VLAN id, { trunk: [ranges] }, or { pvlan: id } (a private VLAN of the switch, R3.11)' }),
  binding: z.enum(['static', 'ephemeral']).default('static'),
  ports: int(0, 8192, 'a port count').default(8),
  security: security.optional(),
  teaming: teaming.optional(),
  macLearning: macLearning.optional(),
});

/** A link aggregation group of a vDS (VMwareDvsLacpGroupConfig, R6.5). */
const lag = z.strictObject({
  name: z.string().regex(/^[A-Za-z][A-Za-z0-9._-]*$/, { error: 'expected a LAG name such as lag1' }),
  ports: int(2, 32, 'a number of LAG ports').default(2)
    .meta({ description: 'LAG ports (uplinkNum), 2–32, default 2: at most this many vmnics per host' }),
  mode: z.enum(['active', 'passive'], { error: 'expected active or passive' }).default('passive')
    .meta({ description: 'LACP negotiating mode, default passive (as vSphere: "speak when spoken to"); active sends LACPDUs first' }),
  loadBalancing: z.enum(LAG_ALGORITHMS, { error: `expected a vSphere LACP load-balancing mode: ${LAG_ALGORITHMS.join(', ')}` }).default(DEFAULT_LAG_ALGORITHM)
    .meta({ description: `the fields hashed to pick a member per frame (VMwareDvsLacpLoadBalanceAlgorithm), default ${DEFAULT_LAG_ALGORITHM}` }),
  timeout: z.enum(['slow', 'fast'], { error: 'expected slow or fast' }).default('slow')
    .meta({ description: 'LACP timeout mode (vDS 7.0.0+ for fast): slow (default) LACPDUs every 30 s, fast every 1 s' }),
});

const distributedSwitch = z.strictObject({
  name,
  version: z.union([z.string().regex(/^\d+\.\d+\.\d+$/, { error: 'expected a vDS version such as 6.6.0 or 8.0.0' }), z.number()]).default('8.0.0'),
  mtu: int(1280, 9000, 'an MTU').default(1500),
  members: z.array(z.strictObject({
    host: name,
    uplinks: z.array(z.string()).default([]),
    lags: z.record(z.string(), z.array(z.string())).optional()
      .meta({ description: 'LAG name → the host\'s vmnics assigned to its ports in order (lag1-0, lag1-1 …); a vmnic is a standalone uplink or a LAG port, not both (R6.5)' }),
  })).default([]),
  lags: z.array(lag).max(64, { error: 'a distributed switch has at most 64 LAGs' }).optional()
    .meta({ description: 'link aggregation groups (enhanced LACP, vDS 5.5.0+, R6.5): { name, ports, mode, loadBalancing, timeout }; a port group uses one with teaming: { active: [lag1] }' }),
  security: security.optional().meta({ description: 'switch defaults: reject, reject, reject (R6.6)' }),
  teaming: teaming.optional(),
  multicastFiltering: z.enum(['basic', 'snooping'], { error: 'expected basic or snooping (IGMP/MLD snooping, vDS 6.0.0+)' }).optional()
    .meta({ description: 'basic (default): multicast by the vNICs\' registered MACs (R1.7); snooping: IGMP/MLD snooping by group address (vDS 6.0.0+, R1.7, R6.5)' }),
  portgroups: z.array(dvPortgroup).default([]),
  pvlans: z.array(pvlanEntry).optional()
    .meta({ description: 'the private VLAN map (R3.11): { primary, secondary, type: isolated|community }; each primary\'s promiscuous entry (secondary = primary) is implicit; one isolated secondary per primary' }),
});

const allocation = z.strictObject({
  shares: z.union([z.enum(['low', 'normal', 'high']), int(1, 1_000_000_000, 'custom shares')]).default('normal'),
  reservation: z.union([mhz, memory]).optional(),
  limit: z.union([mhz, memory]).optional(),
  expandable: z.boolean().optional(),
});
// CPU in MHz, memory in MB: the same shape with the right units.
const cpuAllocation = allocation.extend({ reservation: mhz.optional(), limit: mhz.optional() });
const memAllocation = allocation.extend({ reservation: memory.optional(), limit: memory.optional() });

const resourcePool = z.strictObject({
  name,
  parent: name.optional(),
  cpu: cpuAllocation.extend({ expandable: z.boolean().default(true) }).optional(),
  memory: memAllocation.extend({ expandable: z.boolean().default(true) }).optional(),
});

const rule = z.strictObject({
  name: name.optional(),
  type: z.enum(['vm-host-must', 'vm-host-should', 'vm-affinity', 'vm-anti-affinity']),
  vms: z.array(name).min(1),
  hosts: z.array(name).default([]),
});

const cluster = z.strictObject({
  name,
  hosts: z.array(name).default([]),
  evc: z.enum(EVC_MODES, { error: `expected an EVC mode: ${EVC_MODES.join(', ')}` }).optional(),
  drs: z.strictObject({
    enabled: z.boolean().default(true),
    automation: z.enum(['manual', 'partially-automated', 'fully-automated']).default('fully-automated'),
    threshold: int(1, 5, 'a DRS migration threshold').default(3),
  }).optional(),
  ha: z.strictObject({
    enabled: z.boolean().default(true),
    admissionControl: z.strictObject({
      policy: z.enum(['slots', 'percentage', 'failover-hosts', 'disabled']).default('percentage'),
      hostFailures: int(1, 95, 'host failures to tolerate').default(1),
      cpu: fraction.optional(),
      memory: fraction.optional(),
      hosts: z.array(name).default([]),
      slotCpu: mhz.optional().meta({ description: 'das.slotcpuinmhz: the largest CPU slot, whatever the largest reservation (compute.md §8 a)' }),
      slotMemory: size.optional().meta({ description: 'das.slotmeminmb: the largest memory slot, whatever the largest reservation (compute.md §8 a)' }),
    }).optional(),
    isolationResponse: z.enum(['leave-powered-on', 'power-off', 'shutdown']).default('leave-powered-on'),
  }).optional(),
  rules: z.array(rule).default([]),
  resourcePools: z.array(resourcePool).default([]),
});

// ---- VMs --------------------------------------------------------------------------------

const vmNic = z.strictObject({
  network: portgroupName.meta({ description: 'a port group, dv port group or bridge on the VM\'s host' }),
  adapter: z.enum(['vmxnet3', 'e1000', 'e1000e']).default('vmxnet3'),
  mac: mac.optional().meta({ description: 'default: deterministic 00:50:56:xx:xx:xx' }),
  ip: ipCidr.optional(),
  gateway: ipv4.optional(),
  vlan: int(1, 4094, 'a VLAN id').optional().meta({ description: 'the guest tags its frames (VGT)' }),
  promiscuous: z.boolean().default(false).meta({ description: 'the guest asks for promiscuous mode' }),
  connected: z.boolean().default(true),
  macLearn: z.union([z.boolean(), z.enum(['dvfilter', 'learnswitch'])], { error: 'expected true (the dvFilter), dvfilter, learnswitch or false' }).default(false)
    .meta({ description: 'MAC learning on the outer switch for this vNIC: true or dvfilter: the 2014 ESXi MAC Learning dvFilter (spec §4a); learnswitch: the 2017 ESXi Learnswitch fling, distributed port groups only (R4b.1)' }),
  multicast: z.array(z.string().refine(
    (s) => isIpv4Group(s) || (MAC_RE.test(s) && (parseInt(s.slice(0, 2), 16) & 1) === 1 && s.toLowerCase() !== 'ff:ff:ff:ff:ff:ff'),
    { error: 'expected an IPv4 multicast group (224.0.0.0/4) such as 239.1.1.1, or a multicast MAC such as 01:00:5e:01:01:01' },
  )).default([]).meta({ description: 'multicast groups the guest joins: IPv4 groups (mapped to 01:00:5e + low 23 bits, RFC 1112) or multicast MACs; the vNIC\'s mcastFilter (R1.7, R1.9)' }),
});

/** A VM's network load: one rate both ways (full duplex), or each direction; → { tx, rx } Mb/s. */
const networkRate = z.union([
  bandwidth,
  z.strictObject({
    tx: bandwidth.optional().meta({ description: 'Mb/s the VM sends (default 0)' }),
    rx: bandwidth.optional().meta({ description: 'Mb/s the VM receives (default 0)' }),
  }),
], { error: 'expected a network rate such as 800Mbps (each way), or { tx: 800Mbps, rx: 200Mbps }' })
  .transform((v) => (typeof v === 'number' ? { tx: v, rx: v } : { tx: v.tx ?? 0, rx: v.rx ?? 0 }));

const workload = z.union([
  z.enum(['idle', 'light', 'busy']),
  z.strictObject({
    cpu: fraction.optional(),
    activeMemory: fraction.optional(),
    dirtyRate: mhz.optional().meta({ description: 'MB/s of memory dirtied (vMotion pre-copy)' }),
    network: networkRate.optional()
      .meta({ description: 'what the VM sends and receives over the physical network, Mb/s: one rate (each way) or { tx, rx }; split evenly over its connected NICs; default 0. Uplink load for load-based teaming (R5.5)' }),
  }),
], { error: 'expected idle, light, busy or { cpu, activeMemory, dirtyRate, network }' });

const disk = z.strictObject({
  datastore: name,
  size,
  provisioning: z.enum(['thin', 'thick']).default('thin'),
  linkedCloneOf: name.optional(),
});

export const vm = z.strictObject({
  name,
  host: name.optional(),
  cluster: name.optional(),
  pool: name.optional(),
  cpus: int(1, 768, 'a vCPU count'),
  memory,
  hardwareVersion: int(4, 21, 'a virtual hardware version').default(13),
  exposeHardwareVirtualization: z.boolean().default(false).meta({ description: 'vhv.enable; needs hardwareVersion ≥ 9' }),
  pciPassthrough: z.boolean().default(false).meta({ description: 'the VM has a PCI passthrough (or vGPU) device; incompatible with exposeHardwareVirtualization (compute.md §4)' }),
  tools: z.boolean().default(true),
  pshareSalt: z.string().max(64).optional()
    .meta({ description: 'sched.mem.pshare.salt: VMs with the same salt share pages (Mem.ShareForceSalting, compute.md §2.4)' }),
  guestArch: z.enum(['x86_64', 'i386']).default('x86_64')
    .meta({ description: 'the guest OS: 64-bit guests need hardware-assisted virtualization (compute.md §4)' }),
  power: z.enum(['on', 'off']).default('on'),
  resources: z.strictObject({ cpu: cpuAllocation.optional(), memory: memAllocation.optional() }).optional(),
  workload: workload.optional(),
  disks: z.array(disk).default([]),
  nics: z.array(vmNic).default([]),
  nested: nested.optional(),
  role: z.enum(['vcenter', 'router']).optional(),
  drs: z.strictObject({
    automation: z.enum(['manual', 'partially-automated', 'fully-automated', 'disabled'])
      .meta({ description: 'DRS automation override for this VM: manual only recommends its moves, disabled keeps DRS away from it (it blocks maintenance mode until moved by hand) (compute.md §7)' }),
  }).optional(),
  ha: z.strictObject({
    restartPriority: z.enum(['high', 'medium', 'low', 'disabled']).default('medium')
      .meta({ description: 'vSphere HA restart priority: high, then medium, then low restart first; disabled never restarts (compute.md §8)' }),
    vmMonitoring: z.enum(['disabled', 'default', 'high', 'medium', 'low']).default('disabled')
      .meta({ description: 'VM monitoring: reset the VM when its VMware Tools heartbeats stop and it does no I/O; default 30 s interval, 3 resets, no window; high/medium/low presets (compute.md §8)' }),
  }).optional(),
});

const settings = z.strictObject({
  seed: int(0, 2 ** 31 - 1, 'a seed').default(1),
  reversePathFwdCheck: z.boolean().default(true),
  reversePathFwdCheckPromisc: z.boolean().default(false),
  forgedTransmitCompare: z.enum(['effective', 'initial']).default('effective'),
  duplicateSuppression: z.boolean().default(true)
    .meta({ description: 'R1.12 [L]: with several active uplinks a port takes broadcast only from its own uplink' }),
  macLearningBypassesForged: z.boolean().default(true)
    .meta({ description: 'R4c.8 [L]: a MAC learned by vDS MAC learning passes the forged-transmits check' }),
  blockGuestBPDU: z.boolean().default(false)
    .meta({ description: 'ESXi Net.BlockGuestBPDU (R1.14): vSwitches drop BPDUs that VMs send, so a bridging guest cannot trip BPDU guard upstream; default false, as on ESXi' }),
  learnswitch: z.strictObject({
    agingTime: duration.default(300).meta({ description: 'learned entries unused this long are forgotten; default 5m (R4b.1)' }),
    unknownUnicast: z.enum(['flood', 'drop'], { error: 'expected flood or drop' }).default('flood')
      .meta({ description: 'a unicast to a MAC learned nowhere: flooded to Learnswitch ports (default) or dropped (R4b.1)' }),
  }).optional().meta({ description: 'the ESXi Learnswitch fling on every host (VM NICs with macLearn: learnswitch, R4b.1)' }),
  idleMemoryTax: fraction.default(0.75),
  shareForceSalting: int(0, 2, 'Mem.ShareForceSalting').default(2),
});

export const labFile = z.strictObject({
  lab: name.meta({ description: 'the lab\'s name' }),
  description: z.string().optional(),
  settings: settings.default(() => settings.parse({})),
  network: network.default(() => network.parse({})),
  datastores: z.array(datastore).default([]),
  hosts: z.array(host).default([]),
  distributedSwitches: z.array(distributedSwitch).default([]),
  vcenter: name.optional().meta({ description: 'the VM acting as vCenter, or external (always up)' }),
  clusters: z.array(cluster).default([]),
  vms: z.array(vm).default([]),
});

export type LabSpec = z.output<typeof labFile>;
export type HostSpec = z.output<typeof host>;
export type NestedSpec = z.output<typeof nested>;
export type HostSwitchSpec = z.output<typeof hostSwitch>;
export type PortgroupSpec = z.output<typeof standardPortgroup>;
export type VmSpec = z.output<typeof vm>;
export type VmNicSpec = z.output<typeof vmNic>;
export type SecuritySpec = z.output<typeof security>;
export type TeamingSpec = z.output<typeof teaming>;
export type DvSwitchSpec = z.output<typeof distributedSwitch>;
export type DvPortgroupSpec = z.output<typeof dvPortgroup>;
export type ClusterSpec = z.output<typeof cluster>;
export type DatastoreSpec = z.output<typeof datastore>;
export type PhysicalSwitchSpec = z.output<typeof physicalSwitch>;
export type SwitchPortSpec = z.output<typeof switchPort>;
export type StationSpec = z.output<typeof station>;
export type CustomCpuSpec = z.output<typeof customCpu>;
export type AllocationSpec = z.output<typeof cpuAllocation>;
export type ResourcePoolSpec = z.output<typeof resourcePool>;
export type Settings = z.output<typeof settings>;

/** The JSON Schema of the lab file, for editors (`nestlab schema`). */
export function labJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(labFile, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
  return {
    ...schema,
    $id: 'https://nestlab.dev/schema/lab.json',
    title: 'nestlab lab file',
    description: 'A nested-virtualization lab: physical underlay, hypervisor hosts, switches, VMs, datastores and clusters.',
  };
}
