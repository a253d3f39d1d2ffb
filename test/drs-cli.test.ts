// DRS and maintenance mode from the command line (spec/compute.md §7, §11.24; spec/cli.md
// `drs`, `maintenance enter|exit`): recommendations applied by vMotion in a fully automated
// cluster, evacuation before maintenance, must rules that block it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nestlab, tempDir } from './helpers.js';

const LAB = (o: { automation?: string; rules?: string } = {}) => `lab: drs
vcenter: external
network:
  switches:
    - { name: core, ports: { default: { mode: trunk } } }
datastores:
  - { name: nfs, type: nfs, capacity: 4TB, hosts: [h1, h2] }
hosts:
${['h1', 'h2'].map((h, i) => `  - name: ${h}
    cpu: xeon-gold-6130
    memory: 64GB
    nics: [{ name: vmnic0, connect: core/p${i + 1} }]
    switches:
      - name: vSwitch0
        uplinks: [vmnic0]
        portgroups:
          - { name: Management, vmkernel: [{ name: vmk0, ip: 10.0.0.${i + 1}/24, services: [management] }, { name: vmk1, ip: 10.0.1.${i + 1}/24, services: [vmotion] }] }
          - { name: VM Network }`).join('\n')}
clusters:
  - name: c1
    hosts: [h1, h2]
    drs: { enabled: true, automation: ${o.automation ?? 'fully-automated'}, threshold: 3 }
${o.rules ?? ''}
vms:
${[1, 2, 3, 4].map((n) => `  - { name: vm${n}, host: h1, cpus: 2, memory: 8GB, workload: busy, nics: [{ network: VM Network }], disks: [{ datastore: nfs, size: 20GB }] }`).join('\n')}
`;

function upLab(text: string): string[] {
  const dir = tempDir();
  writeFileSync(join(dir, 'lab.yaml'), text);
  const s = ['--state', join(dir, 'state'), '--json'];
  const r = nestlab(['up', join(dir, 'lab.yaml'), ...s]);
  assert.equal(r.code, 0, r.stdout);
  return s;
}

test('§7 a fully automated cluster applies DRS moves with vMotion; manual only recommends', () => {
  const manual = upLab(LAB({ automation: 'manual' }));
  const m = nestlab(['drs', 'c1', ...manual]).json();
  assert.ok(m.imbalance > 0.1, String(m.imbalance));
  assert.ok(m.recommendations.length >= 1);
  assert.deepEqual(m.applied, []);
  assert.equal(nestlab(['show', 'vm1', ...manual]).json().host, 'h1', 'manual: nothing moved');
  for (const k of ['imbalance', 'priority', 'recommendations']) assert.ok(k in m, k);
  for (const k of ['vm', 'from', 'to', 'priority']) assert.ok(k in m.recommendations[0], k);

  const auto = upLab(LAB());
  const a = nestlab(['drs', 'c1', ...auto]);
  assert.equal(a.code, 0, a.stdout);
  const moved = a.json().applied as Array<{ vm: string; to: string; ok: boolean }>;
  assert.ok(moved.length >= 1 && moved.every((x) => x.ok && x.to === 'h2'), JSON.stringify(moved));
  assert.equal(nestlab(['show', moved[0]!.vm, ...auto]).json().host, 'h2');
  assert.ok(nestlab(['events', '--type', 'vm.migrated', ...auto]).json().events.length >= 1 || nestlab(['tasks', ...auto]).json().tasks.some((t: { kind: string }) => t.kind === 'migrate'));
});

test('§7 maintenance mode evacuates by DRS; a must rule blocks it (§11.24)', () => {
  const s = upLab(LAB({ automation: 'manual' }));
  const enter = nestlab(['maintenance', 'enter', 'h1', ...s]);
  assert.equal(enter.code, 0, enter.stdout);
  assert.equal(enter.json().state, 'maintenance');
  assert.deepEqual(enter.json().evacuated.map((e: { vm: string }) => e.vm).sort(), ['vm1', 'vm2', 'vm3', 'vm4']);
  assert.equal(nestlab(['show', 'vm1', ...s]).json().host, 'h2');
  assert.equal(nestlab(['power', 'on', 'vm1', ...s]).json().code, 'invalid-power-state');
  assert.equal(nestlab(['maintenance', 'exit', 'h1', ...s]).json().state, 'connected');

  const pinned = upLab(LAB({ rules: '    rules: [{ name: pin, type: vm-host-must, vms: [vm1], hosts: [h1] }]' }));
  const blocked = nestlab(['maintenance', 'enter', 'h1', ...pinned]);
  assert.equal(blocked.code, 3);
  assert.equal(blocked.json().code, 'maintenance-blocked');
  assert.match(blocked.json().message, /must rule/);
  assert.equal(nestlab(['show', 'h1', ...pinned]).json().state, 'connected', 'nothing changed');
});

test('DRS needs vCenter', () => {
  const s = upLab(LAB().replace('vcenter: external\n', ''));
  const r = nestlab(['drs', 'c1', ...s]);
  assert.equal(r.json().code, 'vcenter-unavailable');
});

test('§7 fully automated DRS balances as virtual time passes (every 5 minutes)', () => {
  const s = upLab(LAB());
  assert.equal(nestlab(['advance', '1m', ...s]).json().drsPasses, 0, 'not yet: DRS runs every 5 minutes');
  const adv = nestlab(['advance', '5m', ...s]).json();
  assert.equal(adv.drsPasses, 1);
  const hosts = ['vm1', 'vm2', 'vm3', 'vm4'].map((v) => nestlab(['show', v, ...s]).json().host);
  assert.ok(hosts.includes('h2'), `some VMs moved to h2: ${hosts.join(', ')}`);
});

// §7 "Per-VM overrides, including disabled": a VM's own automation level.
test('§7 per-VM DRS overrides: manual VMs are recommended but not moved in a fully automated cluster; a disabled VM is never moved and blocks maintenance', () => {
  const override = (level: string, vms: string[]) => (text: string) => vms.reduce((t, v) => t.replace(`name: ${v}, host: h1,`, `name: ${v}, host: h1, drs: { automation: ${level} },`), text);
  const manual = upLab(override('manual', ['vm1', 'vm2', 'vm3', 'vm4'])(LAB()));
  const m = nestlab(['drs', 'c1', ...manual]).json();
  assert.ok(m.recommendations.length >= 1, 'DRS still recommends their moves');
  assert.deepEqual(m.applied, [], 'but applies none: every VM is manual');

  const up = upLab(override('fully-automated', ['vm1', 'vm2', 'vm3', 'vm4'])(LAB({ automation: 'manual' })));
  const u = nestlab(['drs', 'c1', ...up]).json();
  assert.ok(u.applied.length >= 1 && u.applied.every((a: { ok: boolean }) => a.ok), 'a fully automated override moves its VM in a manual cluster');

  const off = upLab(override('disabled', ['vm1'])(LAB()));
  const d = nestlab(['drs', 'c1', ...off]).json();
  assert.ok(!d.recommendations.some((r: { vm: string }) => r.vm === 'vm1'), 'DRS leaves a disabled VM alone');
  const blocked = nestlab(['maintenance', 'enter', 'h1', ...off]);
  assert.equal(blocked.code, 3);
  assert.equal(blocked.json().code, 'maintenance-blocked');
  assert.match(blocked.json().message, /vm1: DRS is disabled for vm1/);
});
