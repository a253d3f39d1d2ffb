// Build the running network of a lab from its inventory and runtime state: a device for every
// switch of every running host (a nested host runs while its VM is on), a guest for every
// powered-on VM, VMkernel port and station, and the cables between them. A nested
// hypervisor's vmnics are the uplink ports of its own switches, plugged straight into its
// VM's port on the outer switch: frames cross nesting levels through the same device code.
import { MacAddress, macToNumber, parseCidr, ipToNumber } from './codec/index.js';
import { connect, Fabric, Port, type Device } from './fabric.js';
import { Guest, type Interface } from './guest.js';
import { LinuxBridge } from './bridge.js';
import { vnicRate } from './lbt.js';
import { attachLearnswitch } from './learnswitch-state.js';
import { MacTable } from './mactable.js';
import { OvsBridge, type BondChange } from './ovs.js';
import { PhysicalSwitch } from './pswitch.js';
import { buildSpanningTree, type SpanningTree } from './stp.js';
import { Lag } from './lag.js';
import { buildLacp, type Lacp } from './lacp.js';
import { VSwitch, type PortPolicy, type SwitchSettings, type VlanMode } from './vswitch.js';
import type { DvPortgroup, DvSwitch, Host, Inventory, Portgroup, VlanRanges, VmNic } from '../model/inventory.js';
import { compareVersions } from '../model/defaults.js';
import { pvlanMode } from './pvlan.js';
import { attachIgmp } from './igmp-host.js';

export interface Runtime {
  /** is the VM powered on, and where does it run now */
  vm(name: string): { on: boolean; host: string };
}

export interface Network {
  fabric: Fabric;
  switches: Map<string, VSwitch | LinuxBridge | OvsBridge | PhysicalSwitch>;
  guests: Map<string, Guest>;
  /** guest interfaces by object id (vnic:web/0, vmknic:esx1/vmk0, station-nic:laptop/eth0) and by name (web/nic0, esx1/vmk0, laptop/eth0) */
  interfaces: Map<string, { guest: Guest; iface: Interface }>;
  /** every port by id */
  ports: Map<string, Port>;
  /** what the network's periodic work decided (beacon verdicts, failovers), for the event log */
  events: NetEvent[];
  /** spanning tree (stp.ts, R9.9), when a physical switch or Linux bridge runs it */
  stp?: SpanningTree;
  /** LACP (lacp.ts, R6.5), when a vDS has LAGs or a physical switch LACP channels */
  lacp?: Lacp;
}

export interface NetEvent {
  /** virtual time, ms */
  t: number;
  type: string;
  object: string;
  message: string;
  data?: Record<string, unknown>;
}

/** A NIC no switch uses: frames reaching it go nowhere. */
class UnusedNic implements Device {
  readonly kind = 'unused-nic';
  constructor(readonly id: string, readonly fabric: Fabric) {}
  receive(port: Port, _frame: Uint8Array, vid: number): void {
    this.fabric.drop(port, 'port-disconnected', vid);
  }
}

export function allowedVlans(ranges: VlanRanges): Uint8Array {
  const a = new Uint8Array(4096);
  for (const [lo, hi] of ranges) a.fill(1, lo, hi + 1);
  return a;
}

function cidr(text: string | undefined): { ip: number; prefix: number } | undefined {
  const c = text === undefined ? null : parseCidr(text);
  return c ? { ip: c.ip, prefix: c.prefix } : undefined;
}

export function buildNetwork(inv: Inventory, rt: Runtime): Network {
  const fabric = new Fabric();
  const net: Network = { fabric, switches: new Map(), guests: new Map(), interfaces: new Map(), ports: new Map(), events: [] };
  const settings: SwitchSettings = {
    reversePathFwdCheck: inv.settings.reversePathFwdCheck,
    reversePathFwdCheckPromisc: inv.settings.reversePathFwdCheckPromisc,
    forgedCompareInitial: inv.settings.forgedTransmitCompare === 'initial',
    duplicateSuppression: inv.settings.duplicateSuppression,
    macLearningBypassesForged: inv.settings.macLearningBypassesForged,
    blockGuestBPDU: inv.settings.blockGuestBPDU === true, // R1.14 (absent from labs stored before it)
  };
  const port = (id: string, device: Device, speed?: number) => {
    const p = new Port(id, device, speed);
    net.ports.set(id, p);
    return p;
  };
  const addInterface = (guest: Guest, id: string, name: string, config: Omit<Parameters<Guest['addInterface']>[0], 'id'>, speed?: number) => {
    const iface = guest.addInterface({ id, ...config }, speed);
    net.ports.set(id, iface.port);
    net.interfaces.set(id, { guest, iface });
    net.interfaces.set(name, { guest, iface });
    return iface;
  };

  // Physical switches and their ports.
  for (const sw of inv.pswitches.values()) {
    const dev = new PhysicalSwitch(sw.id, fabric, sw.agingTimeS);
    for (const p of sw.ports.values()) {
      dev.addPort(port(p.id, dev, p.speedMbps), { mode: p.mode, vlan: p.vlan, native: p.native, allowed: allowedVlans(p.allowed), ...(p.channel !== undefined ? { channel: p.channel } : {}) });
    }
    net.switches.set(sw.id, dev);
  }

  // Hosts that run: their switches, uplinks and VMkernel ports.
  const running = (h: Host) => h.vm === undefined || rt.vm(h.vm).on;
  const switchOfUplink = new Map<string, Port>(); // nic id → uplink port
  const dvProxy = new Map<string, VSwitch>(); // `${dvs}@${host}` → proxy switch
  /** A host NIC's port, owned by the switch it is an uplink (or LAG member) of. */
  const nicPort = (h: Host, name: string, owner: Device) => {
    const nic = h.nics.find((n) => n.name === name)!;
    const p = port(nic.id, owner, nic.speed);
    switchOfUplink.set(nic.id, p);
    return p;
  };
  const failback = failbackEvents(net);
  const bondChanged = bondEvents(net);
  for (const h of inv.hosts.values()) {
    if (!running(h)) continue;
    for (const s of h.vswitches) {
      const dev = new VSwitch(s.id, fabric, settings);
      for (const u of s.uplinks) dev.addUplink(nicPort(h, u, dev), u, nicMac(h, u));
      dev.onUpDelayMoves = failback;
      // R5.9: beacons when a port group's (effective) teaming probes with them.
      if (s.portgroups.some((pg) => pg.teaming.detection === 'beacon')) dev.enableBeacons();
      net.switches.set(s.id, dev);
      for (const pg of s.portgroups) {
        for (const k of pg.vmkernel) {
          const guest = new Guest(k.id, fabric, false, 'vmknic');
          const iface = addInterface(guest, k.id, `${h.name}/${k.name}`, { mac: macToNumber(k.mac), ...optional(cidr(k.ip), k.gateway), vlan: 0, promiscuous: false });
          const sp = port(`${s.id}[${k.id}]`, dev);
          connect(sp, iface.port);
          const vp = dev.addPort(sp, standardPolicy(pg), iface.mac);
          iface.onMacChange = (m) => { vp.effective = new MacAddress(m); dev.invalidate(); };
          net.guests.set(k.id, guest);
        }
      }
    }
    for (const b of h.bridges) {
      if (b.ovs) {
        // R8.5: an Open vSwitch bridge; two or more uplinks are one bond port.
        const dev = new OvsBridge(b.id, fabric, b.agingTimeS, b.ovs.bond);
        dev.addUplinks(b.uplinks.map((u) => nicPort(h, u, dev)), `bond:${h.name}/${b.name}`);
        dev.onActiveChange = bondChanged;
        net.switches.set(b.id, dev);
        continue;
      }
      const dev = new LinuxBridge(b.id, fabric, b.agingTimeS, b.vlanFiltering);
      for (const u of b.uplinks) dev.addPort(nicPort(h, u, dev));
      net.switches.set(b.id, dev);
    }
  }
  for (const d of inv.dvswitches.values()) {
    for (const m of d.members) {
      const h = inv.hosts.get(m.host);
      if (!h || !running(h)) continue;
      const dev = new VSwitch(`${d.id}@${m.host}`, fabric, settings, true);
      m.uplinks.forEach((u, i) => dev.addUplink(nicPort(h, u, dev), `uplink${i + 1}`, nicMac(h, u)));
      // R6.5: the host's vmnics on LAG ports; a LAG is one logical uplink for teaming (lag.ts).
      for (const lag of d.lags ?? []) dev.addLag(new Lag(lag.name, lag.loadBalancing, (m.lags?.[lag.name] ?? []).map((u) => nicPort(h, u, dev))));
      dev.onUpDelayMoves = failback;
      if (d.portgroups.some((pg) => pg.teaming.detection === 'beacon')) dev.enableBeacons(); // R5.9
      dvProxy.set(`${d.name}@${m.host}`, dev);
      net.switches.set(dev.id, dev);
    }
  }
  // NICs no switch uses still have a port, so cables to them exist.
  for (const h of inv.hosts.values()) {
    if (!running(h)) continue;
    for (const n of h.nics) if (!switchOfUplink.has(n.id)) switchOfUplink.set(n.id, port(n.id, new UnusedNic(n.id, fabric), n.speed));
  }

  // Powered-on VMs: plain guests get a guest stack; a nested hypervisor's vNIC i is its vmnic i.
  for (const vm of inv.vms.values()) {
    const state = rt.vm(vm.name);
    const host = inv.hosts.get(state.host);
    if (!state.on || !host || !running(host)) continue;
    let guest: Guest | undefined;
    for (const nic of vm.nics) {
      if (!nic.connected) continue; // R1.17: a disconnected vNIC has no port
      const attach = attachment(inv, host, nic, dvProxy, net);
      if (!attach) continue;
      let vmSide: Port;
      let iface: Interface | undefined;
      let mac = macToNumber(nic.mac);
      let hypervisor = false;
      if (vm.nested !== undefined) {
        const nestedHost = inv.hosts.get(vm.nested)!;
        const vmnic = nestedHost.nics[nic.index]!;
        vmSide = switchOfUplink.get(vmnic.id)!;
        mac = macToNumber(vmnic.mac);
        hypervisor = true;
      } else {
        guest ??= new Guest(vm.id, fabric, vm.role === 'router');
        net.guests.set(vm.id, guest);
        iface = addInterface(guest, nic.id, `${vm.name}/nic${nic.index}`, {
          mac, ...optional(cidr(nic.ip), nic.gateway), vlan: nic.vlan ?? 0, promiscuous: nic.promiscuous,
        });
        vmSide = iface.port;
      }
      const sp = port(`${attach.device.id}[${nic.id}]`, attach.device);
      connect(sp, vmSide);
      if (attach.device instanceof VSwitch) {
        const sw = attach.device;
        const vp = sw.addPort(sp, attach.policy!, mac);
        vp.rate = vnicRate(vm); // its share of the VM's network rate: uplink load (R5.5, lbt.ts)
        // Hypervisors put their uplinks in promiscuous mode (R2.3 modelling note), so do guests that ask.
        vp.guestPromisc = hypervisor || nic.promiscuous;
        if (nic.macLearn) vp.filter = new MacTable();
        if (nic.learnswitch) attachLearnswitch(sw, vp, host.name, inv.settings); // the Learnswitch fling (R4b.1)
        // R1.7/R1.9: the groups the guest joined are its vNIC's mcastFilter; a hypervisor's vmnic
        // is an uplink in promiscuous mode and takes every group.
        vp.allMulticast = hypervisor;
        vp.joinMulticast(nic.multicast.map(macToNumber));
        if (iface) iface.onMacChange = (m) => { vp.effective = new MacAddress(m); sw.invalidate(); };
      } else if ('vlan' in attach) attach.device.addVmPort(sp, attach.vlan);
      else attach.device.addPort(sp);
    }
  }

  // Stations.
  for (const st of inv.stations.values()) {
    const guest = new Guest(st.id, fabric, st.router, 'station');
    net.guests.set(st.id, guest);
    for (const n of st.nics) addInterface(guest, n.id, `${st.name}/${n.name}`, { mac: macToNumber(n.mac), ...optional(cidr(n.ip), n.gateway), vlan: n.vlan ?? 0, promiscuous: false }, 1000);
  }

  // Cables.
  for (const l of inv.links) {
    const a = net.ports.get(l.a);
    const b = net.ports.get(l.b);
    if (a && b) connect(a, b);
  }
  // Spanning tree over what is cabled, converged (R9.9, R8.4); state.ts restores where it was.
  const stp = buildSpanningTree(net, inv);
  if (stp !== undefined) net.stp = stp;
  // LACP over what is cabled, converged (R6.5); state.ts restores negotiations under way.
  const lacp = buildLacp(net, inv);
  if (lacp !== undefined) net.lacp = lacp;
  // IGMP snooping and the guests' IGMP, in labs where something listens to it (igmp-host.ts).
  attachIgmp(net, inv);
  return net;
}

/** Ports that failed back once a recovered uplink's up-delay ended (R5.6, R5.11), for the event log. */
function failbackEvents(net: Network): (moved: string[], uplink: Port, t: number) => void {
  return (moved, uplink, t) => {
    for (const p of moved) net.events.push({ t, type: 'teaming.failover', object: p, message: `${p} moved back to ${uplink.id} after its up-delay (Net.TeamPolicyUpDelay, R5.6, R5.11)` });
  };
}

/** An Open vSwitch bond's active member changed (R8.5, bonding.rst), for the event log. */
function bondEvents(net: Network): (c: BondChange, t: number) => void {
  const label = (p: Port | null) => (p === null ? 'none' : p.id.replace(/^\w+:/, ''));
  return (c, t) => {
    const what = c.to === null
      ? 'every member is down: the bond carries nothing'
      : `${c.learningPackets} gratuitous learning packet${c.learningPackets === 1 ? '' : 's'} (RARP) sent on ${label(c.to)} for the MACs learned on other ports`;
    net.events.push({
      t, type: 'ovs.bond-active-changed', object: c.bond.id,
      message: `${label(c.bond)}: active member ${label(c.from)} → ${label(c.to)}; ${what} (R8.5)`,
      data: { from: c.from?.id ?? null, to: c.to?.id ?? null, learningPackets: c.learningPackets },
    });
  };
}

function nicMac(h: Host, name: string): number {
  const nic = h.nics.find((n) => n.name === name);
  return nic ? macToNumber(nic.mac) : 0;
}

function optional(ip: { ip: number; prefix: number } | undefined, gateway: string | undefined): { ip?: { ip: number; prefix: number }; gateway?: number } {
  return { ...(ip ? { ip } : {}), ...(gateway ? { gateway: ipToNumber(gateway) } : {}) };
}

/** Where a VM NIC plugs in on the host it runs on: the switch device and the port policy. */
function attachment(inv: Inventory, host: Host, nic: VmNic, dvProxy: Map<string, VSwitch>, net: Network):
  { device: VSwitch; policy: PortPolicy } | { device: LinuxBridge; policy?: undefined } | { device: OvsBridge; vlan: number; policy?: undefined } | undefined {
  const name = nic.network.name;
  for (const s of host.vswitches) {
    const pg = s.portgroups.find((p) => p.name === name);
    if (pg) return { device: net.switches.get(s.id) as VSwitch, policy: standardPolicy(pg) };
  }
  const bridge = host.bridges.find((b) => b.name === name);
  const dev = bridge && net.switches.get(bridge.id);
  // R8.5: by an Open vSwitch port group's name, an access port of its VLAN; by the bridge's name, a trunk.
  if (dev instanceof OvsBridge) {
    const pg = nic.network.kind === 'bridge' ? nic.network.portgroup : undefined;
    return { device: dev, vlan: bridge?.ovs?.portgroups.find((p) => p.name === pg)?.vlan ?? 0 };
  }
  if (bridge) return { device: dev as LinuxBridge };
  for (const d of inv.dvswitches.values()) {
    const pg = d.portgroups.find((p) => p.name === name);
    const proxy = dvProxy.get(`${d.name}@${host.name}`);
    if (pg && proxy) return { device: proxy, policy: dvPolicy(pg, d.version, d) };
  }
  return undefined;
}

function standardPolicy(pg: Portgroup): PortPolicy {
  const vlan: VlanMode = pg.vlan === 0 ? { kind: 'none' } : pg.vlan === 4095 ? { kind: 'all' } : { kind: 'vst', vid: pg.vlan };
  return {
    portgroup: pg.name, vlan,
    promiscuous: pg.security.promiscuous === 'accept', macChanges: pg.security.macChanges === 'accept', forgedTransmits: pg.security.forgedTransmits === 'accept',
    active: pg.teaming.active, standby: pg.teaming.standby, teaming: pg.teaming.policy, failback: pg.teaming.failback, notifySwitches: pg.teaming.notifySwitches,
    detection: pg.teaming.detection, learning: null,
  };
}

/** Native MAC learning needs a vDS of version 6.6.0 or later (R4c.1). */
function learningCapable(version: string): boolean {
  return compareVersions(version, '6.6.0') >= 0;
}

function dvPolicy(pg: DvPortgroup, version: string, dvs: DvSwitch): PortPolicy {
  const vlan: VlanMode = pg.vlan.type === 'none' ? { kind: 'none' } : pg.vlan.type === 'vlan' ? { kind: 'vst', vid: pg.vlan.id }
    : pg.vlan.type === 'pvlan' ? pvlanMode(dvs, pg.vlan) : { kind: 'trunk', allowed: allowedVlans(pg.vlan.ranges) }; // R3.11: pvlan.ts
  const l = pg.macLearning;
  return {
    portgroup: pg.name, vlan,
    promiscuous: pg.security.promiscuous === 'accept', macChanges: pg.security.macChanges === 'accept', forgedTransmits: pg.security.forgedTransmits === 'accept',
    active: pg.teaming.active, standby: pg.teaming.standby, teaming: pg.teaming.policy, failback: pg.teaming.failback, notifySwitches: pg.teaming.notifySwitches,
    detection: pg.teaming.detection,
    learning: l.enabled && learningCapable(version) ? { allowUnicastFlooding: l.allowUnicastFlooding, limit: l.limit, limitPolicy: l.limitPolicy, agingMs: l.agingTimeS * 1000 } : null,
  };
}
