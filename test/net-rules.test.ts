// Rules of spec/network.md §1–§9 that the §10 scenarios do not exercise on their own: one test
// per rule (or small group), each naming its ids. Rules for what the simulator does not model
// yet are `test.todo`, naming the missing piece.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadLabText } from '../src/plan/load.js';
import { buildEthernet, BROADCAST_MAC, groupMac as ipGroupMac, ipToNumber, macToNumber } from '../src/net/codec/index.js';
import { lint } from '../src/lint/index.js';
import { advance, eth, hostLab, lab, m, nestedLab, record, send, swPort, tap, vm, vswitch, watch, S1, UP0, UP1, UP2 } from './net-helpers.js';

test('R1.9, R3.1, R3.2: broadcast from the uplink reaches every port whose port group admits its VLAN (EST: untagged only)', () => {
  const { net } = lab(hostLab({
    portgroups: ['{ name: X }', '{ name: Y, vlan: 10 }', '{ name: T, vlan: 4095 }'],
    vms: [vm('a', 'X'), vm('b', 'X'), vm('c', 'Y'), vm('d', 'T')],
  }));
  const w = watch(net);
  const d = tap(net, 'd/nic0');
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  assert.deepEqual(['a', 'b', 'c', 'd'].map((v) => w.rx(`${v}/nic0`)), [1, 1, 0, 1], 'VLAN 0 ports and the trunk get it; VLAN 10 does not');
  assert.equal(d.rx[0]!.vid, 0, 'the 4095 port gets it untagged (native VLAN context, R3.6 [L])');
});

test('R3.8: between a VGT (4095) port and a VST port on one vSwitch, frames are delivered locally, tag stripped one way and added the other', () => {
  const { net } = lab(hostLab({ portgroups: ['{ name: Y, vlan: 10 }', '{ name: T, vlan: 4095 }'], vms: [vm('c', 'Y'), vm('d', 'T')] }));
  const c = tap(net, 'c/nic0');
  const d = tap(net, 'd/nic0');
  const up = tap(net, UP0);
  send(net, 'd/nic0', eth(m('d'), m('c')), 10);
  assert.deepEqual(c.rx.map((f) => f.vid), [0], 'C (VLAN 10) receives it untagged');
  send(net, 'c/nic0', eth(m('c'), m('d')));
  assert.deepEqual(d.rx.map((f) => f.vid), [10], 'D (4095) receives it tagged 10');
  assert.equal(up.tx.length, 0, 'nothing on the uplink (R1.2)');
});

test('R3.9, R1.15: ESXi has no native VLAN — a VLAN 1 port group tags 1 on the uplink and never sees the switch\'s untagged native traffic', () => {
  const { net } = lab(hostLab({ portgroups: ['{ name: V1, vlan: 1 }', '{ name: X }'], vms: [vm('a', 'V1'), vm('b', 'X')] }));
  const up = tap(net, UP0);
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  assert.deepEqual(up.tx.map((f) => f.vid), [1], 'frames from the VLAN 1 port group leave tagged 1');
  assert.equal(w.rx('h/eth0'), 1, 'the physical switch accepts tagged native VLAN 1 (platform-dependent, R9.6) and delivers it to H on VLAN 1');
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  assert.equal(w.rx('a/nic0'), 0, 'the native VLAN comes untagged: not visible to the VLAN 1 port group');
  assert.equal(w.rx('b/nic0'), 1, 'the VLAN 0 port group gets the native VLAN traffic — and not A\'s VLAN 1 broadcast (R1.3)');
});

test('R1.17: a powered-off VM has no registered MAC; frames to it are unknown unicast and dropped', () => {
  const { net } = lab(hostLab({ portgroups: ['{ name: X }'], vms: [vm('a', 'X', 'ip: 10.0.0.1/24'), vm('b', 'X').replace('memory: 1GB', 'memory: 1GB, power: off')] }));
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('b')));
  assert.equal(w.drop(UP0, 'unknown-unicast-dst'), 1);
});

test('R1.7: multicast from a VM goes to local ports in its VLAN that joined the group and out exactly one uplink', () => {
  const { net } = lab(hostLab({ uplinks: 2, portgroups: ['{ name: X }'], vms: [vm('a', 'X'), vm('b', 'X', "multicast: ['01:00:5e:00:00:fb']")] }));
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), macToNumber('01:00:5e:00:00:fb')));
  assert.equal(w.rx('b/nic0'), 1);
  assert.equal(w.tx(UP0) + w.tx(UP1), 1, 'one uplink only');
});

// ---- R1.7 / R1.9 basic multicast filtering (the vNIC's mcastFilter) ----------------------------
// IGMP/MLD snooping — a vDS 6.0+ in snooping mode (R1.7, R6.5), physical switches (R9.3), Linux
// bridges (R8.3) — is pinned in test/net-igmp.test.ts.

/** RFC 1112 §6.4: 01:00:5e + the low 23 bits of the IPv4 group (the codec's groupMac). */
const groupMac = (group: string): number => ipGroupMac(ipToNumber(group));

/** A sends, B joined 239.1.1.1, C joined nothing, D asks for promiscuous mode on port group P (accept), E joined in VLAN 10. */
const MCAST_LAB = () => lab(hostLab({
  uplinks: 2,
  portgroups: ['{ name: X }', '{ name: P, security: { promiscuous: accept } }', '{ name: Y, vlan: 10 }'],
  vms: [vm('a', 'X'), vm('b', 'X', "multicast: ['239.1.1.1']"), vm('c', 'X'), vm('d', 'P', 'promiscuous: true'), vm('p', 'Y', "multicast: ['239.1.1.1']")],
}));

test('R1.7: multicast from a VM reaches only the VMs that joined the group, promiscuous ports, and one uplink', () => {
  const { net } = MCAST_LAB();
  const w = watch(net);
  const frames = record(net, () => send(net, 'a/nic0', eth(m('a'), groupMac('239.1.1.1'))));
  assert.deepEqual(['b', 'c', 'd', 'p'].map((v) => w.rx(`${v}/nic0`)), [1, 0, 1, 0], 'B (joined) and D (promiscuous) get it; C (not joined) and E (other VLAN) do not');
  assert.equal(w.tx(UP0) + w.tx(UP1), 1, 'out on the one selected uplink (R1.7, R1.13)');
  const hops = frames[0]!.hops.filter((h) => h.device === S1 && h.port.endsWith(']'));
  const at = (v: string) => hops.filter((h) => h.port === `${S1}[vnic:${v}/0]` && h.action !== 'ingress').map((h) => `${h.action} ${h.rule}`);
  assert.deepEqual(at('b'), ['flood R1.7'], 'the trace names R1.7 for the joined port');
  assert.deepEqual(at('d'), ['copy-promiscuous R2.3'], 'the promiscuous port gets its copy (R2.3)');
  assert.deepEqual(at('c'), [], 'the unjoined port gets nothing (as for flood, no hop recorded)');
});

test('R1.7: broadcast is not filtered — every port of the VLAN still gets it (R1.6)', () => {
  const { net } = MCAST_LAB();
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  assert.deepEqual(['b', 'c', 'd', 'p'].map((v) => w.rx(`${v}/nic0`)), [1, 1, 1, 0]);
  assert.equal(w.tx(UP0) + w.tx(UP1), 1);
});

test('R1.9: multicast from the uplink reaches only joined VMs (and promiscuous ports), not the others', () => {
  const { net } = MCAST_LAB();
  const w = watch(net);
  const frames = record(net, () => send(net, 'h/eth0', eth(m('h'), groupMac('239.1.1.1'))));
  assert.deepEqual(['a', 'b', 'c', 'd', 'p'].map((v) => w.rx(`${v}/nic0`)), [0, 1, 0, 1, 0], 'B joined; D is promiscuous; A and C did not join; E is on VLAN 10');
  const rules = frames[0]!.hops.filter((h) => h.device === S1 && h.port === `${S1}[vnic:b/0]`).map((h) => `${h.action} ${h.rule}`);
  assert.deepEqual(rules, ['flood R1.9']);
  const w2 = watch(net);
  send(net, 'h/eth0', eth(m('h'), groupMac('239.1.1.2')));
  assert.deepEqual(['a', 'b', 'c', 'd'].map((v) => w2.rx(`${v}/nic0`)), [0, 0, 0, 1], 'a group nobody joined: only the promiscuous port');
});

test('R1.7, R1.9: forwarding is by MAC — 32 IPv4 groups share one MAC, so a guest receives groups it did not join', () => {
  const { inv, net } = MCAST_LAB();
  assert.deepEqual(inv.vms.get('b')!.nics[0]!.multicast, ['01:00:5e:01:01:01'], '239.1.1.1 → 01:00:5e:01:01:01 (low 23 bits, RFC 1112)');
  assert.equal(groupMac('239.1.1.1'), macToNumber('01:00:5e:01:01:01'), 'the frames carry the same MAC');
  assert.equal(groupMac('224.129.1.1'), groupMac('239.1.1.1'), '224.129.1.1 differs only in the high bits: the same MAC');
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), groupMac('224.129.1.1')));
  send(net, 'h/eth0', eth(m('h'), groupMac('224.129.1.1')));
  assert.equal(w.rx('b/nic0'), 2, 'B gets 224.129.1.1 from a VM and from the uplink though it joined 239.1.1.1 only');
  assert.equal(w.rx('c/nic0'), 0);
});

test('R1.7, R1.9: a nested hypervisor\'s vmnic (an uplink in promiscuous mode) takes every group; inside, only joined guests get it', () => {
  const { net } = lab(nestedLab({ l0: 'vss' }));
  const w = watch(net);
  send(net, 'r/nic0', eth(m('r'), groupMac('239.1.1.1')));
  assert.equal(w.rx('nic:l1/vmnic0'), 1, 'R1.7: L1\'s vmnic gets R\'s multicast (no promiscuous policy needed)');
  assert.equal(w.rx('v/nic0'), 0, 'R1.9 inside L1: V did not join');
  send(net, 'h/eth0', eth(m('h'), groupMac('239.1.1.1')));
  assert.equal(w.rx('nic:l1/vmnic0'), 2, 'and from the uplink');
  assert.equal(w.rx('r/nic0'), 0, 'R did not join');
});

test('R1.7: the lab file accepts IPv4 groups (224.0.0.0/4) and multicast MACs only', () => {
  const load = (g: string) => loadLabText('m.yaml', hostLab({ portgroups: ['{ name: X }'], vms: [vm('a', 'X', `multicast: ['${g}']`)] }));
  for (const ok of ['239.255.255.250', '224.0.0.251', '01:00:5E:00:00:FB', '33:33:00:00:00:01']) assert.ok(load(ok).ok, `${ok} is a group`);
  for (const bad of ['10.0.0.1', '240.0.0.1', '00:50:56:00:00:01', 'ff:ff:ff:ff:ff:ff', 'all']) assert.ok(!load(bad).ok, `${bad} is rejected`);
  const l = load('01:00:5E:00:00:FB');
  assert.ok(l.ok && l.inventory.vms.get('a')!.nics[0]!.multicast[0] === '01:00:5e:00:00:fb', 'MACs are kept, lower-case');
});

test('R1.14: the vSwitch sends no BPDUs of its own and forwards a guest\'s', () => {
  const { net } = lab(hostLab({ portgroups: ['{ name: X }'], vms: [vm('a', 'X')] }));
  const w = watch(net);
  advance(net, 60_000);
  assert.equal(w.tx(UP0), 0, 'a minute of silence: the vSwitch itself transmits nothing');
  send(net, 'a/nic0', buildEthernet({ dst: macToNumber('01:80:c2:00:00:00'), src: m('a'), etherType: 0x0026, payload: new Uint8Array(38) }));
  assert.equal(w.tx(UP0), 1, 'a guest BPDU leaves on the uplink (Net.BlockGuestBPDU off)');
});

test('R2.1, R2.7, R4c.2, R5.1, R6.1, R6.3: the lab file carries the three security settings, the MAC management policy, every teaming policy and both bindings', () => {
  const text = `lab: policies
vcenter: external
hosts:
  - { name: esx1, cpu: xeon-gold-6130, memory: 64GB, nics: [{ name: vmnic0 }, { name: vmnic1 }] }
distributedSwitches:
  - name: dvs
    version: 6.6.0
    members: [{ host: esx1, uplinks: [vmnic0, vmnic1] }]
    portgroups:
${['port-id', 'mac-hash', 'ip-hash', 'explicit', 'load-based'].map((p, i) => `      - { name: pg${i}, binding: ${i % 2 ? 'ephemeral' : 'static'}, teaming: { policy: ${p} }, security: { promiscuous: reject, macChanges: accept, forgedTransmits: reject }, macLearning: { enabled: true, allowUnicastFlooding: false, limit: 10, limitPolicy: allow, agingTime: 10m } }`).join('\n')}
`;
  const l = loadLabText('p.yaml', text);
  assert.ok(l.ok, JSON.stringify(!l.ok && l.errors));
  const pgs = l.inventory.dvswitches.get('dvs')!.portgroups;
  assert.deepEqual(pgs.map((p) => p.teaming.policy), ['port-id', 'mac-hash', 'ip-hash', 'explicit', 'load-based']);
  assert.deepEqual(pgs.map((p) => p.binding), ['static', 'ephemeral', 'static', 'ephemeral', 'static']);
  assert.deepEqual(pgs[0]!.security, { promiscuous: 'reject', macChanges: 'accept', forgedTransmits: 'reject' });
  assert.deepEqual(pgs[0]!.macLearning, { enabled: true, allowUnicastFlooding: false, limit: 10, limitPolicy: 'allow', agingTimeS: 600 });
});

test('R4c.9: a MAC learned on one port and then seen from another moves there', () => {
  const { net } = lab(hostLab({
    top: `vcenter: external
distributedSwitches:
  - name: dvs
    version: 6.6.0
    members: [{ host: esx1, uplinks: [vmnic0] }]
    portgroups: [{ name: L, security: { forgedTransmits: accept }, macLearning: { enabled: true } }]`,
    switches: '      []',
    vms: [vm('a', 'L'), vm('b', 'L')],
  }));
  const sw = vswitch(net, 'dvswitch:dvs@esx1');
  const X = macToNumber('00:0c:29:00:00:99');
  send(net, 'a/nic0', eth(X, BROADCAST_MAC));
  assert.equal(sw.learned.getMac(X)?.vp.port.peer?.id, 'vnic:a/0');
  send(net, 'b/nic0', eth(X, BROADCAST_MAC));
  assert.equal(sw.learned.getMac(X)?.vp.port.peer?.id, 'vnic:b/0', 're-learned on B');
});

test('R5.3: source-MAC hash picks per source MAC — one nested host\'s VMs may leave on different uplinks, each MAC always on the same one', () => {
  const { net } = lab(hostLab({ uplinks: 2, switchExtra: 'teaming: { policy: mac-hash }', portgroups: ['{ name: X }'], vms: [vm('p', 'X')] }));
  const u0 = tap(net, UP0);
  const u1 = tap(net, UP1);
  const sources = Array.from({ length: 16 }, (_, i) => macToNumber(`00:0c:29:00:00:${(i + 16).toString(16)}`));
  for (let round = 0; round < 2; round++) for (const s of sources) send(net, 'p/nic0', eth(s, BROADCAST_MAC));
  assert.ok(u0.tx.length > 0 && u1.tx.length > 0, 'both uplinks carry some sources');
  for (const s of sources) {
    const on = [u0.tx.filter((f) => f.src === s).length, u1.tx.filter((f) => f.src === s).length];
    assert.ok(on.includes(0) && on.includes(2), 'each source MAC stays on one uplink');
  }
});

test('R5.8: a port group overrides the switch\'s failover order', () => {
  const { net } = lab(hostLab({
    uplinks: 2,
    switchExtra: 'teaming: { policy: explicit, active: [vmnic0], standby: [vmnic1] }',
    portgroups: ['{ name: X }', '{ name: Y, teaming: { active: [vmnic1], standby: [vmnic0] } }'],
    vms: [vm('a', 'X'), vm('b', 'Y')],
  }));
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  send(net, 'b/nic0', eth(m('b'), BROADCAST_MAC));
  assert.equal(w.tx(UP0), 1, 'A (switch order) on vmnic0');
  assert.equal(w.tx(UP1), 1, 'B (port group override) on vmnic1');
});

test('R6.5: the vDS data plane follows the vSS rules (no learning: unknown unicast from the uplink is dropped, R1.8)', () => {
  const { net } = lab(hostLab({
    top: `vcenter: external
distributedSwitches:
  - name: dvs
    members: [{ host: esx1, uplinks: [vmnic0] }]
    portgroups: [{ name: D }]`,
    switches: '      []',
    vms: [vm('a', 'D')],
  }));
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('b')));
  assert.equal(w.drop(UP0, 'unknown-unicast-dst'), 1);
  send(net, 'h/eth0', eth(m('h'), m('a')));
  assert.equal(w.rx('a/nic0'), 1);
});

test('R9.1, R9.4: the physical switch learns per VLAN and port, follows station moves, and never reflects a frame to its ingress', () => {
  const { net } = lab(hostLab({ portgroups: ['{ name: X }'], vms: [vm('a', 'X')], ports: ['p12: { mode: access, vlan: 1 }'], stations: [`- { name: h2, nics: [{ name: eth0, mac: '02:00:00:00:00:13', connect: psw/p12 }] }`] }));
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  send(net, 'h/eth0', eth(m('h'), m('a')));
  assert.equal(w.rx('a/nic0'), 1, 'learned A behind p1: H→A forwarded');
  assert.equal(w.rx('h2/eth0'), 1, 'only A\'s broadcast reached H2 (H→A was not flooded)');
  // H moves to p12 (it sends from there): entries follow.
  send(net, 'h2/eth0', eth(m('h'), BROADCAST_MAC));
  send(net, 'a/nic0', eth(m('a'), m('h')));
  assert.equal(w.rx('h2/eth0'), 2, 'A→H now goes to p12');
  // A frame whose destination sits behind its own ingress port is filtered (R9.4).
  send(net, 'h2/eth0', eth(macToNumber('02:00:00:00:00:13'), m('h')));
  assert.equal(w.drop('switchport:psw/p12', 'same-port'), 1);
});

test('R9.6: a trunk carries only its allowed VLANs; the native VLAN leaves untagged', () => {
  const { net } = lab(hostLab({ portgroups: ['{ name: V20, vlan: 20 }', '{ name: X }'], vms: [vm('a', 'V20'), vm('b', 'X')] }).replace('p1: { mode: trunk, native: 1, allowed: all }', 'p1: { mode: trunk, native: 1, allowed: [1, 10] }'));
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  assert.equal(w.drop('switchport:psw/p1', 'vlan-not-allowed'), 1, 'VLAN 20 is not allowed on p1');
  const up = tap(net, UP0);
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  assert.deepEqual(up.rx.map((f) => f.vid), [0], 'native VLAN 1 arrives untagged');
  assert.equal(w.rx('b/nic0'), 1);
});

test('R4a.1: the MAC Learning dvFilter works on a vDS port too', () => {
  const { net } = lab(hostLab({
    top: `vcenter: external
distributedSwitches:
  - name: dvs
    version: 6.0.0
    members: [{ host: esx1, uplinks: [vmnic0] }]
    portgroups: [{ name: N, security: { promiscuous: accept, forgedTransmits: accept } }]`,
    switches: '      []',
    vms: [vm('p', 'N', 'macLearn: true')],
  }));
  const X = macToNumber('00:0c:29:00:00:77');
  send(net, 'p/nic0', eth(X, BROADCAST_MAC));
  const vp = vswitch(net, 'dvswitch:dvs@esx1').portFor(swPort(net, 'dvswitch:dvs@esx1', 'vnic:p/0'))!;
  assert.ok(vp.filter?.getMac(X), 'the dvFilter learned the nested source');
});

test('R3.10, R5.9: beacon probing does not cover guest VLAN tagging — a guest VLAN dead behind one uplink goes unnoticed (lint: beacon-with-vgt); as VST it is caught', () => {
  // Three uplinks, VLAN 20 not carried by psw/p3 (vmnic2's port); A, B, C on port ids 0, 1, 2.
  const text = (pg: string, tag: string) => hostLab({
    uplinks: 3, switchExtra: 'teaming: { detection: beacon }', portgroups: [pg], vms: ['a', 'b', 'c'].map((n) => vm(n, 'T', tag)),
  }).replace('p3: { mode: trunk, native: 1, allowed: all }', "p3: { mode: trunk, native: 1, allowed: ['1-19', '21-4094'] }");
  const vgt = lab(text('{ name: T, vlan: 4095 }', 'vlan: 20'));
  advance(vgt.net, 10_000);
  const sw = vswitch(vgt.net, S1);
  assert.deepEqual(sw.beacon!.beaconVlans, [0], 'untagged beacons only: the switch does not know which VLANs its guests tag');
  assert.deepEqual([...sw.beacon!.misses], [0, 0, 0], 'every uplink hears the others: vmnic2 stays in service');
  const w = watch(vgt.net);
  send(vgt.net, 'c/nic0', eth(m('c'), BROADCAST_MAC), 20);
  assert.equal(w.drop('switchport:psw/p3', 'vlan-not-allowed'), 1, 'C\'s VLAN 20 frames still go out vmnic2 and die at psw/p3');
  assert.deepEqual(lint(vgt.inv).filter((f) => f.code === 'beacon-with-vgt').map((f) => f.path), [['hosts', 0, 'switches', 0, 'portgroups', 0, 'vlan']]);
  // The same VLAN as a VST port group: beacons tagged 20 find the hole and C moves off vmnic2.
  const vst = lab(text('{ name: T, vlan: 20 }', ''));
  advance(vst.net, 10_000);
  assert.deepEqual(vswitch(vst.net, S1).beacon!.beaconVlans, [20]);
  assert.deepEqual([...vswitch(vst.net, S1).beacon!.misses], [0, 0, 3]);
  const v = watch(vst.net);
  send(vst.net, 'c/nic0', eth(m('c'), BROADCAST_MAC));
  assert.equal(v.tx(UP2), 0, 'C left vmnic2');
  assert.equal(v.drop('switchport:psw/p3', 'vlan-not-allowed'), 0, 'nothing of C\'s dies at psw/p3');
  assert.deepEqual(lint(vst.inv).filter((f) => f.code === 'beacon-with-vgt'), []);
});
// R3.11 (private VLANs on a vDS): test/net-pvlan.test.ts.
// R4b.1 (the ESXi Learnswitch fling): test/net-learnswitch.test.ts.
// R5.5 (load-based teaming, vDS only, R5.1): test/net-lbt.test.ts.
// R6.5 LACP (with R5.4, R5.7, R5.10): vDS LAGs and LACP port channels on physical switches —
// active/passive, LACP against a static channel, members on another switch, hashing over bundled
// members, link down/up and Aggregate_Wait_Time — is pinned in test/net-lacp.test.ts.
// R8.5 (Open vSwitch NORMAL learning per VLAN, mac-aging-time 15–3600 s, bonds, nested OVS under
// ESXi with R8.6): test/net-ovs.test.ts.
// R9.9 (with R8.4, R1.14, R5.9): spanning tree on physical switches and Linux bridges — root
// election, blocking, listening/learning after link up, portfast, bpduguard, Net.BlockGuestBPDU —
// is pinned in test/net-stp.test.ts.
