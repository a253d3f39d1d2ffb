// The test scenarios of spec/network.md §10, one test each, built from small lab files and run on
// the frame-level data plane (src/net): topology from `buildNetwork`, traffic from `ping`/`trace`
// or crafted frames put on a port with `fabric.transmit`, observations from port counters, a
// `Recorder` (device / port / action / rule / reason per hop) and capture hooks. Every test names
// the rule ids it checks. Rules tagged [L] in the spec are the simulator's documented modelling
// choices (R1.11 algorithm, R1.12, R4a.6, R5.2 hash) and are said so where a test leans on them.
// Scenarios needing what the simulator does not model yet are `test.todo`, naming the missing piece.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildNetwork, type Network } from '../src/net/topology.js';
import { restore, snapshot } from '../src/net/state.js';
import { runNetwork, startPeriodic } from '../src/net/periodic.js';
import { loadLabText } from '../src/plan/load.js';
import { endpoint, targetIp, trace } from '../src/net/probe.js';
import { changeLink } from '../src/net/links.js';
import { type TracedFrame } from '../src/net/trace.js';
import { VSwitch } from '../src/net/vswitch.js';
import { LinuxBridge } from '../src/net/bridge.js';
import { PhysicalSwitch } from '../src/net/pswitch.js';
import { BROADCAST_MAC, icmpEchoFrame, ipToNumber, macToNumber } from '../src/net/codec/index.js';

import { nestlab, tempDir } from './helpers.js';
import { ROOT, lab, MAC, m, FOREIGN, vm, hostLab, type HostLab, nestedLab, portOf, swPort, vswitch, eth, send, watch, tap, record, dropAt, pingOk, advance, S1, UP0, UP1, UP2, PSW_P1 } from './net-helpers.js';

test('§10.1 local known unicast stays on the vSwitch, nothing on vmnic0 (R1.2)', () => {
  const { net } = lab(hostLab({ vms: [vm('a', 'X'), vm('b', 'X')] }));
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), m('b')));
  assert.equal(w.rx('b/nic0'), 1, 'delivered to B');
  assert.equal(w.tx(UP0), 0, 'no frame on vmnic0');
  assert.equal(w.rx(PSW_P1), 0, 'the physical switch sees nothing');
});

test('§10.2 cross-port-group same VLAN is delivered untagged, nothing on the uplink (R1.2)', () => {
  const { net } = lab(hostLab({ portgroups: ['{ name: X, vlan: 10 }', '{ name: Y, vlan: 10 }'], vms: [vm('a', 'X'), vm('b', 'Y')] }));
  const w = watch(net);
  const atB = tap(net, 'b/nic0');
  send(net, 'a/nic0', eth(m('a'), m('b')));
  assert.equal(atB.rx.length, 1, 'delivered to B');
  assert.equal(atB.rx[0]!.vid, 0, 'untagged');
  assert.equal(w.tx(UP0), 0, 'nothing on the uplink');
});

test('§10.3 cross-VLAN on one vSwitch: not delivered, one frame out vmnic0 tagged 10 (R1.3, R1.5)', () => {
  const { net } = lab(hostLab({ portgroups: ['{ name: X, vlan: 10 }', '{ name: Y, vlan: 20 }'], vms: [vm('a', 'X'), vm('b', 'Y')] }));
  const w = watch(net);
  const up = tap(net, UP0);
  send(net, 'a/nic0', eth(m('a'), m('b')));
  assert.equal(w.rx('b/nic0'), 0, 'not delivered to B');
  assert.deepEqual(up.tx.map((f) => f.vid), [10], 'exactly one frame on vmnic0, tagged 10 (unknown in VLAN 10)');
});

test('§10.4 two vSwitches talk only through the physical switch; without an uplink, no path (R1.4)', () => {
  const nics = [
    "      - { name: vmnic0, mac: '00:10:00:00:00:00', connect: psw/p5 }",
    "      - { name: vmnic1, mac: '00:10:00:00:00:01', connect: psw/p6 }",
  ].join('\n');
  const switches = (secondUplinks: string) => [
    '      - { name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: PG0 }] }',
    `      - { name: vSwitch1, uplinks: [${secondUplinks}], portgroups: [{ name: PG1 }] }`,
  ].join('\n');
  const ports = ['p5: { mode: access, vlan: 1 }', 'p6: { mode: access, vlan: 1 }'];
  const vms = [vm('a', 'PG0', 'ip: 10.0.0.1/24'), vm('b', 'PG1', 'ip: 10.0.0.2/24')];

  const { net } = lab(hostLab({ nics, switches: switches('vmnic1'), ports, vms }));
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), m('b')));
  assert.equal(w.tx(UP0), 1, 'the frame leaves vSwitch0 by its uplink');
  assert.equal(w.tx('switchport:psw/p6'), 1, 'the physical switch forwards it to vSwitch1\'s uplink port');
  assert.equal(w.rx('b/nic0'), 1, 'delivered to B');
  assert.equal(pingOk(net, 'a', 'b'), 2, 'A pings B through the physical network');

  const isolated = lab(hostLab({ nics, switches: switches(''), ports, vms })).net;
  const w2 = watch(isolated);
  send(isolated, 'a/nic0', eth(m('a'), m('b')));
  assert.equal(w2.rx('b/nic0'), 0, 'vSwitch1 without uplink: no path');
  assert.equal(pingOk(isolated, 'a', 'b'), 0);
});

test('§10.5 unknown unicast from uplink is dropped (R1.8)', () => {
  const { net } = lab(hostLab({ vms: [vm('a', 'X'), vm('b', 'X')] }));
  const w = watch(net);
  const frames = record(net, () => send(net, 'h/eth0', eth(m('h'), FOREIGN)));
  assert.equal(w.rx(UP0), 1, 'the physical switch floods it to the host');
  assert.equal(w.rx('a/nic0') + w.rx('b/nic0'), 0, 'delivered to no port');
  assert.equal(w.drop(UP0, 'unknown-unicast-dst'), 1, 'drop counter unknown-unicast-dst +1 (dropUnknownUnicast)');
  assert.deepEqual(dropAt(frames[0], S1), { device: S1, port: UP0, rule: 'R1.8', reason: 'unknown-unicast-dst' }, 'the trace names the rule');
});

test('§10.6 no MAC learning: a forged source is not learned; promiscuous ports get copies (R1.1, R2.3)', () => {
  const X = macToNumber('00:50:56:99:99:99');
  const plain = lab(hostLab({ portgroups: ['{ name: X, security: { forgedTransmits: accept } }'], vms: [vm('a', 'X'), vm('b', 'X')] })).net;
  send(plain, 'a/nic0', eth(X, m('h')));
  const w = watch(plain);
  send(plain, 'h/eth0', eth(m('h'), X));
  assert.equal(w.tx(PSW_P1), 1, 'the physical switch learned X toward L0');
  assert.equal(w.rx('a/nic0'), 0, 'not delivered to A: the vSwitch did not learn X');
  assert.equal(w.drop(UP0, 'unknown-unicast-dst'), 1, 'dropped at L0 (R1.8)');

  const promisc = lab(hostLab({
    portgroups: ['{ name: X }', '{ name: P, security: { promiscuous: accept, forgedTransmits: accept } }'],
    vms: [vm('a', 'P', 'promiscuous: true'), vm('c', 'P', 'promiscuous: true'), vm('b', 'X', 'promiscuous: true')],
  })).net;
  send(promisc, 'a/nic0', eth(X, m('h')));
  const w2 = watch(promisc);
  send(promisc, 'h/eth0', eth(m('h'), X));
  assert.equal(w2.rx('a/nic0'), 1, 'A (P=A, guest promiscuous) gets it');
  assert.equal(w2.rx('c/nic0'), 1, 'every other promiscuous port in the VLAN too');
  assert.equal(w2.rx('b/nic0'), 0, 'B asked for promiscuous mode on a P=Reject port group: nothing');
});

test('§10.7 broadcast from a VM with 2 active uplinks: one copy per local port, one copy on one uplink (R1.6, R5.2)', () => {
  const { net } = lab(hostLab({ uplinks: 2, vms: [vm('a', 'X'), vm('b', 'X'), vm('c', 'X')] }));
  const sw = vswitch(net, S1);
  const chosen = sw.selectUplink(sw.portFor(swPort(net, S1, 'vnic:a/0'))!);
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  assert.equal(w.rx('b/nic0'), 1, 'B gets one copy');
  assert.equal(w.rx('c/nic0'), 1, 'C gets one copy');
  assert.equal(w.rx('a/nic0'), 0, 'never returned to the sender');
  assert.equal(w.tx(UP0) + w.tx(UP1), 1, 'exactly one copy on exactly one uplink');
  assert.equal(chosen?.id, w.tx(UP0) === 1 ? UP0 : UP1, 'the one teaming selects for A\'s port');
});

test('§10.8 split horizon: a frame from one uplink never leaves by another (R1.10)', () => {
  const text = hostLab({
    uplinks: 2,
    nics: [
      "      - { name: vmnic0, mac: '00:10:00:00:00:00', connect: psw/p1 }",
      "      - { name: vmnic1, mac: '00:10:00:00:00:01', connect: psw2/p1 }",
    ].join('\n'),
    vms: [vm('a', 'X')],
  }).replace('  stations:', [
    '    - name: psw2',
    '      ports:',
    '        p1: { mode: trunk, native: 1, allowed: all }',
    '        p10: { mode: access, vlan: 1 }',
    '  stations:',
    `    - { name: h2, nics: [{ name: eth0, mac: '${MAC.h2}', ip: 10.0.0.101/24, connect: psw2/p10 }] }`,
  ].join('\n'));
  const { net } = lab(text);
  // A's port is pinned to vmnic0 (port id 0). A port pinned to vmnic1 would not get H1's
  // broadcast: the simulator applies R1.12 [L] (broadcast only from the port's own uplink) whenever
  // several uplinks are active, even when they lead to disjoint networks as here.
  const sw = vswitch(net, S1);
  assert.equal(sw.selectUplink(sw.portFor(swPort(net, S1, 'vnic:a/0'))!)?.id, UP0);
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  assert.equal(w.rx(UP0), 1, 'the broadcast reaches L0 on vmnic0');
  assert.equal(w.rx('a/nic0'), 1, 'delivered to the local VM in the VLAN');
  assert.equal(w.tx(UP1), 0, 'never transmitted on vmnic1');
  assert.equal(w.rx('h2/eth0'), 0, 'H2 behind the other physical switch never sees it');
});

test('§10.9 reverse-path check drops our broadcast coming back on the second uplink (R1.11 [L], R1.12 [L])', () => {
  const vms = [vm('a', 'X'), vm('b', 'X')];
  const { net } = lab(hostLab({ uplinks: 2, vms }));
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  const [out, back] = w.tx(UP0) === 1 ? [UP0, UP1] : [UP1, UP0];
  assert.equal(w.tx(out), 1, 'A\'s broadcast leaves by one uplink');
  assert.equal(w.rx(back), 1, 'the physical switch floods it back into the other uplink');
  assert.equal(w.drop(back, 'reverse-path'), 1, 'ReversePathFwdCheck=1: the returning copy is dropped');
  assert.equal(w.rx('b/nic0'), 1, 'B receives A\'s broadcast once');
  assert.equal(w.rx('a/nic0'), 0, 'A does not receive its own broadcast');

  // With the check off, the copy coming back reaches the ports that take broadcasts from that
  // uplink (B, port id 1, is pinned to the second uplink — R5.2/R1.12 [L]).
  const off = lab(hostLab({ uplinks: 2, vms, settings: '{ reversePathFwdCheck: false }' })).net;
  const sw = vswitch(off, S1);
  const w2 = watch(off);
  send(off, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  const back2 = w2.tx(UP0) === 1 ? UP1 : UP0;
  assert.equal(sw.selectUplink(sw.portFor(swPort(off, S1, 'vnic:b/0'))!)?.id, back2, 'B is pinned to the return uplink');
  assert.equal(w2.drop(back2, 'reverse-path'), 0);
  assert.equal(w2.rx('b/nic0'), 2, 'ReversePathFwdCheck=0: B receives a second copy');
});

// ================================================================================================
// §2 security policy
// ================================================================================================

test('§10.10 promiscuous Reject: a guest in promiscuous mode still gets only its own frames (R2.3)', () => {
  const { net } = lab(hostLab({ vms: [vm('a', 'X', 'promiscuous: true'), vm('r', 'X')] }));
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('r')));
  assert.equal(w.rx('r/nic0'), 1, 'R gets its frame');
  assert.equal(w.rx('a/nic0'), 0, 'A receives nothing');
});

test('§10.11 promiscuous scope: the whole vSwitch, filtered by the port group\'s VLAN (R2.3)', () => {
  const run = (yVlan: number) => {
    const { net } = lab(hostLab({
      portgroups: ['{ name: X, vlan: 10, security: { promiscuous: accept } }', `{ name: Y, vlan: ${yVlan} }`],
      vms: [vm('a', 'X', 'promiscuous: true'), vm('b', 'Y'), vm('c', 'Y')],
    }));
    const w = watch(net);
    send(net, 'b/nic0', eth(m('b'), m('c')));
    return { c: w.rx('c/nic0'), a: w.rx('a/nic0'), uplink: w.tx(UP0) };
  };
  assert.deepEqual(run(10), { c: 1, a: 1, uplink: 0 }, 'Y on VLAN 10: C gets it, A gets a copy, nothing on the uplink');
  assert.deepEqual(run(20), { c: 1, a: 0, uplink: 0 }, 'Y on VLAN 20: A gets nothing');
});

/** The guest OS changes its MAC (what `nestlab` does for a guest MAC change). */
function changeMac(net: Network, iface: string, mac: number): void {
  const i = net.interfaces.get(iface)!;
  i.guest.setMac(i.iface, mac);
  for (const s of net.switches.values()) if (s instanceof VSwitch) s.invalidate();
}

test('§10.13 MAC address changes Reject: every inbound frame to the port is dropped until it reverts (R2.6)', () => {
  const X2 = macToNumber('00:50:56:77:77:77');
  const { net } = lab(hostLab({ portgroups: ['{ name: X, security: { macChanges: reject } }'], vms: [vm('a', 'X')] }));
  changeMac(net, 'a/nic0', X2);
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), X2));
  send(net, 'h/eth0', eth(m('h'), m('a')));
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  assert.equal(w.rx('a/nic0'), 0, 'H→X\', H→A\'s initial MAC and H broadcast: all dropped for A');
  changeMac(net, 'a/nic0', m('a'));
  const w2 = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('a')));
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  assert.equal(w2.rx('a/nic0'), 2, 'back on its initial MAC, A receives again');
});

test('§10.14 MAC address changes Accept: frames to the new MAC pass, the old MAC is unknown (R2.6)', () => {
  const X2 = macToNumber('00:50:56:77:77:77');
  const { net } = lab(hostLab({ portgroups: ['{ name: X, security: { macChanges: accept } }'], vms: [vm('a', 'X')] }));
  changeMac(net, 'a/nic0', X2);
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), X2));
  assert.equal(w.rx('a/nic0'), 1, 'H→X\' delivered');
  send(net, 'h/eth0', eth(m('h'), m('a')));
  assert.equal(w.rx('a/nic0'), 1, 'H→initial MAC not delivered');
  assert.equal(w.drop(UP0, 'unknown-unicast-dst'), 1);
});

test('§10.15 forged transmits Reject drops at port ingress, before anyone sees the frame (R2.5)', () => {
  const Z = macToNumber('00:50:56:55:55:55');
  const run = (forged: 'accept' | 'reject') => {
    const { net } = lab(hostLab({
      portgroups: [`{ name: X, security: { forgedTransmits: ${forged} } }`, '{ name: P, security: { promiscuous: accept } }'],
      vms: [vm('a', 'X'), vm('b', 'X'), vm('p', 'P', 'promiscuous: true')],
    }));
    const w = watch(net);
    send(net, 'a/nic0', eth(Z, BROADCAST_MAC));
    return { b: w.rx('b/nic0'), p: w.rx('p/nic0'), uplink: w.tx(UP0), dropped: w.drop(`${S1}[vnic:a/0]`, 'forged-transmit'), a: w.rx('a/nic0') };
  };
  assert.deepEqual(run('reject'), { b: 0, p: 0, uplink: 0, dropped: 1, a: 0 }, 'F=Reject: no local, promiscuous or uplink copy; A gets no error');
  assert.deepEqual(run('accept'), { b: 1, p: 1, uplink: 1, dropped: 0, a: 0 }, 'F=Accept: forwarded normally');
});

test('§10.15 forged transmits compares with the effective MAC by default (R2.5 CONFLICT, forgedTransmitCompare: effective)', () => {
  const X2 = macToNumber('00:50:56:77:77:77');
  const { net } = lab(hostLab({ portgroups: ['{ name: X, security: { macChanges: accept, forgedTransmits: reject } }'], vms: [vm('a', 'X')] }));
  changeMac(net, 'a/nic0', X2);
  const w = watch(net);
  send(net, 'a/nic0', eth(X2, BROADCAST_MAC));
  assert.equal(w.tx(UP0), 1, 'src = the guest\'s new (effective) MAC passes F=Reject');
  send(net, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  assert.equal(w.drop(`${S1}[vnic:a/0]`, 'forged-transmit'), 1, 'src = the .vmx MAC, no longer the effective one, is forged');
});

test('§10.16 inheritance: port group overrides win, inherited values follow the switch (R2.2)', () => {
  const Z = macToNumber('00:50:56:55:55:55');
  const text = (switchForged: string) => hostLab({
    switchExtra: `security: { forgedTransmits: ${switchForged} }`,
    portgroups: ['{ name: PG1 }', '{ name: PG2, security: { forgedTransmits: accept } }'],
    vms: [vm('a', 'PG1'), vm('b', 'PG2')],
  });
  const forgedPasses = (net: Network, who: 'a' | 'b') => {
    const w = watch(net);
    send(net, `${who}/nic0`, eth(Z, BROADCAST_MAC));
    return w.tx(UP0) === 1;
  };
  const rej = lab(text('reject'));
  const pgs = rej.inv.hosts.get('esx1')!.vswitches[0]!.portgroups;
  assert.deepEqual(pgs.map((p) => p.security.forgedTransmits), ['reject', 'accept']);
  assert.equal(forgedPasses(rej.net, 'a'), false, 'switch F=Reject, PG1 inherits: A dropped');
  assert.equal(forgedPasses(rej.net, 'b'), true, 'PG2 overrides F=Accept: B forwarded');
  const acc = lab(text('accept'));
  assert.equal(forgedPasses(acc.net, 'a'), true, 'switch F=Accept: PG1 (inherited) forwards A');

  // R2.2's promiscuous example: switch Reject, PG-A overrides Accept, PG-B inherits.
  const prom = (switchPromisc: string) => lab(hostLab({
    switchExtra: `security: { promiscuous: ${switchPromisc} }`,
    portgroups: ['{ name: PGA, security: { promiscuous: accept } }', '{ name: PGB }'],
    vms: [vm('a', 'PGA', 'promiscuous: true'), vm('b', 'PGB', 'promiscuous: true')],
  })).net;
  for (const [sw, expectB] of [['reject', 0], ['accept', 1]] as const) {
    const net = prom(sw);
    const w = watch(net);
    send(net, 'h/eth0', eth(m('h'), FOREIGN));
    assert.equal(w.rx('a/nic0'), 1, `switch promiscuous ${sw}: PG-A (override Accept) gets the copy`);
    assert.equal(w.rx('b/nic0'), expectB, `switch promiscuous ${sw}: PG-B inherits it`);
  }
});

test('§10.17 defaults through the resolver: vSS (R,A,A), vDS port group (R,R,R) (R2.4, R6.6)', () => {
  const Z = macToNumber('00:50:56:55:55:55');
  const { inv, net } = lab(hostLab({
    uplinks: 2,
    switches: '      - { name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: X }] }',
    top: `vcenter: external
distributedSwitches:
  - { name: dvs, members: [{ host: esx1, uplinks: [vmnic1] }], portgroups: [{ name: DX }] }`,
    vms: [vm('a', 'X'), vm('b', 'DX')],
  }));
  assert.deepEqual(inv.hosts.get('esx1')!.vswitches[0]!.portgroups[0]!.security, { promiscuous: 'reject', macChanges: 'accept', forgedTransmits: 'accept' });
  assert.deepEqual(inv.dvswitches.get('dvs')!.portgroups[0]!.security, { promiscuous: 'reject', macChanges: 'reject', forgedTransmits: 'reject' });
  // …and the data plane follows them: a forged source passes the fresh vSS, not the fresh vDS.
  const w = watch(net);
  send(net, 'a/nic0', eth(Z, BROADCAST_MAC));
  send(net, 'b/nic0', eth(Z, BROADCAST_MAC));
  assert.equal(w.tx(UP0), 1, 'fresh vSS: forged transmits Accept');
  assert.equal(w.tx(UP1), 0, 'fresh vDS: forged transmits Reject');
  assert.equal(w.drop('dvswitch:dvs@esx1[vnic:b/0]', 'forged-transmit'), 1);
});

// ================================================================================================
// §3 VLANs
// ================================================================================================

test('§10.18 VST receive filtering: only frames tagged with the port group\'s VLAN, delivered untagged (R3.3)', () => {
  const { net } = lab(hostLab({ portgroups: ['{ name: X, vlan: 10 }'], vms: [vm('a', 'X')] }));
  const atA = tap(net, 'a/nic0');
  send(net, PSW_P1, eth(m('h'), m('a')), 10);
  send(net, PSW_P1, eth(m('h'), m('a')), 20);
  send(net, PSW_P1, eth(m('h'), m('a')), 0);
  assert.equal(atA.rx.length, 1, 'only (a) tagged 10 is delivered');
  assert.equal(atA.rx[0]!.vid, 0, 'with the tag removed');
});

test('§10.19 VST transmit tagging: VID 10 on vmnic0, untagged at the VLAN-10 access port (R3.4)', () => {
  const { net } = lab(hostLab({ portgroups: ['{ name: X, vlan: 10 }'], vms: [vm('a', 'X', 'ip: 10.0.10.1/24')] }));
  const up = tap(net, UP0);
  const atH = tap(net, 'h10/eth0');
  assert.equal(pingOk(net, 'a', 'h10'), 2, 'A pings H on VLAN 10');
  assert.ok(up.tx.length > 0 && up.tx.every((f) => f.vid === 10), 'every frame A sends carries VID 10 on vmnic0');
  assert.ok(atH.rx.length > 0 && atH.rx.every((f) => f.vid === 0), 'H receives them untagged');
});

test('§10.20 guest-tagged frames: dropped on VST and VLAN 0 port groups, kept on 4095 (R3.5, R3.6)', () => {
  const { net } = lab(hostLab({
    portgroups: ['{ name: X, vlan: 10 }', '{ name: Z, vlan: 0 }', '{ name: T, vlan: 4095 }'],
    vms: [vm('a', 'X'), vm('b', 'Z'), vm('c', 'T')],
  }));
  const up = tap(net, UP0);
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), m('h')), 20);
  assert.equal(w.drop(`${S1}[vnic:a/0]`, 'tagged-on-vst'), 1, 'VST port group: dropped at L0 (R3.5)');
  send(net, 'b/nic0', eth(m('b'), m('h')), 20);
  assert.equal(w.drop(`${S1}[vnic:b/0]`, 'tagged-on-vst'), 1, 'VLAN 0 port group: dropped [M] (R3.5)');
  assert.equal(up.tx.length, 0, 'neither left the host');
  send(net, 'c/nic0', eth(m('c'), m('h')), 20);
  assert.deepEqual(up.tx.map((f) => f.vid), [20], '4095: leaves the uplink tagged 20 (R3.6)');
});

test('§10.22 vDS trunk range 100-110: VIDs inside pass tagged both ways, outside dropped (R3.7)', () => {
  const { net } = lab(hostLab({
    switches: '      []',
    top: `vcenter: external
distributedSwitches:
  - { name: dvs, members: [{ host: esx1, uplinks: [vmnic0] }], portgroups: [{ name: T, vlan: { trunk: ['100-110'] } }] }`,
    vms: [vm('a', 'T')],
  }));
  const up = tap(net, UP0);
  const atA = tap(net, 'a/nic0');
  send(net, 'a/nic0', eth(m('a'), m('h')), 105);
  send(net, 'a/nic0', eth(m('a'), m('h')), 200);
  assert.deepEqual(up.tx.map((f) => f.vid), [105], 'guest VID 105 forwarded tagged 105; VID 200 dropped');
  send(net, PSW_P1, eth(m('h'), m('a')), 200);
  assert.equal(atA.rx.length, 0, 'PSW→guest VID 200: not delivered');
  send(net, PSW_P1, eth(m('h'), m('a')), 105);
  assert.deepEqual(atA.rx.map((f) => f.vid), [105], 'PSW→guest VID 105: delivered with its tag');
});

// ================================================================================================
// §5 teaming
// ================================================================================================

/** Which uplink each VM's broadcast leaves on. */
function uplinkOf(net: Network, who: string, uplinks: string[]): string | null {
  const w = watch(net);
  send(net, `${who}/nic0`, eth(m(who), BROADCAST_MAC));
  const used = uplinks.filter((u) => w.tx(u) > 0);
  assert.ok(used.length <= 1, `${who}: at most one uplink (R1.5/R1.6), got ${used.join(', ')}`);
  return used[0] ?? null;
}

test('§10.23 teaming by originating port id is deterministic and stable (R5.2 [L] hash)', () => {
  const text = hostLab({ uplinks: 2, vms: ['a', 'b', 'c', 'd'].map((n) => vm(n, 'X')) });
  const { net } = lab(text);
  const vms = ['a', 'b', 'c', 'd'];
  const map = () => vms.map((n) => uplinkOf(net, n, [UP0, UP1]));
  const first = map();
  assert.ok(first.every((u) => u !== null));
  for (let i = 0; i < 3; i++) assert.deepEqual(map(), first, 'each VM always uses the same uplink');
  assert.equal(new Set(first).size, 2, 'four ports spread over both uplinks ([L]: port id mod uplinks)');
  assert.deepEqual(vms.map((n) => uplinkOf(lab(text).net, n, [UP0, UP1])), first, 'the same lab builds the same mapping');
  // The mapping changes only when an uplink fails: ports of the failed one move; others stay.
  portOf(net, UP1).up = false;
  const failed = map();
  assert.ok(failed.every((u) => u === UP0), 'vmnic1 down: everyone on vmnic0');
  portOf(net, UP1).up = true;
  assert.deepEqual(map(), first, 'vmnic1 back: the original mapping');
});

test('§10.24 explicit failover order: link-down moves traffic to the standby, recovery brings it back (R5.6, R5.7)', () => {
  const { net } = lab(hostLab({
    uplinks: 2,
    switchExtra: 'teaming: { policy: explicit, active: [vmnic0], standby: [vmnic1] }',
    vms: [vm('a', 'X'), vm('b', 'X')],
  }));
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP0);
  assert.equal(uplinkOf(net, 'b', [UP0, UP1]), UP0, 'explicit order: the highest active uplink for every port');
  portOf(net, UP0).up = false;
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP1, 'vmnic0 down: A moves to standby vmnic1');
  portOf(net, UP0).up = true;
  advance(net, 200); // past Net.TeamPolicyUpDelay (100 ms)
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP0, 'failback Yes: back on vmnic0');
});
/** Take a link down or up as `nestlab link` does: teaming reacts, moved ports announce themselves. */
function link(net: Network, name: string, up: boolean): string[] {
  const moved = changeLink(net, portOf(net, name), up);
  advance(net, 1000);
  return moved;
}

/** Where the physical switch has learned `mac` (VLAN 1 unless told), or null. */
function learnedAt(net: Network, mac: number, vlan = 1): string | null {
  const psw = net.switches.get('pswitch:psw') as PhysicalSwitch;
  return psw.fdb.portOf(vlan, mac)?.id ?? null;
}

const FAILOVER = 'teaming: { policy: explicit, active: [vmnic0], standby: [vmnic1] }';

test('§10.24 notify switches: failover sends ~5 RARPs per VM on the new uplink; the physical switch re-learns at once (R5.10, R9.7)', () => {
  const { net } = lab(hostLab({ uplinks: 2, switchExtra: FAILOVER, vms: [vm('a', 'X'), vm('b', 'X')] }));
  send(net, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  assert.equal(learnedAt(net, m('a')), PSW_P1, 'A learned behind vmnic0\'s port');
  const seen = tap(net, UP1);
  const moved = link(net, UP0, false);
  assert.equal(moved.length, 2, 'both ports moved to the standby');
  const rarps = seen.tx.filter((f) => f.dst === BROADCAST_MAC);
  assert.equal(rarps.filter((f) => f.src === m('a')).length, 5, 'around 5 (max 8) RARPs for A, sent on vmnic1');
  assert.equal(rarps.filter((f) => f.src === m('b')).length, 5);
  assert.equal(learnedAt(net, m('a')), 'switchport:psw/p2', 'station move: A now behind vmnic1 (R9.7)');
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('a')));
  assert.equal(w.rx('a/nic0'), 1, 'H reaches A through the standby at once');
  // Failback Yes (the default): vmnic0 returns and the ports move back, announcing it again.
  const back = tap(net, UP0);
  assert.deepEqual(link(net, UP0, true), [], 'nothing moves at link up: the ports go back after the 100 ms up-delay (R5.6)');
  assert.equal(back.tx.filter((f) => f.src === m('a') && f.dst === BROADCAST_MAC).length, 5);
  assert.equal(learnedAt(net, m('a')), PSW_P1);
});

test('§10.24 vmnic0 up: traffic returns only after the 100 ms up-delay, then with RARPs (Net.TeamPolicyUpDelay, R5.6, R5.10, R5.11)', () => {
  const { net } = lab(hostLab({ uplinks: 2, switchExtra: FAILOVER, vms: [vm('a', 'X')] }));
  link(net, UP0, false);
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP1, 'vmnic0 down: A on standby vmnic1');
  const back = tap(net, UP0);
  const t0 = net.fabric.now;
  assert.deepEqual(changeLink(net, portOf(net, UP0), true), [], 'vmnic0 up: nothing moves at once');
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP1, 'during the up-delay traffic stays on the standby');
  advance(net, 99);
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP1, 'still on vmnic1 at 99 ms');
  advance(net, 1);
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP0, 'at 100 ms: failback Yes, A is back on vmnic0');
  advance(net, 1000);
  const rarps = back.tx.filter((f) => f.src === m('a') && f.dst === BROADCAST_MAC && f.t >= t0 + 100);
  assert.ok(rarps.length >= 5 && rarps[0]!.t === t0 + 100, 'the move back is announced on vmnic0 from 100 ms on (R5.10)');
  assert.equal(learnedAt(net, m('a')), PSW_P1, 'the physical switch points A at vmnic0\'s port again');
  assert.ok(net.events.some((e) => e.type === 'teaming.failover' && e.t === t0 + 100 && e.object === `${S1}[vnic:a/0]`), 'the delayed failback is logged');
});

test('§10.24 up-delay: a link that flaps within 100 ms gets no traffic; a recovering uplink is used at once when nothing else is up (R5.6)', () => {
  const { net } = lab(hostLab({ uplinks: 2, switchExtra: FAILOVER, vms: [vm('a', 'X')] }));
  link(net, UP0, false);
  changeLink(net, portOf(net, UP0), true);
  advance(net, 50);
  changeLink(net, portOf(net, UP0), false);
  advance(net, 20);
  changeLink(net, portOf(net, UP0), true);
  advance(net, 60); // 110 ms after the first up, 60 ms after the last
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP1, 'the delay restarts with each up');
  advance(net, 40);
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP0, '100 ms after the last up: back on vmnic0');
  link(net, UP0, false);
  changeLink(net, portOf(net, UP0), true);
  changeLink(net, portOf(net, UP1), false);
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP0, 'vmnic1 gone: vmnic0 carries traffic even within its up-delay');
});

test('§10.24 failback No keeps traffic on the standby until it fails (R5.11)', () => {
  const { net } = lab(hostLab({ uplinks: 2, switchExtra: 'teaming: { policy: explicit, active: [vmnic0], standby: [vmnic1], failback: false }', vms: [vm('a', 'X')] }));
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP0);
  link(net, UP0, false);
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP1);
  assert.deepEqual(link(net, UP0, true), [], 'vmnic0 recovers: nothing moves');
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP1, 'failback No: A stays on vmnic1');
  link(net, UP1, false);
  assert.equal(uplinkOf(net, 'a', [UP0, UP1]), UP0, 'until vmnic1 fails');
});

test('§10.25 notify switches No: no RARP; the physical switch keeps the old port until A transmits, and H→A is lost meanwhile (R5.10, R9.8)', () => {
  const { net } = lab(hostLab({ uplinks: 2, switchExtra: 'teaming: { policy: explicit, active: [vmnic0], standby: [vmnic1], notifySwitches: false }', vms: [vm('a', 'X')] }));
  send(net, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  assert.equal(learnedAt(net, m('a')), PSW_P1);
  const seen = tap(net, UP1);
  link(net, UP0, false);
  assert.equal(seen.tx.length, 0, 'no RARP on vmnic1');
  assert.equal(learnedAt(net, m('a')), PSW_P1, 'the physical switch still points A at the dead port');
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('a')));
  assert.equal(w.rx('a/nic0'), 0, 'H→A goes to vmnic0\'s port and is lost (link down)');
  send(net, 'a/nic0', eth(m('a'), m('h')));
  assert.equal(learnedAt(net, m('a')), 'switchport:psw/p2', 'A transmits: the switch re-learns it behind vmnic1');
});

test('§10.26 an unused uplink never carries a frame, even when every active one has failed (R5.7, R1.13)', () => {
  const { net } = lab(hostLab({
    uplinks: 3,
    switchExtra: 'teaming: { active: [vmnic0, vmnic1], unused: [vmnic2] }',
    vms: ['a', 'b', 'c', 'd'].map((n) => vm(n, 'X')),
  }));
  const w = watch(net);
  for (const n of ['a', 'b', 'c', 'd']) assert.notEqual(uplinkOf(net, n, [UP0, UP1, UP2]), null);
  assert.equal(w.tx(UP2), 0, 'vmnic2 carries nothing while actives are up');
  portOf(net, UP0).up = false;
  portOf(net, UP1).up = false;
  for (const n of ['a', 'b', 'c', 'd']) assert.equal(uplinkOf(net, n, [UP0, UP1, UP2]), null, `${n}: traffic stops`);
  assert.equal(w.tx(UP2), 0, 'vmnic2 still carries nothing');
  assert.equal(w.drop(`${S1}[vnic:a/0]`, 'no-active-uplink'), 1, 'dropped: no active uplink (R1.13)');
});

// ---- §10.27 beacon probing (R5.9, R5.10, R3.10) ----------------------------------------------

const BEACON = 0x05ff;

/**
 * esx1's uplinks to two physical switches joined by a trunk (swa/p24 — swb/p24): vmnic0 → swa/p1,
 * and with 2 uplinks vmnic1 → swb/p1, with 3 vmnic1 → swa/p2 and vmnic2 → swb/p1. Station h on
 * swa/p10; VMs a, b, c on port group X (port ids 0, 1, 2). Cutting the inter-switch link is an
 * upstream failure behind swb: every uplink's link stays up.
 */
function beaconLab(o: { uplinks: 2 | 3; detection?: 'link' | 'beacon'; portgroups?: string[]; swbP1?: string; vms?: string[] }): string {
  const to = o.uplinks === 2 ? ['swa/p1', 'swb/p1'] : ['swa/p1', 'swa/p2', 'swb/p1'];
  return `
lab: beacons
network:
  switches:
    - { name: swa, ports: { p1: { mode: trunk }, p2: { mode: trunk }, p10: { mode: access, vlan: 1 }, p24: { mode: trunk } } }
    - { name: swb, ports: { p1: ${o.swbP1 ?? '{ mode: trunk }'}, p24: { mode: trunk } } }
  stations:
    - { name: h, nics: [{ name: eth0, mac: '${MAC.h}', ip: 10.0.0.100/24, connect: swa/p10 }] }
  links: [[swa/p24, swb/p24]]
hosts:
  - name: esx1
    cpu: xeon-e3-1230-v3
    memory: 128GB
    nics:
${to.map((p, i) => `      - { name: vmnic${i}, mac: '00:10:00:00:00:0${i}', connect: ${p} }`).join('\n')}
    switches:
      - name: vSwitch0
        uplinks: [${to.map((_, i) => `vmnic${i}`).join(', ')}]
        teaming: { detection: ${o.detection ?? 'beacon'} }
        portgroups: [${(o.portgroups ?? ['{ name: X }']).join(', ')}]
vms:
${(o.vms ?? ['a', 'b', 'c'].map((n, i) => vm(n, 'X', `ip: 10.0.0.${i + 1}/24`))).join('\n')}
`;
}

const ISL = 'switchport:swb/p24';
const nicMac = (i: number) => macToNumber(`00:10:00:00:00:0${i}`);

/** Where physical switch `sw` has learned `mac` (VLAN 1), or null. */
function learnedAtOn(net: Network, sw: string, mac: number): string | null {
  return (net.switches.get(`pswitch:${sw}`) as PhysicalSwitch).fdb.portOf(1, mac)?.id ?? null;
}

/** Which uplinks a frame from `who` leaves on. */
function leavesOn(net: Network, who: string, uplinks: string[]): string[] {
  const w = watch(net);
  send(net, `${who}/nic0`, eth(m(who), m('h')));
  return uplinks.filter((u) => w.tx(u) > 0);
}

test('§10.27 beacons: one broadcast per uplink per second (EtherType 0x05ff, src = the uplink\'s MAC), consumed by the vSwitch, never delivered to a VM (R5.9)', () => {
  const { net } = lab(beaconLab({ uplinks: 2 }));
  const u0 = tap(net, UP0);
  const frames: Uint8Array[] = [];
  portOf(net, UP1).capture = (_t, f) => frames.push(f);
  const w = watch(net);
  advance(net, 4999);
  assert.deepEqual(u0.tx.map((f) => f.t), [0, 1000, 2000, 3000, 4000], 'every second of virtual time');
  assert.ok(u0.tx.every((f) => f.dst === BROADCAST_MAC && f.src === nicMac(0) && f.vid === 0), 'broadcast, from vmnic0\'s MAC, untagged (port group X is VLAN 0)');
  assert.ok(frames.every((f) => (f[12]! << 8 | f[13]!) === BEACON), 'EtherType 0x05ff');
  assert.equal(u0.rx.length, 5, 'vmnic1\'s beacons come back in on vmnic0 through swb → swa');
  assert.equal(w.rx('a/nic0') + w.rx('b/nic0') + w.rx('c/nic0'), 0, 'the vSwitch takes its beacons; no VM sees one');
  assert.equal(w.rx('h/eth0'), 10, 'to the physical network they are broadcasts like any other');
  const sw = vswitch(net, S1);
  assert.deepEqual([...sw.beacon!.misses], [0, 0], 'both uplinks hear each other');
});

test('§10.27 beacon probing, 2 uplinks: an upstream failure (link stays up) → both miss 3 beacons → "shotgun" on both uplinks (R5.9)', () => {
  const { net } = lab(beaconLab({ uplinks: 2 }));
  advance(net, 2000);
  assert.deepEqual(leavesOn(net, 'a', [UP0, UP1]), [UP0], 'healthy: one uplink per port (R5.2)');
  assert.deepEqual(changeLink(net, portOf(net, ISL), false), [], 'the inter-switch link goes down: no esx1 link changes state, nothing moves yet');
  assert.ok(portOf(net, UP1).up && portOf(net, UP1).peer!.up, 'vmnic1\'s link is up');
  advance(net, 2000);
  assert.deepEqual(leavesOn(net, 'a', [UP0, UP1]), [UP0], 'two intervals missed: not yet');
  advance(net, 1000);
  const sw = vswitch(net, S1);
  assert.deepEqual([...sw.beacon!.misses], [3, 3], 'each uplink missed three consecutive beacons of the other');
  assert.equal(sw.beacon!.shotgun, true);
  assert.deepEqual(net.events.map((e) => e.type), ['teaming.shotgun'], 'neither can be singled out');
  assert.deepEqual(leavesOn(net, 'a', [UP0, UP1]), [UP0, UP1], 'shotgun: the frame goes out on both uplinks');
  assert.deepEqual(leavesOn(net, 'b', [UP0, UP1]), [UP0, UP1]);
  // H on swa now reaches B (on vmnic1 by port id) only because the shotgun copy went out vmnic0.
  assert.equal(learnedAtOn(net, 'swa', m('b')), 'switchport:swa/p1');
  // Repair: the next beacons are heard, the shotgun ends, each port back on its one uplink.
  changeLink(net, portOf(net, ISL), true);
  advance(net, 1000);
  assert.equal(sw.beacon!.shotgun, false);
  assert.deepEqual(net.events.map((e) => e.type), ['teaming.shotgun', 'teaming.shotgun-ended']);
  assert.deepEqual(leavesOn(net, 'a', [UP0, UP1]), [UP0]);
});

test('§10.27 link status only does not see the upstream failure: no failover, H→C lost (R5.9)', () => {
  const { net } = lab(beaconLab({ uplinks: 3, detection: 'link' }));
  assert.equal(vswitch(net, S1).beacon, null, 'no beacons without beacon probing');
  const w0 = watch(net);
  advance(net, 10_000);
  assert.equal(w0.tx(UP0) + w0.tx(UP1) + w0.tx(UP2), 0, 'nothing on the wire by itself');
  send(net, 'c/nic0', eth(m('c'), BROADCAST_MAC));
  changeLink(net, portOf(net, ISL), false);
  advance(net, 10_000);
  assert.deepEqual(leavesOn(net, 'c', [UP0, UP1, UP2]), [UP2], 'C stays on vmnic2, cut off behind swb');
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('c')));
  assert.equal(w.rx('c/nic0'), 0, 'H→C never arrives');
});

test('§10.27 beacon probing, 3 uplinks: only the isolated uplink fails; its ports move with RARP, and come back (R5.9, R5.10, R5.11)', () => {
  const { net } = lab(beaconLab({ uplinks: 3 }));
  advance(net, 1000);
  const before = ['a', 'b', 'c'].map((n) => leavesOn(net, n, [UP0, UP1, UP2])[0]);
  assert.deepEqual(before, [UP0, UP1, UP2], 'port id mod 3 (R5.2 [L])');
  send(net, 'c/nic0', eth(m('c'), BROADCAST_MAC));
  assert.equal(learnedAtOn(net, 'swb', m('c')), 'switchport:swb/p1');
  const rarps = tap(net, UP0);
  changeLink(net, portOf(net, ISL), false);
  advance(net, 2000);
  assert.equal(leavesOn(net, 'c', [UP0, UP1, UP2])[0], UP2, 'two misses: C still on vmnic2');
  advance(net, 1000);
  const sw = vswitch(net, S1);
  assert.deepEqual([...sw.beacon!.misses], [0, 0, 3], 'vmnic0 and vmnic1 hear each other through swa; vmnic2 hears nobody');
  assert.equal(sw.beacon!.shotgun, false);
  assert.deepEqual(net.events.map((e) => [e.type, e.object]), [
    ['teaming.beacon-failed', UP2],
    ['teaming.failover', `${S1}[vnic:c/0]`],
  ]);
  assert.deepEqual(['a', 'b', 'c'].map((n) => leavesOn(net, n, [UP0, UP1, UP2])), [[UP0], [UP1], [UP0]], 'only C moves, to a survivor');
  advance(net, 500);
  assert.equal(rarps.tx.filter((f) => f.src === m('c') && f.dst === BROADCAST_MAC).length, 5, 'notify switches: ~5 RARPs for C on its new uplink (R5.10)');
  assert.equal(learnedAtOn(net, 'swa', m('c')), 'switchport:swa/p1', 'swa re-learned C behind vmnic0 (R9.7)');
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('c')));
  assert.equal(w.rx('c/nic0'), 1, 'H reaches C again');
  // Repair: beacons heard at the next tick; failback Yes returns C to vmnic2.
  changeLink(net, portOf(net, ISL), true);
  advance(net, 1000);
  assert.deepEqual(net.events.slice(2).map((e) => [e.type, e.object]), [
    ['teaming.beacon-restored', UP2],
    ['teaming.failover', `${S1}[vnic:c/0]`],
  ]);
  assert.deepEqual(leavesOn(net, 'c', [UP0, UP1, UP2]), [UP2]);
});

test('§10.27 a link that goes down is link status\'s business: beacons leave it alone, and one live uplink has nobody to hear (R5.9)', () => {
  const { net } = lab(beaconLab({ uplinks: 2 }));
  advance(net, 1000);
  changeLink(net, portOf(net, UP1), false);
  advance(net, 10_000);
  const sw = vswitch(net, S1);
  assert.deepEqual([...sw.beacon!.misses], [0, 0], 'vmnic1 down, vmnic0 alone: no misses counted');
  assert.equal(sw.beacon!.shotgun, false);
  assert.deepEqual(leavesOn(net, 'b', [UP0, UP1]), [UP0], 'B failed over by link status');
  assert.deepEqual(net.events, []);
});

test('§10.27 beacons go out on every VLAN the ports use: a VLAN missing on one uplink\'s switch port fails that uplink; a VGT port group adds no VLAN (R5.9 Net.MaxBeaconVlans, R3.10)', () => {
  // swb/p1 (vmnic2's port) carries VLAN 1 but not 10: a misconfigured trunk, invisible to link status.
  const pgs = ['{ name: X }', '{ name: V10, vlan: 10 }', '{ name: VGT, vlan: 4095 }'];
  const vms = [vm('a', 'X'), vm('b', 'V10'), vm('c', 'VGT', 'vlan: 20')];
  const { net } = lab(beaconLab({ uplinks: 3, portgroups: pgs, vms, swbP1: '{ mode: trunk, allowed: [1] }' }));
  const sw = vswitch(net, S1);
  const seen = tap(net, UP0);
  advance(net, 3000);
  assert.deepEqual(sw.beacon!.beaconVlans, [0, 10], 'untagged for X, tagged 10 for V10; nothing for the 4095 port group (R3.10)');
  assert.deepEqual(seen.tx.slice(0, 2).map((f) => f.vid), [0, 10]);
  assert.deepEqual([...sw.beacon!.misses], [0, 0, 3], 'VLAN 10 beacons never cross swb/p1: vmnic2 fails');
  assert.deepEqual(net.events.map((e) => e.type).slice(0, 1), ['teaming.beacon-failed']);
  // R3.10: guest VLAN 20 could be broken everywhere and beacons would never notice.
  const { net: vgt } = lab(beaconLab({ uplinks: 3, portgroups: ['{ name: VGT, vlan: 4095 }'], vms: [vm('c', 'VGT', 'vlan: 20')], swbP1: '{ mode: trunk, allowed: [1] }' }));
  advance(vgt, 5000);
  assert.deepEqual([...vswitch(vgt, S1).beacon!.misses], [0, 0, 0], 'only untagged beacons: vmnic2 passes though VLAN 20 is dead behind it');
});

test('§10.27 beacon state survives between commands: misses and verdicts are persisted and restored (R5.9)', () => {
  const text = beaconLab({ uplinks: 3 });
  const first = lab(text).net;
  advance(first, 1000);
  changeLink(first, portOf(first, ISL), false);
  advance(first, 2000); // two misses, then the command ends
  const saved = JSON.parse(JSON.stringify(snapshot(first, {}))) as ReturnType<typeof snapshot>;
  assert.deepEqual(saved.beacons, { [S1]: { t: 3000, misses: { [UP2]: 2 } } });
  // The next command: a fresh network from the inventory, state restored, the clock where it was.
  const { inv } = lab(text);
  const next = buildNetwork(inv, { vm: (n) => ({ on: true, host: inv.vms.get(n)!.host }) });
  restore(next, saved);
  next.fabric.now = 3400;
  startPeriodic(next);
  advance(next, 599);
  assert.equal(next.events.length, 0, 'the third miss comes at T+4 s, not earlier');
  advance(next, 1);
  assert.deepEqual(next.events.map((e) => [e.t, e.type]), [[4000, 'teaming.beacon-failed'], [4000, 'teaming.failover']]);
  // And the verdict itself is restored: a failed uplink stays failed in the command after.
  const third = buildNetwork(inv, { vm: (n) => ({ on: true, host: inv.vms.get(n)!.host }) });
  restore(third, JSON.parse(JSON.stringify(snapshot(next, {}))) as ReturnType<typeof snapshot>);
  assert.deepEqual(leavesOn(third, 'c', [UP0, UP1, UP2]), [UP0]);
});

test('§10.27 advancing a long time: steady beacons are fast-forwarded with exactly the counters of running every tick (R5.9)', () => {
  const text = beaconLab({ uplinks: 3 });
  const slow = lab(text).net;
  const fast = lab(text).net;
  for (const net of [slow, fast]) {
    advance(net, 1500);
    changeLink(net, portOf(net, ISL), false);
  }
  const hour = 3_600_000;
  advance(slow, hour);
  const sw = vswitch(fast, S1);
  let ticks = 0;
  const tick = sw.beaconTick.bind(sw);
  sw.beaconTick = (t) => { ticks++; return tick(t); };
  runNetwork(fast, fast.fabric.now + hour);
  assert.equal(fast.fabric.now, slow.fabric.now);
  for (const [id, p] of slow.ports) assert.deepEqual([...fast.ports.get(id)!.counters], [...p.counters], id);
  assert.deepEqual(fast.events, slow.events);
  assert.deepEqual([...vswitch(fast, S1).beacon!.misses], [0, 0, 3]);
  const fdb = (net: Network) => (net.switches.get('pswitch:swa') as PhysicalSwitch).fdb.entries().map((e) => [e.mac, e.port.id, e.t]);
  assert.deepEqual(fdb(fast), fdb(slow), 'the last ticks ran: uplink MACs refreshed at the same time');
  assert.equal(vswitch(fast, S1).beacon!.lastTick, slow.fabric.now - (slow.fabric.now % 1000));
  assert.ok(ticks < 10, `${ticks} of 3600 ticks run one by one`);
});

test('§10.28 IP hash: the uplink is chosen per packet from source and destination IP; one VM MAC appears on two physical ports (R5.4)', () => {
  const { net } = lab(hostLab({ uplinks: 2, switchExtra: 'teaming: { policy: ip-hash }', portgroups: ['{ name: X }'], vms: [vm('a', 'X', 'ip: 10.0.0.1/24')] }));
  const u0 = tap(net, UP0);
  const u1 = tap(net, UP1);
  const psw = net.switches.get('pswitch:psw') as PhysicalSwitch;
  const ports = new Set<string>();
  for (let d = 2; d < 34; d++) {
    const frame = icmpEchoFrame({ srcMac: m('a'), dstMac: m('h'), srcIp: ipToNumber('10.0.0.1'), dstIp: ipToNumber(`10.0.0.${d}`), id: 1, seq: d, reply: false });
    send(net, 'a/nic0', frame);
    send(net, 'a/nic0', frame);
    ports.add(psw.fdb.portOf(1, m('a'))!.id);
  }
  assert.ok(u0.tx.length > 0 && u1.tx.length > 0, 'destinations spread over both uplinks');
  assert.equal(u0.tx.length % 2, 0, 'the same packet twice takes the same uplink');
  assert.equal(ports.size, 2, 'without a port channel the physical switch sees A flap between p1 and p2');
});
// ---- §10.28 EtherChannel (R5.4, R9.1, R9.3, R9.4) --------------------------------------------

/** hostLab with psw/p1 and psw/p2 (vmnic0, vmnic1) bundled into port channel po1. */
function channelLab(o: HostLab): string {
  return hostLab(o)
    .replace('p1: { mode: trunk, native: 1, allowed: all }', 'p1: { mode: trunk, native: 1, allowed: all, channel: po1 }')
    .replace('p2: { mode: trunk, native: 1, allowed: all }', 'p2: { mode: trunk, native: 1, allowed: all, channel: po1 }');
}

const PO1 = 'channel:psw/po1';
const ipFrame = (srcMac: number, dstMac: number, src: string, dst: string, seq = 1) =>
  icmpEchoFrame({ srcMac, dstMac, srcIp: ipToNumber(src), dstIp: ipToNumber(dst), id: 1, seq, reply: false });

test('§10.28 IP hash with EtherChannel: one logical port — A learned once on the channel (no flapping), frames reach A whatever member they take (R5.4, R9.1)', () => {
  const { inv, net } = lab(channelLab({ uplinks: 2, switchExtra: 'teaming: { policy: ip-hash }', vms: [vm('a', 'X', 'ip: 10.0.0.1/24')] }));
  assert.equal(inv.pswitches.get('psw')!.ports.get('p1')!.channel, 'po1', 'resolved into the inventory');
  const u0 = tap(net, UP0);
  const u1 = tap(net, UP1);
  const psw = net.switches.get('pswitch:psw') as PhysicalSwitch;
  const ports = new Set<string>();
  const frames = record(net, () => {
    for (let d = 2; d < 34; d++) {
      send(net, 'a/nic0', ipFrame(m('a'), m('h'), '10.0.0.1', `10.0.0.${d}`, d));
      ports.add(psw.fdb.portOf(1, m('a'))!.id);
    }
  });
  assert.ok(u0.tx.length > 0 && u1.tx.length > 0, 'A\'s packets leave on both uplinks (R5.4)');
  assert.deepEqual([...ports], [PO1], 'learned on the channel whichever member a packet came in on');
  const learns = frames.flatMap((f) => f.hops.filter((h) => h.device === 'pswitch:psw' && h.action === 'learn'));
  assert.deepEqual(learns.map((h) => h.rule), ['R5.4'], 'one learn, then never a station move');
  // H → A from many source addresses: the switch hashes them over both members; A gets every one.
  const w = watch(net);
  for (let s = 1; s <= 32; s++) send(net, 'h/eth0', ipFrame(m('h'), m('a'), `10.0.1.${s}`, '10.0.0.1', s));
  assert.equal(w.rx('a/nic0'), 32, 'every frame reaches A');
  assert.ok(w.rx(UP0) > 0 && w.rx(UP1) > 0, `both members carry them (${w.rx(UP0)} + ${w.rx(UP1)})`);
  assert.equal(w.rx(UP0) + w.rx(UP1), 32, 'one copy each: forwarded to one member, not both');
});

test('§10.28 EtherChannel flooding: one copy into the channel, never back into the ingress channel; A hears H\'s broadcast once (R5.4, R9.3, R1.12 [L])', () => {
  const { net } = lab(channelLab({ uplinks: 2, switchExtra: 'teaming: { policy: ip-hash }', vms: [vm('a', 'X', 'ip: 10.0.0.1/24'), vm('b', 'X', 'ip: 10.0.0.2/24')] }));
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  assert.equal(w.rx(UP0) + w.rx(UP1), 1, 'a broadcast enters the channel once');
  assert.equal(w.rx('a/nic0'), 1, 'and A takes it, whichever member it came by (an IP-hash port has no own uplink)');
  assert.equal(w.rx('b/nic0'), 1);
  const back = watch(net);
  send(net, 'a/nic0', ipFrame(m('a'), BROADCAST_MAC, '10.0.0.1', '10.0.0.255'));
  assert.equal(back.tx(UP0) + back.tx(UP1), 1, 'A\'s broadcast leaves on one uplink (R1.6)');
  assert.equal(back.rx(UP0) + back.rx(UP1), 0, 'the switch never floods it back into another member of the channel');
  assert.equal(back.rx('h/eth0'), 1);
  // A unicast for a MAC behind the channel that comes in on the channel is filtered, as on one port (R9.4).
  const same = watch(net);
  send(net, UP1, eth(FOREIGN, m('a')));
  assert.equal(same.drop('switchport:psw/p2', 'same-port'), 1);
  assert.equal(same.tx('switchport:psw/p1'), 0, 'not sent back out through the other member');
});

test('§10.28 EtherChannel: a member whose link fails drops out of the hash; the channel carries on (R5.4)', () => {
  const { net } = lab(channelLab({ uplinks: 2, switchExtra: 'teaming: { policy: ip-hash }', vms: [vm('a', 'X', 'ip: 10.0.0.1/24')] }));
  send(net, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  changeLink(net, portOf(net, UP1), false);
  const w = watch(net);
  for (let s = 1; s <= 16; s++) send(net, 'h/eth0', ipFrame(m('h'), m('a'), `10.0.1.${s}`, '10.0.0.1', s));
  assert.equal(w.rx('a/nic0'), 16, 'all through vmnic0');
  assert.equal(w.drop('switchport:psw/p2', 'link-down'), 0, 'nothing sent into the dead member');
});

test('§10.28 EtherChannel entries persist under the channel\'s name; members must agree (R5.4, R9.1)', () => {
  const text = channelLab({ uplinks: 2, switchExtra: 'teaming: { policy: ip-hash }', vms: [vm('a', 'X', 'ip: 10.0.0.1/24')] });
  const { inv, net } = lab(text);
  send(net, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  const saved = snapshot(net, {});
  assert.deepEqual(saved.fdb['pswitch:psw']!.find((e) => e[1] === m('a'))!.slice(0, 3), [1, m('a'), PO1]);
  const next = buildNetwork(inv, { vm: (n) => ({ on: true, host: inv.vms.get(n)!.host }) });
  restore(next, saved);
  assert.equal((next.switches.get('pswitch:psw') as PhysicalSwitch).fdb.portOf(1, m('a'))?.id, PO1, 'restored on the channel');
  const bad = loadLabText('bad.yaml', text.replace('p2: { mode: trunk, native: 1, allowed: all, channel: po1 }', 'p2: { mode: access, vlan: 1, channel: po1 }'));
  assert.ok(!bad.ok && bad.errors.some((e) => e.code === 'channel-mismatch' && e.path === 'network.switches[0].ports.p2.channel'), 'members of one channel with different modes are refused');
});

// §10.29 and §10.30 need the engine (vMotion, power-on with vCenter down): run through the CLI.
const VMOTION_LAB = (dvs: boolean) => `lab: s1029
vcenter: vcsa
network:
  switches:
    - { name: psw, ports: { p1: { mode: trunk, native: 1, allowed: all }, p2: { mode: trunk, native: 1, allowed: all }, p9: { mode: access, vlan: 1 } } }
  stations:
    - { name: h, nics: [{ ip: 10.0.0.5/24, connect: psw/p9 }] }
datastores:
  - { name: nfs, type: nfs, capacity: 1TB, hosts: [l0a, l0b] }
hosts:
  - name: l0a
    cpu: xeon-e3-1230-v3
    memory: 32GB
    nics: [{ name: vmnic0, connect: psw/p1 }${dvs ? ', { name: vmnic1 }' : ''}]
    switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: X }, { name: VMK, vmkernel: [{ name: vmk1, ip: 10.0.0.11/24, services: [vmotion] }] }] }]
  - name: l0b
    cpu: xeon-e3-1230-v3
    memory: 32GB
    nics: [{ name: vmnic0, connect: psw/p2 }]
    switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: X }, { name: VMK, vmkernel: [{ name: vmk1, ip: 10.0.0.12/24, services: [vmotion] }] }] }]
${dvs ? `distributedSwitches:
  - { name: dvs, members: [{ host: l0a, uplinks: [vmnic1] }], portgroups: [{ name: S, vlan: 5 }, { name: E, vlan: 6, binding: ephemeral }] }
` : ''}vms:
  - { name: vcsa, host: l0a, cpus: 2, memory: 8GB, disks: [{ datastore: nfs, size: 20GB }], nics: [{ network: X }] }
  - { name: a, host: l0a, cpus: 1, memory: 1GB, disks: [{ datastore: nfs, size: 8GB }], nics: [{ network: ${dvs ? 'S' : 'X'}, ip: 10.0.0.50/24 }] }
${dvs ? `  - { name: b, host: l0a, cpus: 1, memory: 1GB, power: off, nics: [{ network: S }] }
  - { name: e, host: l0a, cpus: 1, memory: 1GB, power: off, nics: [{ network: E }] }
` : ''}`;

function cliLab(text: string): string[] {
  const dir = tempDir();
  writeFileSync(join(dir, 'lab.yaml'), text);
  const s = ['--state', join(dir, 'state'), '--json'];
  const r = nestlab(['up', join(dir, 'lab.yaml'), ...s]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return s;
}

test('§10.29 vMotion RARP: L0b sends RARP src mA within 1 s; the PSW entry for mA moves p1 → p2; H → A is delivered at L0b (R5.10, R9.7)', () => {
  const s = cliLab(VMOTION_LAB(false));
  assert.equal(nestlab(['ping', 'h', 'a', '--count', '1', ...s]).code, 0);
  const mA = nestlab(['show', 'a', ...s]).json().nics[0].mac as string;
  const entry = () => nestlab(['macs', 'psw', ...s]).json().entries.find((e: { mac: string }) => e.mac === mA);
  assert.equal(entry().port, 'switchport:psw/p1');
  const r = nestlab(['migrate', 'a', 'l0b', ...s]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(r.json().rarp.macs, [mA]);
  const moved = entry();
  assert.equal(moved.port, 'switchport:psw/p2');
  assert.ok(moved.ageSeconds < 1, 'learned from the RARP, under 1 s ago');
  const tr = nestlab(['trace', 'h', 'a', ...s]).json();
  assert.equal(tr.delivered, true);
  const req = tr.frames.find((f: { kind: string }) => f.kind.startsWith('ICMP echo request'));
  assert.ok(req.hops.some((x: { device: string; action: string }) => x.device === 'vswitch:l0b/vSwitch0' && x.action === 'forward'), 'through L0b');
  assert.ok(!req.hops.some((x: { device: string }) => x.device === 'vswitch:l0a/vSwitch0'), 'not to L0a');
});
test('§10.30 vDS static port, vCenter down: bound A powers on and keeps its port; a new static binding fails with vSphere\'s message; ephemeral powers on (R6.2–R6.4)', () => {
  const s = cliLab(VMOTION_LAB(true));
  const portOfA = () => nestlab(['events', ...s]).json();
  assert.ok(JSON.stringify(portOfA()).includes('a nic0 bound to dvPort 0 of S'));
  assert.equal(nestlab(['power', 'off', 'a', ...s]).code, 0);
  assert.equal(nestlab(['power', 'off', 'vcsa', ...s]).code, 0);
  assert.equal(nestlab(['power', 'on', 'a', ...s]).code, 0, 'A already holds dvPort 0 (R6.4a)');
  const b = nestlab(['power', 'on', 'b', ...s]);
  assert.equal(b.code, 3);
  assert.equal(b.json().code, 'vcenter-unavailable');
  assert.match(b.json().message, /^Addition or reconfiguration of network adapters attached to non-ephemeral distributed virtual port groups is not supported/);
  assert.equal(nestlab(['power', 'on', 'e', ...s]).code, 0, 'ephemeral: the host creates the port (R6.3, R6.4b)');
  const bindings = JSON.stringify(portOfA());
  assert.equal(bindings.match(/bound to dvPort/g)?.length, 1, 'A kept port 0; nothing else was bound');
});

// ================================================================================================
// §7 nesting
// ================================================================================================

const L0 = 'vswitch:l0/vSwitch0';
const L0_DVS = 'dvswitch:dvs@l0';
const L1_UPLINK = 'nic:l1/vmnic0';
const L1B_UPLINK = 'nic:l1b/vmnic0';

test('§10.31 nested, default vSS: V\'s ARP gets out, H\'s unicast reply dies at L0; L1 vmk0 works (R1.8, R1.16)', () => {
  const { net } = lab(nestedLab({ l0: 'vss' }));
  const atH = tap(net, 'h/eth0');
  const t = trace(net, endpoint(net, 'v'), targetIp(net, 'h'));
  assert.equal(t.delivered, false, 'V cannot ping H');
  assert.ok(atH.rx.some((f) => f.src === m('v') && f.dst === BROADCAST_MAC), 'V\'s ARP request reaches H');
  const reply = t.frames.find((f) => f.from === 'station-nic:h/eth0' && f.dst === MAC.v);
  assert.ok(reply, 'H answers V');
  assert.deepEqual(reply.drop, { device: L0, port: 'nic:l0/vmnic0', rule: 'R1.8', reason: 'unknown-unicast-dst' }, 'dropped at L0: mV unregistered, no promiscuous port');
  assert.equal(net.interfaces.get('l1/vmk0')!.iface.mac, m('l1'), 'vmk0 has vmnic0\'s MAC (R1.16)');
  assert.equal(pingOk(net, 'l1/vmk0', 'h'), 2, 'L1 vmk0 ↔ H works');
});

test('§10.32 nested, default vDS: V\'s ARP is dropped at L0 ingress as forged; L1 vmk0 works (R2.4, R2.5)', () => {
  const { net } = lab(nestedLab({ l0: 'vds' }));
  const t = trace(net, endpoint(net, 'v'), targetIp(net, 'h'));
  assert.equal(t.delivered, false);
  const arp = t.frames.find((f) => f.src === MAC.v && f.dst === 'ff:ff:ff:ff:ff:ff');
  assert.ok(arp);
  assert.deepEqual(dropAt(arp, L0_DVS), { device: L0_DVS, port: `${L0_DVS}[vnic:l1/0]`, rule: 'R2.5', reason: 'forged-transmit' }, 'forged: src mV ≠ mE0');
  assert.ok(!arp.hops.some((h) => h.device === 'pswitch:psw'), 'nothing reaches the physical switch');
  assert.equal(pingOk(net, 'l1/vmk0', 'h'), 2, 'L1 vmk0 ↔ H still works');
});

test('§10.33 nested, promiscuous + forged Accept: V↔H works, H→R is copied to L1 and L1b, R unaffected (§7.2, R2.3)', () => {
  const { net } = lab(nestedLab({ l0: 'vss', security: '{ promiscuous: accept, forgedTransmits: accept }', l1b: true }));
  assert.equal(pingOk(net, 'v', 'h'), 2, 'V → H');
  assert.equal(pingOk(net, 'h', 'v'), 2, 'H → V');
  assert.equal(pingOk(net, 'h', 'w'), 2, 'H → W on L1b');
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('r')));
  assert.equal(w.rx('r/nic0'), 1, 'R gets exactly its frame');
  assert.equal(w.rx(L1_UPLINK), 1, 'one copy into L1');
  assert.equal(w.rx(L1B_UPLINK), 1, 'one copy into L1b');
  assert.equal(w.rx('v/nic0') + w.rx('w/nic0'), 0, 'the nested vSwitches drop them (R1.8 at L1)');
});

test('§10.35 nested vmk1: outbound leaves L0, H→mK1 dropped at L0; with promiscuous Accept it works (§7.6, R1.8)', () => {
  const { net } = lab(nestedLab({ l0: 'vss', vmk1: true }));
  const k1 = net.interfaces.get('l1/vmk1')!.iface.mac;
  assert.notEqual(k1, m('l1'), 'vmk1 has a generated MAC (R1.16)');
  const t = trace(net, endpoint(net, 'l1/vmk1'), targetIp(net, 'h'));
  assert.ok(t.frames[0]!.hops.some((h) => h.device === 'pswitch:psw'), 'vmk1\'s ARP leaves L0 (forged Accept by default)');
  const reply = t.frames.find((f) => f.from === 'station-nic:h/eth0' && frameDstIs(f, k1));
  assert.ok(reply);
  assert.equal(reply.drop?.device, L0);
  assert.equal(reply.drop?.reason, 'unknown-unicast-dst', 'H→mK1 dropped at L0');
  const open = lab(nestedLab({ l0: 'vss', vmk1: true, security: '{ promiscuous: accept }' })).net;
  assert.equal(pingOk(open, 'l1/vmk1', 'h'), 2, 'with L0 P=A: works');
});

function frameDstIs(f: TracedFrame, mac: number): boolean {
  return macToNumber(f.dst) === mac;
}

test('§10.37 vDS 6.6 native MAC learning: learned → one port, unknown → learning ports only, ageing (§4c, R4c.3–R4c.7)', () => {
  const learning = (extra = '') => nestedLab({
    l0: 'vds', l1b: true, rSeparate: true,
    security: '{ promiscuous: reject, forgedTransmits: accept }',
    learning: `{ enabled: true, allowUnicastFlooding: true, limit: 4096, limitPolicy: drop, agingTime: 300s${extra} }`,
  });
  const { net } = lab(learning());
  const hToV = () => {
    const w = watch(net);
    send(net, 'h/eth0', eth(m('h'), m('v')));
    return { l1: w.rx(L1_UPLINK), l1b: w.rx(L1B_UPLINK), r: w.rx('r/nic0'), v: w.rx('v/nic0') };
  };
  // Let the physical switch learn H (H's first frame floods); V has not transmitted yet.
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  assert.deepEqual(hToV(), { l1: 1, l1b: 1, r: 0, v: 1 }, 'V silent: H→V flooded to L1 and L1b (learning ports), not to R (R4c.5)');
  send(net, 'v/nic0', eth(m('v'), m('h')));
  assert.deepEqual(hToV(), { l1: 1, l1b: 0, r: 0, v: 1 }, 'after V transmits: only L1\'s port (R4c.3, R4c.4)');
  advance(net, 299_000);
  assert.deepEqual(hToV(), { l1: 1, l1b: 0, r: 0, v: 1 }, 'still learned at 299 s');
  advance(net, 2_000);
  assert.deepEqual(hToV(), { l1: 1, l1b: 1, r: 0, v: 1 }, 'unused for the ageing period (300 s): flooding resumes (R4c.7)');
  assert.equal(pingOk(net, 'v', 'h'), 2, 'V ↔ H works without promiscuous mode (R4c.10)');

  const noFlood = lab(learning().replace('allowUnicastFlooding: true', 'allowUnicastFlooding: false')).net;
  const w = watch(noFlood);
  send(noFlood, 'h/eth0', eth(m('h'), m('v')));
  assert.equal(w.rx(L1_UPLINK) + w.rx(L1B_UPLINK) + w.rx('r/nic0'), 0, 'flooding off: H→unknown reaches nobody');
  assert.equal(w.drop('nic:l0/vmnic0', 'unknown-unicast-dst'), 1, 'dropped (R4c.5)');
});

test('§10.37 vDS MAC learning limit: DROP drops the new source, ALLOW forwards it unlearned (R4c.6)', () => {
  const withLimit = (policy: 'drop' | 'allow') => lab(nestedLab({
    l0: 'vds', l1b: true, rSeparate: true,
    security: '{ promiscuous: reject, forgedTransmits: accept }',
    learning: `{ enabled: true, allowUnicastFlooding: true, limit: 2, limitPolicy: ${policy} }`,
  })).net;
  const M1 = macToNumber('00:0c:29:00:01:01');
  const M2 = macToNumber('00:0c:29:00:01:02');
  const M3 = macToNumber('00:0c:29:00:01:03');
  for (const policy of ['drop', 'allow'] as const) {
    const net = withLimit(policy);
    send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
    const w = watch(net);
    // Three nested-VM sources behind L1's vNIC (sent by L1's nested vSwitch out of its vmnic0).
    for (const src of [M1, M2, M3]) send(net, L1_UPLINK, eth(src, m('h')));
    assert.equal(w.rx('h/eth0'), policy === 'drop' ? 2 : 3, `${policy}: third new source ${policy === 'drop' ? 'dropped' : 'forwarded'}`);
    assert.equal(w.drop(`${L0_DVS}[vnic:l1/0]`, 'mac-limit'), policy === 'drop' ? 1 : 0);
    const w2 = watch(net);
    send(net, 'h/eth0', eth(m('h'), M3));
    assert.equal(w2.rx(L1B_UPLINK), 1, `${policy}: H→third MAC is unknown unicast (flooded to learning ports)`);
    const w3 = watch(net);
    send(net, 'h/eth0', eth(m('h'), M1));
    assert.deepEqual([w3.rx(L1_UPLINK), w3.rx(L1B_UPLINK)], [1, 0], `${policy}: H→first MAC goes to L1 only (learned)`);
  }
});

test('§10.38 MAC Learning dvFilter: V↔H works, R\'s traffic is filtered out of L1, multicast is not, no ageing (§4a, R4a.3, R4a.4, R4a.6 [L])', () => {
  const { net } = lab(nestedLab({ l0: 'vss', security: '{ promiscuous: accept, forgedTransmits: accept }', macLearn: true, l1b: true }));
  assert.equal(pingOk(net, 'v', 'h'), 2, 'V → H');
  assert.equal(pingOk(net, 'h', 'v'), 2, 'H → V');
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('r')));
  assert.equal(w.rx('r/nic0'), 1, 'R gets its frame');
  assert.equal(w.rx(L1_UPLINK), 0, 'H→R is not delivered into L1 (filtered)');
  assert.equal(w.rx(L1B_UPLINK), 0, 'nor into L1b');
  const w2 = watch(net);
  send(net, 'h/eth0', eth(m('h'), macToNumber('01:00:5e:00:00:fb')));
  assert.equal(w2.rx(L1_UPLINK), 1, 'multicast is still copied to L1 (R4a.4)');
  advance(net, 10_000_000); // far beyond any ageing time
  const w3 = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('v')));
  assert.equal(w3.rx(L1_UPLINK), 1, 'learned mV is still filtered in (never expires, R4a.3)');
  assert.equal(w3.rx(L1B_UPLINK), 0, 'and kept out of L1b, which never sent it');
});

// ================================================================================================
// §8 Linux bridge, §9 physical switch
// ================================================================================================

test('§10.42 Linux bridge: learns, ages at 300 s, floods unknown unicast incl. eth0, never reflects (R8.1–R8.4, R8.6)', () => {
  const { net } = lab(nestedLab({ l0: 'vss', security: '{ promiscuous: accept, forgedTransmits: accept }', kvm: true }));
  const br = net.switches.get('bridge:kvm1/br0');
  assert.ok(br instanceof LinuxBridge);
  const K1_TAP = 'bridge:kvm1/br0[vnic:k1/0]';
  const ETH0 = 'nic:kvm1/eth0';
  send(net, 'k1/nic0', eth(m('k1'), BROADCAST_MAC));
  assert.equal(br.fdb.portOf(0, m('k1'))?.id, K1_TAP, 'learns mV (k1) on its tap (R8.1)');
  br.fdb.age(net.fabric.now + 299_000);
  assert.equal(br.fdb.portOf(0, m('k1'))?.id, K1_TAP, 'still there after 299 s idle');
  br.fdb.age(net.fabric.now + 301_000);
  assert.equal(br.fdb.portOf(0, m('k1')), null, 'expired after 300 s idle (R8.2)');

  const w = watch(net);
  send(net, 'k1/nic0', eth(m('k1'), FOREIGN));
  assert.equal(w.rx('k2/nic0'), 1, 'unknown unicast flooded to the other tap (R8.3)');
  assert.equal(w.tx(ETH0), 1, '…and out eth0');

  // R transmits: L0 floods its broadcast into kvm1 (promiscuous port), br0 learns mR on eth0.
  send(net, 'r/nic0', eth(m('r'), BROADCAST_MAC));
  assert.equal(br.fdb.portOf(0, m('r'))?.id, ETH0);
  // H→R: L0 hands kvm1 a promiscuous copy; br0 has mR behind eth0 and does not send it back.
  const w2 = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('r')));
  assert.equal(w2.rx(ETH0), 1, 'the copy reaches br0 on eth0');
  assert.equal(w2.drop(ETH0, 'same-port'), 1, 'filtered: learned on the ingress port (R8.4)');
  assert.equal(w2.rx('k1/nic0') + w2.rx('k2/nic0'), 0, 'no guest sees it');

  assert.equal(pingOk(net, 'h', 'k1'), 2, 'H ↔ KVM guest through P=A, F=A on L0 (R8.6)');
  const closed = lab(nestedLab({ l0: 'vss', kvm: true })).net;
  const t = trace(closed, endpoint(closed, 'h'), targetIp(closed, 'k1'));
  assert.equal(t.delivered, false, 'default vSS: the KVM guest is unreachable, as a nested ESXi VM (R8.6)');
  assert.ok(t.frames.some((f) => f.drop?.device === L0 && f.drop.rule === 'R1.8'));
});

test('§10.43 physical switch ageing: forwarded at 299 s, flooded at 301 s (R9.2, R9.3)', () => {
  const { net } = lab(hostLab({
    ports: ['p12: { mode: access, vlan: 1 }', 'p13: { mode: access, vlan: 1 }'],
    stations: [
      `- { name: a, nics: [{ name: eth0, mac: '${MAC.a}', connect: psw/p12 }] }`,
      `- { name: c, nics: [{ name: eth0, mac: '${MAC.c}', connect: psw/p13 }] }`,
    ],
    vms: [],
  }));
  const psw = net.switches.get('pswitch:psw');
  assert.ok(psw instanceof PhysicalSwitch);
  send(net, 'a/eth0', eth(m('a'), BROADCAST_MAC)); // t = 0: PSW learns mA at p12
  advance(net, 299_000);
  let w = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('a')));
  assert.deepEqual([w.rx('a/eth0'), w.rx('c/eth0'), w.tx(PSW_P1)], [1, 0, 0], 't = 299 s: only to p12');
  advance(net, 2_000);
  w = watch(net);
  send(net, 'h/eth0', eth(m('h'), m('a')));
  assert.deepEqual([w.rx('a/eth0'), w.rx('c/eth0'), w.tx(PSW_P1), w.rx('h/eth0')], [1, 1, 1, 0], 't = 301 s: flooded to every VLAN port but the ingress');
});

test('§10.44 an access port drops a tagged frame (R9.5 default model)', () => {
  const { net } = lab(hostLab({
    stations: [`- { name: s10, nics: [{ name: eth0, mac: '02:00:00:00:00:20', ip: 10.0.10.5/24, vlan: 10, connect: psw/p12 }] }`],
    ports: ['p12: { mode: access, vlan: 10 }'],
    vms: [],
  }));
  const w = watch(net);
  send(net, 's10/eth0', eth(macToNumber('02:00:00:00:00:20'), BROADCAST_MAC));
  assert.equal(w.drop('switchport:psw/p12', 'tagged-on-access'), 1, 'VID 10 tagged frame on access VLAN 10: dropped');
  assert.equal(w.rx('h10/eth0'), 0);
  assert.equal(pingOk(net, 's10', 'h10'), 0, 'a VGT station on an access port reaches nobody');
});

// ================================================================================================
// The seed stories, end to end
// ================================================================================================

/** Home-lab style: a laptop on the physical network, a nested VM behind a 4095 trunk port group. */
function homeLab(outer: string): string {
  return `
lab: home
network:
  switches:
    - name: core
      ports:
        p1: { mode: trunk, native: 1, allowed: all }
        p10: { mode: access, vlan: 1 }
  stations:
    - { name: laptop, nics: [{ name: eth0, mac: '${MAC.h}', ip: 192.168.1.100/24, connect: core/p10 }] }
hosts:
  - name: esx0
    cpu: xeon-e3-1230-v3
    memory: 32GB
    nics: [{ name: vmnic0, mac: '00:10:00:00:00:00', connect: core/p1 }]
${outer}
vms:
  - name: nesx
    host: esx0
    cpus: 2
    memory: 8GB
    hardwareVersion: 13
    exposeHardwareVirtualization: true
    nics: [{ network: Nested Trunk, mac: '${MAC.l1}' }]
    nested:
      hypervisor: esxi
      version: '6.5'
      switches:
        - name: vSwitch0
          uplinks: [vmnic0]
          portgroups:
            - name: Management Network
              vmkernel: [{ name: vmk0, ip: 192.168.1.21/24 }]
            - { name: VM Network }
  - { name: web, host: nesx, cpus: 1, memory: 1GB, nics: [{ network: VM Network, mac: '${MAC.v}', ip: 192.168.1.50/24 }] }
`;
}
const vssOuter = (security: string) => `    switches:
      - name: vSwitch0
        uplinks: [vmnic0]
        portgroups:
          - { name: Nested Trunk, vlan: 4095${security ? `, security: ${security}` : ''} }`;

test('seed 000 (home lab): the nested VM is unreachable until promiscuous + forged transmits Accept; the trace names vSwitch, R1.8, unknown-unicast-dst', () => {
  const closed = lab(homeLab(vssOuter(''))).net;
  const t = trace(closed, endpoint(closed, 'laptop'), targetIp(closed, 'web'));
  assert.equal(t.delivered, false, 'laptop → nested VM fails at first');
  const echo = t.frames.find((f) => f.kind.startsWith('ICMP echo request'));
  assert.ok(echo, 'the laptop resolved the VM (its ARP reply got out) and sent the echo request');
  assert.deepEqual(echo.drop, { device: 'vswitch:esx0/vSwitch0', port: 'nic:esx0/vmnic0', rule: 'R1.8', reason: 'unknown-unicast-dst' });
  assert.equal(pingOk(closed, 'laptop', 'nesx/vmk0'), 2, 'the nested host\'s own vmk0 answers all along (R1.16)');

  const open = lab(homeLab(vssOuter('{ promiscuous: accept, forgedTransmits: accept }'))).net;
  assert.equal(pingOk(open, 'laptop', 'web'), 2, 'promiscuous + forged Accept on the outer port group: it works');
  assert.equal(pingOk(open, 'web', 'laptop'), 2);
  const ot = trace(open, endpoint(open, 'laptop'), targetIp(open, 'web'));
  assert.ok(ot.frames.some((f) => f.hops.some((h) => h.action === 'copy-promiscuous' && h.device === 'vswitch:esx0/vSwitch0')), 'delivered as a promiscuous copy (R2.3)');

  const learning = lab(homeLab(`vcenter: external
distributedSwitches:
  - name: dvs
    version: '6.6.0'
    members: [{ host: esx0, uplinks: [vmnic0] }]
    portgroups:
      - name: Nested Trunk
        vlan: { trunk: ['0-4094'] }
        security: { promiscuous: reject, forgedTransmits: accept }
        macLearning: { enabled: true }`)).net;
  assert.equal(pingOk(learning, 'web', 'laptop'), 2, 'or vDS 6.6 MAC learning, no promiscuous mode (R4c.10)');
  assert.equal(pingOk(learning, 'laptop', 'web'), 2);
});

test('seed 000 (examples/home-lab.yaml): laptop reaches nested ESXi and KVM guests through the router', () => {
  const file = join(ROOT, 'examples/home-lab.yaml');
  const { net } = lab(readFileSync(file, 'utf8'), file);
  assert.equal(pingOk(net, 'laptop', 'web-a1'), 2, 'laptop → router → VLAN 100 → trunk → nested ESXi → web-a1');
  assert.equal(pingOk(net, 'laptop', 'cirros-1'), 2, 'laptop → nested KVM guest');
});

test('seed 002 (examples/cloud-nested.yaml): 1:1 MAC mapping reaches centos1 with every security setting Reject (§7.6)', () => {
  const file = join(ROOT, 'examples/cloud-nested.yaml');
  const { inv, net } = lab(readFileSync(file, 'utf8'), file);
  for (const pg of inv.dvswitches.get('vcair-dvs')!.portgroups) {
    assert.deepEqual(pg.security, { promiscuous: 'reject', macChanges: 'reject', forgedTransmits: 'reject' }, pg.name);
  }
  assert.equal(pingOk(net, 'internet-host', 'centos1'), 2, 'internet-host → centos1');
  assert.equal(pingOk(net, 'centos1', 'internet-host'), 2, 'centos1 → internet-host');
  assert.equal(pingOk(net, 'internet-host', 'centos2'), 2, 'internet-host → centos2');
  const t = trace(net, endpoint(net, 'internet-host'), targetIp(net, 'centos1'));
  assert.equal(t.delivered, true);
  assert.ok(t.frames.every((f) => f.hops.every((h) => h.action !== 'copy-promiscuous')), 'no promiscuous copy anywhere: delivered by MAC');
  assert.ok(t.frames.every((f) => f.hops.every((h) => h.reason !== 'forged-transmit')), 'no forged-transmit drop');
});

test('seed 000 (examples/three-level.yaml): x ↔ station-30 through two 4095 trunks; L1 promiscuous Reject stops it at L1 (§7.7)', () => {
  const file = join(ROOT, 'examples/three-level.yaml');
  const text = readFileSync(file, 'utf8');
  const { net } = lab(text, file);
  assert.equal(pingOk(net, 'x', 'station-30'), 2, 'x → station-30');
  assert.equal(pingOk(net, 'station-30', 'x'), 2, 'station-30 → x');
  const up = tap(net, 'nic:l0-esx/vmnic0');
  const t = trace(net, endpoint(net, 'station-30'), targetIp(net, 'x'));
  assert.equal(t.delivered, true);
  const copies = new Set(t.frames.flatMap((f) => f.hops.filter((h) => h.action === 'copy-promiscuous').map((h) => h.device)));
  assert.ok(copies.has('vswitch:l0-esx/vSwitch0') && copies.has('vswitch:l1-esx/vSwitch0'), 'promiscuous copy at L0, again at L1');
  assert.ok(up.tx.length > 0 && up.tx.every((f) => f.vid === 30), 'x\'s frames leave the physical host tagged 30');

  // Promiscuous back to Reject on L1's Nested Trunk (the second such line): dropped at L1.
  const line = 'security: { promiscuous: accept, forgedTransmits: accept }';
  const at = text.indexOf(line, text.indexOf(line) + 1);
  assert.ok(at > 0);
  const closedText = text.slice(0, at) + 'security: { promiscuous: reject, forgedTransmits: accept }' + text.slice(at + line.length);
  const closed = lab(closedText, file).net;
  const ct = trace(closed, endpoint(closed, 'station-30'), targetIp(closed, 'x'));
  assert.equal(ct.delivered, false);
  assert.ok(ct.frames.some((f) => f.drop?.device === 'vswitch:l1-esx/vSwitch0' && f.drop.rule === 'R1.8'), 'dropped at L1\'s vSwitch (R1.8)');
});
