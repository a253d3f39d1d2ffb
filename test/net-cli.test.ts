// The network from the command line (spec/cli.md "Network"): the seeds' stories end to end —
// ping, trace with rule ids and reasons, link down|up with failover, captures tshark decodes,
// MAC tables, counters in show — and determinism of it all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nestlab, ROOT, tempDir } from './helpers.js';
import { Store } from '../src/store/store.js';

const example = (name: string) => join(ROOT, 'examples', name);

function upLab(file: string): { state: string; s: string[] } {
  const state = join(tempDir(), 'state');
  const r = nestlab(['up', file, '--state', state, '--json']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return { state, s: ['--state', state, '--json'] };
}

test('seed 000: a nested VM is unreachable until the outer vSwitch allows promiscuous mode; trace says where and why (R1.8, R2.3)', () => {
  const dir = tempDir();
  const closed = join(dir, 'closed.yaml');
  // The home lab with the seed's crucial setting left out: outer vSwitches at their defaults.
  writeFileSync(closed, readFileSync(example('home-lab.yaml'), 'utf8').replaceAll('security: { promiscuous: accept, macChanges: accept, forgedTransmits: accept }', 'security: {}'));
  const { s } = upLab(closed);
  const ping = nestlab(['ping', 'laptop', 'web-a1', '--count', '2', ...s]);
  assert.equal(ping.code, 3, 'a ping that gets no reply is a failed operation');
  assert.equal(ping.json().received, 0);
  const tr = nestlab(['trace', 'laptop', 'web-a1', ...s]);
  assert.equal(tr.code, 3);
  const t = tr.json();
  assert.equal(t.delivered, false);
  const dropped = (t.frames as Array<{ kind: string; outcome: string; drop?: { device: string; rule: string; reason: string } }>).find((f) => f.kind.startsWith('ICMP echo request') && f.outcome === 'dropped');
  assert.ok(dropped, JSON.stringify(t.frames.map((f: { kind: string }) => f.kind)));
  assert.deepEqual([dropped.drop!.device, dropped.drop!.rule, dropped.drop!.reason], ['vswitch:esx-xeon/vSwitch0', 'R1.8', 'unknown-unicast-dst']);
  // The seed's fix: promiscuous (with forged transmits and MAC changes) accept on the vSwitch.
  const { s: open } = upLab(example('home-lab.yaml'));
  const ok = nestlab(['ping', 'laptop', 'web-a1', '--count', '2', ...open]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.equal(ok.json().received, 2);
  const tr2 = nestlab(['trace', 'laptop', 'web-a1', ...open]).json();
  assert.equal(tr2.delivered, true);
  assert.ok(tr2.frames.some((f: { hops: Array<{ action: string; rule: string }> }) => f.hops.some((h) => h.action === 'copy-promiscuous' && h.rule === 'R2.3')), 'the reply reached the nested host as a promiscuous copy');
});

test('seed 002: the 1:1 MAC mapping reaches a nested VM with promiscuous mode off everywhere (§7.6)', () => {
  const { s } = upLab(example('cloud-nested.yaml'));
  const r = nestlab(['ping', 'internet-host', 'centos1', '--count', '3', ...s]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.json().received, 3);
  const tr = nestlab(['trace', 'internet-host', 'centos1', ...s]).json();
  assert.equal(tr.delivered, true);
  for (const f of tr.frames as Array<{ hops: Array<{ action: string; reason: string }> }>) {
    assert.ok(!f.hops.some((h) => h.action === 'copy-promiscuous'), 'no promiscuous copy anywhere');
    assert.ok(!f.hops.some((h) => h.reason === 'forged-transmit'), 'no forged-transmit drop');
  }
});

test('three levels through 4095 trunks: a VM two levels down reaches a physical station on its VLAN; trace is fast', () => {
  const { s } = upLab(example('three-level.yaml'));
  const r = nestlab(['ping', 'x', 'station-30', ...s]);
  assert.equal(r.code, 0, r.stdout);
  assert.deepEqual(Object.keys(r.json().rttMs), ['min', 'avg', 'max']);
  const t0 = process.hrtime.bigint();
  const tr = nestlab(['trace', 'station-30', 'x', ...s]);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const j = tr.json();
  assert.equal(j.delivered, true);
  const request = j.frames.find((f: { kind: string }) => f.kind.startsWith('ICMP echo request'));
  for (const k of ['kind', 'src', 'dst', 'vlan', 'outcome', 'hops']) assert.ok(k in request, k);
  for (const k of ['device', 'port', 'action', 'vlan', 'rule', 'reason']) assert.ok(k in request.hops[0], k);
  const devices = new Set(request.hops.map((h: { device: string }) => h.device));
  for (const d of ['pswitch:psw', 'vswitch:l0-esx/vSwitch0', 'vswitch:l1-esx/vSwitch0', 'vswitch:l2-esx/vSwitch0', 'vm:x']) assert.ok(devices.has(d), d);
  assert.ok(ms < 2000, `trace took ${ms} ms wall, Node start-up included`);
});

test('link down fails over to the standby with RARPs the physical switch learns from; macs shows it (R5.10, R9.7)', () => {
  const dir = tempDir();
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, `lab: failover
network:
  switches:
    - { name: core, ports: { p1: { mode: trunk }, p2: { mode: trunk }, p9: { mode: access, vlan: 1 } } }
  stations:
    - { name: laptop, nics: [{ ip: 10.0.0.5/24, connect: core/p9 }] }
hosts:
  - name: esx1
    cpu: xeon-e3-1230-v3
    memory: 32GB
    nics: [{ name: vmnic0, connect: core/p1 }, { name: vmnic1, connect: core/p2 }]
    switches:
      - name: vSwitch0
        uplinks: [vmnic0, vmnic1]
        teaming: { policy: explicit, active: [vmnic0], standby: [vmnic1] }
        portgroups: [{ name: VM Network }]
vms:
  - { name: web, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: VM Network, ip: 10.0.0.20/24 }] }
`);
  const { s } = upLab(file);
  assert.equal(nestlab(['ping', 'laptop', 'web', '--count', '1', ...s]).code, 0);
  const webMac = nestlab(['show', 'web', ...s]).json().nics[0].mac;
  const before = nestlab(['macs', 'core', ...s]).json();
  assert.equal(before.entries.find((e: { mac: string }) => e.mac === webMac).port, 'switchport:core/p1');
  const down = nestlab(['link', 'down', 'esx1/vmnic0', ...s]);
  assert.equal(down.code, 0, down.stdout);
  assert.deepEqual(down.json().moved, ['vswitch:esx1/vSwitch0[vnic:web/0]']);
  assert.equal(nestlab(['macs', 'core', ...s]).json().entries.find((e: { mac: string }) => e.mac === webMac).port, 'switchport:core/p2', 'RARP: the switch re-learned web behind vmnic1');
  assert.equal(nestlab(['ping', 'laptop', 'web', '--count', '1', ...s]).code, 0, 'still reachable through the standby');
  const up = nestlab(['link', 'up', 'esx1/vmnic0', ...s]).json();
  assert.equal(up.state, 'up');
  assert.deepEqual(up.moved, ['vswitch:esx1/vSwitch0[vnic:web/0]'], 'back on vmnic0 once its 100 ms up-delay passed (R5.6, R5.11)');
  const events = nestlab(['events', '--type', 'teaming', ...s]).json().events;
  assert.equal(events.length, 2, 'failover and failback are in the event log');
  assert.equal(nestlab(['link', 'down', 'nope/vmnic9', ...s]).code, 1);
  const show = nestlab(['show', 'esx1', ...s]).json();
  assert.ok(show.nics[0].counters.tx > 0, 'per-NIC counters in show');
});

const BEACON_LAB = `lab: beacons
network:
  switches:
    - { name: swa, ports: { p1: { mode: trunk }, p2: { mode: trunk }, p10: { mode: access, vlan: 1 }, p24: { mode: trunk } } }
    - { name: swb, ports: { p1: { mode: trunk }, p24: { mode: trunk } } }
  stations:
    - { name: laptop, nics: [{ ip: 10.0.0.5/24, connect: swa/p10 }] }
  links: [[swa/p24, swb/p24]]
hosts:
  - name: esx1
    cpu: xeon-e3-1230-v3
    memory: 32GB
    nics: [{ name: vmnic0, connect: swa/p1 }, { name: vmnic1, connect: swa/p2 }, { name: vmnic2, connect: swb/p1 }]
    switches:
      - name: vSwitch0
        uplinks: [vmnic0, vmnic1, vmnic2]
        teaming: { detection: beacon }
        portgroups: [{ name: VM Network }]
vms:
  - { name: web1, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: VM Network, ip: 10.0.0.21/24 }] }
  - { name: web2, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: VM Network, ip: 10.0.0.22/24 }] }
  - { name: web3, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: VM Network, ip: 10.0.0.23/24 }] }
`;

test('beacon probing: an upstream failure fails the isolated uplink as virtual time advances; its VM moves and is reachable again (R5.9, R5.10, §10.27)', () => {
  const file = join(tempDir(), 'lab.yaml');
  writeFileSync(file, BEACON_LAB);
  const { state, s } = upLab(file);
  assert.equal(nestlab(['ping', 'laptop', 'web3', '--count', '1', ...s]).code, 0);
  // The link between the two physical switches: no esx1 link changes state.
  assert.deepEqual(nestlab(['link', 'down', 'swb/p24', ...s]).json().moved, []);
  assert.equal(nestlab(['ping', 'laptop', 'web3', '--count', '1', ...s]).json().received, 0, 'web3 sits on vmnic2, behind swb, until beacons tell');
  assert.equal(nestlab(['advance', '5s', ...s]).code, 0);
  const events = nestlab(['events', '--type', 'teaming.', ...s]).json().events as Array<{ type: string; object: string }>;
  assert.deepEqual(events.map((e) => [e.type, e.object]), [
    ['teaming.beacon-failed', 'nic:esx1/vmnic2'],
    ['teaming.failover', 'vswitch:esx1/vSwitch0[vnic:web3/0]'],
  ]);
  const web3 = nestlab(['show', 'web3', ...s]).json().nics[0].mac;
  assert.equal(nestlab(['macs', 'swa', ...s]).json().entries.find((e: { mac: string }) => e.mac === web3).port, 'switchport:swa/p1', 'RARP: swa learned web3 behind vmnic0');
  assert.equal(nestlab(['ping', 'laptop', 'web3', '--count', '1', ...s]).code, 0, 'reachable through vmnic0');
  // An hour of beacons: steady ticks are fast-forwarded, the counters still count every one.
  const t0 = Date.now();
  assert.equal(nestlab(['advance', '1h', ...s]).code, 0);
  const took = Date.now() - t0;
  const tx = nestlab(['show', 'esx1', ...s]).json().nics[1].counters.tx;
  assert.ok(tx >= 3600, `vmnic1 sent a beacon a second (${tx})`);
  assert.ok(took < 5000, `advance 1h took ${took} ms`);
  const store = new Store(state);
  try {
    const net = JSON.parse(store.labState('beacons', 'net')!);
    assert.deepEqual(net.beacons['vswitch:esx1/vSwitch0'].misses, { 'nic:esx1/vmnic2': 3 }, 'beacon state persisted for the next command');
  } finally {
    store.close();
  }
});

test('advance on a lab with no periodic network work (beacon probing, STP timers and hellos, LBT, LACP, IGMP queriers) never builds the network', () => {
  const file = join(tempDir(), 'lab.yaml');
  writeFileSync(file, BEACON_LAB.replace('teaming: { detection: beacon }', 'teaming: { detection: link }'));
  const { state, s } = upLab(file);
  assert.equal(nestlab(['advance', '1h', ...s]).code, 0);
  const store = new Store(state);
  try {
    assert.equal(store.labState('beacons', 'net'), undefined, 'no network state written');
  } finally {
    store.close();
  }
});

test('capture start|list|stop writes pcap that tshark decodes (VLAN tags, ARP, ICMP)', (t) => {
  const { s } = upLab(example('three-level.yaml'));
  const pcap = join(tempDir(), 'trunk.pcap');
  assert.equal(nestlab(['capture', 'start', 'psw/p1', pcap, ...s]).code, 0);
  assert.deepEqual(nestlab(['capture', 'list', ...s]).json().captures, [{ point: 'switchport:psw/p1', file: pcap }]);
  nestlab(['ping', 'station-30', 'x', '--count', '2', ...s]);
  const stop = nestlab(['capture', 'stop', 'psw/p1', ...s]).json();
  assert.ok(stop.frames >= 6, `ARP request/reply and 2 echo exchanges, got ${stop.frames}`);
  assert.deepEqual(nestlab(['capture', 'list', ...s]).json().captures, []);
  if (spawnSync('tshark', ['--version']).status !== 0) {
    t.skip('tshark not installed: run scripts/install-test-deps.sh');
    return;
  }
  const r = spawnSync('tshark', ['-r', pcap, '-T', 'fields', '-e', 'vlan.id', '-e', 'arp.opcode', '-e', 'icmp.type'], { encoding: 'utf8' });
  const rows = r.stdout.trim().split('\n').map((l) => l.split('\t'));
  assert.ok(rows.every((row) => row[0] === '30'), 'every frame on the trunk carries VLAN 30');
  assert.ok(rows.some((row) => row[1] === '1') && rows.some((row) => row[1] === '2'), 'ARP request and reply');
  assert.ok(rows.some((row) => row[2] === '8') && rows.some((row) => row[2] === '0'), 'ICMP echo request and reply');
});

test('network commands are deterministic: same lab and commands, same bytes', () => {
  const outputs = [0, 1].map(() => {
    const { s } = upLab(example('three-level.yaml'));
    return [
      nestlab(['ping', 'x', 'station-30', ...s]).stdout,
      nestlab(['trace', 'r', 'y', ...s]).stdout,
      nestlab(['macs', 'psw', ...s]).stdout,
      nestlab(['show', 'x', ...s]).stdout,
      nestlab(['events', ...s]).stdout,
    ];
  });
  assert.deepEqual(outputs[0], outputs[1]);
});

test('ping and trace name unknown endpoints as invalid input (exit 1)', () => {
  const { s } = upLab(example('minimal.yaml'));
  const r = nestlab(['ping', 'ghost', '10.0.0.1', ...s]);
  assert.equal(r.code, 1);
  assert.equal(r.json().code, 'unknown-endpoint');
  assert.equal(nestlab(['ping', 'vm1', '10.0.0.1', '--count', '0', ...s]).code, 2);
});

test('examples/campus.yaml from the CLI: STP blocks one inter-switch link (R9.9), isolated PVLAN ports never meet (R3.11), the OVS access port reaches the office VLAN (R8.5), load-based teaming moves a backup server after 30 s (R5.5), BPDU guard shuts the uplink a bridging guest sends BPDUs to (R1.14)', () => {
  const v = nestlab(['validate', example('campus.yaml'), '--json']);
  assert.equal(v.code, 0);
  assert.deepEqual(v.json().warnings, [], 'the example validates without warnings');
  const { s } = upLab(example('campus.yaml'));
  const access = nestlab(['show', 'access', ...s]).json();
  const stp = (p: string) => (access.ports as Array<{ name: string; stp: { role: string; state: string } }>).find((x) => x.name === p)!.stp;
  assert.deepEqual([stp('p23').role, stp('p24').state, stp('p1').role], ['root', 'blocking', 'edge']);
  const human = nestlab(['show', 'access', ...s.filter((x) => x !== '--json')]).stdout;
  assert.match(human, /^ {2}allowed: 1-4094$/m, 'VLAN ranges read as ranges');
  assert.match(human, /^ {4}role: alternate\n {4}state: blocking$/m);
  assert.equal(nestlab(['ping', 'web1', 'web2', '--count', '1', ...s]).code, 3);
  const tr = nestlab(['trace', 'web1', 'web2', ...s]).json() as { frames: Array<{ hops: Array<{ action: string; reason: string | null; rule: string }> }> };
  assert.ok(tr.frames.flatMap((f) => f.hops).some((h) => h.action === 'drop' && h.reason === 'stp-blocking' && h.rule === 'R9.9'), 'the broadcast dies at the blocking port, not in a loop');
  for (const [a, b] of [['web1', 'gw'], ['app1', 'app2'], ['laptop', 'k1']]) assert.equal(nestlab(['ping', a!, b!, '--count', '1', ...s]).code, 0, `${a} → ${b}`);
  nestlab(['advance', '30s', ...s]);
  const moves = nestlab(['events', '--type', 'teaming.lbt-move', ...s]).json().events as Array<{ message: string }>;
  assert.equal(moves.length, 1);
  assert.match(moves[0]!.message, /^backup1\/nic0 moved from uplink2 \(vmnic1\) to uplink1 \(vmnic0\) on dvs@esx1: vmnic1 had been sending at 120% of 1000 Mb\/s/);
  // A nested Linux bridge with STP on sends BPDUs through the vDS: BPDU guard shuts access/p1.
  const dir = tempDir();
  const bridging = join(dir, 'campus.yaml');
  writeFileSync(bridging, readFileSync(example('campus.yaml'), 'utf8')
    .replace('    nics: [{ network: Nested }]', '    nics: [{ network: Nested }, { network: Nested }]')
    .replace("portgroups: [{ name: office, vlan: 10 }] }]", "portgroups: [{ name: office, vlan: 10 }] }, { name: br1, uplinks: [eth1], stp: true }]"));
  assert.equal(nestlab(['up', bridging, ...s]).code, 0);
  nestlab(['advance', '10s', ...s]);
  const guard = nestlab(['events', '--type', 'stp.bpduguard', ...s]).json().events as Array<{ object: string }>;
  assert.deepEqual(guard.map((e) => e.object), ['switchport:access/p1']);
  assert.equal(nestlab(['ping', 'laptop', 'desk', '--count', '1', ...s]).code, 0, 'the team fails over to the other uplink');
});
