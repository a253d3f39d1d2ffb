// vSphere HA (spec/compute.md §8) and `nestlab fail|recover` (spec/cli.md): admission control
// formulas (§8 a–c, §11.19), failure detection and restart timing with priorities (§11.21),
// isolation and its responses with VMFS locks (§11.22, §9), and HA at two nesting levels.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  electPrimary, failoverCapacity, haAdmission, hostSlots, monitorVerdict, nextRestartAttemptMs, percentageReport, restartOrder, slotReport, slotSize, vmMonitoringSettings,
  type HaVm, percentageDemand, type ClusterLoad } from '../src/cluster/ha.js';

/** A cluster's running VMs as admission control reads them (listed, or summed). */
function loadOf(vms: readonly HaVm[]): ClusterLoad {
  return {
    running: () => vms,
    totals: () => vms.reduce((t, v) => { const d = percentageDemand(v); return { cpuMHz: t.cpuMHz + d.cpuMHz, memoryMB: t.memoryMB + d.memoryMB }; }, { cpuMHz: 0, memoryMB: 0 }),
  };
}
import { nestlab, tempDir } from './helpers.js';

const GB = 1024;
const vm = (name: string, cpu: number, memGB: number, overhead = 0): HaVm => ({ name, cpuReservationMHz: cpu, memoryReservationMB: memGB * GB, overheadMB: overhead });

test('§8(a) slot policy, the docs example: slot 2 GHz / 2 GB; H1 4, H2 3, H3 3 slots; current failover capacity 1', () => {
  const hosts = [{ name: 'H1', cpuMHz: 9000, memoryMB: 9 * GB }, { name: 'H2', cpuMHz: 9000, memoryMB: 6 * GB }, { name: 'H3', cpuMHz: 6000, memoryMB: 6 * GB }];
  const vms = [vm('a', 2000, 1), vm('b', 2000, 1), vm('c', 1000, 2), vm('d', 1000, 1), vm('e', 1000, 1)];
  assert.deepEqual(slotSize(vms), { cpuMHz: 2000, memoryMB: 2 * GB });
  const r = slotReport(hosts, vms);
  assert.deepEqual(r.slots, { H1: 4, H2: 3, H3: 3 });
  assert.equal(r.failoverCapacity, 1, 'losing H1 leaves 6 ≥ 5; losing H1 and H2 leaves 3 < 5');
  assert.equal(failoverCapacity([4, 3, 3], 7), 0);
  // A power-on that would drop the capacity below the configured level is refused.
  const policy = { policy: 'slots' as const, hostFailures: 1, hosts: [] };
  assert.equal(haAdmission(policy, hosts, loadOf(vms), vm('f', 1000, 1), 'H1', 'c'), undefined, '6 VMs still fit in 6 slots without H1');
  const refused = haAdmission(policy, hosts, loadOf([...vms, vm('f', 1000, 1)]), vm('g', 1000, 1), 'H1', 'c');
  assert.ok(refused);
  assert.equal(refused.details.failoverCapacity, 0);
});

test('§11.19 HA slot defaults: no reservations, largest overhead 84 MB; 19,200 MHz / 65,536 MB host → 600 CPU, 780 memory slots → 600', () => {
  const slot = slotSize([vm('a', 0, 0, 84), vm('b', 0, 0, 30)]);
  assert.deepEqual(slot, { cpuMHz: 32, memoryMB: 84 });
  assert.equal(Math.floor(65_536 / 84), 780);
  assert.equal(hostSlots({ name: 'h', cpuMHz: 2 * 4 * 2400, memoryMB: 65_536 }, slot), 600);
});

// §8 (a) "Caps: das.slotcpuinmhz, das.slotmeminmb" — one big reservation no longer shrinks every host's slot count.
test('§8(a) slot caps: das.slotcpuinmhz / das.slotmeminmb bound the slot; the lab fields slotCpu / slotMemory reach `nestlab ha`', () => {
  const vms = [vm('big', 8000, 16, 100), vm('small', 500, 1, 30)];
  assert.deepEqual(slotSize(vms), { cpuMHz: 8000, memoryMB: 16 * GB + 100 });
  assert.deepEqual(slotSize(vms, { cpuMHz: 1000, memoryMB: 2 * GB }), { cpuMHz: 1000, memoryMB: 2 * GB });
  const hosts = [{ name: 'H1', cpuMHz: 19_200, memoryMB: 64 * GB }, { name: 'H2', cpuMHz: 19_200, memoryMB: 64 * GB }];
  assert.deepEqual(slotReport(hosts, vms).slots, { H1: 2, H2: 2 });
  assert.deepEqual(slotReport(hosts, vms, { cpuMHz: 1000, memoryMB: 2 * GB }).slots, { H1: 19, H2: 19 });

  const { run } = lab(THREE('{ enabled: true, admissionControl: { policy: slots, slotCpu: 1GHz, slotMemory: 2GB } }',
    `  - { name: big, host: esx1, cpus: 2, memory: 16GB, resources: { cpu: { reservation: 4GHz }, memory: { reservation: 16GB } }, ${D} }`));
  const h = run('ha', 'c1').json();
  assert.deepEqual([h.slots.cpuMHz, h.slots.memoryMB], [1000, 2048]);
});

test('§8(b) percentage, the docs example: 24 GHz / 21 GB, 7 GHz / 6 GB required → 70.8% CPU, 71.4% memory failover capacity', () => {
  const hosts = [{ name: 'a', cpuMHz: 12_000, memoryMB: 10 * GB }, { name: 'b', cpuMHz: 12_000, memoryMB: 11 * GB }];
  const vms = [vm('x', 4000, 3), vm('y', 3000, 3)];
  const r = percentageReport(hosts, vms);
  assert.ok(Math.abs(r.cpuFailoverCapacity - 17 / 24) < 1e-9);
  assert.ok(Math.abs(r.memoryFailoverCapacity - 15 / 21) < 1e-9);
  // No reservation: 32 MHz and 0 MB + overhead count.
  assert.equal(percentageReport(hosts, [vm('z', 0, 0, 50)]).cpuRequiredMHz, 32);
  const policy = { policy: 'percentage' as const, hostFailures: 1, cpu: 0.25, memory: 0.25, hosts: [] };
  assert.equal(haAdmission(policy, hosts, loadOf(vms), vm('n', 10_000, 1), 'a', 'c'), undefined, '(24 − 17) / 24 = 29% ≥ 25%');
  assert.ok(haAdmission(policy, hosts, loadOf(vms), vm('n', 12_000, 1), 'a', 'c'), '(24 − 19) / 24 = 21% < 25%');
});

test('§8 restart priority order: High, then Medium, then Low; disabled never', () => {
  const order = restartOrder([{ n: 'l', priority: 'low' as const }, { n: 'm', priority: 'medium' as const }, { n: 'd', priority: 'disabled' as const }, { n: 'h', priority: 'high' as const }, { n: 'm2', priority: 'medium' as const }]);
  assert.deepEqual(order.map((x) => x.n), ['h', 'm', 'm2', 'l']);
});

// ---- CLI scenarios ---------------------------------------------------------------------------------

function lab(text: string) {
  const dir = tempDir();
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, text);
  const s = ['--state', join(dir, 'state'), '--json'];
  const up = nestlab(['up', file, ...s]);
  return { file, s, up, run: (...args: string[]) => nestlab([...args, ...s]) };
}

type Ev = { seq: number; time: number; type: string; object: string | null; message: string };
const events = (run: (...a: string[]) => ReturnType<typeof nestlab>, type: string): Ev[] => run('events', '--type', type).json().events as Ev[];
const where = (run: (...a: string[]) => ReturnType<typeof nestlab>, name: string) => { const j = run('show', name).json(); return `${String(j.state)}@${String(j.host)}`; };

const HOST = (n: string, mem = '32GB') => `  - { name: ${n}, cpu: xeon-e3-1230-v3, memory: ${mem}, switches: [{ name: vSwitch0, portgroups: [{ name: VM Network }] }] }`;
const THREE = (ha: string, vms: string) => `lab: ha
vcenter: external
datastores:
  - { name: san, type: vmfs, capacity: 2TB, hosts: [esx1, esx2, esx3] }
hosts:
${HOST('esx1')}
${HOST('esx2')}
${HOST('esx3')}
clusters:
  - { name: c1, hosts: [esx1, esx2, esx3], ha: ${ha} }
vms:
${vms}
`;
const D = 'disks: [{ datastore: san, size: 10GB }], nics: [{ network: VM Network }]';

test('§11.21 HA failure timing: declared failed at T0+15 s, restarts from T0+16 s (locks breakable), High → Medium → Low, disabled not restarted', () => {
  const { run, up } = lab(THREE('{ enabled: true, admissionControl: { policy: disabled } }', [
    `  - { name: low1, host: esx1, cpus: 1, memory: 1GB, ha: { restartPriority: low }, ${D} }`,
    `  - { name: med1, host: esx1, cpus: 1, memory: 1GB, ${D} }`,
    `  - { name: high1, host: esx1, cpus: 1, memory: 1GB, ha: { restartPriority: high }, ${D} }`,
    `  - { name: never, host: esx1, cpus: 1, memory: 1GB, ha: { restartPriority: disabled }, ${D} }`,
    `  - { name: other, host: esx2, cpus: 1, memory: 1GB, ${D} }`,
  ].join('\n')));
  assert.equal(up.code, 0, up.stdout);
  const f = run('fail', 'esx1');
  assert.equal(f.code, 0, f.stdout + f.stderr);
  assert.deepEqual(f.json().ha, [{ cluster: 'c1', host: 'esx1', event: 'declare-failed', at: 15 }]);
  assert.equal(run('show', 'esx1').json().state, 'not-responding');
  run('advance', '14s');
  assert.equal(events(run, 'ha.').length, 0, 'nothing declared before T0+15 s');
  run('advance', '1s');
  const declared = events(run, 'ha.host-failed');
  assert.equal(declared.length, 1);
  assert.equal(declared[0]!.time, 15);
  assert.equal(where(run, 'high1'), 'off@esx1', 'locks not yet breakable at T0+15 s');
  run('advance', '5s');
  const restarted = events(run, 'ha.vm-restarted');
  assert.deepEqual(restarted.map((e) => [e.object, e.time]), [['vm:high1', 16], ['vm:med1', 16], ['vm:low1', 16]]);
  for (const v of ['high1', 'med1', 'low1']) assert.match(where(run, v), /^on@esx[23]$/);
  assert.equal(where(run, 'never'), 'off@esx1');
  assert.equal(events(run, 'ha.restart-skipped')[0]!.object, 'vm:never');
  const tasks = run('tasks').json().tasks as Array<{ kind: string; target: string; state: string }>;
  assert.equal(tasks.filter((t) => t.kind === 'ha-restart' && t.state === 'success').length, 3);
  // The host comes back: connected, the VM HA did not restart stays off.
  const rec = run('recover', 'esx1');
  assert.equal(rec.json().state, 'connected');
  assert.deepEqual(rec.json().stayedOff, ['never']);
});

test('§8 a VM that cannot be restarted gets an event saying why (datastore not mounted on the survivors)', () => {
  const { run } = lab(`lab: ha
vcenter: external
datastores:
  - { name: local1, type: local-ssd, capacity: 500GB, hosts: [esx1] }
hosts:
${HOST('esx1')}
${HOST('esx2')}
clusters:
  - { name: c1, hosts: [esx1, esx2], ha: { enabled: true, admissionControl: { policy: disabled } } }
vms:
  - { name: pinned, host: esx1, cpus: 1, memory: 1GB, disks: [{ datastore: local1, size: 10GB }] }
`);
  // esx1 mounts the only datastore, so it is the primary (§8): esx2 elects itself and declares esx1
  // failed at T0+25 s.
  run('fail', 'esx1');
  run('advance', '30s');
  const failed = events(run, 'ha.restart-failed');
  assert.equal(failed.length, 1);
  assert.match(failed[0]!.message, /could not restart pinned.*esx2 does not mount datastore "local1"/);
  const t = (run('tasks').json().tasks as Array<{ kind: string; state: string; error: { code: string } | null }>).find((x) => x.kind === 'ha-restart')!;
  assert.equal(t.state, 'error');
  assert.equal(t.error!.code, 'datastore-not-mounted');
});

test('§8(a) admission control, slots: a power-on that leaves fewer than the tolerated host failures fails with insufficient-failover-resources', () => {
  // Slot = 12 GB + overhead; 2 slots per 32 GB host; tolerate 1 of 3 hosts → 4 slots for VMs.
  const vms = [1, 2, 3, 4, 5].map((i) => `  - { name: v${i}, host: esx${(i % 3) + 1}, cpus: 1, memory: 12GB, resources: { memory: { reservation: 12GB } } }`).join('\n');
  const { up, run } = lab(THREE('{ enabled: true, admissionControl: { policy: slots, hostFailures: 1 } }', vms));
  assert.equal(up.code, 3);
  assert.deepEqual(up.json().poweredOn, ['v1', 'v2', 'v3', 'v4']);
  const e = up.json().failed[0].error;
  assert.equal(e.code, 'insufficient-failover-resources');
  assert.deepEqual(e.slots, { esx1: 2, esx2: 2, esx3: 2 });
  assert.equal(e.failoverCapacity, 0);
  const status = run('ha', 'c1').json();
  assert.equal(status.slots.total, 6);
  assert.equal(status.slots.failoverCapacity, 1);
});

test('§8(b)(c) admission control, percentage and dedicated failover hosts', () => {
  const pct = lab(THREE('{ enabled: true, admissionControl: { policy: percentage, cpu: 50%, memory: 50% } }', [1, 2, 3, 4]
    .map((i) => `  - { name: v${i}, host: esx${(i % 3) + 1}, cpus: 1, memory: 12GB, resources: { memory: { reservation: 12GB } } }`).join('\n')));
  // 96 GB in the cluster; 50% kept free: three 12 GB VMs (+ overhead) fit, the fourth would leave < 50%.
  assert.equal(pct.up.code, 3, pct.up.stdout);
  assert.equal(pct.up.json().poweredOn.length, 3);
  assert.equal(pct.up.json().failed[0].error.code, 'insufficient-failover-resources');
  assert.equal(pct.up.json().failed[0].error.policy, 'percentage');

  const fo = lab(THREE('{ enabled: true, admissionControl: { policy: failover-hosts, hosts: [esx3] } }', [
    `  - { name: a, host: esx1, cpus: 1, memory: 1GB, ${D} }`,
    `  - { name: b, host: esx3, cpus: 1, memory: 1GB, ${D} }`,
  ].join('\n')));
  assert.equal(fo.up.code, 3);
  assert.deepEqual(fo.up.json().poweredOn, ['a']);
  assert.equal(fo.up.json().failed[0].error.code, 'insufficient-failover-resources');
  assert.equal(fo.up.json().failed[0].error.policy, 'failover-hosts');
  // Nor can vMotion (or DRS) put a VM there (§8 c).
  const mv = fo.run('migrate', 'a', 'esx3');
  assert.equal(mv.code, 3, mv.stdout);
  assert.equal(mv.json().code, 'insufficient-failover-resources');
  // The failover host is the preferred restart target (and HA's own restarts pass admission control).
  fo.run('fail', 'esx1');
  fo.run('advance', '20s');
  assert.equal(where(fo.run, 'a'), 'on@esx3');
});

test('§11.22 HA isolation, leave powered on: election T0+10 s, self-primary T0+25 s, isolated T0+30 s; restarts elsewhere fail with file-locked, the VMs keep running', () => {
  const { run } = lab(THREE('{ enabled: true, admissionControl: { policy: disabled }, isolationResponse: leave-powered-on }', [
    `  - { name: app, host: esx1, cpus: 1, memory: 1GB, ${D} }`,
  ].join('\n')));
  const f = run('fail', 'esx1', '--isolate');
  assert.equal(f.code, 0, f.stdout + f.stderr);
  assert.deepEqual(f.json().ha.map((h: { event: string; at: number }) => [h.event, h.at]), [['election', 10], ['self-primary', 25], ['isolated', 30]]);
  run('advance', '60s');
  assert.deepEqual(events(run, 'ha.').map((e) => [e.type, e.time]), [['ha.election', 10], ['ha.self-primary', 25], ['ha.host-isolated', 30], ['ha.restart-failed', 30]]);
  assert.match(events(run, 'ha.restart-failed')[0]!.message, /locked by host esx1, whose VMFS heartbeat is alive/);
  const t = (run('tasks').json().tasks as Array<{ kind: string; state: string; error: { code: string; reasons: Record<string, { code: string }> } | null }>).find((x) => x.kind === 'ha-restart')!;
  assert.equal(t.error!.code, 'file-locked');
  assert.deepEqual(Object.keys(t.error!.reasons).sort(), ['esx2', 'esx3']);
  assert.equal(where(run, 'app'), 'on@esx1');
  assert.equal(run('recover', 'esx1').code, 0);
});

test('§8 isolation response power-off: the isolated host powers its VMs off at T0+30 s and HA restarts them elsewhere', () => {
  const { run } = lab(THREE('{ enabled: true, admissionControl: { policy: disabled }, isolationResponse: power-off }', [
    `  - { name: app, host: esx1, cpus: 1, memory: 1GB, ${D} }`,
  ].join('\n')));
  run('fail', 'esx1', '--isolate');
  run('advance', '29s');
  assert.equal(where(run, 'app'), 'on@esx1');
  run('advance', '1s');
  assert.match(where(run, 'app'), /^on@esx[23]$/);
  assert.equal(events(run, 'ha.vm-restarted')[0]!.time, 30);
});

const NESTED = `lab: nested-ha
vcenter: external
datastores:
  - { name: nas, type: nfs, capacity: 2TB, hosts: [esx1, esx2, nesx1, nesx2] }
hosts:
${HOST('esx1')}
${HOST('esx2')}
clusters:
  - { name: outer, hosts: [esx1, esx2], ha: { enabled: true, admissionControl: { policy: disabled } } }
  - { name: inner, hosts: [nesx1, nesx2], ha: { enabled: true, admissionControl: { policy: disabled } } }
vms:
  - name: nesx1
    host: esx1
    cpus: 2
    memory: 10GB
    exposeHardwareVirtualization: true
    disks: [{ datastore: nas, size: 20GB }]
    nics: [{ network: VM Network }]
    nested: { version: '8.0', switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: VM Network }] }] }
  - name: nesx2
    host: esx2
    cpus: 2
    memory: 10GB
    exposeHardwareVirtualization: true
    disks: [{ datastore: nas, size: 20GB }]
    nics: [{ network: VM Network }]
    nested: { version: '8.0', switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: VM Network }] }] }
  - { name: web, host: nesx1, cpus: 1, memory: 1GB, disks: [{ datastore: nas, size: 5GB }], nics: [{ network: VM Network }] }
`;

test('§8 nested HA: a physical host fails; the outer cluster restarts the nested hypervisor, the nested cluster restarts its VM on the surviving nested host', () => {
  const { up, run } = lab(NESTED);
  assert.equal(up.code, 0, up.stdout);
  const f = run('fail', 'esx1').json();
  assert.deepEqual(f.hostsDown, ['esx1', 'nesx1']);
  assert.deepEqual(f.vmsDown, ['nesx1', 'web']);
  assert.deepEqual(f.ha.map((h: { cluster: string; host: string; at: number }) => [h.cluster, h.host, h.at]), [['outer', 'esx1', 15], ['inner', 'nesx1', 15]]);
  const hostState = (h: string) => (run('ls', 'hosts').json().items as Array<{ name: string; state: string }>).find((x) => x.name === h)!.state;
  assert.equal(hostState('nesx1'), 'powered-off');
  assert.equal(hostState('esx1'), 'not-responding');
  run('advance', '20s');
  assert.equal(where(run, 'nesx1'), 'on@esx2', 'outer HA restarted the nested hypervisor');
  assert.equal(hostState('nesx1'), 'connected', 'after which the nested host is back up');
  assert.equal(where(run, 'web'), 'on@nesx2', 'inner HA restarted web on the surviving nested host');
  const restarted = events(run, 'ha.vm-restarted').map((e) => e.object);
  assert.deepEqual(restarted, ['vm:nesx1', 'vm:web']);
});

test('spec/cli.md fail of a nested host: its VM is lost; recover powers it back on, its VMs stay off', () => {
  const { run } = lab(NESTED.replace(/ {2}- \{ name: inner.*\n/, ''));
  const f = run('fail', 'nesx1');
  assert.equal(f.code, 0, f.stdout + f.stderr);
  assert.deepEqual(f.json().vmsDown, ['web']);
  assert.equal(where(run, 'nesx1'), 'off@esx1');
  assert.equal(run('power', 'on', 'web').json().code, 'host-not-running');
  const r = run('recover', 'nesx1');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.json().state, 'connected');
  assert.deepEqual(r.json().stayedOff, ['web']);
  assert.equal(run('power', 'on', 'web').code, 0, 'its own stale locks were freed at boot');
  assert.equal(run('fail', 'nope').code, 1);
  assert.equal(run('recover', 'esx2').json().code, 'invalid-host-state');
});

test('§8 VM monitoring settings and verdicts: 30 s interval, 120 s I/O window and minimum uptime, at most 3 resets', () => {
  const d = vmMonitoringSettings('default')!;
  assert.deepEqual(d, { failureIntervalMs: 30_000, ioStatsIntervalMs: 120_000, minUptimeMs: 120_000, maxResets: 3, windowMs: null });
  assert.equal(vmMonitoringSettings('disabled'), undefined);
  assert.equal(vmMonitoringSettings('medium')!.failureIntervalMs, 60_000);
  const base = { lostAtMs: 200_000, poweredOnAtMs: 0, lastIoAtMs: undefined, resetTimesMs: [] };
  assert.deepEqual(monitorVerdict(d, { ...base, nowMs: 229_000 }), { action: 'wait', untilMs: 230_000 });
  assert.deepEqual(monitorVerdict(d, { ...base, nowMs: 230_000 }), { action: 'reset' });
  assert.deepEqual(monitorVerdict(d, { ...base, nowMs: 100_000, lostAtMs: 10_000 }), { action: 'wait', untilMs: 120_000 }, 'minimum uptime 120 s');
  assert.deepEqual(monitorVerdict(d, { ...base, nowMs: 230_000, lastIoAtMs: 150_000 }), { action: 'io-active' });
  assert.deepEqual(monitorVerdict(d, { ...base, nowMs: 230_000, resetTimesMs: [1, 2, 3] }), { action: 'max-resets', resets: 3 });
  assert.deepEqual(monitorVerdict(vmMonitoringSettings('high')!, { ...base, nowMs: 230_000 + 3_600_000, resetTimesMs: [1, 2, 3] }), { action: 'reset' }, 'resets outside the 1 h window do not count');
});

test('§11.33 VM monitoring: heartbeats stop at T0, no I/O → reset at T0+30 s; a 4th failure → no further reset (max 3); with I/O → no reset', () => {
  const { run, up } = lab(THREE('{ enabled: true, admissionControl: { policy: disabled } }', [
    `  - { name: app, host: esx1, cpus: 1, memory: 1GB, ha: { vmMonitoring: default }, ${D} }`,
    `  - { name: busy, host: esx1, cpus: 1, memory: 1GB, ha: { vmMonitoring: default }, ${D} }`,
    `  - { name: plain, host: esx1, cpus: 1, memory: 1GB, ${D} }`,
  ].join('\n')));
  assert.equal(up.code, 0, up.stdout);
  run('advance', '200s'); // past the 120 s minimum uptime
  for (let i = 1; i <= 4; i++) {
    const h = run('hang', 'app');
    assert.equal(h.code, 0, h.stdout + h.stderr);
    const t0 = h.json().at as number;
    assert.equal(h.json().checkAt, t0 + 30);
    run('advance', '200s');
    if (i <= 3) {
      const resets = events(run, 'ha.vm-reset');
      assert.equal(resets.length, i);
      assert.equal(resets[i - 1]!.time, t0 + 30, `reset ${i} at T0+30 s`);
    }
  }
  assert.equal(events(run, 'ha.vm-reset').length, 3);
  assert.equal(events(run, 'ha.vm-monitor-max-resets').length, 1);
  assert.equal(run('hang', 'busy', '--io').code, 0);
  assert.equal(run('hang', 'plain').json().checkAt, undefined, 'not monitored');
  run('advance', '60s');
  assert.equal(events(run, 'ha.vm-monitor-io').length, 1);
  assert.equal(events(run, 'ha.vm-reset').length, 3);
});

// ---- primary and secondaries, restart retries, isolation response and priority (issue #5) ----------

test('§8 primary election (FDM): the most datastores mounted wins; a tie goes to the highest host name, compared lexically', () => {
  assert.equal(electPrimary([{ name: 'esx1', datastores: 2 }, { name: 'esx3', datastores: 1 }, { name: 'esx2', datastores: 2 }]), 'esx2');
  assert.equal(electPrimary([{ name: 'host-99', datastores: 1 }, { name: 'host-100', datastores: 1 }]), 'host-99', 'as FDM compares managed-object ids');
  assert.equal(electPrimary([]), undefined);
});

test('§8 restart retries: attempts at T, T+2, T+6, T+14 and T+30 min; das.maxvmrestartcount = 5, then none', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => nextRestartAttemptMs(16_000, n)), [16_000, 136_000, 376_000, 856_000, 1_816_000, undefined]);
});

type HaStatus = { primary: string | null; hosts: Array<{ name: string; role: string }>; pendingRestarts: Array<{ vm: string; attempts: number; nextAttemptAt: number }> };
const status = (run: (...a: string[]) => ReturnType<typeof nestlab>): HaStatus => run('ha', 'c1').json() as HaStatus;
const roles = (s: HaStatus) => s.hosts.map((h) => `${h.name}:${h.role}`).join(' ');
const timeline = (run: (...a: string[]) => ReturnType<typeof nestlab>) => events(run, 'ha.').map((e) => [e.type, e.time]);
const LOCAL1 = '  - { name: local1, type: local-ssd, capacity: 500GB, hosts: [esx1] }\nhosts:\n';

test('§8 one primary plus secondaries: the primary fails → election at T0+10 s, new primary at T0+25 s, which declares it failed and restarts its VMs; back, it is a secondary', () => {
  const { run, up } = lab(THREE('{ enabled: true, admissionControl: { policy: disabled } }', [
    `  - { name: app, host: esx3, cpus: 1, memory: 1GB, ${D} }`,
    `  - { name: other, host: esx1, cpus: 1, memory: 1GB, ${D} }`,
  ].join('\n')));
  assert.equal(up.code, 0, up.stdout);
  // Every host mounts san: the tie goes to the highest name.
  assert.equal(status(run).primary, 'esx3');
  assert.equal(roles(status(run)), 'esx1:secondary esx2:secondary esx3:primary');
  const f = run('fail', 'esx3');
  assert.equal(f.code, 0, f.stdout + f.stderr);
  assert.deepEqual(f.json().ha.map((h: { event: string; at: number }) => [h.event, h.at]), [['election', 10], ['primary-elected', 25], ['declare-failed', 25]]);
  run('advance', '9s');
  assert.equal(status(run).primary, 'esx3', 'the secondaries have not noticed yet');
  run('advance', '1s');
  assert.equal(status(run).primary, null, 'an election is under way');
  run('advance', '30s');
  assert.deepEqual(timeline(run), [['ha.election', 10], ['ha.primary-elected', 25], ['ha.host-failed', 25], ['ha.vm-restarted', 25]]);
  assert.equal(events(run, 'ha.primary-elected')[0]!.object, 'host:esx2');
  assert.match(events(run, 'ha.host-failed')[0]!.message, /primary esx2 of cluster c1 declared esx3 failed/);
  assert.equal(where(run, 'app'), 'on@esx2', 'restarted on the host with the most unreserved memory');
  assert.equal(run('recover', 'esx3').code, 0);
  assert.equal(status(run).primary, 'esx2');
  assert.equal(roles(status(run)), 'esx1:secondary esx2:primary esx3:secondary', 'the old primary rejoins as a secondary');

  // A host that mounts more datastores wins over a higher name.
  const more = lab(THREE('{ enabled: true, admissionControl: { policy: disabled } }', '  []').replace('hosts:\n', LOCAL1));
  assert.equal(more.up.code, 0, more.up.stdout);
  assert.equal(status(more.run).primary, 'esx1');
});

test('§8 the primary is isolated: it declares itself isolated at T0+5 s and runs the isolation response; the others elect a new primary (T0+10 s, T0+25 s), which restarts the VMs', () => {
  const { run } = lab(THREE('{ enabled: true, admissionControl: { policy: disabled }, isolationResponse: power-off }', `  - { name: app, host: esx3, cpus: 1, memory: 1GB, ${D} }`));
  const f = run('fail', 'esx3', '--isolate');
  assert.equal(f.code, 0, f.stdout + f.stderr);
  assert.deepEqual(f.json().ha.map((h: { event: string; at: number }) => [h.event, h.at]), [['isolated', 5], ['election', 10], ['primary-elected', 25]]);
  run('advance', '60s');
  assert.deepEqual(timeline(run), [['ha.host-isolated', 5], ['ha.election', 10], ['ha.primary-elected', 25], ['ha.vm-restarted', 25]]);
  assert.deepEqual(events(run, 'vm.powered-off').map((e) => [e.object, e.time]), [['vm:app', 5]]);
  assert.equal(where(run, 'app'), 'on@esx1', 'esx1 and esx2 are alike: the first name');
  assert.equal(status(run).primary, 'esx2');
  run('recover', 'esx3');
  assert.equal(roles(status(run)), 'esx1:secondary esx2:primary esx3:secondary');
});

test('§8 a secondary is isolated: its own election (T0+10 s), self-primary (T0+25 s), isolated (T0+30 s); the primary stays', () => {
  const { run } = lab(THREE('{ enabled: true, admissionControl: { policy: disabled } }', `  - { name: app, host: esx1, cpus: 1, memory: 1GB, ${D} }`));
  assert.deepEqual(run('fail', 'esx1', '--isolate').json().ha.map((h: { event: string; at: number }) => [h.event, h.at]), [['election', 10], ['self-primary', 25], ['isolated', 30]]);
  run('advance', '30s');
  assert.equal(status(run).primary, 'esx3');
  assert.equal(events(run, 'ha.primary-elected').length, 0);
});

test('§8 isolation response power-off: a VM whose restart priority is disabled gets no isolation response and keeps running', () => {
  const { run } = lab(THREE('{ enabled: true, admissionControl: { policy: disabled }, isolationResponse: power-off }', [
    `  - { name: app, host: esx1, cpus: 1, memory: 1GB, ${D} }`,
    `  - { name: keep, host: esx1, cpus: 1, memory: 1GB, ha: { restartPriority: disabled }, ${D} }`,
  ].join('\n')));
  run('fail', 'esx1', '--isolate');
  run('advance', '60s');
  assert.deepEqual(timeline(run), [['ha.election', 10], ['ha.self-primary', 25], ['ha.host-isolated', 30], ['ha.vm-restarted', 30]]);
  assert.match(events(run, 'ha.host-isolated')[0]!.message, /keep keep running \(restart priority disabled\)/);
  assert.equal(where(run, 'keep'), 'on@esx1');
  assert.match(where(run, 'app'), /^on@esx[23]$/);
  assert.deepEqual(events(run, 'vm.powered-off').map((e) => e.object), ['vm:app']);
});

// esx1's big VM reserves 20 GB; esx2 and esx3 each hold 20 GB of reservations already: no room.
const CROWDED = (esx2 = '') => THREE('{ enabled: true, admissionControl: { policy: disabled } }', [
  `  - { name: big, host: esx1, cpus: 1, memory: 20GB, resources: { memory: { reservation: 20GB } }, ${D} }`,
  `  - { name: fill2, host: esx2, cpus: 1, memory: 20GB, resources: { memory: { reservation: 20GB } }, ${D} }`,
  `  - { name: fill3, host: esx3, cpus: 1, memory: 20GB, resources: { memory: { reservation: 20GB } }, ${D} }`,
].join('\n')).replace(HOST('esx2'), `${HOST('esx2').slice(0, -2)}${esx2} }`);

test('§8 restart retries: a VM that finds no room is retried at T+2, T+6, T+14 and T+30 min after its first attempt, then HA gives up (das.maxvmrestartcount = 5)', () => {
  const { run, up } = lab(CROWDED());
  assert.equal(up.code, 0, up.stdout);
  run('fail', 'esx1');
  run('advance', '20s');
  assert.deepEqual(status(run).pendingRestarts.map((p) => [p.vm, p.attempts, p.nextAttemptAt]), [['big', 1, 136]]);
  run('advance', '2000s');
  assert.deepEqual(events(run, 'ha.restart-failed').map((e) => e.time), [16, 136, 376, 856, 1816]);
  assert.match(events(run, 'ha.restart-failed')[0]!.message, /attempt 1 of 5; next at T\+136s/);
  const gaveUp = events(run, 'ha.restart-gave-up') as Array<Ev & { data: { attempts: number } }>;
  assert.deepEqual(gaveUp.map((e) => [e.object, e.time, e.data.attempts]), [['vm:big', 1816, 5]]);
  assert.deepEqual(status(run).pendingRestarts, []);
  const tasks = run('tasks').json().tasks as Array<{ kind: string; state: string; error: { code: string } | null }>;
  assert.deepEqual(tasks.filter((t) => t.kind === 'ha-restart').map((t) => t.error?.code), Array(5).fill('insufficient-memory-resources'));
  // Spent: capacity appearing now changes nothing.
  run('power', 'off', 'fill2');
  run('advance', '1s');
  assert.equal(where(run, 'big'), 'off@esx1');
});

test('§8 restart retries: capacity appearing retries at once — another VM of the cluster powers off, or the failed host comes back', () => {
  const off = lab(CROWDED());
  off.run('fail', 'esx1');
  off.run('advance', '60s');
  assert.equal(off.run('power', 'off', 'fill2').code, 0);
  off.run('advance', '1s');
  assert.deepEqual(timeline(off.run), [['ha.host-failed', 15], ['ha.restart-failed', 16], ['ha.vm-restarted', 60]]);
  assert.equal(where(off.run, 'big'), 'on@esx2');
  assert.deepEqual(status(off.run).pendingRestarts, []);

  const back = lab(CROWDED());
  back.run('fail', 'esx1');
  back.run('advance', '100s');
  assert.equal(back.run('recover', 'esx1').code, 0);
  back.run('advance', '1s');
  assert.deepEqual(timeline(back.run), [['ha.host-failed', 15], ['ha.restart-failed', 16], ['ha.vm-restarted', 100]]);
  assert.equal(where(back.run, 'big'), 'on@esx1', 'on its own host, back online');
  back.run('advance', '2000s');
  assert.equal(events(back.run, 'ha.restart-failed').length, 1, 'no retry left scheduled');
});

test('§8 restart retries: a host exiting maintenance mode retries at once', () => {
  const { run, up } = lab(CROWDED(', maintenance: true').replace(`  - { name: fill2, host: esx2, cpus: 1, memory: 20GB, resources: { memory: { reservation: 20GB } }, ${D} }\n`, ''));
  assert.equal(up.code, 0, up.stdout);
  run('fail', 'esx1');
  run('advance', '60s');
  assert.equal(run('maintenance', 'exit', 'esx2').code, 0);
  run('advance', '1s');
  assert.deepEqual(timeline(run), [['ha.host-failed', 15], ['ha.restart-failed', 16], ['ha.vm-restarted', 60]]);
  assert.equal(where(run, 'big'), 'on@esx2');
});

test('§11.22 + §8 retries: the VMs an isolated host leaves powered on are not retried while it lives; once it fails they restart', () => {
  const { run } = lab(THREE('{ enabled: true, admissionControl: { policy: disabled }, isolationResponse: leave-powered-on }', `  - { name: app, host: esx1, cpus: 1, memory: 1GB, ${D} }`));
  run('fail', 'esx1', '--isolate');
  run('advance', '3600s');
  assert.deepEqual(timeline(run), [['ha.election', 10], ['ha.self-primary', 25], ['ha.host-isolated', 30], ['ha.restart-failed', 30]]);
  assert.deepEqual(status(run).pendingRestarts, []);
  assert.equal(where(run, 'app'), 'on@esx1');
  run('fail', 'esx1');
  run('advance', '20s');
  assert.deepEqual(events(run, 'ha.vm-restarted').map((e) => [e.object, e.time]), [['vm:app', 3616]]);
});

test('§8 `nestlab ha CLUSTER` prints a table for people: primary, each host\'s role, state and slots, failover capacity', () => {
  const { run, s } = lab(THREE('{ enabled: true }', `  - { name: a, host: esx1, cpus: 1, memory: 4GB, ${D} }`));
  run('fail', 'esx1');
  const human = nestlab(['ha', 'c1', ...s.filter((x) => x !== '--json')]);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^cluster c1: vSphere HA on, primary esx3; isolation response leave-powered-on; admission control: percentage, tolerates 1 host failure$/m);
  assert.match(human.stdout, /^esx1\s+secondary\s+failed\s+-$/m);
  assert.match(human.stdout, /^esx3\s+primary\s+connected\s+\d+$/m);
  assert.match(human.stdout, /^0 VMs powered on; slot 32 MHz \/ 0 MB, \d+ slots, failover capacity 2 hosts; percentage failover capacity: CPU 100%, memory 100%$/m);
  assert.doesNotMatch(human.stdout, /[{}]/, 'not JSON');
  assert.equal(run('ha', 'c1').json().primary, 'esx3', '--json keeps its keys');
});
