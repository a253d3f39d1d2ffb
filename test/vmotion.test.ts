// vMotion (spec/compute.md §6, spec/cli.md `migrate`): the pre-copy model with the spec's numbers
// (§11.26, §11.27), every check with its own error code (§6, §11.29), the move itself (host,
// ledger, virtual time, task, events), and the destination's RARP that moves the physical
// switch's entry (R5.10, R9.7; network.md §10.29).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { precopy, vmotionBandwidthMBps } from '../src/cluster/vmotion.js';
import { Store } from '../src/store/store.js';
import { nestlab, tempDir } from './helpers.js';

interface Opts {
  vcenter?: string;
  cpu2?: string;
  evc?: string;
  pg2?: string;
  vmotion2?: boolean;
  vlan2?: number;
  speed?: number;
  version2?: string;
  hw?: number;
  disk?: string;
  reserve?: string;
  dirty?: number;
  extraVms?: string;
}

/** Two 1 GbE ESXi hosts on one physical switch, a shared NFS datastore, a 4 GiB VM on esx1. */
const LAB = (o: Opts = {}) => `lab: vmotion
${o.vcenter === undefined ? 'vcenter: external' : o.vcenter}
network:
  switches:
    - name: psw
      ports:
        p1: { mode: trunk, native: 1, allowed: all }
        p2: { mode: trunk, native: 1, allowed: all }
        p9: { mode: access, vlan: 1 }
  stations:
    - { name: laptop, nics: [{ ip: 10.0.0.5/24, connect: psw/p9 }] }
datastores:
  - { name: shared, type: nfs, capacity: 2TB, hosts: [esx1, esx2] }
  - { name: local1, type: local-ssd, capacity: 500GB, hosts: [esx1] }
hosts:
  - name: esx1
    cpu: xeon-e3-1230-v3
    memory: 32GB
    nics: [{ name: vmnic0, speed: ${o.speed ?? 1000}, connect: psw/p1 }]
    switches:
      - name: vSwitch0
        uplinks: [vmnic0]
        portgroups:
          - { name: Management, vmkernel: [{ name: vmk0, ip: 10.0.0.11/24, services: [management, vmotion] }] }
          - { name: Prod }
  - name: esx2
    cpu: ${o.cpu2 ?? 'xeon-e3-1230-v3'}
    version: '${o.version2 ?? '6.7'}'
    memory: 32GB
    nics: [{ name: vmnic0, speed: ${o.speed ?? 1000}, connect: psw/p2 }]
    switches:
      - name: vSwitch0
        uplinks: [vmnic0]
        portgroups:
          - { name: Management, vlan: ${o.vlan2 ?? 0}, vmkernel: [{ name: vmk0, ip: 10.0.0.12/24, services: [management${o.vmotion2 === false ? '' : ', vmotion'}] }] }
          - { name: ${o.pg2 ?? 'Prod'} }
clusters:
  - { name: c, hosts: [esx1, esx2]${o.evc ? `, evc: ${o.evc}` : ''} }
vms:
  - name: app
    host: esx1
    cpus: 2
    memory: 4GB
    hardwareVersion: ${o.hw ?? 13}
    workload: { dirtyRate: ${o.dirty ?? 5} }
    disks: [{ datastore: ${o.disk ?? 'shared'}, size: 20GB }]
    nics: [{ network: Prod, ip: 10.0.0.50/24 }]
${o.reserve ? `  - { name: big, host: esx2, cpus: 1, memory: 30GB, resources: { memory: { reservation: ${o.reserve} } } }\n` : ''}${o.extraVms ?? ''}`;

function upLab(text: string): { dir: string; s: string[] } {
  const dir = tempDir();
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, text);
  const s = ['--state', join(dir, 'state'), '--json'];
  const r = nestlab(['up', file, ...s]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return { dir, s };
}

function refused(text: string, code: string, vm = 'app', host = 'esx2'): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const { s } = upLab(text);
  const r = nestlab(['migrate', vm, host, ...s]);
  assert.equal(r.code, 3, r.stdout + r.stderr);
  const e = r.json();
  assert.equal(e.code, code, e.message);
  // A refused vMotion moves nothing.
  assert.equal(nestlab(['show', vm, ...s]).json().host, 'esx1');
  return e;
}

test('§11.26 pre-copy model: 4 GiB, B = 110 MB/s, D = 5 MB/s → 37.2 s, 186 MB (1.69 s), 8.5 MB; stun ≈ 0.077 s; total ≈ 39 s (§6 Model)', () => {
  const r = precopy({ memoryMB: 4096, bandwidthMBps: 110, dirtyRateMBps: 5 });
  assert.equal(r.converged, true);
  assert.deepEqual(r.iterations.map((i) => i.mb), [4096, 186.18, 8.46]);
  assert.deepEqual(r.iterations.map((i) => i.seconds), [37.236, 1.693, 0.077]);
  assert.equal(r.iterations[2]!.stunned, true);
  assert.ok(Math.abs(r.stunMs - 77) < 0.5, String(r.stunMs));
  // Downtime = V_n/B + t_state (10 ms) + t_RARP (1 ms).
  assert.ok(Math.abs(r.downtimeMs - 87.9) < 0.1, String(r.downtimeMs));
  assert.ok(Math.abs(r.totalSeconds - 39) < 0.05, String(r.totalSeconds));
  assert.equal(r.sdps, null);
  assert.equal(vmotionBandwidthMBps(1000), 110, '1 GbE ≈ 110 MB/s');
});

test('§11.27 SDPS: D = 1,500 > B = 1,200 MB/s → throttled to D_eff = 600 MB/s and converges; without SDPS it fails after N_max (§6 process 7)', () => {
  const r = precopy({ memoryMB: 4096, bandwidthMBps: 1200, dirtyRateMBps: 1500 });
  assert.equal(r.converged, true);
  assert.deepEqual(r.sdps, { dirtyRateMBps: 600, cpuProgress: 0.4 });
  assert.deepEqual(r.iterations.map((i) => i.mb), [4096, 2048, 1024, 512]);
  const old = precopy({ memoryMB: 4096, bandwidthMBps: 1200, dirtyRateMBps: 1500, sdps: false });
  assert.equal(old.converged, false);
  assert.equal(old.iterations.length, 31, 'N_max = 30 pre-copy rounds, then the remainder');
  assert.ok(old.iterations.every((i) => i.mb === 4096), 'the dirty set never shrinks');
});

test('migrate: the §11.26 numbers end to end; host, ledger, virtual time, task and events follow (§6, cli.md)', () => {
  const { dir, s } = upLab(LAB());
  const r = nestlab(['migrate', 'app', 'esx2', ...s]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const j = r.json();
  for (const k of ['name', 'from', 'to', 'iterations', 'downtimeMs', 'totalSeconds']) assert.ok(k in j, k);
  assert.deepEqual([j.name, j.from, j.to], ['app', 'esx1', 'esx2']);
  assert.equal(j.bandwidthMBps, 110);
  assert.deepEqual(j.iterations.map((i: { mb: number; seconds: number }) => [i.mb, i.seconds]), [[4096, 37.236], [186.18, 1.693], [8.46, 0.077]]);
  assert.ok(Math.abs(j.stunMs - 77) < 0.5);
  assert.ok(Math.abs(j.totalSeconds - 39) < 0.05);
  assert.deepEqual(j.warnings, []);
  assert.equal(nestlab(['show', 'app', ...s]).json().host, 'esx2');
  const store = new Store(join(dir, 'state'));
  try {
    const task = store.tasks('vmotion').find((t) => t.kind === 'migrate')!;
    assert.equal(task.state, 'success');
    // The trace between the vmknics (ARP and one echo, ≤ 3 s), then the migration's own ≈ 39 s.
    const took = (task.completedMs! - task.startedMs!) / 1000;
    assert.ok(took >= 39 && took <= 42.1, String(took));
    const types = store.events('vmotion').map((e) => e.type);
    for (const t of ['vm.migrating', 'vm.migrated', 'vm.rarp-sent']) assert.ok(types.includes(t), t);
  } finally {
    store.close();
  }
  // The ledger moved: the VM's reservation is on esx2 now, so it can come back.
  const back = nestlab(['migrate', 'app', 'esx1', ...s]);
  assert.equal(back.code, 0, back.stdout);
  assert.deepEqual([back.json().from, back.json().to], ['esx2', 'esx1']);
});

test('migrate: the destination sends RARP; the physical switch moves the VM\'s MAC to its port; the next trace goes there (R5.10, R9.7, network.md §10.29)', () => {
  const { s } = upLab(LAB());
  assert.equal(nestlab(['ping', 'laptop', 'app', '--count', '1', ...s]).code, 0);
  const mac = nestlab(['show', 'app', ...s]).json().nics[0].mac as string;
  const before = nestlab(['macs', 'psw', ...s]).json().entries.find((e: { mac: string }) => e.mac === mac);
  assert.equal(before.port, 'switchport:psw/p1');
  const r = nestlab(['migrate', 'app', 'esx2', ...s]).json();
  assert.deepEqual(r.rarp.macs, [mac]);
  const after = nestlab(['macs', 'psw', ...s]).json().entries.find((e: { mac: string }) => e.mac === mac);
  assert.equal(after.port, 'switchport:psw/p2', 'the RARP from esx2 re-taught the switch');
  assert.ok(after.ageSeconds < 1, 'learned from the RARP just now');
  const tr = nestlab(['trace', 'laptop', 'app', ...s]).json();
  assert.equal(tr.delivered, true);
  const req = tr.frames.find((f: { kind: string }) => f.kind.startsWith('ICMP echo request'));
  assert.ok(req.hops.some((h: { device: string; port: string; action: string }) => h.device === 'pswitch:psw' && h.port === 'switchport:psw/p2' && h.action === 'forward'), 'forwarded to p2, not flooded');
  assert.ok(req.hops.some((h: { device: string; action: string }) => h.device === 'vswitch:esx2/vSwitch0'));
});

test('migrate refuses without vCenter: no `vcenter:`, or its VM powered off (vcenter-unavailable; issue 5 item 1)', () => {
  const none = refused(LAB({ vcenter: '' }), 'vcenter-unavailable');
  assert.match(none.message, /no vCenter/);
  const off = refused(LAB({ vcenter: 'vcenter: vcsa', extraVms: '  - { name: vcsa, host: esx1, cpus: 2, memory: 8GB, power: off, disks: [{ datastore: shared, size: 20GB }] }\n' }), 'vcenter-unavailable');
  assert.match(off.message, /vcsa is powered off/);
});

test('migrate refuses a powered-off VM (invalid-power-state)', () => {
  const { s } = upLab(LAB());
  assert.equal(nestlab(['power', 'off', 'app', ...s]).code, 0);
  const r = nestlab(['migrate', 'app', 'esx2', ...s]);
  assert.equal(r.code, 3);
  assert.equal(r.json().code, 'invalid-power-state');
});

test('migrate refuses a disk on storage the target does not mount (no-shared-storage, §6)', () => {
  const e = refused(LAB({ disk: 'local1' }), 'no-shared-storage');
  assert.deepEqual(e.datastores, ['local1']);
});

test('migrate without EVC: a VM started on Haswell cannot move to an Atom; the error lists the missing features (cpu-incompatible, §5, §6)', () => {
  const e = refused(LAB({ cpu2: 'atom-c2750' }), 'cpu-incompatible');
  for (const f of ['avx', 'avx2', 'fma', 'xsave']) assert.ok(e.missing.includes(f), f);
  assert.match(e.message, /lacks .*avx/);
  // The seed's fix: EVC Westmere on the cluster; both hosts present the baseline, so it moves.
  const { s } = upLab(LAB({ cpu2: 'atom-c2750', evc: 'intel-westmere' }));
  const r = nestlab(['migrate', 'app', 'esx2', ...s]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

test('§11.29 port group label "prod" vs "Prod": the migration is invalid, names are case-sensitive (network-missing)', () => {
  const e = refused(LAB({ pg2: 'prod' }), 'network-missing');
  assert.deepEqual(e.networks, ['Prod']);
  assert.match(e.message, /case-sensitive.*"prod"/);
});

test('migrate needs vMotion vmknics on both hosts that reach each other: the error says where the trace died (vmotion-network, §6)', () => {
  const none = refused(LAB({ vmotion2: false }), 'vmotion-network');
  assert.match(none.message, /esx2 has no VMkernel port with the vmotion service/);
  // esx2's vmk0 on VLAN 20 (VST), esx1's untagged: the frames never meet.
  const split = refused(LAB({ vlan2: 20 }), 'vmotion-network');
  assert.match(split.message, /cannot reach each other/);
  assert.deepEqual([split.from, split.to], ['esx1/vmk0', 'esx2/vmk0']);
});

test('migrate checks the nested-virtualization/hardware requirements on the target (§4): HW13 cannot run on ESXi 6.0', () => {
  const e = refused(LAB({ version2: '6.0', hw: 13 }), 'hardware-version-unsupported');
  assert.equal(e.host, 'esx2');
});

test('migrate runs admission control on the target (§1.4): no room for the VM\'s overhead there', () => {
  const e = refused(LAB({ reserve: '30450MB' }), 'insufficient-memory-resources');
  assert.ok(e.requestedMB > 0);
});

test('§11.29 a 100 Mb/s vMotion link: the VMotionLinkCapacityLow warning, and 11 MB/s', () => {
  const { s } = upLab(LAB({ speed: 100 }));
  const r = nestlab(['migrate', 'app', 'esx2', ...s]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const j = r.json();
  assert.equal(j.bandwidthMBps, 11);
  assert.deepEqual(j.warnings.map((w: { code: string }) => w.code), ['VMotionLinkCapacityLow']);
});

test('migrate: SDPS throttles a VM that dirties memory faster than 1 GbE sends it (§11.27 on the CLI)', () => {
  const { s } = upLab(LAB({ dirty: 200 }));
  const j = nestlab(['migrate', 'app', 'esx2', ...s]).json();
  assert.deepEqual(j.sdps, { dirtyRateMBps: 55, cpuProgress: 0.275 });
});

test('migrate hands the VM\'s VMFS lock to the destination host (§6 switchover, §9)', () => {
  const { dir, s } = upLab(LAB());
  assert.equal(nestlab(['migrate', 'app', 'esx2', ...s]).code, 0);
  const store = new Store(join(dir, 'state'));
  try {
    const rt = JSON.parse(store.objects('vmotion').find((o) => o.id === 'vm:app')!.runtime) as { host: string; lock?: { host: string; datastores: string[] } };
    assert.equal(rt.host, 'esx2');
    assert.ok(rt.lock, 'the VM holds a lock on its datastore');
    assert.deepEqual([rt.lock.host, rt.lock.datastores], ['esx2', ['shared']]);
  } finally {
    store.close();
  }
});
