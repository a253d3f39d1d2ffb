// DRS initial placement (spec/compute.md §7; issue 5 item 4): a VM declared with `cluster:` that
// powers on in a DRS cluster starts on the host DRS picks — never against a must rule or an
// anti-affinity rule, preferring should rules and affinity, then the least loaded host that
// passes every power-on check. Conflicting rules: the older wins (§7). HA restarts never break a
// must rule (§7 "DRS, HA and DPM never violate a must rule").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nestlab, tempDir } from './helpers.js';

interface Opts {
  drs?: string;
  /** the hosts mounting the shared datastore (default: all) */
  san?: string[];
  rules?: string;
  vms: string[];
  maintenance?: string;
  ha?: string;
}

const HOSTS = ['esx1', 'esx2', 'esx3'];
const D = 'disks: [{ datastore: san, size: 10GB }], nics: [{ network: VM Network }]';

const LAB = (o: Opts) => `lab: placement
vcenter: external
datastores:
  - { name: san, type: vmfs, capacity: 2TB, hosts: [${(o.san ?? HOSTS).join(', ')}] }
hosts:
${HOSTS.map((h) => `  - { name: ${h}, cpu: xeon-gold-6130, memory: 64GB${o.maintenance === h ? ', maintenance: true' : ''}, switches: [{ name: vSwitch0, portgroups: [{ name: VM Network }] }] }`).join('\n')}
clusters:
  - name: c1
    hosts: [${HOSTS.join(', ')}]
    drs: ${o.drs ?? '{ enabled: true, automation: partially-automated }'}
${o.ha ? `    ha: ${o.ha}\n` : ''}    rules: [${o.rules ?? ''}]
vms:
${o.vms.map((v) => `  - { ${v}, ${D} }`).join('\n')}
`;

function lab(o: Opts) {
  const dir = tempDir();
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, LAB(o));
  const s = ['--state', join(dir, 'state'), '--json'];
  const up = nestlab(['up', file, ...s]);
  const run = (...args: string[]) => nestlab([...args, ...s]);
  const host = (vm: string) => String(run('show', vm).json().host);
  const placed = () => (run('events', '--type', 'drs.placed').json().events as Array<{ object: string; message: string }>);
  return { file, up, run, host, placed };
}

test('§7 initial placement: a cluster: VM goes to the least loaded host, and the decision is an event', () => {
  const l = lab({ vms: ['name: big1, host: esx1, cpus: 8, memory: 48GB', 'name: big2, host: esx2, cpus: 8, memory: 32GB', 'name: web, cluster: c1, cpus: 2, memory: 4GB'] });
  assert.equal(l.up.code, 0, l.up.stdout);
  assert.equal(l.host('web'), 'esx3');
  const e = l.placed();
  assert.equal(e.length, 1);
  assert.equal(e[0]!.object, 'vm:web');
  assert.match(e[0]!.message, /DRS placed web on esx3/);

  // The least loaded host without the VM's datastore is passed over (§6 storage, as for vMotion).
  const noSan = lab({ san: ['esx1', 'esx2'], vms: ['name: big1, host: esx1, cpus: 8, memory: 48GB', 'name: big2, host: esx2, cpus: 8, memory: 32GB', 'name: web, cluster: c1, cpus: 2, memory: 4GB'] });
  assert.equal(noSan.up.code, 0, noSan.up.stdout);
  assert.equal(noSan.host('web'), 'esx2');
  assert.match(noSan.placed()[0]!.message, /after esx3 refused it/);
});

test('§7 initial placement never breaks a must rule, and prefers a should rule over load', () => {
  const must = lab({
    rules: '{ name: pin, type: vm-host-must, vms: [db], hosts: [esx1] }',
    vms: ['name: big1, host: esx1, cpus: 8, memory: 48GB', 'name: db, cluster: c1, cpus: 2, memory: 4GB'],
  });
  assert.equal(must.up.code, 0, must.up.stdout);
  assert.equal(must.host('db'), 'esx1', 'the must rule wins over the load');

  const should = lab({
    rules: '{ name: prefer, type: vm-host-should, vms: [db], hosts: [esx1, esx2] }',
    vms: ['name: big1, host: esx1, cpus: 8, memory: 48GB', 'name: db, cluster: c1, cpus: 2, memory: 4GB'],
  });
  assert.equal(should.host('db'), 'esx2', 'the should rule first, then the lighter of its hosts');
});

test('§7 initial placement keeps anti-affine VMs apart and puts affine VMs together; no host left → no-compatible-host with every reason', () => {
  const apart = lab({
    rules: '{ name: apart, type: vm-anti-affinity, vms: [a1, a2, a3] }, { name: together, type: vm-affinity, vms: [t1, t2] }',
    vms: ['name: a1, cluster: c1, cpus: 1, memory: 2GB', 'name: a2, cluster: c1, cpus: 1, memory: 2GB', 'name: a3, cluster: c1, cpus: 1, memory: 2GB',
      'name: t1, cluster: c1, cpus: 1, memory: 2GB', 'name: t2, cluster: c1, cpus: 1, memory: 2GB'],
  });
  assert.equal(apart.up.code, 0, apart.up.stdout);
  assert.equal(new Set(['a1', 'a2', 'a3'].map(apart.host)).size, 3);
  assert.equal(apart.host('t1'), apart.host('t2'));

  const full = lab({
    maintenance: 'esx3',
    rules: '{ name: apart, type: vm-anti-affinity, vms: [a1, a2, a3] }',
    vms: ['name: a1, cluster: c1, cpus: 1, memory: 2GB', 'name: a2, cluster: c1, cpus: 1, memory: 2GB', 'name: a3, cluster: c1, cpus: 1, memory: 2GB'],
  });
  assert.equal(full.up.code, 3, full.up.stdout);
  const failed = full.up.json().failed as Array<{ name: string; error: { code: string; message: string; reasons: Record<string, { code: string }> } }>;
  assert.equal(failed.length, 1);
  assert.equal(failed[0]!.error.code, 'no-compatible-host');
  assert.deepEqual(Object.fromEntries(Object.entries(failed[0]!.error.reasons).map(([h, r]) => [h, r.code])), { esx1: 'drs-rule', esx2: 'drs-rule', esx3: 'host-in-maintenance' });
  assert.match(failed[0]!.error.message, /rule apart \(vm-anti-affinity\)/);
});

test('§7 conflicting rules: the older wins, the newer is ignored (and validate warns drs-rule-conflict)', () => {
  const l = lab({
    rules: '{ name: on-esx1, type: vm-host-must, vms: [db], hosts: [esx1] }, { name: on-esx2, type: vm-host-must, vms: [db], hosts: [esx2] }',
    vms: ['name: db, cluster: c1, cpus: 2, memory: 4GB'],
  });
  assert.equal(l.up.code, 0, l.up.stdout);
  assert.equal(l.host('db'), 'esx1');
  const v = nestlab(['validate', l.file, '--json']).json() as { warnings: Array<{ code: string; path: string }> };
  assert.deepEqual(v.warnings.filter((w) => w.code === 'drs-rule-conflict').length, 1);
});

test('§7 without DRS (or in a cluster whose DRS is off) a cluster: VM starts where it is registered, with no DRS decision', () => {
  const l = lab({ drs: '{ enabled: false }', rules: '{ name: pin, type: vm-host-must, vms: [db], hosts: [esx3] }', vms: ['name: big1, host: esx1, cpus: 8, memory: 48GB', 'name: db, cluster: c1, cpus: 2, memory: 4GB'] });
  assert.equal(l.up.code, 0, l.up.stdout);
  assert.deepEqual(l.placed(), []);
});

test('§7 HA never restarts a VM against a must rule: with its only allowed host down it stays off, the reason named', () => {
  const l = lab({
    ha: '{ enabled: true, admissionControl: { policy: disabled } }',
    rules: '{ name: pin, type: vm-host-must, vms: [db], hosts: [esx1] }',
    vms: ['name: db, cluster: c1, cpus: 2, memory: 4GB', 'name: free, host: esx1, cpus: 1, memory: 1GB'],
  });
  assert.equal(l.host('db'), 'esx1');
  assert.equal(l.run('fail', 'esx1').code, 0);
  l.run('advance', '20s');
  assert.equal(l.run('show', 'db').json().state, 'off');
  assert.notEqual(l.host('free'), 'esx1', 'a VM without rules is restarted elsewhere');
  const failed = l.run('events', '--type', 'ha.restart-failed').json().events as Array<{ object: string; message: string }>;
  assert.equal(failed.length, 1);
  assert.match(failed[0]!.message, /rule pin \(vm-host-must\) keeps db on esx1/);
});

test('§7 without DRS, a cluster: VM is registered on the host with the most memory free — counting the VMs pinned with host:, wherever the file lists them', () => {
  // db comes first in the file, big1 (48 GB on esx1) after it: esx1 is still the fullest host.
  const l = lab({ drs: '{ enabled: false }', vms: ['name: db, cluster: c1, cpus: 2, memory: 4GB', 'name: big1, host: esx1, cpus: 8, memory: 48GB', 'name: big2, host: esx2, cpus: 8, memory: 32GB'] });
  assert.equal(l.up.code, 0, l.up.stdout);
  assert.equal(l.host('db'), 'esx3');
});
