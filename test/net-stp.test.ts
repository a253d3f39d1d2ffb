// Spanning tree (spec/network.md R9.9, R8.4, R1.10, R1.14, R5.9): physical switches that run it
// and Linux bridges with `stp: true` — root election, blocking, 802.1D timing after a link comes
// up, the ESXi failback blackhole on a port that is not portfast, BPDU guard and
// Net.BlockGuestBPDU, what `show`, `trace`, events and lint say — and that it all survives from
// one command to the next.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BROADCAST_MAC, macToNumber } from '../src/net/codec/index.js';
import { changeLink } from '../src/net/links.js';
import { endpoint, ping, targetIp, trace } from '../src/net/probe.js';
import { snapshot } from '../src/net/state.js';
import { BPDU_MAC, configBpduFrame, parseConfigBpdu } from '../src/net/stp-bpdu.js';
import { pathCost, switchMac, stpNeedsTime, type StpView } from '../src/net/stp.js';
import type { Network } from '../src/net/topology.js';
import { PhysicalSwitch } from '../src/net/pswitch.js';
import { loadLabText } from '../src/plan/load.js';
import { lint } from '../src/lint/index.js';
import { nestlabSrc, tempDir } from './helpers.js';
import { MAC, advance, dropAt, eth, hostLab, lab, m, nestedKvm, network, portOf, record, send, tap, vm, watch, S1, UP0, type HostLab } from './net-helpers.js';

// ---- labs -------------------------------------------------------------------------------------

/** Three physical switches in a triangle (a/p1–b/p1, b/p2–c/p2, c/p1–a/p2), a station on each p10. */
function triangle(o: { stp?: boolean; a?: string; b?: string; c?: string; ab?: string } = {}): string {
  const stp = (x: string | undefined) => (o.stp === false ? '' : `stp: ${x ?? 'true'}, `);
  return `
lab: triangle
network:
  switches:
    - { name: a, ${stp(o.a ?? '{ priority: 4096 }')}ports: { p1: { mode: trunk${o.ab ?? ''} }, p2: { mode: trunk }, p10: { mode: access } } }
    - { name: b, ${stp(o.b)}ports: { p1: { mode: trunk${o.ab ?? ''} }, p2: { mode: trunk }, p10: { mode: access } } }
    - { name: c, ${stp(o.c)}ports: { p1: { mode: trunk }, p2: { mode: trunk }, p10: { mode: access } } }
  stations:
    - { name: h, nics: [{ name: eth0, mac: '${MAC.h}', ip: 10.0.0.100/24, connect: a/p10 }] }
    - { name: h2, nics: [{ name: eth0, mac: '${MAC.h2}', ip: 10.0.0.102/24, connect: b/p10 }] }
    - { name: h3, nics: [{ name: eth0, mac: '02:00:00:00:00:14', ip: 10.0.0.103/24, connect: c/p10 }] }
  links: [[a/p1, b/p1], [b/p2, c/p2], [c/p1, a/p2]]
`;
}

/** hostLab with spanning tree on psw and settings on its ports p1…p4 (YAML flow-map entries). */
function stpHostLab(o: HostLab & { stp?: string; portExtra?: string }): string {
  const text = hostLab(o).replace('    - name: psw\n      ports:', `    - name: psw\n      stp: ${o.stp ?? 'true'}\n      ports:`);
  return o.portExtra ? text.replace(/(p[1-4]: \{ mode: trunk, native: 1, allowed: all)/g, `$1, ${o.portExtra}`) : text;
}

const A_IP = 'ip: 10.0.0.1/24';
const FAILOVER = 'teaming: { policy: explicit, active: [vmnic0], standby: [vmnic1] }';

/** The tree as `show` gives it. */
function tree(net: Network, sw: string): StpView {
  return net.stp!.describe(`pswitch:${sw}`, net.fabric.now)!;
}
const role = (net: Network, sw: string, port: string) => tree(net, sw).ports[`switchport:${sw}/${port}`]!;

function pings(net: Network, from: string, to: string): number {
  return ping(net, endpoint(net, from), targetIp(net, to), { count: 1 }).received;
}

/** The drop that ends a traced ping's request, as `nestlab trace` reports it. */
function traceDrop(net: Network, from: string, to: string): { device: string; port: string; rule: string; reason: string } | undefined {
  const r = trace(net, endpoint(net, from), targetIp(net, to));
  return r.delivered ? undefined : r.frames.find((f) => f.drop !== undefined)?.drop;
}

const bpdu = (src: number) => configBpduFrame(src, { root: { priority: 32768, mac: src }, rootCost: 0, bridge: { priority: 32768, mac: src }, portId: 0x8001, maxAge: 20, helloTime: 2, forwardDelay: 15 });

// ---- the tree ---------------------------------------------------------------------------------

test('R9.9: a triangle of switches elects the lowest (priority, MAC) as root and blocks one port; a broadcast crosses every link once, with no loop', () => {
  const { net } = lab(triangle());
  const [a, b, c] = ['a', 'b', 'c'].map((s) => tree(net, s));
  assert.equal(a!.isRoot, true, 'priority 4096 beats 32768');
  assert.equal(a!.root, a!.bridgeId);
  assert.ok(b!.root === a!.bridgeId && c!.root === a!.bridgeId, 'every switch agrees on the root');
  assert.deepEqual([b!.rootPort, c!.rootPort], ['switchport:b/p1', 'switchport:c/p1'], 'each non-root switch\'s port toward the root is its root port');
  // b and c tie on cost to the root (2 = one 10G hop): the lower bridge id is designated on b–c.
  const [low, high] = switchMac('b') < switchMac('c') ? ['b', 'c'] : ['c', 'b'];
  assert.deepEqual([role(net, low, 'p2').role, role(net, low, 'p2').state], ['designated', 'forwarding']);
  assert.deepEqual([role(net, high, 'p2').role, role(net, high, 'p2').state], ['alternate', 'blocking']);
  assert.ok(['a', 'b', 'c'].every((s) => role(net, s, 'p10').role === 'designated' && role(net, s, 'p10').state === 'forwarding'), 'ports to stations forward');

  const w = watch(net);
  const [frame] = record(net, () => send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC)));
  assert.equal(w.rx('h2/eth0'), 1, 'h2 gets exactly one copy');
  assert.equal(w.rx('h3/eth0'), 1, 'h3 gets exactly one copy');
  assert.equal(w.drop(`switchport:${high}/p2`, 'stp-blocking'), 1, 'the copy that would close the loop dies at the blocking port (R9.9)');
  assert.equal(frame!.hops.filter((h) => h.reason === 'ttl-exceeded').length, 0, 'no loop');
  assert.deepEqual(dropAt(frame, `pswitch:${high}`), { device: `pswitch:${high}`, port: `switchport:${high}/p2`, rule: 'R9.9', reason: 'stp-blocking' });
  assert.equal(pings(net, 'h2', '10.0.0.103'), 1, 'unicast between the leaves goes round through the root');
});

test('R9.9 (contrast): the same triangle without spanning tree loops a broadcast until the loop guard drops it', () => {
  const { net } = lab(triangle({ stp: false }));
  const [frame] = record(net, () => send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC)));
  assert.ok(frame!.hops.some((h) => h.reason === 'ttl-exceeded'), 'the copies go round until the depth limit (fabric loop guard)');
  assert.ok(frame!.hops.filter((h) => h.action === 'deliver').length > 2, 'stations see it more than once');
  assert.equal(net.stp, undefined, 'no switch runs STP: no tree at all (labs without stp behave as before)');
});

/** Four switches, each cabled to the three others (a full mesh), a station on each. */
const MESH = (stp: boolean) => `
lab: mesh
network:
  switches:
${['a', 'b', 'c', 'd'].map((n) => `    - { name: ${n}, ${stp ? `stp: ${n === 'a' ? '{ priority: 4096 }' : 'true'}, ` : ''}ports: { default: { mode: trunk }, p10: { mode: access } } }`).join('\n')}
  stations:
${['a', 'b', 'c', 'd'].map((n, i) => `    - { name: h${n}, nics: [{ name: eth0, mac: '02:00:00:00:01:0${i}', ip: 10.0.0.${i + 1}/24, connect: ${n}/p10 }] }`).join('\n')}
  links: [[a/p1, b/p1], [a/p2, c/p1], [a/p3, d/p1], [b/p2, c/p2], [b/p3, d/p2], [c/p3, d/p3]]
`;

test('R9.9 (contrast): a broadcast storm — every switch floods into two looping links, so copies double at every turn — ends at the fabric\'s hop budget instead of hanging; with spanning tree each station gets one copy', () => {
  const storm = lab(MESH(false)).net;
  const w = watch(storm);
  const t0 = performance.now();
  send(storm, 'ha/eth0', eth(m('02:00:00:00:01:00'), BROADCAST_MAC));
  assert.ok(performance.now() - t0 < 10_000, 'bounded work');
  const looped = [...storm.ports.values()].reduce((s, p) => s + w.drop(p.id, 'ttl-exceeded'), 0);
  assert.ok(looped > 0, 'the storm is cut and counted as ttl-exceeded (R8.4: no STP, no loop prevention)');
  assert.ok(w.rx('hb/eth0') > 100, 'stations drown in copies meanwhile, as in a real storm');
  const tree = lab(MESH(true)).net;
  const wt = watch(tree);
  send(tree, 'ha/eth0', eth(m('02:00:00:00:01:00'), BROADCAST_MAC));
  assert.deepEqual(['hb', 'hc', 'hd'].map((h) => wt.rx(`${h}/eth0`)), [1, 1, 1]);
});

test('R9.9: port cost follows link speed (802.1D-1998 short costs): a slow direct link to the root blocks, the 10G way round forwards; stpCost overrides', () => {
  assert.deepEqual([10, 100, 1000, 10_000, 40_000].map(pathCost), [100, 19, 4, 2, 1]);
  // a–b at 100 Mb/s (cost 19) against b–c–a at 10 Gb/s (2 + 2).
  const { net } = lab(triangle({ ab: ', speed: 100' }));
  assert.equal(role(net, 'b', 'p1').cost, 19, 'the link runs at the slower end: 100 Mb/s');
  assert.equal(tree(net, 'b').rootPort, 'switchport:b/p2', 'b reaches the root through c');
  assert.equal(tree(net, 'b').rootCost, 4);
  assert.deepEqual([role(net, 'b', 'p1').role, role(net, 'b', 'p1').state], ['alternate', 'blocking'], 'the slow direct link is the one that blocks');
  assert.equal(role(net, 'c', 'p2').role, 'designated');
  // A configured cost wins over the speed.
  const { net: costed } = lab(triangle({ ab: ', speed: 100, stpCost: 1' }));
  assert.equal(tree(costed, 'b').rootPort, 'switchport:b/p1');
  assert.equal(role(costed, 'b', 'p1').cost, 1);
});

test('R8.4, R9.9: a loop through a Linux bridge with STP off is still seen — it forwards BPDUs — and the physical switch breaks it', () => {
  const kvm = (pswStp: string, brStp: boolean) => `
lab: kvmloop
network:
  switches:
    - { name: psw, ${pswStp}ports: { p1: { mode: access }, p2: { mode: access }, p10: { mode: access } } }
  stations:
    - { name: h, nics: [{ name: eth0, mac: '${MAC.h}', ip: 10.0.0.100/24, connect: psw/p10 }] }
hosts:
  - name: kvm1
    hypervisor: kvm
    cpu: xeon-e3-1230-v3
    memory: 32GB
    nics: [{ name: eth0, mac: '52:54:00:00:01:00', connect: psw/p1 }, { name: eth1, mac: '52:54:00:00:01:01', connect: psw/p2 }]
    switches: [{ name: br0, uplinks: [eth0, eth1], stp: ${brStp} }]
vms:
${vm('k1', 'br0', 'ip: 10.0.0.41/24', 'kvm1')}
`;
  // Neither runs STP: the broadcast goes round psw → br0 → psw until the loop guard.
  const loop = lab(kvm('', false)).net;
  const [looped] = record(loop, () => send(loop, 'h/eth0', eth(m('h'), BROADCAST_MAC)));
  assert.ok(looped!.hops.some((h) => h.reason === 'ttl-exceeded'));
  // The physical switch runs STP: br0 passes its BPDUs from p1 back to p2 — p2 is a backup port.
  const { net } = lab(kvm('stp: true, ', false));
  assert.deepEqual([role(net, 'psw', 'p1').role, role(net, 'psw', 'p2').role, role(net, 'psw', 'p2').state], ['designated', 'backup', 'blocking']);
  const w = watch(net);
  const [frame] = record(net, () => send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC)));
  assert.equal(frame!.hops.filter((h) => h.reason === 'ttl-exceeded').length, 0, 'the loop is broken');
  assert.equal(w.rx('k1/nic0'), 1, 'the VM behind the bridge gets one copy');
  assert.equal(pings(net, 'h', '10.0.0.41'), 1);
  // The bridge runs STP itself (stp: true), the switch does not: br0 blocks one of its uplinks.
  const { net: br } = lab(kvm('', true));
  const ports = br.stp!.bridges[0]!.ports;
  assert.deepEqual(ports.map((p) => [p.id, p.role, p.state]), [
    ['nic:kvm1/eth0', 'designated', 'forwarding'],
    ['nic:kvm1/eth1', 'backup', 'blocking'],
    ['bridge:kvm1/br0[vnic:k1/0]', 'designated', 'forwarding'],
  ], 'br0 hears its own BPDU from eth0 on eth1 through the switch: eth1 is a backup port');
  const [bframe] = record(br, () => send(br, 'h/eth0', eth(m('h'), BROADCAST_MAC)));
  assert.ok(bframe!.hops.some((h) => h.reason === 'stp-blocking' && h.rule === 'R8.4' && h.port === 'nic:kvm1/eth1'));
  assert.equal(bframe!.hops.filter((h) => h.reason === 'ttl-exceeded').length, 0);
});

test('R1.10, R1.14: an ESXi host with two uplinks into one STP switch is no loop — both ports forward (a vSwitch never passes a BPDU between uplinks)', () => {
  const { net } = lab(stpHostLab({ uplinks: 2, vms: [vm('a', 'X')] }));
  assert.deepEqual(['p1', 'p2'].map((p) => [role(net, 'psw', p).role, role(net, 'psw', p).state]), [['designated', 'forwarding'], ['designated', 'forwarding']]);
});

// ---- timing -----------------------------------------------------------------------------------

test('R9.9: the root port fails → the alternate listens 15 s, learns 15 s, then forwards; MAC tables age fast meanwhile (topology change)', () => {
  const { net } = lab(triangle());
  const high = switchMac('b') < switchMac('c') ? 'c' : 'b'; // the one whose b–c port blocks
  assert.equal(pings(net, 'h', high === 'b' ? '10.0.0.102' : '10.0.0.103'), 1);
  const t0 = net.fabric.now;
  changeLink(net, portOf(net, `switchport:${high}/p1`), false); // the high switch's root port
  assert.equal(tree(net, high).rootPort, `switchport:${high}/p2`, 'the alternate port is the new root port');
  assert.deepEqual([role(net, high, 'p2').role, role(net, high, 'p2').state], ['root', 'listening']);
  assert.equal(role(net, high, 'p2').nextStateInS, 15);
  assert.ok(net.events.some((e) => e.type === 'stp.topology-change' && e.object === `pswitch:${high}` && e.t === t0));
  const far = high === 'b' ? '10.0.0.102' : '10.0.0.103';
  const farName = high === 'b' ? 'h2' : 'h3';
  assert.equal(pings(net, 'h', far), 0, `listening: ${farName} is cut off`);
  advance(net, 15_000 - (net.fabric.now - t0));
  assert.equal(role(net, high, 'p2').state, 'learning');
  const seen = watch(net);
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  assert.equal(seen.drop(`switchport:${high}/p2`, 'stp-learning'), 1, 'learning: the frame is learned from, not forwarded (R9.9)');
  assert.equal(seen.rx(`${farName}/eth0`), 0);
  assert.equal((net.switches.get(`pswitch:${high}`) as PhysicalSwitch).fdb.portOf(1, m('h'))?.id, `switchport:${high}/p2`, 'h is learned behind the learning port');
  advance(net, 15_000);
  assert.equal(role(net, high, 'p2').state, 'forwarding', '2 × forward delay after the failure');
  assert.equal(tree(net, 'a').topologyChange, true, 'a topology change: tables age with the forward delay');
  assert.equal(pings(net, 'h', far), 1, 'forwarding: reachable again');
  assert.deepEqual(net.events.filter((e) => e.type === 'stp.port-state' && e.object === `switchport:${high}/p2`).map((e) => [e.t - t0, (e.data as { to: string }).to]),
    [[0, 'listening'], [15_000, 'learning'], [30_000, 'forwarding']]);
  advance(net, 40_000);
  assert.equal(tree(net, 'a').topologyChange, false, 'max age + forward delay (35 s) later, normal ageing again');
});

/** esx1 (vmnic0 → psw/p1 active, vmnic1 → psw/p2 standby), VM a, station h; psw runs STP. */
function failbackLab(o: { portExtra?: string; uplinks?: number; switchExtra?: string } = {}): Network {
  return lab(stpHostLab({ uplinks: o.uplinks ?? 2, switchExtra: o.switchExtra ?? FAILOVER, vms: [vm('a', 'X', A_IP)], ...(o.portExtra ? { portExtra: o.portExtra } : {}) })).net;
}

test('R9.9, R5.9: ESXi fails back 100 ms after link up while the physical port still listens and learns — a\'s frames are dropped for 30 s, and link status cannot tell', () => {
  const net = failbackLab();
  assert.equal(pings(net, 'a', 'h'), 1);
  changeLink(net, portOf(net, UP0), false);
  advance(net, 1000);
  assert.equal(pings(net, 'a', 'h'), 1, 'vmnic0 down: a on the standby vmnic1, through psw/p2');
  const t0 = net.fabric.now;
  changeLink(net, portOf(net, UP0), true);
  assert.deepEqual([role(net, 'psw', 'p1').role, role(net, 'psw', 'p1').state], ['designated', 'listening'], 'not portfast: the port listens first');
  advance(net, 200); // past Net.TeamPolicyUpDelay: failback Yes, a is back on vmnic0
  assert.ok(net.events.some((e) => e.type === 'teaming.failover' && e.t === t0 + 100), 'ESXi moved a back at 100 ms');
  assert.equal(pings(net, 'a', 'h'), 0, 'blackholed: the frames leave on vmnic0 into a port that forwards nothing');
  assert.deepEqual(traceDrop(net, 'a', 'h'), { device: 'pswitch:psw', port: 'switchport:psw/p1', rule: 'R9.9', reason: 'stp-blocking' }, 'trace names the port and the rule');
  assert.equal(pings(net, 'h', '10.0.0.1'), 0, 'nor does anything reach a: the switch does not forward into p1 either');
  advance(net, t0 + 16_000 - net.fabric.now);
  assert.equal(role(net, 'psw', 'p1').state, 'learning');
  assert.equal(traceDrop(net, 'a', 'h')?.reason, 'stp-learning', 'learning: still dropped');
  advance(net, t0 + 30_000 - net.fabric.now);
  assert.equal(role(net, 'psw', 'p1').state, 'forwarding');
  assert.equal(pings(net, 'a', 'h'), 1, '30 s after link up the port forwards');
  assert.deepEqual(lint(lab(stpHostLab({ uplinks: 2, vms: [] })).inv).filter((f) => f.code === 'esxi-port-not-portfast').map((f) => f.path),
    [['network', 'switches', 0, 'ports', 'p1'], ['network', 'switches', 0, 'ports', 'p2']], 'lint warns about exactly this');
});

test('R9.9: with portfast on the ESXi-facing ports the failback loses nothing — and lint is quiet', () => {
  const net = failbackLab({ portExtra: 'portfast: true' });
  assert.equal(role(net, 'psw', 'p1').role, 'edge', 'portfast with no bridge behind: an edge port');
  changeLink(net, portOf(net, UP0), false);
  advance(net, 1000);
  changeLink(net, portOf(net, UP0), true);
  assert.equal(role(net, 'psw', 'p1').state, 'forwarding', 'forwarding as soon as the link is up');
  advance(net, 200);
  assert.equal(pings(net, 'a', 'h'), 1);
  assert.equal(pings(net, 'h', '10.0.0.1'), 1);
  assert.equal(tree(net, 'psw').topologyChange, false, 'an edge port going up or down is no topology change');
  assert.deepEqual(lint(lab(stpHostLab({ uplinks: 2, portExtra: 'portfast: true', vms: [] })).inv).filter((f) => f.code === 'esxi-port-not-portfast'), []);
});

test('R9.9, R5.9 [L]: with beacon probing a recovered uplink is used only once its beacons pass — after the port forwards, with no loss on the way', () => {
  const net = failbackLab({ uplinks: 3, switchExtra: 'teaming: { policy: explicit, active: [vmnic0], standby: [vmnic1, vmnic2], detection: beacon }' });
  advance(net, 2000);
  changeLink(net, portOf(net, UP0), false);
  advance(net, 1000);
  const t0 = net.fabric.now;
  changeLink(net, portOf(net, UP0), true);
  for (let s = 1; s <= 25; s += 4) {
    advance(net, t0 + s * 1000 - net.fabric.now);
    assert.equal(pings(net, 'a', 'h'), 1, `T+${s} s after link up: a still on vmnic1`);
  }
  assert.equal(net.events.filter((e) => e.type === 'teaming.failover' && e.t > t0).length, 0, 'no failback while psw/p1 listens and learns');
  assert.equal(role(net, 'psw', 'p1').state, 'learning');
  advance(net, t0 + 32_000 - net.fabric.now);
  const back = net.events.find((e) => e.type === 'teaming.beacon-restored' && e.object === UP0);
  assert.ok(back !== undefined && back.t >= t0 + 30_000 && back.t <= t0 + 31_000, 'vmnic0 hears beacons at the first tick after the port forwards');
  assert.ok(net.events.some((e) => e.type === 'teaming.failover' && e.t === back.t), 'and a fails back then');
  assert.equal(pings(net, 'a', 'h'), 1);
  const w = watch(net);
  send(net, 'a/nic0', eth(m('a'), m('h')));
  assert.equal(w.tx(UP0), 1, 'on vmnic0 again');
});

// ---- BPDU guard ----------------------------------------------------------------------------

test('R9.9, R1.14: a guest\'s BPDU, forwarded by ESXi, err-disables a bpduguard port; ESXi fails over, the next BPDU takes the next uplink; link up restores it', () => {
  const net = failbackLab({ portExtra: 'portfast: true, bpduguard: true' });
  const w = watch(net);
  send(net, 'a/nic0', bpdu(m('a')));
  assert.equal(w.drop('switchport:psw/p1', 'bpdu-guard'), 1, 'the BPDU goes no further (R9.9)');
  advance(net, 100);
  assert.deepEqual(net.events.map((e) => [e.type, e.object]).filter(([t]) => t!.startsWith('stp.bpduguard') || t === 'teaming.failover'), [
    ['stp.bpduguard', 'switchport:psw/p1'],
    ['teaming.failover', `${S1}[vnic:a/0]`],
  ]);
  assert.match(net.events.find((e) => e.type === 'stp.bpduguard')!.message, /00:50:56:00:00:0a.*err-disables.*nestlab link up psw\/p1/);
  assert.deepEqual([role(net, 'psw', 'p1').state, portOf(net, 'switchport:psw/p1').up], ['err-disabled', false], 'the switch took the link down');
  assert.equal(pings(net, 'a', 'h'), 1, 'a carries on through vmnic1');
  send(net, 'a/nic0', bpdu(m('a')));
  advance(net, 100);
  assert.equal(role(net, 'psw', 'p2').state, 'err-disabled', 'the same story on the standby: the host is cut off (VMware KB 2047822)');
  assert.equal(pings(net, 'a', 'h'), 0);
  changeLink(net, portOf(net, UP0), true);
  assert.equal(role(net, 'psw', 'p1').state, 'err-disabled', 'up on the host side changes nothing: the switch holds the port down');
  changeLink(net, portOf(net, 'switchport:psw/p1'), true);
  assert.equal(role(net, 'psw', 'p1').state, 'forwarding', '`link up psw/p1` (shut / no shut) clears it; portfast forwards at once');
  advance(net, 200);
  assert.equal(pings(net, 'a', 'h'), 1);
});

test('R1.14: settings.blockGuestBPDU (Net.BlockGuestBPDU) drops guest BPDUs at the vSwitch port — no err-disable', () => {
  const net = lab(stpHostLab({ uplinks: 2, settings: '{ blockGuestBPDU: true }', switchExtra: FAILOVER, portExtra: 'portfast: true, bpduguard: true', vms: [vm('a', 'X', A_IP)] })).net;
  const w = watch(net);
  const [frame] = record(net, () => send(net, 'a/nic0', bpdu(m('a'))));
  advance(net, 1000);
  assert.deepEqual(dropAt(frame, S1), { device: S1, port: `${S1}[vnic:a/0]`, rule: 'R1.14', reason: 'guest-bpdu-blocked' });
  assert.equal(w.tx(UP0), 0, 'nothing leaves the host');
  assert.equal(role(net, 'psw', 'p1').state, 'forwarding');
  assert.deepEqual(net.events, []);
  // Other frames pass as before.
  send(net, 'a/nic0', eth(m('a'), BROADCAST_MAC));
  assert.equal(w.tx(UP0), 1);
});

/** psw (STP, p1/p2 portfast + bpduguard) → l0 (two uplinks, Nest-PG `vlan`) → nested KVM kvm1 whose br0 runs STP. */
function kvmGuardLab(o: { vlan: number; block?: boolean }): Network {
  return lab(`
lab: kvmguard
settings: { blockGuestBPDU: ${o.block === true} }
network:
  switches:
    - name: psw
      stp: true
      ports:
        p1: { mode: trunk, portfast: true, bpduguard: true }
        p2: { mode: trunk, portfast: true, bpduguard: true }
        p10: { mode: access }
  stations:
    - { name: h, nics: [{ name: eth0, mac: '${MAC.h}', ip: 10.0.0.100/24, connect: psw/p10 }] }
hosts:
  - name: l0
    cpu: xeon-gold-6130
    memory: 256GB
    nics: [{ name: vmnic0, mac: '00:10:00:00:00:00', connect: psw/p1 }, { name: vmnic1, mac: '00:10:00:00:00:01', connect: psw/p2 }]
    switches:
      - name: vSwitch0
        uplinks: [vmnic0, vmnic1]
        teaming: { policy: explicit, active: [vmnic0], standby: [vmnic1] }
        portgroups: [{ name: Nest-PG, vlan: ${o.vlan}, security: { promiscuous: accept } }]
vms:
${nestedKvm('{ name: br0, uplinks: [eth0], stp: true }')}
${vm('k1', 'br0', 'ip: 10.0.0.41/24', 'kvm1')}
`).net;
}

test('R9.9, R1.14, R8.4: a nested KVM host whose bridge runs STP sends hellos that err-disable one uplink after another (KB 2047822); blockGuestBPDU prevents it', () => {
  // Nest-PG on VLAN 10: the switch's untagged BPDUs never reach br0, so br0 thinks it is the root
  // and sends a hello every 2 s on eth0 — out of whichever uplink l0 uses.
  const net = kvmGuardLab({ vlan: 10 });
  const hellos = tap(net, 'nic:kvm1/eth0');
  advance(net, 100);
  const guarded = () => net.events.filter((e) => e.type === 'stp.bpduguard').map((e) => [Math.round(e.t), e.object]);
  assert.deepEqual(guarded(), [[0, 'switchport:psw/p1']], 'the first hello, at once');
  assert.ok(net.events.some((e) => e.type === 'teaming.failover' && e.object === 'vswitch:l0/vSwitch0[vnic:kvm1/0]'), 'l0 fails over to vmnic1');
  advance(net, 2000);
  assert.deepEqual(guarded(), [[0, 'switchport:psw/p1'], [2000, 'switchport:psw/p2']], 'the next hello, 2 s later, takes vmnic1\'s port too');
  assert.ok(hellos.tx.length >= 2 && hellos.tx.every((f) => f.dst === BPDU_MAC && f.src === macToNumber(MAC.kvm1!)), 'hellos to 01:80:c2:00:00:00 from eth0\'s MAC');
  advance(net, 10_000);
  assert.equal(hellos.tx.length, 7, 'every hello time (2 s) while it runs');

  // Net.BlockGuestBPDU: the hellos die at l0's port; both uplinks stay up.
  const blocked = kvmGuardLab({ vlan: 10, block: true });
  const w = watch(blocked);
  advance(blocked, 10_000);
  assert.deepEqual(blocked.events.filter((e) => e.type === 'stp.bpduguard'), []);
  assert.equal(w.drop('vswitch:l0/vSwitch0[vnic:kvm1/0]', 'guest-bpdu-blocked'), 6);
  assert.equal(role(blocked, 'psw', 'p1').state, 'forwarding');

  // On an untagged port group br0 hears the switch: its start-up hello (every bridge starts as its
  // own root) trips p1, then the switch's BPDUs through vmnic1 make br0's eth0 a root port, which
  // sends none — p2 survives.
  const untagged = kvmGuardLab({ vlan: 0 });
  advance(untagged, 20_000);
  assert.deepEqual(untagged.events.filter((e) => e.type === 'stp.bpduguard').map((e) => e.object), ['switchport:psw/p1']);
  assert.equal(untagged.stp!.bridges.find((b) => b.id === 'bridge:kvm1/br0')!.rootPort?.id, 'nic:kvm1/eth0');
  assert.equal(role(untagged, 'psw', 'p2').state, 'forwarding');
});

test('R8.4: a Linux bridge with stp: true sends 802.1D configuration BPDUs every hello time on its designated ports', () => {
  const net = kvmGuardLab({ vlan: 10, block: true });
  const frames: Uint8Array[] = [];
  portOf(net, 'nic:kvm1/eth0').capture = (_t, f) => frames.push(f);
  advance(net, 4500);
  const b = parseConfigBpdu(frames[0]!);
  assert.ok(b !== null, 'LLC 42-42-03, protocol 0, version 0, type 0');
  assert.deepEqual([b.root, b.bridge, b.rootCost, b.helloTime, b.forwardDelay, b.maxAge], [
    { priority: 32768, mac: macToNumber(MAC.kvm1!) }, { priority: 32768, mac: macToNumber(MAC.kvm1!) }, 0, 2, 15, 20,
  ], 'br0 is its own root: its bridge id is the lowest NIC MAC (eth0\'s)');
  assert.equal(frames.length, 3, 'at 0, 2 and 4 s');
});

// ---- persistence and the command line ---------------------------------------------------------

test('R9.9: listening and learning survive between commands — saved, restored, and finished on time by the next one', () => {
  const text = stpHostLab({ uplinks: 2, switchExtra: FAILOVER, vms: [vm('a', 'X', A_IP)] });
  const first = lab(text).net;
  changeLink(first, portOf(first, UP0), false);
  advance(first, 1000);
  changeLink(first, portOf(first, UP0), true);
  advance(first, 10_000); // the command ends 10 s into listening
  const saved = JSON.parse(JSON.stringify(snapshot(first, {}))) as ReturnType<typeof snapshot>;
  assert.deepEqual(saved.stp?.ports['switchport:psw/p1'], ['listening', 16_000]);
  assert.equal(saved.stp?.pending, true, 'advance must run the network');
  assert.equal(stpNeedsTime('{"stp":{}}', () => saved), true);
  assert.equal(stpNeedsTime('{"network":{}}', () => assert.fail('the saved state was read')), false, 'labs without STP never look at the state');
  const { inv } = lab(text);
  const next = network(inv, { state: saved, now: 12_000 });
  assert.equal(role(next, 'psw', 'p1').state, 'listening');
  assert.equal(role(next, 'psw', 'p1').nextStateInS, 4);
  advance(next, 4000);
  assert.equal(role(next, 'psw', 'p1').state, 'learning', 'at 16 s, as scheduled before');
  // A command much later catches up on what came due in between.
  const later = network(inv, { state: snapshot(next, {}), now: 60_000 });
  assert.equal(role(later, 'psw', 'p1').state, 'forwarding');
  assert.deepEqual(later.events.filter((e) => e.type === 'stp.port-state').map((e) => [e.t, (e.data as { to: string }).to]), [[31_000, 'forwarding']]);
  assert.equal(pings(later, 'a', 'h'), 1);
});

test('R9.9: the schema takes stp on switches and portfast/bpduguard/speed/stpCost on ports; bad values are errors with hints', () => {
  const ok = loadLabText('s.yaml', triangle({ a: '{ priority: 0, forwardDelay: 4s, helloTime: 1 }', ab: ', portfast: true, bpduguard: true, speed: 1000, stpCost: 7' }));
  assert.ok(ok.ok, JSON.stringify(!ok.ok && ok.errors));
  assert.deepEqual(ok.inventory.pswitches.get('a')!.stp, { priority: 0, forwardDelayS: 4, helloTimeS: 1 });
  assert.deepEqual(ok.inventory.pswitches.get('b')!.stp, { priority: 32768, forwardDelayS: 15, helloTimeS: 2 }, 'stp: true → Cisco defaults');
  const p1 = ok.inventory.pswitches.get('a')!.ports.get('p1')!;
  assert.deepEqual([p1.portfast, p1.bpduguard, p1.speedMbps, p1.stpCost], [true, true, 1000, 7]);
  assert.equal('portfast' in ok.inventory.pswitches.get('a')!.ports.get('p2')!, false, 'unset fields stay out of the inventory (no plan change for existing labs)');
  // The "default" port key applies to ports a connect: creates, STP settings included.
  const implicit = loadLabText('s.yaml', stpHostLab({ vms: [] }).replace('      ports:\n', '      ports:\n        default: { mode: trunk, portfast: true, bpduguard: true }\n').replace('connect: psw/p1 }', 'connect: psw/p7 }'));
  assert.ok(implicit.ok, JSON.stringify(!implicit.ok && implicit.errors));
  const p7 = implicit.inventory.pswitches.get('psw')!.ports.get('p7')!;
  assert.deepEqual([p7.declared, p7.mode, p7.portfast, p7.bpduguard], [false, 'trunk', true, true]);
  const off = loadLabText('s.yaml', triangle({ a: '{ enabled: false, priority: 4096 }', b: 'false' }));
  assert.ok(off.ok && off.inventory.pswitches.get('a')!.stp === undefined && off.inventory.pswitches.get('b')!.stp === undefined);
  for (const [bad, want] of [['{ priority: 1000 }', /steps of 4096/], ['{ forwardDelay: 60s }', /4s to 30s/], ['{ helloTime: 0 }', /1s to 10s/], ['{ prio: 1 }', /prio/]] as const) {
    const r = loadLabText('s.yaml', triangle({ a: bad }));
    assert.ok(!r.ok, bad);
    assert.match(JSON.stringify(r.errors), want, bad);
  }
});

test('R9.9 end to end: link down/up, the blackhole in ping and trace, show psw, advance 30s — state carried from command to command', () => {
  const dir = tempDir();
  const file = join(dir, 'stp.yaml');
  writeFileSync(file, stpHostLab({ uplinks: 2, switchExtra: FAILOVER, vms: [vm('a', 'X', A_IP)] }));
  const s = ['--state', join(dir, 'state'), '--json'];
  assert.equal(nestlabSrc(['up', file, ...s]).code, 0);
  const shown = nestlabSrc(['show', 'psw', ...s]).json();
  assert.equal(shown.spanningTree.isRoot, true);
  assert.deepEqual(shown.ports.find((p: { name: string }) => p.name === 'p1').stp, { role: 'designated', state: 'forwarding', cost: 4, portId: '128.1' });
  assert.equal(nestlabSrc(['link', 'down', 'esx1/vmnic0', ...s]).code, 0);
  assert.equal(nestlabSrc(['link', 'up', 'esx1/vmnic0', ...s]).code, 0);
  const p1 = nestlabSrc(['show', 'psw', ...s]).json().ports.find((p: { name: string }) => p.name === 'p1').stp;
  assert.equal(p1.state, 'listening');
  const ping1 = nestlabSrc(['ping', 'a', 'h', '--count', '2', ...s]);
  assert.equal(ping1.code, 3, 'no reply: a failed back into a listening port');
  const tr = nestlabSrc(['trace', 'a', 'h', ...s]).json();
  const drop = tr.frames.find((f: { drop?: unknown }) => f.drop).drop;
  assert.deepEqual(drop, { device: 'pswitch:psw', port: 'switchport:psw/p1', rule: 'R9.9', reason: 'stp-blocking' });
  assert.equal(nestlabSrc(['advance', '30s', ...s]).code, 0);
  assert.equal(nestlabSrc(['show', 'psw', ...s]).json().ports.find((p: { name: string }) => p.name === 'p1').stp.state, 'forwarding', 'advance ran the network: the transitions completed');
  assert.equal(nestlabSrc(['ping', 'a', 'h', '--count', '2', ...s]).json().received, 2);
  const events = nestlabSrc(['events', '--type', 'stp.', ...s]).json().events as Array<{ type: string; object: string; message: string }>;
  assert.deepEqual(events.filter((e) => e.object === 'switchport:psw/p1').map((e) => e.type), ['stp.port-state', 'stp.port-state', 'stp.port-state', 'stp.port-state']);
  assert.match(events.at(-1)!.message, /learning → forwarding/);
  const lintOut = nestlabSrc(['validate', file, '--json']).json();
  assert.ok(JSON.stringify(lintOut).includes('esxi-port-not-portfast'));
});
