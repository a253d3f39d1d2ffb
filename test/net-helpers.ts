// Shared topology builders and observers for the network scenario tests: small labs in YAML,
// frames injected at ports, counters and taps read back.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadLabText } from '../src/plan/load.js';
import { up } from '../src/engine/apply.js';
import { Store, type LabRow } from '../src/store/store.js';
import { tempDir } from './helpers.js';
import type { Inventory } from '../src/model/inventory.js';
import { buildNetwork, type Network } from '../src/net/topology.js';
import { startPeriodic } from '../src/net/periodic.js';
import { restore, type NetState } from '../src/net/state.js';
import { endpoint, ping, targetIp } from '../src/net/probe.js';
import { Recorder, type TracedFrame } from '../src/net/trace.js';
import { VSwitch } from '../src/net/vswitch.js';
import type { Port } from '../src/net/fabric.js';
import { DROP_BASE, REASON_INDEX, RX, TX, type DropReason } from '../src/net/reasons.js';
import { buildEthernet, frameDst, frameSrc, macToNumber } from '../src/net/codec/index.js';

export const ROOT = join(import.meta.dirname, '..');

// ---- building labs ----------------------------------------------------------------------------

export interface Lab {
  inv: Inventory;
  net: Network;
}

export function lab(text: string, file = 'scenario.yaml'): Lab {
  const l = loadLabText(file, text);
  if (!l.ok) throw new Error(`lab does not load: ${JSON.stringify(l.errors.map((e) => e.message), null, 2)}\n${text}`);
  const inv = l.inventory;
  return { inv, net: network(inv) };
}

/**
 * The network of `inv` as a command builds it (storedNetwork, withNetwork): VMs on as the file
 * says, the state an earlier command saved restored (through JSON, as the store keeps it), the
 * clock at `now`, periodic work (beacons, STP, LBT, LACP, queriers) started.
 */
export function network(inv: Inventory, o: { state?: NetState; now?: number } = {}): Network {
  const net = buildNetwork(inv, { vm: (n) => ({ on: inv.vms.get(n)!.power === 'on', host: inv.vms.get(n)!.host }) });
  if (o.state) restore(net, JSON.parse(JSON.stringify(o.state)) as NetState);
  if (o.now !== undefined) net.fabric.now = o.now;
  startPeriodic(net);
  return net;
}

/** MACs of the scenario actors, as in spec §7: guests 00:50:56:…, nested VMs 00:0c:29:…, external 02:…. */
export const MAC: Record<string, string> = {
  a: '00:50:56:00:00:0a', b: '00:50:56:00:00:0b', c: '00:50:56:00:00:0c', d: '00:50:56:00:00:0d',
  p: '00:50:56:00:00:0e', r: '00:50:56:00:00:1e',
  h: '02:00:00:00:00:11', h10: '02:00:00:00:00:12', h2: '02:00:00:00:00:13',
  l1: '00:50:56:00:01:e0', l1b: '00:50:56:00:01:f0', kvm1: '00:50:56:00:02:e0',
  v: '00:0c:29:00:00:0a', w: '00:0c:29:00:00:0b', k1: '52:54:00:00:00:01', k2: '52:54:00:00:00:02',
};
export const m = (name: string): number => macToNumber(MAC[name] ?? name);
export const FOREIGN = macToNumber('00:11:22:33:44:55');

/** A VM line: `vm('a', 'X', "ip: 10.0.0.1/24")`. */
export function vm(name: string, network: string, extra = '', host = 'esx1'): string {
  return `  - { name: ${name}, host: ${host}, cpus: 1, memory: 1GB, nics: [{ network: ${network}, mac: '${MAC[name]}'${extra ? `, ${extra}` : ''} }] }`;
}

/** The nested KVM host kvm1 on l0 (its eth0 on the outer port group Nest-PG), with one switch: `{ name: br0, … }`. */
export function nestedKvm(bridge: string): string {
  return `  - name: kvm1
    host: l0
    cpus: 2
    memory: 4GB
    hardwareVersion: 20
    exposeHardwareVirtualization: true
    nics: [{ network: Nest-PG, mac: '${MAC.kvm1}' }]
    nested:
      hypervisor: kvm
      switches: [${bridge}]`;
}

/**
 * The `network:` section the labs share: physical switch psw with trunks p1…p`trunks` (native 1,
 * all VLANs) toward the hosts, p10 (access VLAN 1) with station h and — unless `h10: false` — p11
 * (access VLAN 10) with station h10; then `ports` (`pN: { … }`) and `stations` (`- { … }`) as they are.
 */
export function pswNetwork(o: { trunks: number; h10?: boolean; ports?: string[] | undefined; stations?: string[] | undefined }): string {
  const h10 = o.h10 ?? true;
  return [
    'network:',
    '  switches:',
    '    - name: psw',
    '      ports:',
    ...Array.from({ length: o.trunks }, (_, i) => `        p${i + 1}: { mode: trunk, native: 1, allowed: all }`),
    '        p10: { mode: access, vlan: 1 }',
    ...(h10 ? ['        p11: { mode: access, vlan: 10 }'] : []),
    ...(o.ports ?? []).map((p) => `        ${p}`),
    '  stations:',
    `    - { name: h, nics: [{ name: eth0, mac: '${MAC.h}', ip: 10.0.0.100/24, connect: psw/p10 }] }`,
    ...(h10 ? [`    - { name: h10, nics: [{ name: eth0, mac: '${MAC.h10}', ip: 10.0.10.100/24, connect: psw/p11 }] }`] : []),
    ...(o.stations ?? []).map((st) => `    ${st}`),
  ].join('\n');
}

/** The outer ESXi host l0 (vmnic0 → psw/p1), with vSwitch0 on vmnic0 holding `portgroups` (YAML flow maps) if any. */
export function l0Host(portgroups: string[] = []): string {
  return [
    '  - name: l0',
    '    cpu: xeon-gold-6130',
    '    memory: 256GB',
    "    nics: [{ name: vmnic0, mac: '00:10:00:00:00:00', connect: psw/p1 }]",
    ...(portgroups.length ? ['    switches:', '      - name: vSwitch0', '        uplinks: [vmnic0]', '        portgroups:', ...portgroups.map((pg) => `          - ${pg}`)] : []),
  ].join('\n');
}

export interface HostLab {
  /** lab `settings:` as a YAML flow map */
  settings?: string;
  /** number of uplinks vmnic0… on psw/p1… (trunks, native 1, all VLANs) */
  uplinks?: number;
  /** extra vSwitch0 keys, e.g. `security: { forgedTransmits: reject }` */
  switchExtra?: string;
  /** port groups of vSwitch0, as YAML flow maps */
  portgroups?: string[];
  /** the whole `switches:` list of esx1 instead of vSwitch0 (lines indented 6) */
  switches?: string;
  /** NICs of esx1 instead of the default (lines indented 6) */
  nics?: string;
  vms: string[];
  /** more psw ports and stations */
  ports?: string[];
  stations?: string[];
  /** top-level extras (vcenter, distributedSwitches), verbatim */
  top?: string;
}

/**
 * One physical switch `psw` (p1…p4 trunks toward esx1, p10 access VLAN 1 with station h, p11
 * access VLAN 10 with station h10), one ESXi host esx1 with vSwitch0, and VMs.
 */
export function hostLab(o: HostLab): string {
  const n = o.uplinks ?? 1;
  const uplinks = Array.from({ length: n }, (_, i) => `vmnic${i}`);
  const nics = o.nics ?? uplinks.map((u, i) => `      - { name: ${u}, mac: '00:10:00:00:00:0${i}', connect: psw/p${i + 1} }`).join('\n');
  const switches = o.switches ?? [
    '      - name: vSwitch0',
    `        uplinks: [${uplinks.join(', ')}]`,
    ...(o.switchExtra ? [`        ${o.switchExtra}`] : []),
    '        portgroups:',
    ...(o.portgroups ?? ['{ name: X }']).map((pg) => `          - ${pg}`),
  ].join('\n');
  return `
lab: scenario
settings: ${o.settings ?? '{}'}
${pswNetwork({ trunks: 4, ports: o.ports, stations: o.stations })}
${o.top ?? ''}
hosts:
  - name: esx1
    cpu: xeon-e3-1230-v3
    memory: 128GB
    nics:
${nics}
    switches:
${switches}
vms:${o.vms.length ? `\n${o.vms.join('\n')}` : ' []'}
`;
}

export interface NestedLab {
  /** the outer switch: a standard vSwitch, or a vDS (version `dvsVersion`, default 6.6.0) */
  l0: 'vss' | 'vds';
  dvsVersion?: string;
  /** Nest-PG's security, as a YAML flow map (absent: the switch's defaults) */
  security?: string;
  /** Nest-DVPG MAC learning, as a YAML flow map (vds only) */
  learning?: string;
  /** R sits on its own port group VM-PG (same VLAN 0) instead of Nest-PG */
  rSeparate?: boolean;
  /** a second nested ESXi l1b with nested VM w */
  l1b?: boolean;
  /** the ESXi MAC Learning dvFilter on the nested hosts' outer vNICs (§4a) */
  macLearn?: boolean;
  /** a second VMkernel port vmk1 in l1 (MAC generated, §7.6) */
  vmk1?: boolean;
  /** a nested KVM host kvm1 with br0 and guests k1, k2 (§8) instead of nothing */
  kvm?: boolean;
  /** lab settings */
  settings?: string;
}

export function nestedEsxi(name: string, vmName: string, vmIp: string, mgmtIp: string, o: NestedLab): string {
  return `
  - name: ${name}
    host: l0
    cpus: 2
    memory: 8GB
    hardwareVersion: 20
    exposeHardwareVirtualization: true
    nics: [{ network: Nest-PG, mac: '${MAC[name]}'${o.macLearn ? ', macLearn: true' : ''} }]
    nested:
      hypervisor: esxi
      switches:
        - name: vSwitch0
          uplinks: [vmnic0]
          portgroups:
            - name: Management Network
              vmkernel:
                - { name: vmk0, ip: ${mgmtIp} }
${o.vmk1 && name === 'l1' ? '                - { name: vmk1, ip: 10.0.0.12/24 }' : ''}
            - { name: VM Network }
${vm(vmName, 'VM Network', `ip: ${vmIp}`, name)}`;
}

/**
 * The common topology of spec §7: psw (p1 trunk → L0 vmnic0, p10 access VLAN 1 → station h),
 * L0 `l0` with Nest-PG (VLAN 0) on a vSS or a vDS, regular VM r, nested ESXi l1 (vmk0 = vmnic0's
 * MAC, R1.16) with nested VM v on "VM Network"; optionally l1b with w, or a nested KVM host.
 */
export function nestedLab(o: NestedLab): string {
  const sec = o.security ? `, security: ${o.security}` : '';
  const vds = `
vcenter: external
distributedSwitches:
  - name: dvs
    version: '${o.dvsVersion ?? '6.6.0'}'
    members: [{ host: l0, uplinks: [vmnic0] }]
    portgroups:
      - { name: Nest-PG${sec}${o.learning ? `, macLearning: ${o.learning}` : ''} }
      - { name: VM-PG }`;
  const kvm = `
${nestedKvm('{ name: br0, uplinks: [eth0] }')}
${vm('k1', 'br0', 'ip: 10.0.0.41/24', 'kvm1')}
${vm('k2', 'br0', 'ip: 10.0.0.42/24', 'kvm1')}`;
  return `
lab: nested
settings: ${o.settings ?? '{}'}
${pswNetwork({ trunks: 1, h10: false })}
hosts:
${l0Host(o.l0 === 'vss' ? [`{ name: Nest-PG${sec} }`, '{ name: VM-PG }'] : [])}
${o.l0 === 'vds' ? vds : ''}
vms:
${vm('r', o.rSeparate ? 'VM-PG' : 'Nest-PG', 'ip: 10.0.0.30/24', 'l0')}
${o.kvm ? kvm : nestedEsxi('l1', 'v', '10.0.0.21/24', '10.0.0.11/24', o)}
${o.l1b ? nestedEsxi('l1b', 'w', '10.0.0.22/24', '10.0.0.13/24', o) : ''}
`;
}

/** `nestlab up` in this process, on a fresh state directory: the store (close it) and the lab's row as it stands. */
export function upInProcess(text: string, name: string): { store: Store; row: () => LabRow } {
  const dir = tempDir();
  const l = loadLabText(join(dir, 'lab.yaml'), text);
  assert.ok(l.ok, JSON.stringify(l.ok ? [] : l.errors));
  const store = new Store(join(dir, 'state'));
  const r = up(store, join(dir, 'lab.yaml'), l.spec, l.inventory);
  assert.deepEqual(r.failed, []);
  return { store, row: () => store.lab(name)! };
}

// ---- driving and observing ----------------------------------------------------------------

/** A port by interface name (`a/nic0`, `h/eth0`, `esx1/vmk0`) or port id (`nic:esx1/vmnic0`). */
export function portOf(net: Network, name: string): Port {
  const p = net.interfaces.get(name)?.iface.port ?? net.ports.get(name);
  if (!p) throw new Error(`no port ${name}; have ${[...net.ports.keys()].join(', ')}`);
  return p;
}

/** The switch-side port of a vNIC / vmknic: `${switchId}[${nicId}]`. */
export function swPort(net: Network, switchId: string, nicId: string): Port {
  return portOf(net, `${switchId}[${nicId}]`);
}

export function vswitch(net: Network, id: string): VSwitch {
  const s = net.switches.get(id);
  assert.ok(s instanceof VSwitch, `${id} is a vSwitch (have ${[...net.switches.keys()].join(', ')})`);
  return s;
}

/** A test frame (local experimental EtherType 0x88b5: guests take it in and answer nothing). */
export function eth(src: number, dst: number): Uint8Array {
  return buildEthernet({ dst, src, etherType: 0x88b5, payload: new Uint8Array(46) });
}

/** Put `frame` on the wire from a port (a guest interface by default sends with its own VLAN). */
export function send(net: Network, from: string, frame: Uint8Array, vid?: number): void {
  const p = portOf(net, from);
  const v = vid ?? net.interfaces.get(from)?.iface.vlan ?? 0;
  net.fabric.tracer?.begin(from, p.id, frame, v);
  net.fabric.transmit(p, frame, v, net.fabric.now);
}

/** Counter deltas of every port from now on. */
export function watch(net: Network) {
  const base = new Map<Port, Float64Array>();
  for (const p of net.ports.values()) base.set(p, p.counters.slice());
  const d = (name: string, slot: number) => {
    const p = portOf(net, name);
    return p.counters[slot]! - (base.get(p)?.[slot] ?? 0);
  };
  return {
    /** frames that arrived at the port (for a guest interface: what its switch delivered to it) */
    rx: (name: string) => d(name, RX),
    /** frames sent out of the port (for an uplink: what left the host) */
    tx: (name: string) => d(name, TX),
    drop: (name: string, reason: DropReason) => d(name, DROP_BASE + REASON_INDEX[reason]),
  };
}

export interface Seen {
  t: number;
  vid: number;
  src: number;
  dst: number;
}

/** Frames a port receives and sends, with their outer VLAN. */
export function tap(net: Network, name: string): { rx: Seen[]; tx: Seen[] } {
  const p = portOf(net, name);
  const seen = { rx: [] as Seen[], tx: [] as Seen[] };
  let lastRx = p.counters[RX]!;
  // Fabric.transmit counts TX (sender) or RX (receiver) right before calling the hook.
  p.capture = (t, frame, vid) => {
    const s = { t, vid, src: frameSrc(frame), dst: frameDst(frame) };
    if (p.counters[RX] !== lastRx) {
      lastRx = p.counters[RX]!;
      seen.rx.push(s);
    } else seen.tx.push(s);
  };
  return seen;
}

/** Record what `fn` puts on the wire, hop by hop. */
export function record(net: Network, fn: () => void): TracedFrame[] {
  const rec = new Recorder();
  net.fabric.tracer = rec;
  try {
    fn();
    rec.close();
  } finally {
    net.fabric.tracer = null;
  }
  return rec.frames;
}

/** The drop a frame met at `device`, as a trace names it (device, port, rule, reason). */
export function dropAt(f: TracedFrame | undefined, device: string): { device: string; port: string; rule: string; reason: string } | undefined {
  const h = f?.hops.find((x) => x.action === 'drop' && x.device === device);
  return h && { device: h.device, port: h.port, rule: h.rule, reason: h.reason };
}

export function pingOk(net: Network, from: string, to: string, count = 2): number {
  return ping(net, endpoint(net, from), targetIp(net, to), { count }).received;
}

/** Advance virtual time by `ms`, running whatever guests scheduled. */
export function advance(net: Network, ms: number): void {
  net.fabric.runUntil(net.fabric.now + ms);
}

export const S1 = 'vswitch:esx1/vSwitch0';
export const UP0 = 'nic:esx1/vmnic0';
export const UP1 = 'nic:esx1/vmnic1';
export const UP2 = 'nic:esx1/vmnic2';
export const PSW_P1 = 'switchport:psw/p1';

// ================================================================================================
// §1 forwarding
// ================================================================================================
