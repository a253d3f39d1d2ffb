// Open vSwitch bridges on kvm hosts (spec/network.md R8.5, with R8.1–R8.6 for contrast): the
// NORMAL action's learning per (VLAN, port) and mac-aging-time forced into 15–3600 s, flooding
// within the VLAN, libvirt port groups as access ports, bonds (one member per flood, admissibility
// of what comes back, active-backup failover with gratuitous learning packets), an OVS host
// nested under ESXi (R8.6), state kept between commands, the CLI views and the lab-file errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BROADCAST_MAC, gratuitousArpFrame, ipToNumber, macToNumber } from '../src/net/codec/index.js';
import { changeLink } from '../src/net/links.js';
import { OvsBridge } from '../src/net/ovs.js';
import { PhysicalSwitch } from '../src/net/pswitch.js';
import { snapshot } from '../src/net/state.js';
import type { Network } from '../src/net/topology.js';
import { loadLabText } from '../src/plan/load.js';
import { advance, dropAt, eth, l0Host, lab, MAC, m, nestedKvm, network, pingOk, pswNetwork, portOf, record, send, tap, watch } from './net-helpers.js';
import { tempDir } from './helpers.js';

// ---- labs --------------------------------------------------------------------------------------

const OVS_MAC: Record<string, string> = { ...MAC, e: '52:54:00:00:00:0e', f: '52:54:00:00:00:0f' };
const mac = (name: string): number => macToNumber(OVS_MAC[name] ?? name);

interface OvsLab {
  /** the bridge's extra keys (agingTime, bond, portgroups …) as YAML flow-map entries */
  bridge?: string;
  type?: 'ovs' | 'linux-bridge';
  /** uplinks eth0 → psw/p1, eth1 → psw/p2 … */
  uplinks?: number;
  /** VMs: name → network (and extra NIC keys) */
  vms: Array<[name: string, network: string, extra?: string]>;
}

/**
 * psw (p1, p2 trunks, native 1, toward kvm1's eth0/eth1; p10 access VLAN 1 with station h, p11
 * access VLAN 10 with station h10), kvm host kvm1 with bridge br0 (Open vSwitch by default).
 */
function ovsLab(o: OvsLab): string {
  const n = o.uplinks ?? 1;
  const nics = Array.from({ length: n }, (_, i) => `      - { name: eth${i}, mac: '00:10:00:00:01:0${i}', connect: psw/p${i + 1} }`);
  return `
lab: ovs
${pswNetwork({ trunks: 2 })}
hosts:
  - name: kvm1
    hypervisor: kvm
    cpu: xeon-e3-1230-v3
    memory: 64GB
    nics:
${nics.join('\n')}
    switches:
      - { name: br0, type: ${o.type ?? 'ovs'}, uplinks: [${Array.from({ length: n }, (_, i) => `eth${i}`).join(', ')}]${o.bridge ? `, ${o.bridge}` : ''} }
vms:${o.vms.length ? '' : ' []'}
${o.vms.map(([name, network, extra]) => `  - { name: ${name}, host: kvm1, cpus: 1, memory: 1GB, nics: [{ network: ${network}, mac: '${OVS_MAC[name]}'${extra ? `, ${extra}` : ''} }] }`).join('\n')}
`;
}

const BR = 'bridge:kvm1/br0';
const ETH0 = 'nic:kvm1/eth0';
const ETH1 = 'nic:kvm1/eth1';
const BOND = 'bond:kvm1/br0';
const PORTGROUPS = 'portgroups: [{ name: web, vlan: 10 }, { name: db, vlan: 20 }, { name: all }]';

function ovs(net: Network, id = BR): OvsBridge {
  const s = net.switches.get(id);
  assert.ok(s instanceof OvsBridge, `${id} is an Open vSwitch bridge (have ${[...net.switches.keys()].join(', ')})`);
  return s;
}

/** The (VLAN, port) a MAC is learned on in br0, ageing aside. */
function learned(net: Network, vlan: number, name: string): string | null {
  return ovs(net).fdb.portOf(vlan, mac(name))?.id ?? null;
}

const tapOf = (vmName: string) => `${BR}[vnic:${vmName}/0]`;

// ================================================================================================
// Learning, flooding, VLANs
// ================================================================================================

test('R8.5: NORMAL learns the source per (VLAN, port) and sends known unicast to that port only', () => {
  const { net } = lab(ovsLab({ vms: [['a', 'br0'], ['b', 'br0'], ['c', 'br0']] }));
  const w = watch(net);
  send(net, 'a/nic0', eth(mac('a'), BROADCAST_MAC));
  assert.equal(learned(net, 0, 'a'), tapOf('a'), 'untagged frames of a trunk port are VLAN 0');
  assert.deepEqual([w.rx('b/nic0'), w.rx('c/nic0'), w.tx(ETH0)], [1, 1, 1], 'the broadcast reaches every other port');
  assert.equal(w.rx('a/nic0'), 0, 'never back out its own port (R8.4)');
  send(net, 'b/nic0', eth(mac('b'), mac('a')));
  assert.deepEqual([w.rx('a/nic0'), w.rx('c/nic0'), w.tx(ETH0)], [1, 1, 1], 'b→a goes to a alone, nothing more on the uplink');
  // From the uplink: h learned on eth0, its unicast to a forwarded to a only.
  send(net, 'h/eth0', eth(m('h'), mac('a')));
  assert.equal(learned(net, 0, 'h'), ETH0);
  assert.deepEqual([w.rx('a/nic0'), w.rx('b/nic0'), w.rx('c/nic0')], [2, 1, 1]);
});

test('R8.5 (contrast R8.3, R8.4): unknown unicast floods every port of the VLAN but the ingress one; a frame to a MAC behind its own port is dropped', () => {
  const { net } = lab(ovsLab({ vms: [['a', 'br0'], ['b', 'br0']] }));
  const w = watch(net);
  const frames = record(net, () => send(net, 'a/nic0', eth(mac('a'), macToNumber('00:11:22:33:44:55'))));
  assert.deepEqual([w.rx('b/nic0'), w.tx(ETH0), w.rx('a/nic0')], [1, 1, 0]);
  assert.ok(frames[0]!.hops.filter((h) => h.device === BR && h.action === 'flood').every((h) => h.rule === 'R8.5'));
  // h is learned on eth0; a frame from the uplink to h (the physical switch flooding it) is not sent back.
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  const back = record(net, () => send(net, 'switchport:psw/p1', eth(macToNumber('02:00:00:00:00:99'), m('h'))));
  assert.deepEqual(dropAt(back[0], BR), { device: BR, port: ETH0, rule: 'R8.5', reason: 'same-port' });
});

test('R8.5 (contrast R8.1): Independent VLAN Learning — one table per VLAN; a Linux bridge without vlan_filtering has one for all', () => {
  const X = macToNumber('02:00:00:00:00:77');
  const { net } = lab(ovsLab({ bridge: PORTGROUPS, vms: [['a', 'br0'], ['c', 'web'], ['d', 'web'], ['e', 'db']] }));
  send(net, 'a/nic0', eth(X, BROADCAST_MAC), 10); // a's trunk port: the guest tags VLAN 10 itself
  send(net, 'switchport:psw/p1', eth(X, BROADCAST_MAC), 20); // the same MAC in VLAN 20, from the uplink
  assert.equal(ovs(net).fdb.portOf(10, X)?.id, tapOf('a'), 'VLAN 10 still has X on a\'s port');
  assert.equal(ovs(net).fdb.portOf(20, X)?.id, ETH0, 'VLAN 20 learned it on eth0');
  const linux = lab(ovsLab({ type: 'linux-bridge', vms: [['a', 'br0']] })).net;
  send(linux, 'a/nic0', eth(X, BROADCAST_MAC), 10);
  send(linux, 'switchport:psw/p1', eth(X, BROADCAST_MAC), 20);
  const br = linux.switches.get(BR) as unknown as { fdb: OvsBridge['fdb'] };
  assert.equal(br.fdb.portOf(0, X)?.id, ETH0, 'R8.1: without vlan_filtering the Linux bridge has one table: X moved to eth0');
});

test('R8.5: a broadcast stays in its VLAN — access ports of the VLAN get it untagged, trunk ports tagged, other VLANs nothing', () => {
  const { net } = lab(ovsLab({ bridge: PORTGROUPS, vms: [['a', 'br0'], ['c', 'web'], ['d', 'web'], ['e', 'db'], ['f', 'all']] }));
  const [a, d, f, up] = [tap(net, 'a/nic0'), tap(net, 'd/nic0'), tap(net, 'f/nic0'), tap(net, ETH0)];
  const w = watch(net);
  send(net, 'c/nic0', eth(mac('c'), BROADCAST_MAC));
  assert.deepEqual(d.rx.map((x) => x.vid), [0], 'd (web, VLAN 10) gets it untagged');
  assert.equal(w.rx('e/nic0'), 0, 'e (db, VLAN 20) does not');
  assert.deepEqual([a.rx.map((x) => x.vid), f.rx.map((x) => x.vid), up.tx.map((x) => x.vid)], [[10], [10], [10]], 'trunk ports (by bridge name, a port group without VLAN, the uplink) get it tagged 10');
  assert.equal(learned(net, 10, 'c'), tapOf('c'));
  assert.equal(learned(net, 0, 'c'), null, 'learned in VLAN 10 only');
});

test('R8.5: a port group\'s VLAN is an access port — tag added toward the uplink, stripped toward the VM; a guest-tagged frame is dropped', () => {
  const { net } = lab(ovsLab({
    bridge: PORTGROUPS,
    vms: [['c', 'web', 'ip: 10.0.10.5/24'], ['a', 'br0', 'ip: 10.0.10.6/24, vlan: 10'], ['b', 'br0', 'ip: 10.0.0.7/24']],
  }));
  const c = tap(net, 'c/nic0');
  const up = tap(net, ETH0);
  // The OVS → physical direction: to stations on their VLANs through the physical switch's trunk.
  assert.equal(pingOk(net, 'c', 'h10'), 2, 'access port VLAN 10 ↔ station on psw access VLAN 10');
  assert.ok(up.tx.length > 0 && up.tx.every((x) => x.vid === 10), 'c\'s frames leave eth0 tagged 10');
  assert.ok(c.rx.length > 0 && c.rx.every((x) => x.vid === 0), 'and reach c untagged');
  assert.equal(pingOk(net, 'a', 'h10'), 2, 'a trunk port passes a guest\'s own VLAN 10 tag (VGT)');
  assert.equal(pingOk(net, 'b', 'h'), 2, 'untagged on a trunk port: VLAN 0 at OVS, the native VLAN 1 at psw');
  const frames = record(net, () => send(net, 'c/nic0', eth(mac('c'), BROADCAST_MAC), 10));
  assert.deepEqual(dropAt(frames[0], BR), { device: BR, port: tapOf('c'), rule: 'R8.5', reason: 'tagged-on-access' }, 'vswitch.xml: any tagged frame entering an access port is dropped, even its own VLAN');
});

test('R8.5: mac-aging-time is forced into 15–3600 s — agingTime 5s ages after 15 s (a Linux bridge honours 5 s, R8.2); the lint names the value used', () => {
  const text = ovsLab({ bridge: 'agingTime: 5s', vms: [['a', 'br0'], ['b', 'br0']] });
  const loaded = loadLabText('ovs.yaml', text);
  assert.ok(loaded.ok);
  const b = loaded.inventory.hosts.get('kvm1')!.bridges[0]!;
  assert.deepEqual([b.agingTimeS, b.ovs?.requestedAgingTimeS], [15, 5]);
  const warning = loaded.warnings.find((x) => x.rule === 'ovs-aging-clamped');
  assert.ok(warning, JSON.stringify(loaded.warnings));
  assert.match(warning.message, /mac-aging-time 5 s.*uses 15 s/);
  assert.equal(warning.path, 'hosts[0].switches[0].agingTime');

  const toA = (net: Network) => {
    const w = watch(net);
    send(net, 'h/eth0', eth(m('h'), mac('a')));
    return w.rx('b/nic0') === 0 ? 'to a only' : 'flooded';
  };
  const { net } = lab(text);
  send(net, 'a/nic0', eth(mac('a'), BROADCAST_MAC)); // learned at t = 0
  advance(net, 6_000);
  assert.equal(toA(net), 'to a only', 'not aged at 6 s');
  advance(net, 8_900);
  assert.equal(toA(net), 'to a only', 'still known at 14.9 s');
  advance(net, 200);
  assert.equal(toA(net), 'flooded', 'aged after 15 s idle');
  assert.equal(learned(net, 0, 'a'), null, 'the entry is gone');

  const linux = lab(ovsLab({ type: 'linux-bridge', bridge: 'agingTime: 5s', vms: [['a', 'br0'], ['b', 'br0']] })).net;
  send(linux, 'a/nic0', eth(mac('a'), BROADCAST_MAC));
  advance(linux, 6_000);
  assert.equal(toA(linux), 'flooded', 'R8.2: the Linux bridge ages after the 5 s asked for');
});

test('R8.5: mac-aging-time above 3600 s is 3600 s; unset it is the default 300 s, without a warning', () => {
  const long = loadLabText('ovs.yaml', ovsLab({ bridge: 'agingTime: 2h', vms: [['a', 'br0'], ['b', 'br0']] }));
  assert.ok(long.ok);
  assert.equal(long.inventory.hosts.get('kvm1')!.bridges[0]!.agingTimeS, 3600);
  assert.match(long.warnings.find((x) => x.rule === 'ovs-aging-clamped')!.message, /7200 s.*uses 3600 s/);
  const { net } = lab(ovsLab({ bridge: 'agingTime: 2h', vms: [['a', 'br0'], ['b', 'br0']] }));
  send(net, 'a/nic0', eth(mac('a'), BROADCAST_MAC));
  advance(net, 3_599_000);
  assert.equal(learned(net, 0, 'a'), tapOf('a'));
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), mac('a')));
  assert.equal(w.rx('b/nic0'), 0, 'known at 3599 s');
  advance(net, 2_000);
  send(net, 'h/eth0', eth(m('h'), mac('a')));
  assert.equal(w.rx('b/nic0'), 1, 'flooded after 3600 s');
  const plain = loadLabText('ovs.yaml', ovsLab({ vms: [['a', 'br0']] }));
  assert.ok(plain.ok);
  assert.equal(plain.inventory.hosts.get('kvm1')!.bridges[0]!.agingTimeS, 300);
  assert.equal(plain.warnings.filter((x) => x.rule.startsWith('ovs-')).length, 0);
});

// ================================================================================================
// Bonds
// ================================================================================================

test('R8.5 bond (active-backup, the OVS default): a flood leaves by the active member only; what the switch floods back on the backup is dropped', () => {
  const { net, inv } = lab(ovsLab({ uplinks: 2, vms: [['a', 'br0'], ['b', 'br0']] }));
  assert.equal(inv.hosts.get('kvm1')!.bridges[0]!.ovs?.bond, 'active-backup');
  const w = watch(net);
  send(net, 'a/nic0', eth(mac('a'), BROADCAST_MAC));
  assert.deepEqual([w.tx(ETH0), w.tx(ETH1)], [1, 0], 'one copy, on the active member eth0');
  assert.equal(w.drop(ETH1, 'bond-inactive-member'), 1, 'psw floods it into eth1: dropped (bond_check_admissibility)');
  assert.deepEqual([w.rx('b/nic0'), w.rx('a/nic0')], [1, 0], 'b got it once, a never');
  // From outside: psw floods h's broadcast to both members; OVS takes it in once, learns h on the bond.
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  assert.deepEqual([w.rx('a/nic0'), w.rx('b/nic0')], [1, 2]);
  assert.equal(learned(net, 0, 'h'), BOND, 'learned on the bond, not a member');
  // Unicast on the backup member is dropped too (active-backup: "Drop all packets which arrive on backup members").
  const frames = record(net, () => send(net, 'switchport:psw/p2', eth(m('h'), mac('a'))));
  assert.deepEqual(dropAt(frames[0], BR), { device: BR, port: ETH1, rule: 'R8.5', reason: 'bond-inactive-member' });
});

test('R8.5 bond (balance-slb): each source leaves by one member; the copy the switch reflects is dropped — as a reflection on the active member, as multicast on the others (OVS c93b1d6a, bonding.rst)', () => {
  const names = ['a', 'b', 'c', 'd', 'e', 'f'];
  const { net } = lab(ovsLab({ uplinks: 2, bridge: 'bond: { mode: balance-slb }', vms: names.map((n) => [n, 'br0'] as [string, string]) }));
  const seen = { reflection: 0, inactive: 0 };
  for (const n of names) {
    const w = watch(net);
    send(net, `${n}/nic0`, eth(mac(n), BROADCAST_MAC));
    assert.equal(w.tx(ETH0) + w.tx(ETH1), 1, `${n}: one copy on one member`);
    const onActive = w.tx(ETH1) === 1; // sent on eth1, psw floods it back into eth0 (active)
    assert.equal(w.drop(ETH0, 'bond-reflection'), onActive ? 1 : 0, `${n}: reflected into the active member → source learned elsewhere`);
    assert.equal(w.drop(ETH1, 'bond-inactive-member'), onActive ? 0 : 1, `${n}: reflected into eth1 → multicast on a non-active member`);
    for (const o of names) assert.equal(w.rx(`${o}/nic0`), o === n ? 0 : 1, `${o} receives ${n}'s broadcast exactly once`);
    if (onActive) seen.reflection++;
    else seen.inactive++;
    // The reflected copy is not learned: the source stays on the VM's port.
    assert.equal(learned(net, 0, n), tapOf(n));
  }
  assert.ok(seen.reflection > 0 && seen.inactive > 0, `sources spread over both members ${JSON.stringify(seen)}`);
  // Unicast is accepted on any member: psw sends h's frames for a VM hashed to eth1 into eth1.
  const onEth1 = names.find((n) => { const w = watch(net); send(net, `${n}/nic0`, eth(mac(n), m('h'))); return w.tx(ETH1) === 1; })!;
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), mac(onEth1)));
  assert.deepEqual([w.rx(ETH1), w.rx(`${onEth1}/nic0`)], [1, 1], 'unicast from the switch on a non-active member is delivered');
});

test('R8.5 bond (balance-slb): a gratuitous ARP on the bond moves a MAC (a VM migrated away) — unless a gratuitous ARP from its port locked it in the last 5 s', () => {
  const { net } = lab(ovsLab({ uplinks: 2, bridge: 'bond: { mode: balance-slb }', vms: [['a', 'br0', 'ip: 10.0.0.5/24'], ['b', 'br0']] }));
  const garp = gratuitousArpFrame(mac('a'), ipToNumber('10.0.0.5'));
  send(net, 'a/nic0', garp); // a announces itself on its port: locked for 5 s
  const early = record(net, () => send(net, 'switchport:psw/p1', garp));
  assert.deepEqual(dropAt(early[0], BR)?.reason, 'bond-reflection', 'within 5 s: a reflection of its own announcement');
  assert.equal(learned(net, 0, 'a'), tapOf('a'));
  advance(net, 6_000);
  const w = watch(net);
  send(net, 'switchport:psw/p1', garp);
  assert.equal(learned(net, 0, 'a'), BOND, 'after the lock: a moved behind the bond (bonding.rst SLB rule 3)');
  assert.equal(w.rx('b/nic0'), 1);
  // Any other frame from a MAC learned on another port is still a reflection.
  send(net, 'b/nic0', eth(mac('b'), BROADCAST_MAC));
  const other = record(net, () => send(net, 'switchport:psw/p1', eth(mac('b'), BROADCAST_MAC)));
  assert.equal(dropAt(other[0], BR)?.reason, 'bond-reflection');
});

test('R8.5 bond failover (active-backup): link down on the active member — the other takes over and sends a gratuitous learning packet (RARP) per MAC learned on other ports; no failback', () => {
  const { net } = lab(ovsLab({ uplinks: 2, bridge: PORTGROUPS, vms: [['a', 'br0', 'ip: 10.0.0.5/24'], ['c', 'web', 'ip: 10.0.10.5/24']] }));
  send(net, 'a/nic0', eth(mac('a'), BROADCAST_MAC));
  send(net, 'c/nic0', eth(mac('c'), BROADCAST_MAC));
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC)); // learned on the bond: no learning packet for it
  const psw = net.switches.get('pswitch:psw') as PhysicalSwitch;
  assert.equal(psw.fdb.portOf(1, mac('a'))?.id, 'switchport:psw/p1');
  const up1 = tap(net, ETH1);
  const moved = changeLink(net, portOf(net, ETH0), false);
  assert.deepEqual(moved, [BOND]);
  const event = net.events.find((e) => e.type === 'ovs.bond-active-changed');
  assert.ok(event, JSON.stringify(net.events));
  assert.equal(event.object, BOND);
  assert.deepEqual(event.data, { from: ETH0, to: ETH1, learningPackets: 2 });
  assert.match(event.message, /active member kvm1\/eth0 → kvm1\/eth1; 2 gratuitous learning packets \(RARP\)/);
  advance(net, 10);
  assert.deepEqual(up1.tx.map((x) => [x.src, x.vid]), [[mac('a'), 0], [mac('c'), 10]], 'one RARP per MAC, tagged with its VLAN');
  assert.equal(psw.fdb.portOf(1, mac('a'))?.id, 'switchport:psw/p2', 'psw re-learned a behind eth1 at once (R9.7)');
  assert.equal(psw.fdb.portOf(10, mac('c'))?.id, 'switchport:psw/p2');
  assert.equal(pingOk(net, 'h', 'a'), 2);
  assert.equal(pingOk(net, 'h10', 'c'), 2);
  // eth0 back: OVS keeps the active member (no bond-primary): nothing moves.
  assert.deepEqual(changeLink(net, portOf(net, ETH0), true), []);
  const w = watch(net);
  send(net, 'a/nic0', eth(mac('a'), BROADCAST_MAC));
  assert.deepEqual([w.tx(ETH0), w.tx(ETH1)], [0, 1]);
  // Both down, then one up: "the first slave on which carrier comes up is enabled immediately".
  assert.deepEqual(changeLink(net, portOf(net, ETH1), false), [BOND], 'eth1 down: back to eth0');
  assert.deepEqual(changeLink(net, portOf(net, ETH0), false), [], 'nothing left to move to');
  assert.match(net.events.at(-1)!.message, /active member kvm1\/eth0 → none; every member is down/);
  assert.deepEqual(changeLink(net, portOf(net, ETH0), true), [BOND]);
  assert.deepEqual(net.events.at(-1)!.data, { from: null, to: ETH0, learningPackets: 2 });
});

test('R8.5: the bridge\'s MAC table (bond entries included) and its bond\'s active member persist between commands', () => {
  const text = ovsLab({ uplinks: 2, bridge: PORTGROUPS, vms: [['a', 'br0'], ['c', 'web']] });
  const first = lab(text);
  send(first.net, 'c/nic0', eth(mac('c'), BROADCAST_MAC));
  send(first.net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  changeLink(first.net, portOf(first.net, ETH0), false);
  changeLink(first.net, portOf(first.net, ETH0), true);
  const saved = JSON.parse(JSON.stringify(snapshot(first.net, {}))) as ReturnType<typeof snapshot>;
  assert.deepEqual(saved.bonds, { [BR]: ETH1 });
  const next = network(first.inv, { state: saved });
  assert.deepEqual([learned(next, 10, 'c'), learned(next, 0, 'h')], [tapOf('c'), BOND]);
  assert.equal(ovs(next).active?.id, ETH1, 'still on eth1 although eth0 is up');
  const w = watch(next);
  send(next, 'a/nic0', eth(mac('a'), BROADCAST_MAC));
  assert.deepEqual([w.tx(ETH0), w.tx(ETH1)], [0, 1]);
});

// ================================================================================================
// Nesting (R8.6)
// ================================================================================================

/** ESXi l0 (vSwitch0 with Nest-PG, VLAN `vlan`) running a nested kvm host kvm1 with Open vSwitch br0 and guests k1, k2 (br0) and k3 (port group web, VLAN 10). */
function nestedOvsLab(security: string, vlan = 4095): string {
  return `
lab: nested-ovs
${pswNetwork({ trunks: 1 })}
hosts:
${l0Host([`{ name: Nest-PG, vlan: ${vlan}, security: ${security} }`])}
vms:
${nestedKvm('{ name: br0, type: ovs, uplinks: [eth0], portgroups: [{ name: web, vlan: 10 }] }')}
  - { name: k1, host: kvm1, cpus: 1, memory: 512MB, nics: [{ network: br0, mac: '${MAC.k1}', ip: 10.0.0.41/24 }] }
  - { name: k2, host: kvm1, cpus: 1, memory: 512MB, nics: [{ network: br0, mac: '${MAC.k2}', ip: 10.0.0.42/24 }] }
  - { name: k3, host: kvm1, cpus: 1, memory: 512MB, nics: [{ network: web, mac: '52:54:00:00:00:03', ip: 10.0.10.43/24 }] }
`;
}

test('R8.6: Open vSwitch inside a nested kvm host behaves at the outer ESXi like any nested hypervisor — without promiscuous its guests\' replies die at L0 (R1.8); inside, OVS needs nothing', () => {
  const text = nestedOvsLab('{}');
  const loaded = loadLabText('nested.yaml', text);
  assert.ok(loaded.ok);
  assert.ok(loaded.warnings.some((x) => x.rule === 'nested-needs-promiscuous' && x.message.includes('k1')), 'validate warns, naming the guests behind OVS');
  const { net } = lab(text);
  assert.equal(pingOk(net, 'k1', 'k2'), 2, 'inside the nested host OVS learns and floods (R8.5)');
  assert.equal(pingOk(net, 'k1', 'h'), 0);
  const frames = record(net, () => pingOk(net, 'h', 'k1', 1));
  const lost = frames.find((f) => f.outcome === 'dropped' && f.hops.some((x) => x.reason === 'unknown-unicast-dst'));
  assert.ok(lost, JSON.stringify(frames.map((f) => [f.kind, f.drop])));
  assert.deepEqual(dropAt(lost, 'vswitch:l0/vSwitch0')?.rule, 'R1.8', 'unicast to a nested guest\'s MAC is unknown at L0 (no learning, R1.1)');
});

test('R8.6, R8.5: with promiscuous + forged transmits accept on the outer trunk port group, guests behind nested OVS reach stations, on the VLAN of their port group too', () => {
  const { net } = lab(nestedOvsLab('{ promiscuous: accept, forgedTransmits: accept }'));
  assert.equal(pingOk(net, 'h', 'k1'), 2);
  assert.equal(pingOk(net, 'k3', 'h10'), 2, 'access port VLAN 10 in OVS → tagged 10 through the 4095 port group → psw VLAN 10');
  assert.equal(learned(net, 0, 'h'), 'nic:kvm1/eth0', 'OVS learned h behind its uplink (the nested host\'s eth0)');
  // The outer switch copies H→R-style traffic into the promiscuous port too; OVS does not send it back.
  assert.equal(pingOk(net, 'k1', 'k2'), 2);
});

test('R8.6, R3.5: VLAN-tagged Open vSwitch port groups inside a nested host need a trunk outer port group — validate says so', () => {
  const loaded = loadLabText('nested.yaml', nestedOvsLab('{ promiscuous: accept, forgedTransmits: accept }', 0));
  assert.ok(loaded.ok);
  const w = loaded.warnings.find((x) => x.rule === 'nested-vlan-needs-trunk');
  assert.ok(w, JSON.stringify(loaded.warnings.map((x) => x.rule)));
  assert.match(w.message, /Open vSwitch port group "web" \(VLAN 10\)/);
  const { net } = lab(nestedOvsLab('{ promiscuous: accept, forgedTransmits: accept }', 0));
  assert.equal(pingOk(net, 'k3', 'h10'), 0, 'and indeed VLAN 10 never leaves');
  assert.equal(pingOk(net, 'k1', 'h'), 2, 'untagged traffic does');
});

// ================================================================================================
// The lab file
// ================================================================================================

function errorsOf(text: string): Array<{ code: string; path: string; message: string; hint?: string }> {
  const r = loadLabText('bad.yaml', text);
  assert.equal(r.ok, false, 'the lab must be refused');
  return r.ok ? [] : r.errors.map((e) => ({ code: e.code, path: e.path, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }));
}

test('R8.5 lab file: type and bond are checked — ESXi has no bridge type, a Linux bridge no bond, balance-tcp needs LACP, a bond two uplinks; OVS STP is refused', () => {
  const esxi = ovsLab({ vms: [] }).replace('hypervisor: kvm', 'hypervisor: esxi').replace('{ name: br0, type: ovs, uplinks: [eth0] }', '{ name: vSwitch0, type: ovs, uplinks: [eth0] }');
  assert.deepEqual(errorsOf(esxi).map((e) => [e.code, e.path]), [['not-applicable', 'hosts[0].switches[0].type']]);
  const linuxBond = errorsOf(ovsLab({ type: 'linux-bridge', uplinks: 2, bridge: 'bond: { mode: balance-slb }', vms: [] }));
  assert.deepEqual(linuxBond.map((e) => [e.code, e.path]), [['not-applicable', 'hosts[0].switches[0].bond']]);
  const tcp = errorsOf(ovsLab({ uplinks: 2, bridge: 'bond: { mode: balance-tcp }', vms: [] }));
  assert.deepEqual(tcp.map((e) => [e.code, e.path]), [['not-supported', 'hosts[0].switches[0].bond.mode']]);
  assert.match(tcp[0]!.message, /LACP/);
  assert.match(tcp[0]!.hint!, /balance-slb/);
  const single = errorsOf(ovsLab({ bridge: 'bond: { mode: active-backup }', vms: [] }));
  assert.deepEqual(single.map((e) => [e.code, e.path]), [['invalid-value', 'hosts[0].switches[0].bond']]);
  assert.deepEqual(errorsOf(ovsLab({ bridge: 'stp: true', vms: [] })).map((e) => [e.code, e.path]), [['not-supported', 'hosts[0].switches[0].stp']], 'OVS STP is not modelled: said, not ignored');
  const typo = errorsOf(ovsLab({ vms: [] }).replace('type: ovs', 'type: openvswitch'));
  assert.equal(typo[0]!.path, 'hosts[0].switches[0].type');
  assert.match(typo[0]!.message, /linux-bridge, ovs; got "openvswitch"/);
});

test('R8.5 lab file: Open vSwitch port groups take name and vlan only; names are unique on the host; VLAN 4095 is refused; vlanFiltering does not apply', () => {
  const bad = errorsOf(ovsLab({
    bridge: 'vlanFiltering: true, portgroups: [{ name: web, vlan: 10, security: { promiscuous: accept } }, { name: br0 }, { name: t, vlan: 4095 }, { name: k, vmkernel: [{ name: vmk0 }] }]',
    vms: [],
  }));
  assert.deepEqual(bad.map((e) => [e.code, e.path]), [
    ['not-applicable', 'hosts[0].switches[0].vlanFiltering'],
    ['not-applicable', 'hosts[0].switches[0].portgroups[0].security'],
    ['duplicate-name', 'hosts[0].switches[0].portgroups[1].name'],
    ['invalid-value', 'hosts[0].switches[0].portgroups[2].vlan'],
    ['not-applicable', 'hosts[0].switches[0].portgroups[3].vmkernel'],
  ]);
  const unknown = errorsOf(ovsLab({ bridge: PORTGROUPS, vms: [['a', 'wbe']] }));
  assert.deepEqual(unknown.map((e) => e.code), ['unknown-reference']);
  assert.match(unknown[0]!.hint!, /web/, 'did you mean the port group');
  // A Linux bridge still takes no port groups.
  assert.deepEqual(errorsOf(ovsLab({ type: 'linux-bridge', bridge: PORTGROUPS, vms: [] })).map((e) => e.code), ['not-applicable']);
});

test('R8.5 lab file: a guest that tags frames on an Open vSwitch access port gets a warning (the port drops them)', () => {
  const loaded = loadLabText('ovs.yaml', ovsLab({ bridge: PORTGROUPS, vms: [['c', 'web', 'vlan: 10'], ['a', 'br0', 'vlan: 10']] }));
  assert.ok(loaded.ok);
  const w = loaded.warnings.filter((x) => x.rule === 'ovs-access-port-tagged');
  assert.deepEqual(w.map((x) => x.path), ['vms[0].nics[0].vlan'], 'only c (access port); a is on a trunk port');
  assert.equal(loaded.inventory.vms.get('c')!.nics[0]!.network.kind, 'bridge');
  assert.deepEqual(loaded.inventory.vms.get('c')!.nics[0]!.network, { kind: 'bridge', id: BR, host: 'kvm1', name: 'br0', portgroup: 'web' });
});

// ================================================================================================
// The engine and CLI views
// ================================================================================================

test('R8.5 CLI views: `nestlab macs kvm1/br0` lists per-VLAN entries with their age and the bond; `show kvm1` names the bridge type; link down logs the bond failover', async () => {
  const { Store } = await import('../src/store/store.js');
  const { up } = await import('../src/engine/apply.js');
  const { macTable, pingLab, setLink } = await import('../src/engine/network.js');
  const { describeObject, listEvents, listObjects } = await import('../src/engine/views.js');
  const loaded = loadLabText('ovs.yaml', ovsLab({ uplinks: 2, bridge: PORTGROUPS, vms: [['a', 'br0', 'ip: 10.0.0.5/24'], ['c', 'web', 'ip: 10.0.10.5/24']] }));
  assert.ok(loaded.ok);
  const store = new Store(join(tempDir(), 'state'));
  try {
    up(store, 'ovs.yaml', loaded.spec, loaded.inventory);
    const row = () => store.lab('ovs')!;
    assert.equal(pingLab(store, row(), 'c', 'h10', { count: 1 }).received, 1);
    assert.equal(pingLab(store, row(), 'a', 'h', { count: 1 }).received, 1);
    const t = macTable(store, row(), 'kvm1/br0');
    assert.equal(t.switch, BR);
    const entry = (vlan: number, m: string) => t.entries.find((e) => e.vlan === vlan && e.mac === m);
    assert.equal(entry(10, OVS_MAC.c!)?.port, tapOf('c'));
    assert.equal(entry(10, MAC.h10!)?.port, BOND, 'stations are learned on the bond');
    assert.equal(entry(0, OVS_MAC.a!)?.port, tapOf('a'));
    assert.equal(entry(0, OVS_MAC.c!), undefined, 'VLANs learn apart');
    assert.ok(t.entries.every((e) => e.type === 'learned' && typeof e.ageSeconds === 'number'));
    const host = describeObject(store, row(), 'kvm1') as { bridges: Array<{ name: string; type: string; agingTimeS: number; ovs: { bond: string } }> };
    assert.deepEqual(host.bridges.map((b) => [b.name, b.type, b.agingTimeS, b.ovs.bond]), [['br0', 'ovs', 300, 'active-backup']]);
    assert.equal(listObjects(store, row(), 'switches').find((o) => o.id === BR)?.type, 'ovs');
    const r = setLink(store, row(), 'kvm1/eth0', false);
    assert.deepEqual(r.moved, [BOND]);
    const ev = listEvents(store, row(), { type: 'ovs.' });
    assert.equal(ev.length, 1);
    assert.match(ev[0]!.message, /kvm1\/br0: active member kvm1\/eth0 → kvm1\/eth1; 2 gratuitous learning packets/);
    assert.equal(pingLab(store, row(), 'h', 'a', { count: 1 }).received, 1, 'traffic continues on eth1');
    assert.equal(macTable(store, row(), 'psw').entries.find((e) => e.mac === OVS_MAC.a)?.port, 'switchport:psw/p2', 'the learning packet moved a on the physical switch');
  } finally {
    store.close();
  }
});
