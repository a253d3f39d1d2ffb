// VMFS locking (spec/compute.md §9; scenario §11.21's 16 s liveness timeout): the host running a
// VM holds its files' locks; a power-on elsewhere fails with `file-locked` until the owner's
// heartbeat has been stale for 16 s; a clean power-off releases them; a crash (`fail`) does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lockDatastores, lockVerdict, VMFS_LIVENESS_TIMEOUT_MS } from '../src/storage/locks.js';
import { nestlab, tempDir } from './helpers.js';

test('§9 liveness timeout is 16 s; a VM locks each datastore of its disks once; no disks, no lock', () => {
  assert.equal(VMFS_LIVENESS_TIMEOUT_MS, 16_000);
  assert.deepEqual(lockDatastores([{ datastore: 'a' }, { datastore: 'b' }, { datastore: 'a' }]), ['a', 'b']);
  assert.deepEqual(lockDatastores([]), []);
});

test('§9 lock verdicts: same host or no lock passes; live owner refuses (not breakable); stale < 16 s refuses with the time left; ≥ 16 s breaks', () => {
  const lock = { host: 'esx1', datastores: ['san'], sinceMs: 0 };
  assert.deepEqual(lockVerdict(undefined, 'esx2', undefined, 0), { ok: true, broken: false });
  assert.deepEqual(lockVerdict(lock, 'esx1', undefined, 0), { ok: true, broken: false });
  const alive = lockVerdict(lock, 'esx2', undefined, 100_000);
  assert.equal(alive.ok, false);
  if (!alive.ok) {
    assert.equal(alive.owner, 'esx1');
    assert.equal(alive.datastore, 'san');
    assert.equal(alive.breakableInS, null);
  }
  const stale = lockVerdict(lock, 'esx2', 1_000, 11_000);
  assert.equal(stale.ok, false);
  if (!stale.ok) assert.equal(stale.breakableInS, 6);
  assert.deepEqual(lockVerdict(lock, 'esx2', 1_000, 17_000), { ok: true, broken: true });
  assert.deepEqual(lockVerdict(lock, 'esx2', 1_000, 16_999).ok, false);
});

const LAB = (vmHost: string, disks = '[{ datastore: san, size: 10GB }]') => `lab: locks
datastores:
  - { name: san, type: vmfs, capacity: 2TB, hosts: [esx1, esx2] }
hosts:
  - { name: esx1, cpu: xeon-e3-1230-v3, memory: 32GB, switches: [{ name: vSwitch0, portgroups: [{ name: VM Network }] }] }
  - { name: esx2, cpu: xeon-e3-1230-v3, memory: 32GB, switches: [{ name: vSwitch0, portgroups: [{ name: VM Network }] }] }
vms:
  - { name: app, host: ${vmHost}, cpus: 1, memory: 1GB, disks: ${disks}, nics: [{ network: VM Network }] }
`;

function setup(disks?: string) {
  const dir = tempDir();
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, LAB('esx1', disks));
  const s = ['--state', join(dir, 'state'), '--json'];
  const r = nestlab(['up', file, ...s]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return { file, s, move: () => writeFileSync(file, LAB('esx2', disks)) };
}

test('§9/§11.21 after a crash the lock holds for 16 s: power-on elsewhere fails with file-locked (owner, datastore, seconds left), then breaks the stale lock', () => {
  const { file, s, move } = setup();
  const f = nestlab(['fail', 'esx1', ...s]);
  assert.equal(f.code, 0, f.stdout + f.stderr);
  assert.deepEqual(f.json().vmsDown, ['app']);
  move(); // the lab file now places app on esx2: a cold relocation and a power-on there
  let r = nestlab(['up', file, ...s]);
  assert.equal(r.code, 3);
  let e = r.json().failed[0].error;
  assert.equal(e.code, 'file-locked');
  assert.equal(e.owner, 'esx1');
  assert.equal(e.datastore, 'san');
  assert.equal(e.breakableInS, 16);
  assert.match(e.message, /Failed to lock the file/);
  assert.equal(nestlab(['advance', '10s', ...s]).code, 0);
  r = nestlab(['up', file, ...s]);
  e = r.json().failed[0].error;
  assert.equal(e.code, 'file-locked');
  assert.equal(e.breakableInS, 6);
  assert.equal(nestlab(['advance', '6s', ...s]).code, 0);
  r = nestlab(['up', file, ...s]);
  assert.equal(r.code, 0, r.stdout);
  assert.deepEqual(r.json().poweredOn, ['app']);
  const ev = nestlab(['events', '--type', 'vmfs.', ...s]).json().events as Array<{ type: string; message: string }>;
  assert.ok(ev.some((x) => x.type === 'vmfs.lock-broken' && /esx2 broke the stale lock of app held by esx1 on san/.test(x.message)), JSON.stringify(ev));
});

test('§9 a clean power-off releases the lock: the VM powers on elsewhere at once', () => {
  const { file, s, move } = setup();
  assert.equal(nestlab(['power', 'off', 'app', ...s]).code, 0);
  move();
  const r = nestlab(['up', file, ...s]);
  assert.equal(r.code, 0, r.stdout);
  assert.deepEqual(r.json().poweredOn, ['app']);
});

test('§9 a VM without disks holds no lock; the host that recovers frees its own stale locks', () => {
  const a = setup('[]');
  assert.equal(nestlab(['fail', 'esx1', ...a.s]).code, 0);
  a.move();
  assert.equal(nestlab(['up', a.file, ...a.s]).code, 0);

  const b = setup();
  assert.equal(nestlab(['fail', 'esx1', ...b.s]).code, 0);
  const rec = nestlab(['recover', 'esx1', ...b.s]);
  assert.equal(rec.code, 0, rec.stdout + rec.stderr);
  assert.equal(rec.json().state, 'connected');
  assert.deepEqual(rec.json().stayedOff, ['app'], 'VMs stay off after power loss');
  b.move();
  const r = nestlab(['up', b.file, ...b.s]);
  assert.equal(r.code, 0, r.stdout);
});
