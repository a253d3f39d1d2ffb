// The ESXi Learnswitch fling (spec/network.md R4b.1, 2017), successor of the MAC Learning dvFilter
// (§4a): a VM NIC's `macLearn: learnswitch` on a distributed port group, `settings.learnswitch`
// (agingTime, unknownUnicast). Each clause of R4b.1's feature list has a test: learning by VLAN on
// uplink and leaf port; filtering on uplink and leaf port when the MAC is learned on a different
// port; 32k entries per system; aging (default 5 min, configurable); unknown unicast flooded or
// dropped; vMotion carrying the table with RARP; promiscuous mode and forged transmits still
// required; "requires a VDS". Contrasted with the dvFilter (never ages R4a.3, not moved by vMotion
// R4a.5) and native vDS MAC learning (§4c: no promiscuous mode needed).
//
// Modelling choices the fling does not document, marked [L] where a test leans on them: a MAC the
// vSwitch has registered counts as known on its own port (its frames are not copied to leaves); a
// full table learns nothing new; a leaf port takes part only while its port is in promiscuous mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BROADCAST_MAC, macToNumber, macToString } from '../src/net/codec/index.js';
import { snapshot } from '../src/net/state.js';
import { LEARNSWITCH_TABLE_SIZE } from '../src/net/learnswitch.js';
import { loadLabText } from '../src/plan/load.js';
import { migrate } from '../src/engine/migrate.js';
import { macTable, pingLab } from '../src/engine/network.js';
import { advance, eth, FOREIGN, lab, m, MAC, nestedLab, network, pingOk, pswNetwork, upInProcess, record, send, vswitch, watch, type NestedLab } from './net-helpers.js';

const L0 = 'dvswitch:dvs@l0';
const L0_UPLINK = 'nic:l0/vmnic0';
const L1 = 'nic:l1/vmnic0';
const L1B = 'nic:l1b/vmnic0';
const OPEN = '{ promiscuous: accept, forgedTransmits: accept }';

/** §7's topology on a vDS: l1 (nested VM v) and l1b (w) with `macLearn: learnswitch` on Nest-PG, regular VM r beside them. */
function lsLab(o: Partial<Omit<NestedLab, 'macLearn'>> & { macLearn?: boolean | 'dvfilter' | 'learnswitch'; pswAging?: number } = {}): string {
  const kind = o.macLearn ?? 'learnswitch';
  let text = nestedLab({ l0: 'vds', security: OPEN, l1b: true, ...o, macLearn: kind !== false });
  text = text.replaceAll('macLearn: true', `macLearn: ${kind === true ? 'true' : kind}`);
  // A second station h2 (psw/p11), and the physical switch's ageing when asked.
  text = text.replace("        p10: { mode: access, vlan: 1 }", "        p10: { mode: access, vlan: 1 }\n        p11: { mode: access, vlan: 1 }")
    .replace(/( {4}- \{ name: h, .*\n)/, `$1    - { name: h2, nics: [{ name: eth0, mac: '${MAC.h2}', ip: 10.0.0.101/24, connect: psw/p11 }] }\n`);
  if (o.pswAging !== undefined) text = text.replace('    - name: psw\n', `    - name: psw\n      agingTime: ${o.pswAging}\n`);
  return text;
}

/** Which of L1, L1b (the nested hosts' vmnics) and R received a frame H sends to `dst`. */
function fromH(net: ReturnType<typeof lab>['net'], dst: number): { l1: number; l1b: number; r: number } {
  const w = watch(net);
  send(net, 'h/eth0', eth(m('h'), dst));
  return { l1: w.rx(L1), l1b: w.rx(L1B), r: w.rx('r/nic0') };
}

/** The lab with H known to the physical switch and the Learnswitch, and V having sent once. */
function learned(o: Parameters<typeof lsLab>[0] = {}) {
  const l = lab(lsLab(o));
  send(l.net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  send(l.net, 'v/nic0', eth(m('v'), m('h')));
  return l;
}

// ---- the lab file ----------------------------------------------------------------------------------

test('R4b.1: macLearn: learnswitch on a distributed port group; true and dvfilter both mean the dvFilter (§4a); a standard vSwitch is refused ("requires a VDS")', () => {
  const { inv } = lab(lsLab());
  const nic = inv.vms.get('l1')!.nics[0]!;
  assert.deepEqual([nic.macLearn, nic.learnswitch], [false, true]);
  for (const v of ['true', 'dvfilter'] as const) {
    const dv = lab(lsLab({ macLearn: v === 'true' ? true : 'dvfilter' })).inv.vms.get('l1')!.nics[0]!;
    assert.deepEqual([dv.macLearn, dv.learnswitch], [true, undefined], `macLearn: ${v}`);
  }
  assert.equal('learnswitch' in lab(lsLab({ macLearn: false })).inv.vms.get('l1')!.nics[0]!, false, 'absent unless used: stored configs unchanged');

  const vss = loadLabText('ls.yaml', nestedLab({ l0: 'vss', security: OPEN, macLearn: true }).replaceAll('macLearn: true', 'macLearn: learnswitch'));
  assert.equal(vss.ok, false);
  const e = vss.ok ? undefined : vss.errors[0]!;
  assert.deepEqual([e?.code, e?.path], ['learnswitch-needs-vds', 'vms[1].nics[0].macLearn']);
  assert.match(e!.hint!, /dvfilter/);
  const bad = loadLabText('ls.yaml', lsLab().replace('macLearn: learnswitch', 'macLearn: learn'));
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.errors[0]!.message, /dvfilter, learnswitch/);
});

test('R4b.1 lint: learnswitch-needs-promiscuous — the fling still needs promiscuous mode and forged transmits on the outer port group', () => {
  const warned = (security: string) => {
    const l = loadLabText('ls.yaml', lsLab({ security }));
    assert.ok(l.ok);
    return l.warnings.filter((w) => w.rule === 'learnswitch-needs-promiscuous');
  };
  const w = warned('{ promiscuous: reject, forgedTransmits: accept }');
  assert.deepEqual(w.map((x) => x.path), ['vms[1].nics[0].macLearn', 'vms[3].nics[0].macLearn'], 'l1 and l1b');
  assert.match(w[0]!.message, /promiscuous is reject/);
  assert.deepEqual(warned(OPEN), []);
});

// ---- learning and filtering ---------------------------------------------------------------------------

test('R4b.1: learned on the leaf port, H→V goes into L1 only; before V spoke, unknown unicast is flooded to both leaves (default); a registered MAC (R) is no leaf\'s business [L]', () => {
  const { net } = lab(lsLab());
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  assert.deepEqual(fromH(net, m('v')), { l1: 1, l1b: 1, r: 0 }, 'V silent: flooded to the Learnswitch ports');
  const frames = record(net, () => send(net, 'v/nic0', eth(m('v'), m('h'))));
  assert.ok(frames[0]!.hops.some((h) => h.device === L0 && h.action === 'learn' && h.rule === 'R4b.1' && h.port === `${L0}[vnic:l1/0]`), 'the trace shows V learned on L1\'s port');
  assert.deepEqual(fromH(net, m('v')), { l1: 1, l1b: 0, r: 0 }, 'learned on L1: filtered on L1b');
  assert.deepEqual(fromH(net, m('r')), { l1: 0, l1b: 0, r: 1 }, 'H→R: no copy into either nested host');
  // Plain promiscuous mode (no fling) copies both to every nested host (§7.2).
  const plain = lab(lsLab({ macLearn: false })).net;
  send(plain, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  send(plain, 'v/nic0', eth(m('v'), m('h')));
  assert.deepEqual(fromH(plain, m('v')), { l1: 1, l1b: 1, r: 0 });
  assert.deepEqual(fromH(plain, m('r')), { l1: 1, l1b: 1, r: 1 });
});

test('R4b.1: filtered on the uplink — V→W (W learned behind L1b) stays on L0, no frame to the physical switch; V→H (learned on the uplink) is not copied to L1b', () => {
  const { net } = learned();
  send(net, 'w/nic0', eth(m('w'), m('h')));
  let w = watch(net);
  send(net, 'v/nic0', eth(m('v'), m('w')));
  assert.deepEqual([w.tx(L0_UPLINK), w.rx(L1B), w.rx('w/nic0')], [0, 1, 1], 'through L1b\'s promiscuous copy only');
  w = watch(net);
  send(net, 'v/nic0', eth(m('v'), m('h')));
  assert.deepEqual([w.tx(L0_UPLINK), w.rx(L1B), w.rx('h/eth0')], [1, 0, 1]);
  // Without the fling V→W goes out of the uplink too (R1.5), and every V→H is copied into L1b (R2.3).
  const plain = lab(lsLab({ macLearn: false })).net;
  send(plain, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  w = watch(plain);
  send(plain, 'v/nic0', eth(m('v'), m('w')));
  send(plain, 'v/nic0', eth(m('v'), m('h')));
  assert.deepEqual([w.tx(L0_UPLINK), w.rx(L1B)], [2, 2]);
  // End to end, with ARP: V ↔ H and V ↔ W work with the fling.
  const fresh = lab(lsLab()).net;
  assert.deepEqual([pingOk(fresh, 'v', 'h'), pingOk(fresh, 'h', 'v'), pingOk(fresh, 'v', 'w'), pingOk(fresh, 'w', 'v')], [2, 2, 2, 2]);
});

test('R4b.1: learning is keyed by VLAN — V learned untagged leaves the same MAC unknown in VLAN 10 (a trunk port group)', () => {
  const l = lab(lsLab().replace(`{ name: Nest-PG, security: ${OPEN} }`, `{ name: Nest-PG, vlan: { trunk: ['0-4094'] }, security: ${OPEN} }`));
  const { net } = l;
  send(net, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  send(net, 'v/nic0', eth(m('v'), m('h')));
  const entries = vswitch(net, L0).table(net.fabric.now).filter((e) => e.type === 'learnswitch');
  assert.deepEqual(entries.map((e) => [macToString(e.mac), e.vlan, e.port]), [[MAC.h, 0, L0_UPLINK], [MAC.v, 0, L1]]);
  const psw = net.ports.get('switchport:psw/p1')!;
  for (const [vid, expected] of [[0, [1, 0]], [10, [1, 1]]] as const) {
    const w = watch(net);
    net.fabric.transmit(psw, eth(m('h'), m('v')), vid, net.fabric.now);
    assert.deepEqual([w.rx(L1), w.rx(L1B)], expected, vid ? 'VLAN 10: unknown there, flooded to both leaves' : 'untagged: learned behind L1');
  }
});

test('R4b.1: a frame from the uplink for a MAC learned on the uplink reaches no leaf — the trace says learnswitch-filtered (R4b.1)', () => {
  // The physical switch forgets H after 60 s, the Learnswitch keeps it 5 min: H2→H is flooded into L0.
  const { net } = learned({ pswAging: 60 });
  advance(net, 120_000);
  const frames = record(net, () => send(net, 'h2/eth0', eth(m('h2'), m('h'))));
  const f = frames[0]!;
  assert.ok(f.hops.some((h) => h.device === 'pswitch:psw' && h.action === 'flood'), 'the physical switch floods it');
  assert.deepEqual(f.hops.filter((h) => h.device === L0 && h.action === 'drop').map((h) => [h.port, h.rule, h.reason]), [[L0_UPLINK, 'R4b.1', 'learnswitch-filtered']]);
  // Without the fling both nested hosts would take a copy (§7.2).
  const plain = lab(lsLab({ macLearn: false, pswAging: 60 })).net;
  send(plain, 'h/eth0', eth(m('h'), BROADCAST_MAC));
  advance(plain, 120_000);
  const w = watch(plain);
  send(plain, 'h2/eth0', eth(m('h2'), m('h')));
  assert.deepEqual([w.rx(L1), w.rx(L1B)], [1, 1]);
});

// ---- aging, unknown unicast, table size ---------------------------------------------------------------------

test('R4b.1: entries age out after 5 min (default): advance 6m and H→V floods to both leaves again; agingTime: 10m keeps it; the dvFilter never ages (R4a.3)', () => {
  const { net } = learned();
  advance(net, 299_000);
  assert.deepEqual(fromH(net, m('v')), { l1: 1, l1b: 0, r: 0 }, 'still learned at 299 s');
  const later = learned().net;
  advance(later, 360_000);
  assert.deepEqual(fromH(later, m('v')), { l1: 1, l1b: 1, r: 0 }, 'forgotten after 6 min: flooded');
  assert.ok(!vswitch(later, L0).table(later.fabric.now).some((e) => e.type === 'learnswitch' && e.mac === m('v')), 'gone from the table');

  const longer = learned({ settings: '{ learnswitch: { agingTime: 10m } }' }).net;
  advance(longer, 360_000);
  assert.deepEqual(fromH(longer, m('v')), { l1: 1, l1b: 0, r: 0 }, 'agingTime: 10m');

  const dvFilter = learned({ macLearn: 'dvfilter' }).net;
  advance(dvFilter, 360_000);
  assert.deepEqual(fromH(dvFilter, m('v')), { l1: 1, l1b: 0, r: 0 }, 'the dvFilter still has it');
});

test('R4b.1: unknown unicast is flooded by default, dropped with unknownUnicast: drop (learnswitch-filtered)', () => {
  const flood = learned().net;
  assert.deepEqual(fromH(flood, FOREIGN), { l1: 1, l1b: 1, r: 0 });
  const drop = learned({ settings: '{ learnswitch: { unknownUnicast: drop } }' }).net;
  const w = watch(drop);
  assert.deepEqual(fromH(drop, FOREIGN), { l1: 0, l1b: 0, r: 0 });
  assert.equal(w.drop(L0_UPLINK, 'learnswitch-filtered'), 1);
  assert.deepEqual(fromH(drop, m('v')), { l1: 1, l1b: 0, r: 0 }, 'learned MACs still reach their leaf');
  const bad = loadLabText('ls.yaml', lsLab({ settings: '{ learnswitch: { unknownUnicast: block } }' }));
  assert.match(bad.ok ? '' : bad.errors[0]!.message, /flood, drop/);
});

test('R4b.1: the table holds 32k entries per system (host): past it nothing new is learned, on any leaf; aged entries make room', () => {
  const { net } = learned();
  const system = vswitch(net, L0).learnswitch!.system;
  assert.equal(system.limit, LEARNSWITCH_TABLE_SIZE);
  assert.equal(LEARNSWITCH_TABLE_SIZE, 32768, '"MAC Address table size is 32k per system"');
  const base = macToNumber('00:0c:29:10:00:00');
  const fill = LEARNSWITCH_TABLE_SIZE - system.count;
  for (let i = 0; i < fill; i++) send(net, L1, eth(base + i, m('h')));
  assert.equal(system.count, LEARNSWITCH_TABLE_SIZE, 'full');
  const last = base + fill - 1;
  const overL1 = base + fill;
  const overL1b = base + fill + 1;
  send(net, L1, eth(overL1, m('h')));
  send(net, L1B, eth(overL1b, m('h')));
  assert.equal(system.count, LEARNSWITCH_TABLE_SIZE, 'nothing more learned');
  assert.deepEqual(fromH(net, last), { l1: 1, l1b: 0, r: 0 }, 'the last one learned: to L1 only');
  assert.deepEqual(fromH(net, overL1), { l1: 1, l1b: 1, r: 0 }, 'one past the limit: unknown, flooded');
  assert.deepEqual(fromH(net, overL1b), { l1: 1, l1b: 1, r: 0 }, 'the limit is per system: L1b\'s new MAC is not learned either');
  advance(net, 301_000);
  send(net, L1B, eth(overL1b, m('h')));
  assert.deepEqual(fromH(net, overL1b), { l1: 0, l1b: 1, r: 0 }, 'once entries aged out, there is room again');
});

// ---- promiscuous mode still required; contrast with native MAC learning -----------------------------------

test('R4b.1, §4c: without promiscuous mode the fling changes nothing (H→V dropped at L0, nothing learned behind L1); native vDS MAC learning needs no promiscuous mode', () => {
  const sec = '{ promiscuous: reject, forgedTransmits: accept }';
  for (const macLearn of ['learnswitch', false] as const) {
    const { net } = learned({ security: sec, macLearn });
    const w = watch(net);
    assert.deepEqual(fromH(net, m('v')), { l1: 0, l1b: 0, r: 0 }, `${macLearn || 'plain'}: unreachable`);
    assert.equal(w.drop(L0_UPLINK, 'unknown-unicast-dst'), 1, 'R1.8');
  }
  assert.ok(!vswitch(learned({ security: sec }).net, L0).table(0).some((e) => e.type === 'learnswitch' && e.port === L1), 'no leaf entry');
  // Forged transmits reject: V's frames die at L0 before anything is learned (R2.5).
  const forged = learned({ security: '{ promiscuous: accept, forgedTransmits: reject }' }).net;
  assert.ok(!vswitch(forged, L0).table(0).some((e) => e.type === 'learnswitch' && e.mac === m('v')));
  // §4c: native learning on the same port group, promiscuous reject: H→V reaches L1 only.
  const native = learned({ security: sec, macLearn: false, learning: '{ enabled: true }' }).net;
  assert.deepEqual(fromH(native, m('v')), { l1: 1, l1b: 0, r: 0 });
});

// ---- state, `nestlab macs`, vMotion -----------------------------------------------------------------------

test('R4b.1: the table survives a rebuild — leaf entries saved under the vNIC id, uplink entries under the NIC', () => {
  const first = learned();
  const saved = JSON.parse(JSON.stringify(snapshot(first.net, {}))) as ReturnType<typeof snapshot>;
  assert.deepEqual(saved.learnswitch?.leaf['vnic:l1/0']?.map(([vlan, mac]) => [vlan, mac]), [[0, m('v')]]);
  assert.deepEqual(saved.learnswitch?.uplink[L0_UPLINK]?.map(([vlan, mac]) => [vlan, mac]), [[0, m('h')]]);
  const net = network(first.inv, { state: saved, now: first.net.fabric.now });
  assert.deepEqual(fromH(net, m('v')), { l1: 1, l1b: 0, r: 0 }, 'still learned after the rebuild');
});

/** Two physical hosts on one vDS (vmnic1 → psw p3/p4), vMotion vmknics on vSwitch0 (vmnic0 → p1/p2), nested l1 with v on l0a. */
function vmotionLab(macLearn: 'learnswitch' | 'dvfilter'): string {
  const host = (name: string, n: number) => `  - name: ${name}
    cpu: xeon-gold-6130
    memory: 128GB
    nics: [{ name: vmnic0, connect: psw/p${n} }, { name: vmnic1, connect: psw/p${n + 2} }]
    switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: VMK, vmkernel: [{ name: vmk1, ip: 10.0.9.${n}/24, services: [vmotion] }] }] }]`;
  return `lab: lsmotion
vcenter: external
${pswNetwork({ trunks: 4, h10: false })}
datastores:
  - { name: nfs, type: nfs, capacity: 1TB, hosts: [l0a, l0b] }
hosts:
${host('l0a', 1)}
${host('l0b', 2)}
distributedSwitches:
  - name: dvs
    members: [{ host: l0a, uplinks: [vmnic1] }, { host: l0b, uplinks: [vmnic1] }]
    portgroups: [{ name: Nest-PG, security: ${OPEN} }]
vms:
  - name: l1
    host: l0a
    cpus: 2
    memory: 8GB
    hardwareVersion: 20
    exposeHardwareVirtualization: true
    disks: [{ datastore: nfs, size: 8GB }]
    nics: [{ network: Nest-PG, mac: '${MAC.l1}', macLearn: ${macLearn} }]
    nested:
      hypervisor: esxi
      switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: VM Network }] }]
  - { name: v, host: l1, cpus: 1, memory: 1GB, nics: [{ network: VM Network, mac: '${MAC.v}', ip: 10.0.0.21/24 }] }
`;
}

test('R4b.1: `nestlab macs` lists Learnswitch entries with type learnswitch, their VLAN and age', () => {
  const { store, row } = upInProcess(vmotionLab('learnswitch'), 'lsmotion');
  try {
    assert.equal(pingLab(store, row(), 'v', 'h', { count: 1 }).received, 1);
    const entries = macTable(store, row(), 'dvs@l0a').entries.filter((e) => e.type === 'learnswitch');
    assert.deepEqual(entries.map((e) => [e.mac, e.vlan, e.port]), [[MAC.v, 0, 'nic:l1/vmnic0'], [MAC.h, 0, 'nic:l0a/vmnic1']]);
    assert.ok(entries.every((e) => typeof e.ageSeconds === 'number' && e.ageSeconds >= 0 && e.ageSeconds < 5));
  } finally {
    store.close();
  }
});

test('R4b.1 vMotion: the learned table goes to the destination host and RARP is sent for each learned MAC; the dvFilter\'s table stays behind (R4a.5)', () => {
  const { store, row } = upInProcess(vmotionLab('learnswitch'), 'lsmotion');
  try {
    assert.equal(pingLab(store, row(), 'v', 'h', { count: 1 }).received, 1, 'V speaks: learned behind l1 on l0a');
    const r = migrate(store, row(), 'l1', 'l0b');
    assert.equal(r.ok, true, JSON.stringify(r.error?.toJSON()));
    assert.deepEqual(r.value!.rarp.macs, [MAC.l1, MAC.v], 'RARP for the vNIC\'s MAC and for V, learned behind it');
    const at = (sw: string) => macTable(store, row(), sw).entries.filter((e) => e.type === 'learnswitch' && e.mac === MAC.v);
    assert.deepEqual(at('dvs@l0b').map((e) => e.port), ['nic:l1/vmnic0'], 'V is learned behind l1 on l0b');
    assert.deepEqual(at('dvs@l0a'), [], 'and no longer on l0a');
    const psw = macTable(store, row(), 'psw').entries.find((e) => e.mac === MAC.v);
    assert.equal(psw?.port, 'switchport:psw/p4', 'the RARP moved V on the physical switch to l0b\'s uplink (R9.7)');
    const events = store.events('lsmotion').filter((e) => e.type === 'learnswitch.table-moved');
    assert.equal(events.length, 1);
    assert.match(events[0]!.message, /l0b took over the Learnswitch entries of l1 NIC 0: 1 MAC/);
    assert.equal(pingLab(store, row(), 'h', 'v', { count: 1 }).received, 1, 'H → V through l0b');
  } finally {
    store.close();
  }

  const dv = upInProcess(vmotionLab('dvfilter'), 'lsmotion');
  try {
    assert.equal(pingLab(dv.store, dv.row(), 'v', 'h', { count: 1 }).received, 1);
    assert.ok(macTable(dv.store, dv.row(), 'dvs@l0a').entries.some((e) => e.type === 'dvfilter' && e.mac === MAC.v));
    const r = migrate(dv.store, dv.row(), 'l1', 'l0b');
    assert.equal(r.ok, true);
    assert.deepEqual(r.value!.rarp.macs, [MAC.l1], 'RARP for the vNIC\'s own MAC only');
    assert.ok(!macTable(dv.store, dv.row(), 'dvs@l0b').entries.some((e) => e.type === 'dvfilter' && e.mac === MAC.v), 'V is to be re-learned on l0b (R4a.5)');
  } finally {
    dv.store.close();
  }
});
