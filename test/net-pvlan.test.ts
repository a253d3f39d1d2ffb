// Private VLANs on the distributed switch (spec/network.md R3.11: "promiscuous ports talk to all;
// isolated only to promiscuous; community to same community + promiscuous"): the lab file's
// `pvlans` map and `vlan: { pvlan: id }` with their resolver errors and lint warnings, the data
// plane on one host (local delivery by VLAN context, drops explained in traces) and across two
// hosts joined by a physical trunk that knows nothing of PVLANs (R9.6), beacons and RARPs on
// PVLAN ports, and how `show` presents a PVLAN port group.
//
// Modelling choices the spec does not document, marked [L] where a test leans on them:
//   - a frame from a PVLAN port enters with its own id (secondary, or the primary for a
//     promiscuous port) and leaves the uplink tagged with it; ports take the contexts their type
//     accepts — the vSphere wire format, documented for PVLAN-aware physical switches;
//   - a unicast from an isolated (or community) port to a MAC registered on the same switch in a
//     port of its domain that refuses it is dropped there (pvlan-isolated / pvlan-community),
//     not sent to the uplink;
//   - a plain VLAN port group on a PVLAN id is a lint warning, not an error (pvlan-id-as-vlan).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BROADCAST_MAC, ipToNumber, macToNumber } from '../src/net/codec/index.js';
import { endpoint, targetIp, trace } from '../src/net/probe.js';
import { changeLink } from '../src/net/links.js';
import { loadLabText } from '../src/plan/load.js';
import { describeObject, listObjects } from '../src/engine/views.js';
import { advance, eth, lab, pingOk, portOf, send, tap, upInProcess, vswitch, watch } from './net-helpers.js';

// ---- the lab -------------------------------------------------------------------------------------

/** Primary 100 (promiscuous), isolated 101, communities 102 and 103. */
const MACS: Record<string, string> = {
  p1: '00:50:56:10:00:01', p2: '00:50:56:10:00:02',
  i1: '00:50:56:10:00:11', i2: '00:50:56:10:00:12', i3: '00:50:56:10:00:13',
  c1: '00:50:56:10:00:21', c2: '00:50:56:10:00:22', c3: '00:50:56:10:00:23',
  d1: '00:50:56:10:00:31',
};
const mac = (n: string): number => macToNumber(MACS[n]!);
const ip = (n: string): string => `10.0.100.${Number.parseInt(MACS[n]!.slice(-2), 16)}`;
const PG: Record<string, string> = { p: 'Prom', i: 'Iso', c: 'CommA', d: 'CommB' };

interface Opts {
  /** VMs on esx1 (the rest of the default set on esx2) */
  esx1?: string[];
  esx2?: string[];
  /** psw ports toward the hosts */
  trunk?: string;
  /** extra dv port groups, YAML flow maps */
  portgroups?: string[];
  /** extra keys of the dvs (YAML, indented 4) */
  dvsExtra?: string;
  /** uplinks per host (vmnic0 → p1/p2, vmnic1 → p3/p4) */
  uplinks?: 1 | 2;
}

const vmLine = (n: string, host: string): string =>
  `  - { name: ${n}, host: ${host}, cpus: 1, memory: 1GB, nics: [{ network: ${PG[n[0]!]}, mac: '${MACS[n]}', ip: ${ip(n)}/24 }] }`;

/** esx1 and esx2, members of vDS dvs, each with vmnic0 on a trunk of psw (all VLANs, native 1). */
function pvlanLab(o: Opts = {}): string {
  const trunk = o.trunk ?? '{ mode: trunk, native: 1, allowed: all }';
  const two = o.uplinks === 2;
  const nics = (h: number) => `[{ name: vmnic0, mac: '00:10:00:00:0${h}:00', connect: psw/p${h} }${two ? `, { name: vmnic1, mac: '00:10:00:00:0${h}:01', connect: psw/p${h + 2} }` : ''}]`;
  return `lab: pvlan
vcenter: external
network:
  switches:
    - name: psw
      ports:
        p1: ${trunk}
        p2: ${trunk}
        p3: ${trunk}
        p4: ${trunk}
hosts:
  - { name: esx1, cpu: xeon-e3-1230-v3, memory: 64GB, nics: ${nics(1)} }
  - { name: esx2, cpu: xeon-e3-1230-v3, memory: 64GB, nics: ${nics(2)} }
distributedSwitches:
  - name: dvs
    members: [{ host: esx1, uplinks: [vmnic0${two ? ', vmnic1' : ''}] }, { host: esx2, uplinks: [vmnic0${two ? ', vmnic1' : ''}] }]
    pvlans:
      - { primary: 100, secondary: 101, type: isolated }
      - { primary: 100, secondary: 102, type: community }
      - { primary: 100, secondary: 103, type: community }
${o.dvsExtra ?? ''}
    portgroups:
      - { name: Prom, vlan: { pvlan: 100 } }
      - { name: Iso, vlan: { pvlan: 101 } }
      - { name: CommA, vlan: { pvlan: 102 } }
      - { name: CommB, vlan: { pvlan: 103 } }
${(o.portgroups ?? []).map((p) => `      - ${p}`).join('\n')}
vms:
${(o.esx1 ?? ['p1', 'i1', 'i2', 'c1', 'c2', 'd1']).map((n) => vmLine(n, 'esx1')).join('\n')}
${(o.esx2 ?? ['p2', 'i3', 'c3']).map((n) => vmLine(n, 'esx2')).join('\n')}
`;
}

const DVS1 = 'dvswitch:dvs@esx1';
const DVS2 = 'dvswitch:dvs@esx2';
const UP1 = 'nic:esx1/vmnic0';
const UP2 = 'nic:esx2/vmnic0';
const port = (vm: string, host = 'esx1') => `dvswitch:dvs@${host}[vnic:${vm}/0]`;

/** Who received a frame (rx on each VM's NIC), among `vms`. */
function receivers(w: ReturnType<typeof watch>, vms: string[]): string[] {
  return vms.filter((v) => w.rx(`${v}/nic0`) > 0);
}

const ALL1 = ['p1', 'i1', 'i2', 'c1', 'c2', 'd1'];

/** A lab's errors (code, path) or warnings (rule, path). */
function errorsOf(text: string): Array<{ code: string; path: string; message: string; hint?: string }> {
  const l = loadLabText('pvlan.yaml', text);
  assert.equal(l.ok, false, 'the lab has errors');
  return l.ok ? [] : l.errors.map((e) => ({ code: e.code, path: e.path, message: e.message, ...(e.hint ? { hint: e.hint } : {}) }));
}
function warningsOf(text: string, rule: string): Array<{ path: string; message: string }> {
  const l = loadLabText('pvlan.yaml', text);
  assert.ok(l.ok, JSON.stringify(l.ok ? [] : l.errors));
  return l.warnings.filter((w) => w.rule === rule).map((w) => ({ path: w.path, message: w.message }));
}

// ---- the lab file ----------------------------------------------------------------------------------

test('R3.11: the pvlans map resolves with each primary\'s implicit promiscuous entry; a dv port group\'s { pvlan: id } names its entry', () => {
  const { inv } = lab(pvlanLab());
  const dvs = inv.dvswitches.get('dvs')!;
  assert.deepEqual(dvs.pvlans, [
    { primary: 100, secondary: 100, type: 'promiscuous' },
    { primary: 100, secondary: 101, type: 'isolated' },
    { primary: 100, secondary: 102, type: 'community' },
    { primary: 100, secondary: 103, type: 'community' },
  ]);
  assert.deepEqual(dvs.portgroups.map((p) => p.vlan), [
    { type: 'pvlan', primary: 100, secondary: 100, pvlanType: 'promiscuous' },
    { type: 'pvlan', primary: 100, secondary: 101, pvlanType: 'isolated' },
    { type: 'pvlan', primary: 100, secondary: 102, pvlanType: 'community' },
    { type: 'pvlan', primary: 100, secondary: 103, pvlanType: 'community' },
  ]);
  // Writing the promiscuous entry out (as vCenter lists it) changes nothing.
  const explicit = lab(pvlanLab({ dvsExtra: '      - { primary: 100, secondary: 100, type: promiscuous }' })).inv.dvswitches.get('dvs')!;
  assert.deepEqual(explicit.pvlans, dvs.pvlans);
  // A switch without a map stores nothing new (existing labs plan no change).
  const plain = lab(pvlanLab().replace(/ {4}pvlans:[\s\S]*?(?= {4}portgroups:)/, '').replace(/\{ pvlan: \d+ \}/g, '10')).inv.dvswitches.get('dvs')!;
  assert.equal('pvlans' in plain, false);
});

test('R3.11: resolver errors — promiscuous entry ≠ primary, a second isolated secondary, a secondary under two primaries or declared twice, a primary reused as secondary, an id not in the map, pvlan on a standard vSwitch', () => {
  const withMap = (map: string, pgVlan = '{ pvlan: 101 }') => pvlanLab({ esx1: ['i1'], esx2: [] }).replace(
    /( {4}pvlans:\n)[\s\S]*?(?= {4}portgroups:)/, `$1${map.split('\n').map((l) => `      - ${l}`).join('\n')}\n`,
  ).replace('{ name: Iso, vlan: { pvlan: 101 } }', `{ name: Iso, vlan: ${pgVlan} }`).replace(/ {6}- \{ name: (Prom|CommA|CommB), .*\n/g, '');
  const code = (text: string) => errorsOf(text).map((e) => [e.code, e.path]);

  assert.deepEqual(code(withMap('{ primary: 100, secondary: 101, type: isolated }\n{ primary: 100, secondary: 105, type: promiscuous }')),
    [['pvlan-invalid-entry', 'distributedSwitches[0].pvlans[1].secondary']]);
  assert.deepEqual(code(withMap('{ primary: 100, secondary: 100, type: isolated }\n{ primary: 100, secondary: 101, type: isolated }')),
    [['pvlan-invalid-entry', 'distributedSwitches[0].pvlans[0].secondary']]);
  // vSphere allows one isolated secondary per primary.
  const twoIsolated = errorsOf(withMap('{ primary: 100, secondary: 101, type: isolated }\n{ primary: 100, secondary: 104, type: isolated }'));
  assert.deepEqual(twoIsolated.map((e) => [e.code, e.path]), [['pvlan-duplicate-isolated', 'distributedSwitches[0].pvlans[1].type']]);
  assert.match(twoIsolated[0]!.message, /already has the isolated secondary 101/);
  assert.match(twoIsolated[0]!.hint!, /community/);
  // A secondary belongs to one primary.
  const twoPrimaries = errorsOf(withMap('{ primary: 100, secondary: 101, type: isolated }\n{ primary: 200, secondary: 101, type: community }'));
  assert.deepEqual(twoPrimaries.map((e) => [e.code, e.path]), [['pvlan-secondary-reused', 'distributedSwitches[0].pvlans[1].secondary']]);
  assert.match(twoPrimaries[0]!.message, /already a secondary of primary 100/);
  assert.deepEqual(code(withMap('{ primary: 100, secondary: 101, type: isolated }\n{ primary: 100, secondary: 101, type: isolated }')),
    [['pvlan-secondary-reused', 'distributedSwitches[0].pvlans[1].secondary']]);
  assert.deepEqual(code(withMap('{ primary: 100, secondary: 101, type: isolated }\n{ primary: 200, secondary: 100, type: community }')),
    [['pvlan-secondary-reused', 'distributedSwitches[0].pvlans[1].secondary']]);
  // The port group's id must be in the map; the hint lists what is.
  const unknown = errorsOf(withMap('{ primary: 100, secondary: 101, type: isolated }', '{ pvlan: 111 }'));
  assert.deepEqual(unknown.map((e) => [e.code, e.path]), [['pvlan-unknown-id', 'distributedSwitches[0].portgroups[0].vlan.pvlan']]);
  assert.match(unknown[0]!.hint!, /100 \(promiscuous\), 101 \(isolated in 100\)/);
  // Reserved ids and unknown types are schema errors.
  assert.equal(errorsOf(withMap('{ primary: 4095, secondary: 101, type: isolated }'))[0]!.path, 'distributedSwitches[0].pvlans[0].primary');
  assert.match(errorsOf(withMap('{ primary: 100, secondary: 101, type: private }'))[0]!.message, /promiscuous, isolated, community/);
  // PVLANs are vDS-only.
  const vss = `lab: vss
hosts:
  - name: esx1
    cpu: xeon-e3-1230-v3
    memory: 16GB
    nics: [{ name: vmnic0 }]
    switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: Iso, vlan: { pvlan: 101 } }] }]
`;
  const e = errorsOf(vss);
  assert.deepEqual(e.map((x) => [x.code, x.path]), [['pvlan-needs-vds', 'hosts[0].switches[0].portgroups[0].vlan']]);
  assert.match(e[0]!.message, /distributed switch feature/);
});

test('R3.11 lint: a plain VLAN port group on a PVLAN id (pvlan-id-as-vlan), an uplink whose physical port does not carry the PVLAN ids (pvlan-uplink-missing-vlans)', () => {
  const asVlan = warningsOf(pvlanLab({ portgroups: ['{ name: Plain101, vlan: 101 }', '{ name: Plain50, vlan: 50 }'] }), 'pvlan-id-as-vlan');
  assert.deepEqual(asVlan.map((w) => w.path), ['distributedSwitches[0].portgroups[4].vlan']);
  assert.match(asVlan[0]!.message, /the isolated secondary of primary 100/);
  assert.deepEqual(warningsOf(pvlanLab(), 'pvlan-id-as-vlan'), []);

  const missing = warningsOf(pvlanLab({ trunk: '{ mode: trunk, native: 1, allowed: [100, 102] }' }), 'pvlan-uplink-missing-vlans');
  assert.deepEqual(missing.map((w) => w.path), ['distributedSwitches[0].members[0].uplinks[0]', 'distributedSwitches[0].members[1].uplinks[0]']);
  assert.match(missing[0]!.message, /private VLAN 101, 103 tagged/);
  const access = warningsOf(pvlanLab({ trunk: '{ mode: access, vlan: 100 }' }), 'pvlan-uplink-missing-vlans');
  assert.match(access[0]!.message, /access port \(VLAN 100\)/);
  const native = warningsOf(pvlanLab({ trunk: '{ mode: trunk, native: 100, allowed: all }' }), 'pvlan-uplink-missing-vlans');
  assert.match(native[0]!.message, /private VLAN 100 tagged/, 'the native VLAN leaves untagged: not the primary');
  assert.deepEqual(warningsOf(pvlanLab(), 'pvlan-uplink-missing-vlans'), []);
});

// ---- one host ----------------------------------------------------------------------------------------

test('R3.11: broadcast from an isolated port reaches only promiscuous ports locally, plus one uplink tagged with the isolated id', () => {
  const { net } = lab(pvlanLab());
  const w = watch(net);
  const up = tap(net, UP1);
  send(net, 'i1/nic0', eth(mac('i1'), BROADCAST_MAC));
  assert.deepEqual(receivers(w, ALL1), ['p1']);
  assert.deepEqual(up.tx.map((f) => f.vid), [101], 'out of the uplink tagged 101');
  assert.deepEqual(receivers(w, ['p2', 'i3', 'c3']), ['p2'], 'on esx2, too, only the promiscuous port');
});

test('R3.11: broadcast from a community port reaches its community and the promiscuous ports; from a promiscuous port, everyone; each tagged with its own id', () => {
  const { net } = lab(pvlanLab());
  const up = tap(net, UP1);
  let w = watch(net);
  send(net, 'c1/nic0', eth(mac('c1'), BROADCAST_MAC));
  assert.deepEqual(receivers(w, ALL1), ['p1', 'c2']);
  assert.deepEqual(receivers(w, ['p2', 'i3', 'c3']), ['p2', 'c3']);
  w = watch(net);
  send(net, 'p1/nic0', eth(mac('p1'), BROADCAST_MAC));
  assert.deepEqual(receivers(w, ALL1), ['i1', 'i2', 'c1', 'c2', 'd1']);
  assert.deepEqual(receivers(w, ['p2', 'i3', 'c3']), ['p2', 'i3', 'c3']);
  assert.deepEqual(up.tx.map((f) => f.vid), [102, 100]);
});

test('R3.11: unicast on one host — isolated ↔ promiscuous and within a community delivered untagged; isolated → isolated and community → other community dropped there, nothing on the uplink [L]', () => {
  const { net } = lab(pvlanLab());
  const up = tap(net, UP1);
  const p1 = tap(net, 'p1/nic0');
  const cases: Array<[string, string, string | null]> = [
    ['i1', 'p1', null], ['p1', 'i1', null], ['c1', 'c2', null], ['c1', 'p1', null], ['p1', 'd1', null],
    ['i1', 'i2', 'pvlan-isolated'], ['i1', 'c1', 'pvlan-isolated'], ['c1', 'i1', 'pvlan-isolated'], ['c1', 'd1', 'pvlan-community'],
  ];
  for (const [a, b, reason] of cases) {
    const w = watch(net);
    send(net, `${a}/nic0`, eth(mac(a), mac(b)));
    if (reason === null) assert.equal(w.rx(`${b}/nic0`), 1, `${a} → ${b} delivered`);
    else {
      assert.equal(w.rx(`${b}/nic0`), 0, `${a} → ${b} not delivered`);
      assert.equal(w.drop(port(a), reason as 'pvlan-isolated'), 1, `${a} → ${b}: ${reason}`);
    }
  }
  assert.equal(up.tx.length, 0, 'known MACs on this host: nothing left through the uplink');
  assert.ok(p1.rx.every((f) => f.vid === 0), 'egress to a VM is untagged');
});

test('R3.11: a trace names the PVLAN drop — isolated i1 → isolated i2 (static ARP): dropped at the vDS, rule R3.11, reason pvlan-isolated', () => {
  const { net } = lab(pvlanLab());
  // ARP cannot resolve between isolated ports (i2 never hears i1's broadcast): a static entry.
  net.interfaces.get('i1/nic0')!.iface.arp.set(ipToNumber(ip('i2')), { mac: mac('i2'), t: net.fabric.now });
  const t = trace(net, endpoint(net, 'i1'), targetIp(net, 'i2'));
  assert.equal(t.delivered, false);
  const echo = t.frames.find((f) => f.kind.startsWith('ICMP echo request'))!;
  assert.deepEqual(echo.drop, { device: DVS1, port: port('i1'), rule: 'R3.11', reason: 'pvlan-isolated' });
  assert.deepEqual(echo.hops.map((h) => [h.action, h.vlan, h.rule]), [['ingress', 101, 'R3.11'], ['drop', 101, 'R3.11']]);
  // Without the static entry, ARP itself never gets an answer: the broadcast reaches only p1 (and p2).
  const { net: fresh } = lab(pvlanLab());
  assert.equal(pingOk(fresh, 'i1', 'i2', 1), 0);
  assert.equal(pingOk(fresh, 'i1', 'p1', 1), 1);
});

test('R3.11: frames from the uplink are treated by their tag — 101 only to promiscuous ports, 102 to its community and promiscuous, 100 to all; unicast to an isolated port tagged 101 is dropped (pvlan-isolated)', () => {
  const { net } = lab(pvlanLab());
  const psw = portOf(net, 'switchport:psw/p1');
  const fromPsw = (frame: Uint8Array, vid: number) => net.fabric.transmit(psw, frame, vid, net.fabric.now);
  const ext = macToNumber('02:00:00:00:00:99');
  for (const [vid, expected] of [[101, ['p1']], [102, ['p1', 'c1', 'c2']], [103, ['p1', 'd1']], [100, ALL1]] as const) {
    const w = watch(net);
    fromPsw(eth(ext, BROADCAST_MAC), vid);
    assert.deepEqual(receivers(w, ALL1), expected, `broadcast tagged ${vid}`);
  }
  const w = watch(net);
  fromPsw(eth(ext, mac('i2')), 101);
  fromPsw(eth(ext, mac('d1')), 102);
  fromPsw(eth(ext, mac('i2')), 100);
  assert.equal(w.drop(UP1, 'pvlan-isolated'), 1);
  assert.equal(w.drop(UP1, 'pvlan-community'), 1);
  assert.equal(w.rx('i2/nic0'), 1, 'the primary reaches it');
});

test('R3.11, R3.5: a PVLAN port group is no trunk — a guest-tagged frame is dropped at the port', () => {
  const { net } = lab(pvlanLab());
  const w = watch(net);
  send(net, 'p1/nic0', eth(mac('p1'), BROADCAST_MAC), 101);
  assert.equal(w.drop(port('p1'), 'tagged-on-vst'), 1);
  assert.deepEqual(receivers(w, ALL1), []);
});

// ---- two hosts through a physical trunk that knows nothing of PVLANs (R9.6) ----------------------

test('R3.11, R9.6: two hosts through a plain trunk — isolated reaches the other host\'s promiscuous port and back; isolated ports on different hosts never reach each other', () => {
  const { net } = lab(pvlanLab());
  assert.equal(pingOk(net, 'i1', 'p2', 2), 2, 'i1 (esx1, isolated) → p2 (esx2, promiscuous)');
  assert.equal(pingOk(net, 'p2', 'i1', 2), 2, 'p2 → i1');
  assert.equal(pingOk(net, 'c1', 'c3', 2), 2, 'c1 ↔ c3: one community on both hosts');
  assert.equal(pingOk(net, 'i1', 'i3', 1), 0, 'isolated i1 → isolated i3: no');
  assert.equal(pingOk(net, 'd1', 'c3', 1), 0, 'community 103 → community 102: no');
  // The physical switch learns each MAC in the VLAN its frames carry: i1 in 101, p2 in 100.
  const psw = net.switches.get('pswitch:psw') as unknown as { fdb: { portOf(vlan: number, mac: number): { id: string } | null } };
  assert.equal(psw.fdb.portOf(101, mac('i1'))?.id, 'switchport:psw/p1');
  assert.equal(psw.fdb.portOf(100, mac('p2'))?.id, 'switchport:psw/p2');
  assert.equal(psw.fdb.portOf(100, mac('i1')), null, 'never seen in the primary');
});

test('R3.11, R9.6: isolated → isolated across the trunk leaves tagged 101 and dies at the other host\'s vDS (pvlan-isolated), as the trace shows', () => {
  const { net } = lab(pvlanLab());
  net.interfaces.get('i1/nic0')!.iface.arp.set(ipToNumber(ip('i3')), { mac: mac('i3'), t: net.fabric.now });
  const up = tap(net, UP1);
  const t = trace(net, endpoint(net, 'i1'), targetIp(net, 'i3'));
  assert.equal(t.delivered, false);
  const echo = t.frames.find((f) => f.kind.startsWith('ICMP echo request'))!;
  assert.deepEqual(up.tx.map((f) => f.vid), [101], 'i3 is not on esx1: out of the uplink, tagged 101');
  assert.ok(echo.hops.some((h) => h.device === DVS1 && h.action === 'tag' && h.vlan === 101 && h.rule === 'R3.11'), 'tagged with the isolated id at esx1');
  assert.ok(echo.hops.some((h) => h.device === 'pswitch:psw' && h.vlan === 101), 'across the physical switch in VLAN 101');
  assert.deepEqual(echo.drop, { device: DVS2, port: UP2, rule: 'R3.11', reason: 'pvlan-isolated' });
});

// ---- beacons, RARP, show ------------------------------------------------------------------------------

test('R3.11, R5.9: beacon probing on PVLAN ports sends beacons on each port\'s own id (primary, isolated, community)', () => {
  const { net } = lab(pvlanLab({ uplinks: 2, dvsExtra: '    teaming: { detection: beacon }', esx2: [] }));
  const up = tap(net, UP1);
  advance(net, 1000);
  assert.deepEqual([...new Set(up.tx.map((f) => f.vid))].sort((a, b) => a - b), [100, 101, 102, 103]);
});

test('R3.11, R5.10: a PVLAN port that fails over announces itself with RARP tagged with its own id', () => {
  const { net } = lab(pvlanLab({ uplinks: 2, esx1: ['i1'], esx2: [] }));
  const i1 = vswitch(net, DVS1);
  i1.settleUplinks();
  const vp = i1.portFor(portOf(net, port('i1')))!;
  const from = vp.selected!.id;
  const other = from === UP1 ? 'nic:esx1/vmnic1' : UP1;
  const t = tap(net, other);
  changeLink(net, portOf(net, from), false);
  advance(net, 1000);
  assert.ok(t.tx.length >= 5, 'RARPs on the surviving uplink');
  assert.ok(t.tx.every((f) => f.vid === 101 && f.src === mac('i1')), 'each tagged 101, from i1');
});

test('R3.11: `show` and `ls` of a PVLAN dv port group give its type and ids; `show` of the switch gives the map', () => {
  const { store, row } = upInProcess(pvlanLab(), 'pvlan');
  try {
    const labRow = row();
    const iso = describeObject(store, labRow, 'Iso');
    assert.deepEqual(iso.vlan, { type: 'pvlan', primary: 100, secondary: 101, pvlanType: 'isolated' });
    const dvs = describeObject(store, labRow, 'dvs');
    assert.equal((dvs.pvlans as unknown[]).length, 4);
    const items = listObjects(store, labRow, 'portgroups').filter((i) => i.kind === 'dvportgroup');
    assert.deepEqual(items.map((i) => [i.name, (i.vlan as { pvlanType: string }).pvlanType]), [['CommA', 'community'], ['CommB', 'community'], ['Iso', 'isolated'], ['Prom', 'promiscuous']]);
  } finally {
    store.close();
  }
});

test('R3.11, R4b.1: bad values in the new fields never crash — schema or resolver errors with stable kebab-case codes', () => {
  const WEIRD = ['~', '[]', '{}', '-1', '0', '4095', '4096', '1.5', '"x"', '{ pvlan: [] }', '{ pvlan: 101, trunk: [1] }', 'true', '[{ primary: 1 }]'];
  const fields: Array<(v: string) => string> = [
    (v) => pvlanLab().replace('{ name: Iso, vlan: { pvlan: 101 } }', `{ name: Iso, vlan: ${v} }`),
    (v) => pvlanLab().replace('{ primary: 100, secondary: 101, type: isolated }', `{ primary: ${v}, secondary: 101, type: isolated }`),
    (v) => pvlanLab().replace('{ primary: 100, secondary: 102, type: community }', `{ primary: 100, secondary: ${v}, type: community }`),
    (v) => pvlanLab().replace(/( {4}pvlans:)\n[\s\S]*?(?= {4}portgroups:)/, `$1 ${v}\n`),
    (v) => pvlanLab().replace("ip: 10.0.100.11/24 }", `ip: 10.0.100.11/24, macLearn: ${v} }`),
    (v) => pvlanLab().replace('vcenter: external', `vcenter: external\nsettings: { learnswitch: ${v} }`),
    (v) => pvlanLab().replace('vcenter: external', `vcenter: external\nsettings: { learnswitch: { agingTime: ${v}, unknownUnicast: ${v} } }`),
  ];
  for (const field of fields) {
    for (const v of WEIRD) {
      const l = loadLabText('pvlan.yaml', field(v));
      if (l.ok) continue;
      for (const e of l.errors) assert.match(e.code, /^[a-z0-9]+(-[a-z0-9]+)*$/, `${v}: ${e.message}`);
    }
  }
});
