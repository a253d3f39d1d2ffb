// Load-based teaming, "Route based on physical NIC load" (spec/network.md R5.5; vDS only, R5.1
// item 4; with R5.2 placement, R5.7 failover, R5.10 notify switches, R5.11 failback): VM network
// rates load the uplinks they are teamed onto; an uplink busy at ≥ 75% for 30 s of virtual time
// has load-based ports moved off it, announced with RARP; the choice persists and survives
// failover. Model choices marked [L] are explained in src/net/lbt.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLabText } from '../src/plan/load.js';
import type { Network } from '../src/net/topology.js';
import { snapshot } from '../src/net/state.js';
import { changeLink } from '../src/net/links.js';
import { PhysicalSwitch } from '../src/net/pswitch.js';
import { hasLoadBasedWork, uplinkLoads } from '../src/net/lbt.js';
import { parseMbps } from '../src/spec/units.js';
import { lint } from '../src/lint/index.js';
import type { Inventory } from '../src/model/inventory.js';
import { eth, hostLab, m, MAC, network, portOf, send, vswitch, watch, UP0, UP1 } from './net-helpers.js';
import { nestlabSrcSession, tempDir } from './helpers.js';

const DVS = 'dvswitch:dvs@esx1';
const port = (vmName: string) => `${DVS}[vnic:${vmName}/0]`;

interface VmLoad {
  name: string;
  /** the workload's network rate (absent: none) */
  rate?: string;
  pg?: string;
  power?: 'off';
}

/**
 * psw (p1, p2 trunks to esx1's vmnic0/vmnic1, 1 Gb/s each; p10 with station h), vDS `dvs` with
 * esx1's two uplinks (uplink1 = vmnic0, uplink2 = vmnic1), dv port groups LB (load-based, or
 * `teaming`) and PID (port id), and VMs a, b, c, d with the given rates.
 */
function lbtLab(vms: VmLoad[], o: { teaming?: string; speed?: number; uplinks?: number } = {}): string {
  const n = o.uplinks ?? 2;
  const nics = Array.from({ length: n }, (_, i) => `{ name: vmnic${i}, mac: '00:10:00:00:00:0${i}', connect: psw/p${i + 1}${o.speed ? `, speed: ${o.speed}` : ''} }`);
  return `
lab: lbt
vcenter: external
network:
  switches:
    - name: psw
      ports: { p1: { mode: trunk }, p2: { mode: trunk }, p3: { mode: trunk }, p10: { mode: access, vlan: 1 } }
  stations:
    - { name: h, nics: [{ name: eth0, mac: '${MAC.h}', ip: 10.0.0.100/24, connect: psw/p10 }] }
hosts:
  - name: esx1
    cpu: xeon-e3-1230-v3
    memory: 64GB
    nics: [${nics.join(', ')}]
distributedSwitches:
  - name: dvs
    members: [{ host: esx1, uplinks: [${nics.map((_, i) => `vmnic${i}`).join(', ')}] }]
    portgroups:
      - { name: LB, teaming: ${o.teaming ?? '{ policy: load-based }'} }
      - { name: PID }
vms:
${vms.map((v, i) => `  - { name: ${v.name}, host: esx1, cpus: 1, memory: 1GB${v.power ? `, power: ${v.power}` : ''}${v.rate ? `, workload: { network: ${v.rate} }` : ''}, nics: [{ network: ${v.pg ?? 'LB'}, mac: '${MAC[v.name]}', ip: 10.0.0.${i + 1}/24 }] }`).join('\n')}
`;
}

function inventory(text: string): Inventory {
  const l = loadLabText('lbt.yaml', text);
  if (!l.ok) throw new Error(JSON.stringify(l.errors.map((e) => e.message)));
  return l.inventory;
}

const at = (net: Network, ms: number) => net.fabric.runUntil(ms);
const moves = (net: Network) => net.events.filter((e) => e.type === 'teaming.lbt-move');

/** Which uplink a VM's frames leave on now: send one to station h and look. */
function leavesOn(net: Network, vmName: string): string {
  const w = watch(net);
  send(net, `${vmName}/nic0`, eth(m(vmName), m('h')));
  const out = [UP0, UP1].filter((u) => w.tx(u) > 0);
  assert.equal(out.length, 1, `${vmName}'s frame left on exactly one uplink`);
  return out[0]!;
}

/** The physical switch port psw learned a MAC behind. */
function learnedAt(net: Network, mac: number): string | undefined {
  const psw = net.switches.get('pswitch:psw') as PhysicalSwitch;
  return psw.fdb.entries().find((e) => e.mac === mac)?.port.id;
}

/** Port-id placement (R5.2): a (port 0) and c (port 2) on uplink1, b (port 1) on uplink2. */
const BUSY: VmLoad[] = [{ name: 'a', rate: '400Mbps' }, { name: 'b', rate: '100Mbps' }, { name: 'c', rate: '400Mbps' }];

// ---- the trigger: ≥ 75% for 30 s --------------------------------------------------------------

test('R5.5: uplink1 at 80% for 30 s → LBT moves one VM to uplink2; its frames leave there and the physical switch re-learns it by RARP (R5.10)', () => {
  const net = network(inventory(lbtLab(BUSY)));
  assert.deepEqual(['a', 'b', 'c'].map((v) => leavesOn(net, v)), [UP0, UP1, UP0], 'placed by port id first (R5.2)');
  assert.equal(learnedAt(net, m('a')), 'switchport:psw/p1');
  const loads = uplinkLoads(vswitch(net, DVS));
  assert.deepEqual([...loads.values()].map((l) => l.txMbps), [800, 100], 'uplink1 carries 800 Mb/s of 1000: 80%');
  at(net, 29_999);
  assert.deepEqual(moves(net), [], 'not before 30 s');
  at(net, 30_000 + 500); // the evaluation at 30 s, and its ~5 RARPs 100 ms apart
  const ev = moves(net);
  assert.equal(ev.length, 1, 'one move brings uplink1 under 75%');
  assert.equal(ev[0]!.object, port('a'), 'largest first; a and c tie at 400 Mb/s, the lower port id goes [L]');
  assert.equal(ev[0]!.t, 30_000);
  assert.match(ev[0]!.message, /a\/nic0 moved from uplink1 \(vmnic0\) to uplink2 \(vmnic1\).*80%.*R5\.5/);
  assert.deepEqual(ev[0]!.data, {
    switch: DVS, from: UP0, to: UP1, txMbps: 400, rxMbps: 400, fromPercentBefore: { tx: 80, rx: 80 }, toPercentAfter: { tx: 50, rx: 50 },
  });
  assert.equal(learnedAt(net, m('a')), 'switchport:psw/p2', 'RARP from uplink2: psw learned a behind p2 before a sent anything');
  assert.deepEqual(['a', 'b', 'c'].map((v) => leavesOn(net, v)), [UP1, UP1, UP0], 'a now leaves on vmnic1; b and c stay');
  assert.deepEqual([...uplinkLoads(vswitch(net, DVS)).values()].map((l) => l.txMbps), [400, 500]);
  at(net, 10 * 60_000);
  assert.equal(moves(net).length, 1, 'balanced: nothing moves again');
});

test('R5.5: exactly 75% counts as busy ("75% or higher") and moves; 70% never does', () => {
  const at75 = network(inventory(lbtLab([{ name: 'a', rate: '375Mbps' }, { name: 'b', rate: '100Mbps' }, { name: 'c', rate: '375' }])));
  at(at75, 30_000);
  assert.deepEqual(moves(at75).map((e) => e.object), [port('a')]);
  const at70 = network(inventory(lbtLab([{ name: 'a', rate: '300Mbps' }, { name: 'b', rate: '100Mbps' }, { name: 'c', rate: '400Mbps' }])));
  at(at70, 10 * 60_000);
  assert.deepEqual(moves(at70), [], 'below 75%: nothing moves, however long');
  assert.equal(leavesOn(at70, 'a'), UP0);
});

test('R5.5: busy for less than 30 s at an evaluation moves nothing; the next evaluation, 30 s busy, does', () => {
  // The network is first seen at 10 s with uplink1 at 80% (the VMs' load came with a command then).
  const net = network(inventory(lbtLab(BUSY)), { now: 10_000 });
  at(net, 30_000);
  assert.deepEqual(moves(net), [], 'at the 30 s evaluation uplink1 has been busy 20 s only');
  at(net, 59_999);
  assert.deepEqual(moves(net), []);
  at(net, 60_000);
  assert.deepEqual(moves(net).map((e) => [e.t, e.object]), [[60_000, port('a')]], 'busy for the whole window 30–60 s');
});

test('R5.5: 10 Gb/s uplinks — the same VMs are 8%, nothing to move (load is relative to the NIC speed)', () => {
  const net = network(inventory(lbtLab(BUSY, { speed: 10_000 })));
  at(net, 5 * 60_000);
  assert.deepEqual(moves(net), []);
});

// ---- what moves, and where to ----------------------------------------------------------------------

test('R5.5 [L]: no adapter with free capacity — three VMs at 400 Mb/s on two 1 Gb/s uplinks stay put (a move would only swap the 80%)', () => {
  const net = network(inventory(lbtLab([{ name: 'a', rate: '400Mbps' }, { name: 'b', rate: '400Mbps' }, { name: 'c', rate: '400Mbps' }])));
  at(net, 10 * 60_000);
  assert.deepEqual(moves(net), [], 'uplink2 would be at 80% with any of them: LBT does not ping-pong every 30 s');
  assert.deepEqual(['a', 'b', 'c'].map((v) => leavesOn(net, v)), [UP0, UP1, UP0]);
});

test('R5.5, R5.7: LBT never moves a port onto a standby (or unused) uplink', () => {
  const net = network(inventory(lbtLab(BUSY, { teaming: '{ policy: load-based, active: [uplink1], standby: [uplink2] }' })));
  assert.equal(uplinkLoads(vswitch(net, DVS)).get(portOf(net, UP0))!.txMbps, 900, 'every port on the one active uplink: 90%');
  at(net, 5 * 60_000);
  assert.deepEqual(moves(net), [], 'uplink2 is idle but standby');
  assert.deepEqual(['a', 'b', 'c'].map((v) => leavesOn(net, v)), [UP0, UP0, UP0]);
  const unused = network(inventory(lbtLab(BUSY, { uplinks: 3, teaming: '{ policy: load-based, active: [uplink1, uplink2], unused: [uplink3] }' })));
  at(unused, 5 * 60_000);
  assert.deepEqual(moves(unused).map((e) => (e.data as { to: string }).to), [UP1], 'with room on an active uplink, there; never on vmnic2');
});

test('R5.5: only ports whose policy is load-based move; port-id ports still count in the uplink\'s load', () => {
  // a (port-id, 400) and c (load-based, 400) share uplink1; b (load-based, 100) is on uplink2.
  const net = network(inventory(lbtLab([{ name: 'a', rate: '400Mbps', pg: 'PID' }, { name: 'b', rate: '100Mbps' }, { name: 'c', rate: '400Mbps' }])));
  at(net, 30_000);
  assert.deepEqual(moves(net).map((e) => e.object), [port('c')], 'c moves although a came first: a is not load-based');
  assert.equal(leavesOn(net, 'a'), UP0);
  assert.equal(leavesOn(net, 'c'), UP1);
});

test('R5.5 [L]: largest first, to the least-loaded active uplink that stays under 75% — as few moves as needed', () => {
  // Three uplinks. uplink1: a 500 + d 300 = 800 (80%); uplink2: b 600 (60%); uplink3: c 100 (10%).
  const net = network(inventory(lbtLab([
    { name: 'a', rate: '500Mbps' }, { name: 'b', rate: '600Mbps' }, { name: 'c', rate: '100Mbps' }, { name: 'd', rate: '300Mbps' },
  ], { uplinks: 3 })));
  assert.deepEqual([...uplinkLoads(vswitch(net, DVS)).values()].map((l) => l.txMbps), [800, 600, 100]);
  at(net, 30_000);
  assert.deepEqual(moves(net).map((e) => [e.object, (e.data as { to: string }).to]), [[port('a'), 'nic:esx1/vmnic2']], 'a (500) to uplink3: 60%; one move suffices');
  assert.deepEqual([...uplinkLoads(vswitch(net, DVS)).values()].map((l) => l.txMbps), [300, 600, 600]);
});

test('R5.5: receive load counts too — a VM that mostly receives makes its uplink busy (workload.network { tx, rx })', () => {
  const net = network(inventory(lbtLab([{ name: 'a', rate: '{ tx: 50Mbps, rx: 500Mbps }' }, { name: 'b', rate: '10Mbps' }, { name: 'c', rate: '{ rx: 0.3Gbps }' }])));
  const up1 = uplinkLoads(vswitch(net, DVS)).get(portOf(net, UP0))!;
  assert.deepEqual([up1.txMbps, up1.rxMbps], [50, 800], 'sending 5%, receiving 80%');
  at(net, 30_000);
  const ev = moves(net);
  assert.deepEqual(ev.map((e) => e.object), [port('a')]);
  assert.match(ev[0]!.message, /receiving at 80%/);
});

// ---- failover, failback, persistence ------------------------------------------------------------------

test('R5.5, R5.7, R5.11: a failed uplink\'s LBT ports are redistributed to the survivors; on recovery they return to their LBT uplink', () => {
  const net = network(inventory(lbtLab(BUSY)));
  at(net, 31_000); // a moved to uplink2
  const down = changeLink(net, portOf(net, UP1), false);
  assert.deepEqual(down, [port('a'), port('b')], 'a (LBT-placed) and b (port id) leave the failed uplink2');
  at(net, 31_500);
  assert.equal(leavesOn(net, 'a'), UP0);
  assert.equal(learnedAt(net, m('a')), 'switchport:psw/p1', 'announced by RARP on uplink1 (R5.10)');
  const up = changeLink(net, portOf(net, UP1), true);
  assert.deepEqual(up, [], 'nothing moves during the 100 ms up-delay (R5.6)');
  at(net, 32_000);
  assert.equal(leavesOn(net, 'a'), UP1, 'a returns to the uplink LBT gave it (failback, R5.11)');
  assert.equal(leavesOn(net, 'b'), UP1, 'b returns by port id');
  assert.equal(learnedAt(net, m('a')), 'switchport:psw/p2');
  at(net, 5 * 60_000);
  assert.equal(moves(net).length, 1, 'nothing busy: no further LBT move');
});

test('R5.5, R5.7: everything on the surviving uplink at 90% — nowhere to move; when the other comes back, port-id placement returns and LBT re-balances 30 s later', () => {
  const net = network(inventory(lbtLab(BUSY)));
  changeLink(net, portOf(net, UP0), false);
  assert.equal(uplinkLoads(vswitch(net, DVS)).get(portOf(net, UP1))!.txMbps, 900);
  at(net, 120_000);
  assert.deepEqual(moves(net), [], 'one usable uplink: no adapter with free capacity');
  changeLink(net, portOf(net, UP0), true);
  at(net, 125_000);
  assert.deepEqual(['a', 'b', 'c'].map((v) => leavesOn(net, v)), [UP0, UP1, UP0], 'failback: port-id placement again, uplink1 at 80%');
  at(net, 150_000);
  assert.deepEqual(moves(net), [], 'busy since the 150 s evaluation only');
  at(net, 180_000);
  assert.deepEqual(moves(net).map((e) => [e.t, e.object]), [[180_000, port('a')]]);
});

test('R5.5: LBT\'s choice, busy uplinks and the evaluation clock persist between commands (NetState)', () => {
  const inv = inventory(lbtLab(BUSY));
  const first = network(inv);
  at(first, 31_000);
  const saved = snapshot(first, {});
  assert.deepEqual(saved.lbt!.moved, { [port('a')]: UP1 });
  assert.deepEqual(saved.lbt!.switches[DVS], { t: 30_000, uplinks: { [UP0]: [400, 400, -1], [UP1]: [500, 500, -1] } });
  assert.equal(saved.selected![port('a')], UP1);
  // The next command rebuilds the network from the inventory: a is still on uplink2.
  const next = network(inv, { state: saved, now: 31_000 });
  assert.equal(leavesOn(next, 'a'), UP1);
  at(next, 10 * 60_000);
  assert.deepEqual(moves(next), []);
  // A busy uplink seen by one command keeps its start time in the next: the window spans commands.
  const early = network(inv);
  at(early, 20_000);
  const busy = snapshot(early, {});
  assert.deepEqual(busy.lbt!.switches[DVS]!.uplinks[UP0], [800, 800, 0], 'uplink1 busy since 0 s');
  const later = network(inv, { state: busy, now: 20_000 });
  at(later, 30_000);
  assert.deepEqual(moves(later).map((e) => [e.t, e.object]), [[30_000, port('a')]]);
});

// ---- nesting, vSS, labs without load -----------------------------------------------------------------

test('R5.5: a nested hypervisor\'s vNIC carries its nested VMs\' traffic — LBT moves the nested ESXi as one port', () => {
  const text = `
lab: nested-lbt
vcenter: external
network:
  switches: [{ name: psw, ports: { p1: { mode: trunk }, p2: { mode: trunk } } }]
hosts:
  - name: l0
    cpu: xeon-gold-6130
    memory: 256GB
    nics: [{ name: vmnic0, connect: psw/p1 }, { name: vmnic1, connect: psw/p2 }]
distributedSwitches:
  - name: dvs
    members: [{ host: l0, uplinks: [vmnic0, vmnic1] }]
    portgroups: [{ name: LB, teaming: { policy: load-based }, security: { promiscuous: accept, forgedTransmits: accept } }]
vms:
  - { name: r, host: l0, cpus: 1, memory: 1GB, workload: { network: 100Mbps }, nics: [{ network: LB }] }
  - { name: x, host: l0, cpus: 1, memory: 1GB, nics: [{ network: LB }] }
  - name: l1
    host: l0
    cpus: 2
    memory: 8GB
    hardwareVersion: 20
    exposeHardwareVirtualization: true
    nics: [{ network: LB }]
    nested:
      switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: VM Network }] }]
  - { name: v, host: l1, cpus: 1, memory: 1GB, workload: { network: 700Mbps }, nics: [{ network: VM Network }] }
`;
  const net = network(inventory(text));
  const sw = vswitch(net, 'dvswitch:dvs@l0');
  assert.deepEqual([...uplinkLoads(sw).values()].map((l) => l.txMbps), [800, 0], 'r (100) and l1 (its nested VM v, 700) on uplink1; x idle on uplink2');
  at(net, 30_000);
  const ev = net.events.filter((e) => e.type === 'teaming.lbt-move');
  assert.deepEqual(ev.map((e) => e.object), ['dvswitch:dvs@l0[vnic:l1/0]'], 'the 700 Mb/s of v move with l1\'s vNIC');
  assert.match(ev[0]!.message, /^l1\/nic0 moved/);
  assert.deepEqual([...uplinkLoads(sw).values()].map((l) => l.txMbps), [100, 700]);
});

test('R5.1: load-based on a standard vSwitch — a lint warning, and it teams by port ID: no evaluation, no move', () => {
  const text = hostLab({
    uplinks: 2, portgroups: ['{ name: X, teaming: { policy: load-based } }'],
    vms: ['a', 'b', 'c'].map((v, i) => `  - { name: ${v}, host: esx1, cpus: 1, memory: 1GB, workload: { network: ${[400, 100, 400][i]}Mbps }, nics: [{ network: X, mac: '${MAC[v]}' }] }`),
  });
  const inv = inventory(text);
  assert.deepEqual(lint(inv).filter((f) => f.code === 'load-based-needs-vds').map((f) => f.path), [['hosts', 0, 'switches', 0, 'portgroups', 0, 'teaming', 'policy']]);
  const net = network(inv);
  assert.equal(net.fabric.pending, 0, 'no LBT timer on a vSS');
  at(net, 5 * 60_000);
  assert.deepEqual(net.events, []);
  assert.deepEqual(['a', 'b', 'c'].map((v) => leavesOn(net, v)), [UP0, UP1, UP0], 'port id (R5.2)');
  // The switch-level policy: one warning for the vSwitch.
  const sw = inventory(text.replace("portgroups:\n          - { name: X, teaming: { policy: load-based } }", "teaming: { policy: load-based }\n        portgroups:\n          - { name: X }"));
  assert.deepEqual(lint(sw).filter((f) => f.code === 'load-based-needs-vds').map((f) => f.path), [['hosts', 0, 'switches', 0, 'teaming', 'policy']]);
  assert.deepEqual(lint(inventory(lbtLab(BUSY))).filter((f) => f.code === 'load-based-needs-vds'), [], 'on a vDS: fine');
});

test('R5.5: labs without network rates are unchanged — no timer, no LBT state, advance does not run the network', () => {
  const plain = loadLabText('lbt.yaml', lbtLab([{ name: 'a' }, { name: 'b' }, { name: 'c' }]));
  assert.ok(plain.ok);
  assert.equal(plain.inventory.vms.get('a')!.workload.network, undefined, 'no network key in the stored config: `plan` sees no change');
  const net = network(plain.inventory);
  assert.equal(net.fabric.pending, 0);
  assert.equal(snapshot(net, {}).lbt, undefined);
  assert.equal(hasLoadBasedWork(JSON.stringify(plain.spec)), false);
  const busy = loadLabText('lbt.yaml', lbtLab(BUSY));
  assert.ok(busy.ok);
  assert.equal(hasLoadBasedWork(JSON.stringify(busy.spec)), true, 'load-based vDS port group + VMs with a rate: advance runs the network');
  const presets = loadLabText('lbt.yaml', lbtLab(BUSY).replaceAll(/workload: \{ network: \w+ \}/g, 'workload: busy'));
  assert.ok(presets.ok);
  assert.equal(presets.inventory.vms.get('a')!.workload.network, undefined, 'the idle/light/busy presets carry no network load');
  assert.equal(hasLoadBasedWork(JSON.stringify(presets.spec)), false);
});

test('workload.network: rates in Mb/s (800Mbps, 1.5Gbps, 800Mb/s, a number), each way or { tx, rx }; bad rates are schema errors', () => {
  assert.deepEqual(['800Mbps', '1.5Gbps', '800Mb/s', '1.5 Gb/s', '500kbps', 800, '800'].map((v) => parseMbps(v)), [800, 1500, 800, 1500, 0.5, 800, 800]);
  assert.deepEqual(['800MBps', '800 MB/s', 'fast', '-5', ''].map((v) => parseMbps(v)), [undefined, undefined, undefined, undefined, undefined], 'bytes (B) are refused, not read as bits');
  const vm = (w: string) => lbtLab([{ name: 'a', rate: w }]);
  const ok = loadLabText('lbt.yaml', vm('{ tx: 1.5Gbps }'));
  assert.ok(ok.ok);
  assert.deepEqual(ok.inventory.vms.get('a')!.workload.network, { txMbps: 1500, rxMbps: 0 });
  const each = loadLabText('lbt.yaml', vm('250'));
  assert.ok(each.ok);
  assert.deepEqual(each.inventory.vms.get('a')!.workload.network, { txMbps: 250, rxMbps: 250 }, 'one rate: each way');
  for (const [bad, path, message] of [
    ['800MBps', 'vms[0].workload.network', /expected a network rate such as 800Mbps/],
    ['{ tx: fast }', 'vms[0].workload.network.tx', /expected a network rate/],
    ['{ up: 5 }', 'vms[0].workload.network.up', /unknown field "up"/],
    ['500Gbps', 'vms[0].workload.network', /expected a network rate/],
  ] as const) {
    const r = loadLabText('lbt.yaml', vm(bad));
    assert.equal(r.ok, false, bad);
    if (!r.ok) {
      assert.equal(r.errors[0]!.path, path, bad);
      assert.match(r.errors[0]!.message, message, bad);
    }
  }
});

// ---- the command line -------------------------------------------------------------------------------

/** The same commands on a fresh state directory: their JSON outputs, checked along the way. */
async function cliRun(): Promise<string[]> {
  const dir = tempDir();
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, lbtLab([...BUSY, { name: 'd', rate: '400Mbps', power: 'off' }]));
  const s = ['--state', join(dir, 'state'), '--json'];
  const commands = [
    ['up', file], ['advance', '30s'], ['events', '--type', 'teaming.lbt'], ['show', 'esx1'], ['macs', 'psw'],
    // d powers on (port 3 → uplink2 by port id): uplink2 at 90%.
    ['power', 'on', 'd'], ['advance', '1m'], ['show', 'esx1'], ['advance', '5m'], ['events'],
  ];
  const results = await nestlabSrcSession(commands.map((c) => [...c, ...s]));
  results.forEach((r, i) => assert.equal(r.code, 0, `${commands[i]!.join(' ')}: ${r.stdout}`));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const [, , lbtEvents, show1, macs, , , show2, , all] = results.map((r) => JSON.parse(r.stdout) as any);
  const events = lbtEvents.events as Array<{ type: string; object: string; time: number; data: Record<string, unknown> }>;
  assert.deepEqual(events.map((e) => [e.type, e.object, e.time]), [['teaming.lbt-move', port('a'), 30]]);
  assert.deepEqual([events[0]!.data.from, events[0]!.data.to], [UP0, UP1]);
  assert.deepEqual(show1.nics.map((n: { load: unknown }) => n.load), [
    { switch: 'dvs@esx1', txMbps: 400, rxMbps: 400, txPercent: 40, rxPercent: 40 },
    { switch: 'dvs@esx1', txMbps: 500, rxMbps: 500, txPercent: 50, rxPercent: 50 },
  ], 'show HOST: each uplink\'s utilisation');
  assert.equal((macs.entries as Array<{ mac: string; port: string }>).find((e) => e.mac === MAC.a)?.port, 'switchport:psw/p2', 'the RARPs taught psw where a is now');
  // After a full window with d on, LBT moves b, the one port that fits on uplink1 (a or d, 400 Mb/s, would take it to 80%).
  const loads = show2.nics.map((n: { load: unknown }) => n.load) as Array<{ txPercent: number; busySinceS?: number }>;
  assert.deepEqual(loads.map((l) => l.txPercent), [50, 80]);
  assert.equal(loads[1]!.busySinceS, 30, 'uplink2 is still busy: show says since when');
  const teaming = (all.events as Array<{ time: number; type: string; object: string; data?: Record<string, unknown> }>).filter((e) => e.type.startsWith('teaming.'));
  assert.deepEqual(teaming.map((e) => [e.time, e.object, e.data?.to]), [[30, port('a'), UP1], [60, port('b'), UP0]],
    'then nothing more: a and d would take uplink1 to 80% — no adapter has room for them');
  return results.map((r) => r.stdout.replaceAll(dir, 'DIR'));
}

test('R5.5 from the command line: advance runs LBT, events say what moved, show HOST has uplink loads, macs shows the RARP; same commands → same event log', async () => {
  const [first, second] = await Promise.all([cliRun(), cliRun()]);
  assert.deepEqual(first, second, 'every JSON output, the event log included, is identical');
});
