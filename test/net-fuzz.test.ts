// The bar: "Bad input never crashes anything" — for the data plane: millions of random and
// mutated frames into every device type; nothing throws, malformed frames are counted and
// dropped with reason `malformed`, a guest never answers a malformed frame, and the scheduler
// always drains.
//
// One lab (below) with every device type src/net has: two physical switches running spanning
// tree in a loop (access and trunk ports, an allowed list, portfast and BPDU guard), an ESXi host whose vSwitch0 has two uplinks and port groups with
// VLAN 0, VST 10 and 4095 (promiscuous + forged transmits, a VGT guest and a promiscuous guest
// on it), a vDS 6.6.0 with a MAC-learning port group (limit 64, forged Reject), a load-based VST
// and a trunk port group, private VLANs (promiscuous, isolated, community), a nested ESXi
// (dvFilter MAC learning on its vNIC) with two VMs, another behind the Learnswitch, a nested KVM
// host with two Linux bridges (one VLAN-filtering with 10 s ageing and STP) and an Open vSwitch
// bridge with a balance-slb bond and an access port group, a router VM, a router station with
// a tagged NIC, plain stations, VMkernel ports and an unused NIC. Frames are put on the wire
// toward every port that has a peer — physical switch ports, vSwitch / vDS uplinks, their
// VM-side ports, bridge ports, guest and station interfaces — with outer VIDs 0–4095.
//
//   - bulk: a seeded PRNG mutates a pool of valid frames (ARP, RARP, ICMP echo, UDP, tagged and
//     stacked-tag frames, broadcast / multicast / unknown / known unicast) — bytes flipped,
//     truncated (to under 14 bytes too), extended with junk up to 1600 bytes, tags inserted,
//     MACs swapped, IPv4 and ARP header fields corrupted — or sends plain random bytes;
//     NET_FUZZ_FRAMES frames (default 3,000,000). Every frame shorter than 14 bytes is checked
//     on the spot: a switch counts it as `malformed` at the port it entered, and no device
//     sends anything or schedules anything because of it.
//   - structured (fast-check, fixed seed): random bytes into random ports; runts into every
//     switch port; malformed frames built for a guest (its MAC, its IP, its VLAN) — runts,
//     truncated tag stacks, IPv4 with a bad version, IHL or length, truncated IPv4/ICMP/ARP,
//     wrong ARP hardware/protocol fields — which the guest must not answer.
// The scheduler is drained (`runUntil(now + 10 s)`, Linux bridge and physical switch tables aged
// as the engine does) every 2,000 frames; it must not throw and must end empty.
// NET_FUZZ_SEED overrides the seed; a failure prints the seed, the frame (hex), VID and port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { loadLabText } from '../src/plan/load.js';
import { buildNetwork, type Network } from '../src/net/topology.js';
import type { Port } from '../src/net/fabric.js';
import type { Interface } from '../src/net/guest.js';
import { LinuxBridge } from '../src/net/bridge.js';
import { PhysicalSwitch } from '../src/net/pswitch.js';
import { DROP_BASE, DROP_REASONS, REASON_INDEX, TX } from '../src/net/reasons.js';
import { configBpduFrame } from '../src/net/stp-bpdu.js';
import { changeLink } from '../src/net/links.js';
import {
  ARP_REPLY, ARP_REQUEST, BROADCAST_MAC, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_QINQ, ETHERTYPE_VLAN, IP_PROTO_ICMP, IP_PROTO_UDP,
  buildArp, buildEthernet, buildIcmpEcho, buildIpv4, buildUdp, icmpEchoFrame, internetChecksum, macToNumber, rarpFrame,
  arpRequestFrame, arpReplyFrame, gratuitousArpFrame, write16,
} from '../src/net/codec/index.js';

const SEED = Number(process.env.NET_FUZZ_SEED ?? 0x6e65_7466); // "netf"
const BULK_FRAMES = Number(process.env.NET_FUZZ_FRAMES ?? 3_000_000);
const DRAIN_EVERY = 2000;
const MALFORMED = DROP_BASE + REASON_INDEX.malformed;
const SWITCH_KINDS = new Set(['pswitch', 'vswitch', 'dvswitch', 'bridge', 'ovs-bridge']);

const LAB = `
lab: net-fuzz
settings: { reversePathFwdCheckPromisc: true }
network:
  switches:
    - name: psw
      stp: { priority: 4096 }
      ports:
        p1: { mode: trunk, native: 1, allowed: all }
        p2: { mode: trunk, native: 1, allowed: all }
        p3: { mode: trunk, native: 1, allowed: [1, 20, '100-110'] }
        p10: { mode: access, vlan: 1 }
        p11: { mode: access, vlan: 1 }
        p12: { mode: trunk, native: 1, allowed: [1, 10] }
        p13: { mode: access, vlan: 10 }
        p20: { mode: trunk, native: 1, allowed: all }
        p21: { mode: trunk, native: 1, allowed: all }
        default: { mode: trunk, native: 1, allowed: all, portfast: true, bpduguard: true }
    - name: psw2
      stp: true
      ports:
        p1: { mode: trunk, native: 1, allowed: all }
        p2: { mode: trunk, native: 1, allowed: all, speed: 1000 }
        p3: { mode: access, vlan: 1, portfast: true, bpduguard: true }
  stations:
    - { name: h, nics: [{ name: eth0, ip: 10.0.1.100/24, gateway: 10.0.1.1, connect: psw/p10 }] }
    - { name: h10, nics: [{ name: eth0, ip: 10.0.10.100/24, gateway: 10.0.10.1, connect: psw/p13 }] }
    - { name: h2, nics: [{ name: eth0, ip: 10.0.1.102/24, gateway: 10.0.1.1, connect: psw2/p3 }] }
    - name: gw
      router: true
      nics:
        - { name: eth0, ip: 10.0.1.1/24, connect: psw/p11 }
        - { name: eth1, ip: 10.0.10.1/24, vlan: 10, connect: psw/p12 }
  links: [[psw/p20, psw2/p1], [psw/p21, psw2/p2]]
hosts:
  - name: esx1
    cpu: xeon-gold-6130
    memory: 256GB
    nics:
      - { name: vmnic0, connect: psw/p1 }
      - { name: vmnic1, connect: psw/p2 }
      - { name: vmnic2, connect: psw/p3 }
      - { name: vmnic3 }
      - { name: vmnic4, connect: psw/p5 }
    switches:
      - name: vSwitch0
        uplinks: [vmnic0, vmnic1]
        portgroups:
          - name: Management Network
            vmkernel:
              - { name: vmk0, ip: 10.0.1.10/24, gateway: 10.0.1.1 }
          - { name: VM Network }
          - { name: VLAN 10, vlan: 10 }
          - { name: Trunk, vlan: 4095, security: { promiscuous: accept, forgedTransmits: accept } }
vcenter: external
distributedSwitches:
  - name: dvs
    version: '6.6.0'
    members: [{ host: esx1, uplinks: [vmnic2, vmnic4] }]
    pvlans: [{ primary: 200, secondary: 201, type: isolated }, { primary: 200, secondary: 202, type: community }]
    portgroups:
      - name: Learn-PG
        macLearning: { enabled: true, limit: 64 }
        security: { forgedTransmits: reject }
      - { name: DV-20, vlan: 20, teaming: { policy: load-based } }
      - { name: PV-Prom, vlan: { pvlan: 200 } }
      - { name: PV-Iso, vlan: { pvlan: 201 } }
      - { name: PV-Com, vlan: { pvlan: 202 } }
      - { name: Nest-DV, security: { promiscuous: accept, forgedTransmits: accept } }
      - { name: DV-Trunk, vlan: { trunk: ['100-110'] } }
vms:
  - { name: a, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: VM Network, ip: 10.0.1.21/24, gateway: 10.0.1.2 }] }
  - { name: b, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: VLAN 10, ip: 10.0.10.22/24, gateway: 10.0.10.1 }] }
  - { name: g, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: Trunk, vlan: 10, ip: 10.0.10.23/24 }] }
  - { name: p, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: Trunk, promiscuous: true, ip: 10.0.1.24/24 }] }
  - name: rtr
    host: esx1
    role: router
    cpus: 1
    memory: 1GB
    nics:
      - { network: VM Network, ip: 10.0.1.2/24 }
      - { network: DV-20, ip: 10.0.20.2/24 }
  - { name: d, host: esx1, cpus: 1, memory: 1GB, workload: { network: 900Mbps }, nics: [{ network: DV-20, ip: 10.0.20.25/24, gateway: 10.0.20.2 }] }
  - { name: pp, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: PV-Prom, ip: 10.0.200.1/24 }] }
  - { name: pi, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: PV-Iso, ip: 10.0.200.2/24 }] }
  - { name: pc, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: PV-Com, ip: 10.0.200.3/24 }] }
  - name: nesx2
    host: esx1
    cpus: 2
    memory: 8GB
    hardwareVersion: 20
    exposeHardwareVirtualization: true
    nics: [{ network: Nest-DV, macLearn: learnswitch }]
    nested:
      hypervisor: esxi
      switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: VM Network }] }]
  - { name: x, host: nesx2, cpus: 1, memory: 1GB, nics: [{ network: VM Network, ip: 10.0.1.51/24, gateway: 10.0.1.1 }] }
  - { name: t, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: DV-Trunk, vlan: 105, ip: 10.0.105.26/24 }] }
  - name: nesx
    host: esx1
    cpus: 2
    memory: 8GB
    hardwareVersion: 20
    exposeHardwareVirtualization: true
    nics: [{ network: Trunk, macLearn: true }]
    nested:
      hypervisor: esxi
      switches:
        - name: vSwitch0
          uplinks: [vmnic0]
          portgroups:
            - name: Management Network
              vmkernel:
                - { name: vmk0, ip: 10.0.1.11/24 }
            - { name: VM Network }
            - { name: VLAN 10, vlan: 10 }
  - { name: v, host: nesx, cpus: 1, memory: 1GB, nics: [{ network: VM Network, ip: 10.0.1.31/24, gateway: 10.0.1.1 }] }
  - { name: w, host: nesx, cpus: 1, memory: 1GB, nics: [{ network: VLAN 10, ip: 10.0.10.32/24, gateway: 10.0.10.1 }] }
  - name: kvm1
    host: esx1
    cpus: 2
    memory: 4GB
    hardwareVersion: 20
    exposeHardwareVirtualization: true
    nics: [{ network: Learn-PG }, { network: Learn-PG }, { network: Learn-PG }, { network: Learn-PG }]
    nested:
      hypervisor: kvm
      switches:
        - { name: br0, uplinks: [eth0] }
        - { name: br1, uplinks: [eth1], vlanFiltering: true, agingTime: 10s, stp: true }
        - { name: ovs0, type: ovs, uplinks: [eth2, eth3], bond: { mode: balance-slb }, portgroups: [{ name: ovs-10, vlan: 10 }] }
  - { name: k1, host: kvm1, cpus: 1, memory: 1GB, nics: [{ network: br0, ip: 10.0.1.41/24 }] }
  - { name: k2, host: kvm1, cpus: 1, memory: 1GB, nics: [{ network: br1, ip: 10.0.1.42/24 }] }
  - { name: k3, host: kvm1, cpus: 1, memory: 1GB, nics: [{ network: ovs0, ip: 10.0.1.43/24 }] }
  - { name: k4, host: kvm1, cpus: 1, memory: 1GB, nics: [{ network: ovs-10, ip: 10.0.10.44/24 }] }
`;

// ---- the network under test -------------------------------------------------------------------

interface Lab {
  net: Network;
  /** every port a frame can be put toward (it has a peer to send from) */
  targets: Port[];
  /** guest-side interfaces, each once */
  ifaces: Interface[];
  /** the guest interface a port belongs to, if it is one */
  ifaceOf: Map<Port, Interface>;
  /** guest and station interface ports: their TX counters are what guests answer */
  guestPorts: Port[];
  allPorts: Port[];
}

function build(): Lab {
  const l = loadLabText('net-fuzz.yaml', LAB);
  if (!l.ok) throw new Error(`the fuzz lab does not load: ${JSON.stringify(l.errors.map((e) => e.message))}`);
  const inv = l.inventory;
  const net = buildNetwork(inv, { vm: (n) => ({ on: inv.vms.get(n)!.power === 'on', host: inv.vms.get(n)!.host }) });
  const ifaceOf = new Map<Port, Interface>();
  const ifaces: Interface[] = [];
  for (const [key, { iface }] of net.interfaces) {
    if (key !== iface.id) continue;
    ifaces.push(iface);
    ifaceOf.set(iface.port, iface);
  }
  const allPorts = [...net.ports.values()];
  return { net, targets: allPorts.filter((p) => p.peer !== null), ifaces, ifaceOf, guestPorts: ifaces.map((i) => i.port), allPorts };
}

const sumTx = (ports: Port[]) => ports.reduce((s, p) => s + p.counters[TX]!, 0);
const hex = (f: Uint8Array) => Buffer.from(f).toString('hex');

/** Put `frame` on the wire so that it enters `target` (sent from its peer). */
function inject(lab: Lab, target: Port, frame: Uint8Array, vid: number): void {
  lab.net.fabric.transmit(target.peer!, frame, vid, lab.net.fabric.now);
}

/** Run everything due in the next 10 s of virtual time and age learned tables, as the engine does. */
function drain(lab: Lab): void {
  const f = lab.net.fabric;
  f.runUntil(f.now + 10_000);
  for (const sw of lab.net.switches.values()) if (sw instanceof PhysicalSwitch || sw instanceof LinuxBridge) sw.fdb.age(f.now);
  assert.equal(f.pending, 0, 'the scheduler drains: nothing is left 10 s after the last frame');
  // Ports BPDU guard shut: `link up`, as an operator would, so the fuzz keeps reaching what is behind them.
  for (const p of lab.allPorts) if (!p.up && p.device instanceof PhysicalSwitch) changeLink(lab.net, p, true);
  f.runUntil(f.now + 10_000);
}

function describeTarget(p: Port): string {
  return `${p.id} (${p.device.kind} ${p.device.id})`;
}

// ---- a seeded PRNG and the valid-frame pool ----------------------------------------------------

/** xorshift32: a few integer ops per draw. */
function prng(seed: number) {
  let s = seed >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return { next, below: (n: number) => next() % n, chance: (p: number) => next() / 0x1_0000_0000 < p };
}

const VIDS = [0, 0, 0, 1, 10, 20, 30, 100, 105, 110, 4094, 4095];

/** Valid frames: for each guest interface, traffic addressed to it; plus general traffic. */
function framePool(lab: Lab): { general: Uint8Array[]; byIface: Map<Interface, Uint8Array[]> } {
  const ifaces = lab.ifaces;
  const withIp = ifaces.filter((i) => i.ip !== undefined);
  const other = (i: number) => withIp[(i * 7 + 3) % withIp.length]!;
  const general: Uint8Array[] = [];
  const byIface = new Map<Interface, Uint8Array[]>();
  const foreign = macToNumber('02:00:00:00:be:ef');
  withIp.forEach((me, i) => {
    const them = other(i);
    const ip = me.ip!.ip;
    const theirIp = them.ip!.ip;
    const frames = [
      arpRequestFrame(them.mac, theirIp, ip),
      arpReplyFrame(them.mac, theirIp, me.mac, ip),
      gratuitousArpFrame(them.mac, theirIp),
      icmpEchoFrame({ srcMac: them.mac, dstMac: me.mac, srcIp: theirIp, dstIp: ip, id: i, seq: 1, reply: false }),
      icmpEchoFrame({ srcMac: them.mac, dstMac: me.mac, srcIp: theirIp, dstIp: ip, id: i, seq: 2, size: 1400, reply: false }),
      icmpEchoFrame({ srcMac: them.mac, dstMac: me.mac, srcIp: theirIp, dstIp: ip, id: i, seq: 3, reply: true }),
      icmpEchoFrame({ srcMac: foreign, dstMac: me.mac, srcIp: 0x0a636363, dstIp: ip, id: i, seq: 4, reply: false }),
      // Routed: to a router's MAC, for an address on another subnet, TTL 1 and 64.
      icmpEchoFrame({ srcMac: them.mac, dstMac: me.mac, srcIp: theirIp, dstIp: 0x0a001419, id: i, seq: 5, ttl: 1, reply: false }),
      icmpEchoFrame({ srcMac: them.mac, dstMac: me.mac, srcIp: theirIp, dstIp: 0x0a00011e, id: i, seq: 6, reply: false }),
      buildEthernet({ dst: me.mac, src: them.mac, etherType: ETHERTYPE_IPV4, payload: buildIpv4({ src: theirIp, dst: ip, protocol: IP_PROTO_UDP, payload: buildUdp({ srcPort: 5353, dstPort: 53, payload: new Uint8Array(20), srcIp: theirIp, dstIp: ip }) }) }),
      buildEthernet({ dst: me.mac, src: them.mac, etherType: ETHERTYPE_ARP, innerVlans: [10], payload: buildArp({ op: ARP_REQUEST, senderMac: them.mac, senderIp: theirIp, targetMac: 0, targetIp: ip }) }),
      buildEthernet({ dst: BROADCAST_MAC, src: them.mac, etherType: ETHERTYPE_ARP, innerVlans: [10, 20], payload: buildArp({ op: ARP_REPLY, senderMac: them.mac, senderIp: theirIp, targetMac: me.mac, targetIp: ip }) }),
    ];
    byIface.set(me, frames);
    general.push(...frames);
  });
  for (const i of ifaces) {
    general.push(rarpFrame(i.mac));
    general.push(buildEthernet({ dst: macToNumber('01:00:5e:00:00:fb'), src: i.mac, etherType: 0x88b5, payload: new Uint8Array(46) }));
    general.push(buildEthernet({ dst: foreign, src: i.mac, etherType: 0x88b5, payload: new Uint8Array(100) }));
  }
  // A BPDU claiming to be the root: BPDU guard and the spanning tree must take it in their stride.
  const rogue = { priority: 0, mac: 0x02_00_00_00_00_01 };
  general.push(configBpduFrame(rogue.mac, { root: rogue, rootCost: 0, bridge: rogue, portId: 0x8001, maxAge: 20, helloTime: 2, forwardDelay: 15, topologyChange: true }));
  general.push(buildEthernet({ dst: BROADCAST_MAC, src: BROADCAST_MAC, etherType: ETHERTYPE_ARP, payload: new Uint8Array(28) }));
  general.push(buildEthernet({ dst: 0, src: 0, etherType: 0, payload: new Uint8Array(0) }));
  return { general, byIface };
}

/** Locate the IPv4 / ARP header behind the Ethernet header and any tags, or -1. */
function l3Offset(f: Uint8Array): number {
  let off = 12;
  while (off + 2 <= f.length) {
    const type = (f[off]! << 8) | f[off + 1]!;
    if (type !== ETHERTYPE_VLAN && type !== ETHERTYPE_QINQ) return off + 2 < f.length ? off + 2 : -1;
    off += 4;
  }
  return -1;
}

// ---- the bulk run --------------------------------------------------------------------------

test(`bulk: ${BULK_FRAMES.toLocaleString('en-US')} mutated and random frames into every port — nothing throws, runts are counted as malformed and answered by no one (seed ${SEED})`, (t) => {
  const lab = build();
  const rnd = prng(SEED);
  const { general, byIface } = framePool(lab);
  const junk = new Uint8Array(1 << 20);
  for (let i = 0; i < junk.length; i += 4) {
    const v = rnd.next();
    junk[i] = v;
    junk[i + 1] = v >>> 8;
    junk[i + 2] = v >>> 16;
    junk[i + 3] = v >>> 24;
  }
  const macs = [BROADCAST_MAC, macToNumber('01:00:5e:00:00:01'), macToNumber('33:33:00:00:00:01'), macToNumber('02:00:00:00:be:ef'), ...lab.ifaces.map((i) => i.mac)];
  const f = lab.net.fabric;
  const counts = { frames: 0, runts: 0, random: 0, fromGuests: 0, byKind: new Map<string, number>() };
  const guestPortSet = new Set(lab.guestPorts);
  const started = performance.now();
  const heap0 = process.memoryUsage().heapUsed;

  const mutate = (base: Uint8Array): Uint8Array => {
    let fr = base.slice();
    const ops = 1 + rnd.below(3);
    for (let k = 0; k < ops; k++) {
      switch (rnd.below(9)) {
        case 0: break; // left valid
        case 1: for (let n = 1 + rnd.below(8); n > 0 && fr.length; n--) fr[rnd.below(fr.length)] = rnd.next(); break;
        case 2: fr = fr.subarray(0, rnd.below(fr.length + 1)); break; // truncated anywhere (runts too)
        case 3: { // extend with junk, up to 1600 bytes
          if (fr.length >= 1600) break;
          const len = Math.min(1600, fr.length + 1 + rnd.below(1600));
          const g = new Uint8Array(len);
          g.set(fr);
          const at = rnd.below(junk.length - len);
          g.set(junk.subarray(at, at + len - fr.length), fr.length);
          fr = g;
          break;
        }
        case 4: { // insert a (stacked) 802.1Q / 802.1ad tag after the MACs
          if (fr.length < 12) break;
          const g = new Uint8Array(fr.length + 4);
          g.set(fr.subarray(0, 12));
          write16(g, 12, rnd.chance(0.7) ? ETHERTYPE_VLAN : ETHERTYPE_QINQ);
          write16(g, 14, rnd.below(0x10000));
          g.set(fr.subarray(12), 16);
          fr = g;
          break;
        }
        case 5: { // swap the destination or source for a known / group / foreign MAC
          if (fr.length < 12) break;
          const m = macs[rnd.below(macs.length)]!;
          const at = rnd.chance(0.5) ? 0 : 6;
          for (let b = 5; b >= 0; b--) fr[at + b] = Math.floor(m / 2 ** (8 * (5 - b))) & 0xff;
          break;
        }
        case 6: { // corrupt IPv4: version/IHL, total length, TTL, protocol, header checksum
          const o = l3Offset(fr);
          if (o < 0 || o + 20 > fr.length) break;
          const field = [0, 2, 3, 8, 9, 10, 11][rnd.below(7)]!;
          fr[o + field] = rnd.chance(0.3) ? 0 : rnd.next();
          break;
        }
        case 7: { // corrupt ARP: hardware / protocol type and lengths, opcode
          const o = l3Offset(fr);
          if (o < 0 || o + 8 > fr.length) break;
          fr[o + rnd.below(8)] = rnd.next();
          break;
        }
        case 8: if (rnd.chance(0.3)) fr = fr.subarray(0, rnd.below(14)); break; // sometimes a runt
      }
    }
    return fr;
  };

  let frame: Uint8Array = new Uint8Array(0);
  let vid = 0;
  let target: Port = lab.targets[0]!;
  try {
    for (let n = 0; n < BULK_FRAMES; n++) {
      target = lab.targets[rnd.below(lab.targets.length)]!;
      // The guest at either end of the target's link: its frames and its VLAN get past the first checks.
      const iface = lab.ifaceOf.get(target) ?? lab.ifaceOf.get(target.peer!);
      if (rnd.chance(0.15)) {
        // Plain random bytes, 0–1600 long (a view into the junk buffer: no copy).
        const len = rnd.chance(0.05) ? rnd.below(14) : rnd.below(1601);
        const at = rnd.below(junk.length - len);
        frame = junk.subarray(at, at + len);
        counts.random++;
      } else {
        const own = iface !== undefined ? byIface.get(iface) : undefined;
        const pool = own !== undefined && rnd.chance(0.6) ? own : general;
        frame = mutate(pool[rnd.below(pool.length)]!);
      }
      vid = iface !== undefined && rnd.chance(0.6) ? iface.vlan : rnd.chance(0.5) ? VIDS[rnd.below(VIDS.length)]! : rnd.below(4096);
      const kind = target.device.kind;
      if (guestPortSet.has(target.peer!)) counts.fromGuests++;
      counts.byKind.set(kind, (counts.byKind.get(kind) ?? 0) + 1);
      if (frame.length < 14) {
        // A runt: dropped where it enters; a switch says `malformed`; nobody sends or schedules anything.
        counts.runts++;
        const malformed0 = target.counters[MALFORMED]!;
        const drops0 = target.counters.reduce((s, c, i) => (i >= DROP_BASE ? s + c : s), 0);
        const tx0 = sumTx(lab.allPorts);
        const pending0 = f.pending;
        inject(lab, target, frame, vid);
        // BPDU guard may have shut the link (a rogue BPDU earlier): then nothing enters at all.
        if (!(target.up && target.peer!.up)) assert.equal(target.counters[MALFORMED]! - malformed0, 0, 'a runt on a link that is down never arrives');
        else if (SWITCH_KINDS.has(kind)) assert.equal(target.counters[MALFORMED]! - malformed0, 1, 'a switch counts a runt as malformed at its ingress port');
        else assert.equal(target.counters.reduce((s, c, i) => (i >= DROP_BASE ? s + c : s), 0) - drops0, 1, 'a runt is dropped (and counted) where it enters');
        assert.equal(sumTx(lab.allPorts) - tx0, 1, 'nothing is sent because of a runt (the one TX is the injection)');
        assert.equal(f.pending, pending0, 'nothing is scheduled because of a runt');
      } else {
        inject(lab, target, frame, vid);
      }
      counts.frames++;
      if (n % DRAIN_EVERY === DRAIN_EVERY - 1) drain(lab);
    }
    drain(lab);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`seed ${SEED}, frame #${counts.frames}: ${msg}\n  into ${describeTarget(target)} vid ${vid}\n  frame (${frame.length} bytes) ${hex(frame)}`, { cause: e });
  }
  const seconds = (performance.now() - started) / 1000;
  assert.equal(counts.frames, BULK_FRAMES);
  const malformedTotal = lab.allPorts.reduce((s, p) => s + p.counters[MALFORMED]!, 0);
  assert.ok(malformedTotal >= counts.runts * 0.5, 'malformed frames show up in the counters');
  t.diagnostic(`${counts.frames.toLocaleString('en-US')} frames (${counts.random.toLocaleString('en-US')} random, ${counts.runts.toLocaleString('en-US')} runts) in ${seconds.toFixed(1)} s = ${Math.round(counts.frames / seconds).toLocaleString('en-US')} frames/s; virtual time ${(f.now / 1000).toFixed(0)} s; malformed drops counted ${malformedTotal.toLocaleString('en-US')}`);
  t.diagnostic(`entered: ${[...counts.byKind].map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}`);
  const reasons = DROP_REASONS.map(([r]) => [r, lab.allPorts.reduce((s, p) => s + p.counters[DROP_BASE + REASON_INDEX[r]]!, 0)] as const).filter(([, n]) => n > 0);
  t.diagnostic(`drops: ${reasons.map(([r, n]) => `${r} ${n.toLocaleString('en-US')}`).join(', ')}`);
  t.diagnostic(`frames guests sent on their own (answers, ARP, forwarding): ${(sumTx(lab.guestPorts) - counts.fromGuests).toLocaleString('en-US')}`);
  t.diagnostic(`heap growth ${((process.memoryUsage().heapUsed - heap0) / 2 ** 20).toFixed(1)} MiB`);
});

// ---- structured (fast-check) ---------------------------------------------------------------

test('fast-check: random bytes (0–1600, and runts) with random VIDs into random ports never throw; runts into switch ports count as malformed', () => {
  const lab = build();
  let runs = 0;
  fc.assert(fc.property(
    fc.nat(lab.targets.length - 1),
    fc.oneof(fc.uint8Array({ maxLength: 13 }), fc.uint8Array({ maxLength: 1600 })),
    fc.integer({ min: 0, max: 4095 }),
    (ti, frame, vid) => {
      const target = lab.targets[ti]!;
      const m0 = target.counters[MALFORMED]!;
      inject(lab, target, frame, vid);
      if (frame.length < 14 && SWITCH_KINDS.has(target.device.kind)) assert.equal(target.counters[MALFORMED]! - m0, 1);
      if (++runs % 500 === 0) drain(lab);
    },
  ), { seed: SEED, numRuns: 30_000 });
  drain(lab);
});

test('fast-check: a runt (0–13 bytes) into every switch port, any VID, is dropped there as malformed and goes nowhere', () => {
  const lab = build();
  const switchPorts = lab.targets.filter((p) => SWITCH_KINDS.has(p.device.kind));
  assert.ok(switchPorts.length >= 20, `switch ports of every kind (${switchPorts.length})`);
  for (const k of SWITCH_KINDS) assert.ok(switchPorts.some((p) => p.device.kind === k), `a ${k} port is fuzzed`);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 13 }), fc.integer({ min: 0, max: 4095 }), (frame, vid) => {
    for (const target of switchPorts) {
      const m0 = target.counters[MALFORMED]!;
      const tx0 = sumTx(lab.allPorts);
      inject(lab, target, frame, vid);
      assert.equal(target.counters[MALFORMED]! - m0, 1, `${describeTarget(target)} counts the runt as malformed`);
      assert.equal(sumTx(lab.allPorts) - tx0, 1, `${describeTarget(target)} forwards no runt`);
    }
  }), { seed: SEED, numRuns: 2000 });
  assert.equal(lab.net.fabric.pending, 0);
});

// Malformed frames built for one guest: its MAC, its IP, its VLAN — what it would answer if valid.
type Malformed =
  | 'runt' | 'truncated-tags' | 'ipv4-version' | 'ipv4-ihl' | 'ipv4-total-too-long' | 'ipv4-total-below-ihl' | 'ipv4-truncated'
  | 'icmp-truncated' | 'arp-truncated' | 'arp-htype' | 'arp-ptype' | 'arp-hlen' | 'arp-plen'
  | 'ipv4-bad-checksum' | 'icmp-bad-checksum';
/** Failing these, parseEthernet / parseIpv4 return null and the guest counts `malformed`. */
const COUNTED_BY_PARSER = new Set<Malformed>(['truncated-tags', 'ipv4-version', 'ipv4-ihl', 'ipv4-total-too-long', 'ipv4-total-below-ihl', 'ipv4-truncated']);
const HARD: Malformed[] = ['runt', 'truncated-tags', 'ipv4-version', 'ipv4-ihl', 'ipv4-total-too-long', 'ipv4-total-below-ihl', 'ipv4-truncated', 'icmp-truncated', 'arp-truncated', 'arp-htype', 'arp-ptype', 'arp-hlen', 'arp-plen'];

const PEER_MAC = macToNumber('00:50:56:3f:00:01');

/** A frame of kind `kind` for `me`; `r` (0..2^32) varies the corrupted value. */
function malformedFor(me: Interface, kind: Malformed, r: number, bytes: Uint8Array): Uint8Array {
  const ip = me.ip!.ip;
  const peerIp = ((ip & 0xffffff00) | (((ip & 0xff) + 1) % 254 + 1)) >>> 0;
  const echo = (size: number) => buildIcmpEcho({ type: 8, id: r & 0xffff, seq: 1, data: new Uint8Array(size) });
  const ipv4 = () => buildIpv4({ src: peerIp, dst: ip, protocol: IP_PROTO_ICMP, payload: echo(32) });
  const eth = (etherType: number, payload: Uint8Array, pad = true) => {
    const f = buildEthernet({ dst: me.effectiveMac, src: PEER_MAC, etherType, payload });
    return pad ? f : f.subarray(0, 14 + payload.length);
  };
  const arp = () => buildArp({ op: ARP_REQUEST, senderMac: PEER_MAC, senderIp: peerIp, targetMac: 0, targetIp: ip });
  switch (kind) {
    case 'runt': return eth(ETHERTYPE_ARP, arp()).slice(0, r % 14);
    case 'truncated-tags': {
      const tags = 1 + (r % 3);
      const f = new Uint8Array(12 + 4 * tags + (r % 2));
      f.set(eth(ETHERTYPE_ARP, arp()).subarray(0, 12));
      for (let i = 0; i < tags; i++) { write16(f, 12 + 4 * i, i % 2 ? ETHERTYPE_QINQ : ETHERTYPE_VLAN); write16(f, 14 + 4 * i, bytes[i] ?? 1); }
      return f.subarray(0, Math.max(14, f.length - 1 - (r % 3)));
    }
    case 'ipv4-version': { const p = ipv4(); p[0] = (((r % 15) + (r % 15 >= 4 ? 1 : 0)) << 4) | 5; return eth(ETHERTYPE_IPV4, fixIpSum(p)); }
    case 'ipv4-ihl': { const p = ipv4(); p[0] = 0x40 | (r % 5); return eth(ETHERTYPE_IPV4, fixIpSum(p)); }
    case 'ipv4-total-too-long': { const p = ipv4(); write16(p, 2, 1500 + (r % 64000)); return eth(ETHERTYPE_IPV4, fixIpSum(p)); }
    case 'ipv4-total-below-ihl': { const p = ipv4(); write16(p, 2, r % 20); return eth(ETHERTYPE_IPV4, fixIpSum(p)); }
    case 'ipv4-truncated': return eth(ETHERTYPE_IPV4, ipv4().subarray(0, r % 20), false);
    case 'icmp-truncated': {
      const full = buildIpv4({ src: peerIp, dst: ip, protocol: IP_PROTO_ICMP, payload: echo(0).subarray(0, r % 8) });
      return eth(ETHERTYPE_IPV4, full);
    }
    case 'arp-truncated': return eth(ETHERTYPE_ARP, arp().subarray(0, r % 28), false);
    case 'arp-htype': { const p = arp(); write16(p, 0, 2 + (r % 0xfffe)); return eth(ETHERTYPE_ARP, p); }
    case 'arp-ptype': { const p = arp(); write16(p, 2, r % 2 ? 0x86dd : r & 0x7ff); return eth(ETHERTYPE_ARP, p); }
    case 'arp-hlen': { const p = arp(); p[4] = (r % 255) + (r % 255 >= 6 ? 1 : 0); return eth(ETHERTYPE_ARP, p); }
    case 'arp-plen': { const p = arp(); p[5] = (r % 255) + (r % 255 >= 4 ? 1 : 0); return eth(ETHERTYPE_ARP, p); }
    case 'ipv4-bad-checksum': { const p = ipv4(); write16(p, 10, ((p[10]! << 8) | p[11]!) ^ (1 + (r % 0xffff))); return eth(ETHERTYPE_IPV4, p); }
    case 'icmp-bad-checksum': {
      const e = echo(32);
      write16(e, 2, ((e[2]! << 8) | e[3]!) ^ (1 + (r % 0xffff)));
      return eth(ETHERTYPE_IPV4, buildIpv4({ src: peerIp, dst: ip, protocol: IP_PROTO_ICMP, payload: e }));
    }
  }
}

/** Recompute the IPv4 header checksum over the first 20 bytes (so only the intended fault remains). */
function fixIpSum(p: Uint8Array): Uint8Array {
  write16(p, 10, 0);
  write16(p, 10, internetChecksum(p, 0, 20));
  return p;
}

/** Inject into `me` (from its switch-side peer), drain, and report what the guests did. */
function answerTo(lab: Lab, me: Interface, frame: Uint8Array): { sent: number; scheduled: number; malformed: number } {
  drain(lab);
  const tx0 = sumTx(lab.guestPorts);
  const m0 = me.port.counters[MALFORMED]!;
  inject(lab, me.port, frame, me.vlan);
  const scheduled = lab.net.fabric.pending;
  drain(lab);
  return { sent: sumTx(lab.guestPorts) - tx0, scheduled, malformed: me.port.counters[MALFORMED]! - m0 };
}

test('control: the valid frames behind the malformed ones are answered (so "no answer" below means something)', () => {
  const lab = build();
  for (const me of lab.ifaces.filter((i) => i.ip !== undefined)) {
    const ip = me.ip!.ip;
    const peerIp = ((ip & 0xffffff00) | (((ip & 0xff) + 1) % 254 + 1)) >>> 0;
    const arp = buildEthernet({ dst: me.effectiveMac, src: PEER_MAC, etherType: ETHERTYPE_ARP, payload: buildArp({ op: ARP_REQUEST, senderMac: PEER_MAC, senderIp: peerIp, targetMac: 0, targetIp: ip }) });
    assert.ok(answerTo(lab, me, arp).sent >= 1, `${me.id} answers a valid ARP request`);
    const echo = buildEthernet({ dst: me.effectiveMac, src: PEER_MAC, etherType: ETHERTYPE_IPV4, payload: buildIpv4({ src: peerIp, dst: ip, protocol: IP_PROTO_ICMP, payload: buildIcmpEcho({ type: 8, id: 1, seq: 1, data: new Uint8Array(32) }) }) });
    assert.ok(answerTo(lab, me, echo).sent >= 1, `${me.id} answers a valid echo request`);
  }
});

test('fast-check: a guest never answers a malformed frame addressed to it (runts, truncated tags, bad IPv4 version/IHL/length, truncated IPv4/ICMP/ARP, bad ARP fields); parser failures count as malformed', () => {
  const lab = build();
  const guests = lab.ifaces.filter((i) => i.ip !== undefined);
  fc.assert(fc.property(
    fc.nat(guests.length - 1), fc.constantFrom(...HARD), fc.nat(), fc.uint8Array({ minLength: 4, maxLength: 4 }),
    (gi, kind, r, bytes) => {
      const me = guests[gi]!;
      const frame = malformedFor(me, kind, r, bytes);
      const got = answerTo(lab, me, frame);
      const where = `${kind} into ${me.id}: ${hex(frame)}`;
      assert.equal(got.scheduled, 0, `nothing scheduled for ${where}`);
      assert.equal(got.sent, 0, `no answer to ${where}`);
      if (COUNTED_BY_PARSER.has(kind) || (kind === 'runt' && frame.length >= 6)) assert.equal(got.malformed, 1, `counted as malformed: ${where}`);
    },
  ), { seed: SEED, numRuns: 3000 });
});

// Found by this fuzz test, then fixed: a guest answered (and a router guest forwarded) packets
// with bad IPv4 or ICMP checksums, and dropped truncated ARP and ICMP headers without counting.
const GUEST_CHECKS: Array<[Malformed, string]> = [
  ['ipv4-bad-checksum', 'RFC 1122 3.2.1.2: bad IPv4 header checksum'],
  ['icmp-bad-checksum', 'bad ICMP checksum'],
  ['icmp-truncated', 'truncated ICMP header'],
  ['arp-truncated', 'truncated ARP payload'],
];
for (const [kind, why] of GUEST_CHECKS) {
  test(`fast-check: a guest neither answers nor forwards ${kind} frames, and counts them as malformed (${why})`, () => {
    const lab = build();
    const guests = lab.ifaces.filter((i) => i.ip !== undefined);
    fc.assert(fc.property(fc.nat(guests.length - 1), fc.nat(), fc.uint8Array({ minLength: 4, maxLength: 4 }), (gi, r, bytes) => {
      const me = guests[gi]!;
      const frame = malformedFor(me, kind, r, bytes);
      const got = answerTo(lab, me, frame);
      const where = `${kind} into ${me.id}: ${hex(frame)}`;
      assert.equal(got.sent, 0, `no answer to ${where}`);
      assert.equal(got.malformed, 1, `counted as malformed: ${where}`);
    }), { seed: SEED, numRuns: 200 });
  });
}
