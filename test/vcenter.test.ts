// vCenter availability (spec/network.md §6 R6.2–R6.4, issue 5 item 1): while vCenter is down
// (no `vcenter:`, or its VM powered off; `external` is always up) a VM NIC on a static dv port
// group that never held a port cannot power on, one that holds its port (bound at a power-on
// while vCenter was up) powers on and keeps it, ephemeral port groups always power on; vMotion
// needs vCenter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeDvPort, nicsNeedingVcenter, vcenterState } from '../src/cluster/vcenter.js';
import { Store } from '../src/store/store.js';
import { nestlab, tempDir } from './helpers.js';

const LAB = (vcenter: string) => `lab: vc
${vcenter}
datastores:
  - { name: nfs, type: nfs, capacity: 1TB, hosts: [esx1] }
hosts:
  - name: esx1
    cpu: xeon-e3-1230-v3
    memory: 64GB
    nics: [{ name: vmnic0 }, { name: vmnic1 }]
    switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: Management }] }]
distributedSwitches:
  - name: dvs
    version: '7.0.0'
    members: [{ host: esx1, uplinks: [vmnic1] }]
    portgroups:
      - { name: Static, vlan: 10 }
      - { name: Eph, vlan: 20, binding: ephemeral }
vms:
  - { name: vcsa, host: esx1, cpus: 2, memory: 8GB, disks: [{ datastore: nfs, size: 20GB }], nics: [{ network: Management }] }
  - { name: a, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: Static }] }
  - { name: b, host: esx1, cpus: 1, memory: 1GB, power: off, nics: [{ network: Static }] }
  - { name: e, host: esx1, cpus: 1, memory: 1GB, power: off, nics: [{ network: Eph }] }
`;

function upLab(text: string): { state: string; s: string[]; up: Record<string, any> } { // eslint-disable-line @typescript-eslint/no-explicit-any
  const dir = tempDir();
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, text);
  const state = join(dir, 'state');
  const s = ['--state', state, '--json'];
  const r = nestlab(['up', file, ...s]);
  return { state, s, up: r.json() };
}

function dvPort(state: string, vnic: string): number | undefined {
  const store = new Store(state);
  try {
    return (JSON.parse(store.objects('vc').find((o) => o.id === vnic)!.runtime) as { dvPort?: number }).dvPort;
  } finally {
    store.close();
  }
}

test('vCenter state: external is always up, a VM while powered on, none never (issue 5 item 1)', () => {
  assert.deepEqual(vcenterState('external', undefined), { up: true, vcenter: 'external' });
  assert.deepEqual(vcenterState('vcsa', 'on'), { up: true, vcenter: 'vcsa' });
  assert.equal(vcenterState('vcsa', 'off').up, false);
  assert.equal(vcenterState(undefined, undefined).up, false);
  const nics = [{ id: 'n0', portgroup: 'p', binding: 'static' as const }, { id: 'n1', portgroup: 'p', binding: 'static' as const, port: 3 }, { id: 'n2', portgroup: 'q', binding: 'ephemeral' as const }];
  assert.deepEqual(nicsNeedingVcenter(nics, false).map((n) => n.id), ['n0'], 'R6.4: only a static NIC without a port');
  assert.deepEqual(nicsNeedingVcenter(nics, true), []);
  assert.equal(freeDvPort(new Set([0, 1, 3])), 2);
});

test('§10.30 / R6.2–R6.4: with vCenter down a bound static NIC powers on and keeps its port, a never-bound one is refused, ephemeral powers on', () => {
  const { state, s, up } = upLab(LAB('vcenter: vcsa'));
  assert.deepEqual(up.poweredOn, ['vcsa', 'a']);
  assert.equal(dvPort(state, 'vnic:a/0'), 0, 'a bound dvPort 0 at its first power-on (vCenter up)');
  assert.equal(nestlab(['power', 'off', 'vcsa', ...s]).code, 0);
  // A, already bound, power-cycles without vCenter and keeps port 0 (R6.2, R6.4a).
  assert.equal(nestlab(['power', 'off', 'a', ...s]).code, 0);
  const a = nestlab(['power', 'on', 'a', ...s]);
  assert.equal(a.code, 0, a.stdout + a.stderr);
  assert.equal(dvPort(state, 'vnic:a/0'), 0);
  // B never held a port: binding one needs vCenter (R6.2, R6.4c).
  const b = nestlab(['power', 'on', 'b', ...s]);
  assert.equal(b.code, 3);
  const err = b.json();
  assert.equal(err.code, 'vcenter-unavailable');
  assert.match(err.message, /Addition or reconfiguration of network adapters attached to non-ephemeral distributed virtual port groups is not supported/);
  assert.deepEqual(err.nics, [{ nic: 0, portgroup: 'Static' }]);
  assert.equal(dvPort(state, 'vnic:b/0'), undefined);
  // Ephemeral: the host creates a port at power-on, no vCenter needed (R6.3, R6.4b).
  assert.equal(nestlab(['power', 'on', 'e', ...s]).code, 0);
  assert.equal(dvPort(state, 'vnic:e/0'), undefined, 'ephemeral ports are not kept');
  // vCenter back: B binds the next free port.
  assert.equal(nestlab(['power', 'on', 'vcsa', ...s]).code, 0);
  assert.equal(nestlab(['power', 'on', 'b', ...s]).code, 0);
  assert.equal(dvPort(state, 'vnic:b/0'), 1);
});

test('§10.30 / R6.2: adding a NIC on a static dv port group to an existing VM needs vCenter: refused while it is down (nothing changes), bound at once when it is up', () => {
  const { state, s } = upLab(LAB('vcenter: vcsa'));
  const file = join(state, '..', 'lab.yaml');
  const withNic = LAB('vcenter: vcsa').replace('{ name: a, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: Static }] }', '{ name: a, host: esx1, cpus: 1, memory: 1GB, nics: [{ network: Static }, { network: Static }] }');
  writeFileSync(file, withNic);
  assert.equal(nestlab(['power', 'off', 'vcsa', ...s]).code, 0);
  const refused = nestlab(['up', file, ...s]);
  assert.equal(refused.code, 3, refused.stdout);
  assert.equal(refused.json().code, 'vcenter-unavailable');
  assert.match(refused.json().message, /Addition or reconfiguration of network adapters attached to non-ephemeral distributed virtual port groups is not supported: a's nic1/);
  assert.equal(nestlab(['show', 'a', ...s]).json().nics.length, 1, 'the refused up changed nothing');
  // vCenter back: the new NIC takes the next free port at once, though its VM is already running (R6.2).
  assert.equal(nestlab(['power', 'on', 'vcsa', ...s]).code, 0);
  const ok = nestlab(['up', file, ...s]);
  assert.equal(ok.code, 0, ok.stdout);
  assert.equal(dvPort(state, 'vnic:a/0'), 0);
  assert.equal(dvPort(state, 'vnic:a/1'), 1);
});

test('R6.2: a lab without vCenter cannot bind static dvPorts; vcenter: external is always up', () => {
  const none = upLab(LAB(''));
  assert.deepEqual(none.up.failed.map((f: { name: string; error: { code: string } }) => [f.name, f.error.code]), [['a', 'vcenter-unavailable']]);
  const ext = upLab(LAB('vcenter: external'));
  assert.deepEqual(ext.up.failed, []);
  assert.equal(dvPort(ext.state, 'vnic:a/0'), 0);
});

test('vMotion needs vCenter: refused while the vCenter VM is off (issue 5 item 1)', () => {
  const { s } = upLab(LAB('vcenter: vcsa'));
  assert.equal(nestlab(['power', 'off', 'vcsa', ...s]).code, 0);
  const r = nestlab(['migrate', 'a', 'esx1', ...s]);
  assert.equal(r.code, 3);
  assert.equal(r.json().code, 'vcenter-unavailable');
  assert.match(r.json().message, /vcsa is powered off/);
});
