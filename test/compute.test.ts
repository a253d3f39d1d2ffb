// spec/compute.md §11 scenarios about §1–§4 with the spec's numbers: default shares, admission
// control with overhead (the seed's "will it fit in 32 GB?"), expandable and fixed resource pool
// reservations, minFree and memory states, overhead lookup, nested virtualization requirements.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpuShares, memoryShares, poolShares } from '../src/compute/shares.js';
import { overheadMB } from '../src/compute/overhead.js';
import { memoryState, minFreeMB } from '../src/compute/memstate.js';
import { nestlab, tempDir } from './helpers.js';

function upLab(text: string): { code: number; json: Record<string, any>; s: string[] } { // eslint-disable-line @typescript-eslint/no-explicit-any
  const dir = tempDir();
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, text);
  const s = ['--state', join(dir, 'state'), '--json'];
  const r = nestlab(['up', file, ...s]);
  return { code: r.code, json: r.json(), s };
}

const failed = (j: Record<string, unknown>) => (j.failed as Array<{ name: string; error: Record<string, unknown> }>).map((f) => [f.name, f.error.code]);

test('§11.1 default VM shares: 2 vCPU / 1 GB at normal → 2000 CPU, 10240 memory; at high 4000 / 20480 (§1.1)', () => {
  assert.equal(cpuShares({ shares: 'normal', reservation: 0 }, 2), 2000);
  assert.equal(memoryShares({ shares: 'normal', reservation: 0 }, 1024), 10240);
  assert.equal(cpuShares({ shares: 'high', reservation: 0 }, 2), 4000);
  assert.equal(memoryShares({ shares: 'high', reservation: 0 }, 1024), 20480);
  assert.equal(cpuShares({ shares: 1234, reservation: 0 }, 2), 1234, 'custom shares as given');
});

test('§11.2 resource pool shares: normal 4000 / 163,840; low 2000 / 81,920 (§1.1)', () => {
  assert.equal(poolShares({ shares: 'normal', reservation: 0 }, 'cpu'), 4000);
  assert.equal(poolShares({ shares: 'normal', reservation: 0 }, 'memory'), 163_840);
  assert.equal(poolShares({ shares: 'low', reservation: 0 }, 'cpu'), 2000);
  assert.equal(poolShares({ shares: 'low', reservation: 0 }, 'memory'), 81_920);
});

test('§11.3 reservation exceeds host: 32 GB host, ESXi 2 GB; the second 16 GB reserved VM fails with the figures (§1.4, §2.1)', () => {
  const { code, json } = upLab(`lab: fit
hosts:
  - { name: esx1, cpu: xeon-e3-1230-v3, memory: 32GB, switches: [{ name: vSwitch0, portgroups: [{ name: VM Network }] }] }
vms:
  - { name: vm1, host: esx1, cpus: 1, memory: 16GB, resources: { memory: { reservation: 16GB } } }
  - { name: vm2, host: esx1, cpus: 1, memory: 16GB, resources: { memory: { reservation: 16GB } } }
`);
  assert.equal(code, 3);
  assert.deepEqual(json.poweredOn, ['vm1']);
  const e = json.failed[0].error;
  assert.equal(e.code, 'insufficient-memory-resources');
  // 16,384 + 139.62 overhead requested; 30,720 − 16,523.62 = 14,196.38 unreserved (tolerance 0.01 MB).
  assert.ok(Math.abs(e.requestedMB - 16_523.62) < 0.01, String(e.requestedMB));
  assert.ok(Math.abs(e.unreservedMB - 14_196.38) < 0.01, String(e.unreservedMB));
  assert.match(e.message, /Insufficient resources/);
});

const POOLS = (momVms: string, kidExpandable: boolean) => `lab: pools
vcenter: external
hosts:
  - { name: h1, cpu: xeon-gold-6130, memory: 256GB }
clusters:
  - name: c
    hosts: [h1]
    resourcePools:
      - { name: RP-MOM, cpu: { reservation: 6GHz, expandable: false } }
      - { name: RP-KID, parent: RP-MOM, cpu: { reservation: 2GHz, expandable: ${kidExpandable} } }
vms:
${momVms}
  - { name: VM-K1, host: h1, pool: RP-KID, cpus: 1, memory: 1GB, resources: { cpu: { reservation: 2GHz } } }
  - { name: VM-K2, host: h1, pool: RP-KID, cpus: 1, memory: 1GB, resources: { cpu: { reservation: 2GHz } } }
`;

test('§11.5 expandable reservation: VM-K2 borrows from RP-MOM and powers on (§1.4)', () => {
  const { code, json } = upLab(POOLS('  - { name: VM-M1, host: h1, pool: RP-MOM, cpus: 1, memory: 1GB, resources: { cpu: { reservation: 1GHz } } }', true));
  assert.equal(code, 0, JSON.stringify(json.failed));
  assert.deepEqual(json.poweredOn, ['VM-M1', 'VM-K1', 'VM-K2']);
});

test('§11.6 expandable reservation failure: RP-MOM VMs reserve 3 GHz, only 1 GHz is left for VM-K2 (§1.4)', () => {
  const { code, json } = upLab(POOLS('  - { name: VM-M1, host: h1, pool: RP-MOM, cpus: 2, memory: 1GB, resources: { cpu: { reservation: 3GHz } } }', true));
  assert.equal(code, 3);
  assert.deepEqual(failed(json), [['VM-K2', 'insufficient-cpu-resources']]);
  assert.equal(json.failed[0].error.requestedMHz, 2000);
  assert.equal(json.failed[0].error.unreservedMHz, 1000);
  assert.equal(json.failed[0].error.pool, 'RP-MOM');
});

test('§11.7 fixed reservation: RP-KID not expandable → VM-K2 fails although RP-MOM has 3 GHz free (§1.4)', () => {
  const { code, json } = upLab(POOLS('  - { name: VM-M1, host: h1, pool: RP-MOM, cpus: 1, memory: 1GB, resources: { cpu: { reservation: 1GHz } } }', false));
  assert.equal(code, 3);
  assert.deepEqual(failed(json), [['VM-K2', 'insufficient-cpu-resources']]);
  assert.equal(json.failed[0].error.pool, 'RP-KID');
  assert.equal(json.failed[0].error.unreservedMHz, 0);
});

test('§11.12 minFree: 28 GB 901.12, 48 GB 1105.92, 100 GB 1638.40, 128 GB 1925.12 MB (§2.3)', () => {
  assert.deepEqual([28, 48, 100, 128].map((g) => minFreeMB(g * 1024)), [901.12, 1105.92, 1638.4, 1925.12]);
});

test('§11.11 memory states on a 128 GB host: 8000 high, 3000 clear, 1500 soft, 900 hard, 500 low (§2.3)', () => {
  const mf = minFreeMB(128 * 1024);
  assert.deepEqual([8000, 3000, 1500, 900, 500].map((f) => memoryState(f, mf)), ['high', 'clear', 'soft', 'hard', 'low']);
});

test('§11.17 overhead lookup: 4 vCPU / 4096 MB 60.67; 8 vCPU / 16,384 MB 168.60; the fit elsewhere (§2.1)', () => {
  assert.equal(overheadMB(4, 4096), 60.67);
  assert.equal(overheadMB(8, 16384), 168.6);
  assert.ok(Math.abs(overheadMB(2, 2048) - (14.4 + 8 + 0.0074 * 2048)) < 0.01);
});

const NESTED = (o: { vhv: boolean; version?: string; memory?: string; arch?: string; cpu?: string }) => `lab: nested
hosts:
  - name: esx1
    cpu: ${o.cpu ?? 'xeon-e3-1230-v3'}
    memory: 32GB
    switches: [{ name: vSwitch0, portgroups: [{ name: Trunk, vlan: 4095, security: { promiscuous: accept } }] }]
vms:
  - name: nesx
    host: esx1
    cpus: 2
    memory: ${o.memory ?? '8GB'}
    hardwareVersion: 13
    exposeHardwareVirtualization: ${o.vhv}
    nics: [{ network: Trunk }]
    nested: { version: '${o.version ?? '8.0'}', switches: [{ name: vSwitch0, uplinks: [vmnic0], portgroups: [{ name: VM Network }] }] }
  - { name: l2, host: nesx, cpus: 1, memory: 1GB${o.arch ? `, guestArch: ${o.arch}` : ''} }
`;

test('§11.31 a 64-bit guest on nested ESXi without exposed hardware virtualization fails; a 32-bit one runs (§4)', () => {
  const off = upLab(NESTED({ vhv: false }));
  assert.equal(off.code, 3);
  assert.deepEqual(failed(off.json), [['l2', 'nested-virtualization-not-exposed']]);
  assert.match(off.json.failed[0].error.message, /exposeHardwareVirtualization: true on nesx/);
  assert.equal(upLab(NESTED({ vhv: false, arch: 'i386' })).code, 0, '32-bit guests run');
  assert.equal(upLab(NESTED({ vhv: true })).code, 0, 'with vhv.enable the 64-bit guest runs');
});

test('§11.31 nested ESXi 8.0 with 4 GB does not boot (8 GB minimum); its VMs cannot start (§2.2, §4)', () => {
  const r = upLab(NESTED({ vhv: true, memory: '4GB' }));
  assert.equal(r.code, 3);
  assert.deepEqual(failed(r.json), [['l2', 'host-not-running']]);
  const host = nestlab(['show', 'nesx', ...r.s]).json().nested;
  assert.equal(host.state, 'not-responding');
  const events = nestlab(['events', '--type', 'host.boot-failed', ...r.s]).json().events;
  assert.match(events[0].message, /needs 8 GB, its VM has 4 GB/);
  assert.equal(upLab(NESTED({ vhv: true, memory: '4GB', version: '6.5' })).code, 0, 'ESXi 6.5 needs only 4 GB');
});

test('§4 exposing hardware virtualization needs VT-x + EPT on the host: a Penryn (no EPT) refuses the nested hypervisor', () => {
  const r = upLab(NESTED({ vhv: true, cpu: 'xeon-l5420' }));
  assert.equal(r.code, 3);
  assert.deepEqual(failed(r.json), [['nesx', 'hardware-virtualization-unavailable'], ['l2', 'host-not-running']]);
});

test('§1.4 nested contention: a nested host offers its VM\'s memory less its own hypervisor\'s, and admission counts it', () => {
  const r = upLab(NESTED({ vhv: true }).replace('{ name: l2, host: nesx, cpus: 1, memory: 1GB', '{ name: l2, host: nesx, cpus: 1, memory: 6GB, resources: { memory: { reservation: 6GB } }'));
  assert.equal(r.code, 3);
  const e = r.json.failed[0].error;
  assert.equal(e.code, 'insufficient-memory-resources');
  assert.equal(e.unreservedMB, 6144, 'nested ESXi 8 GB less 2 GB for itself');
  assert.ok(Math.abs(e.requestedMB - (6144 + overheadMB(1, 6144))) < 0.01);
  assert.equal(e.where, 'host nesx');
});

test('power off frees the reservation for the next power-on (§1.4)', () => {
  const { s } = upLab(`lab: free
hosts:
  - { name: esx1, cpu: xeon-e3-1230-v3, memory: 32GB }
vms:
  - { name: vm1, host: esx1, cpus: 1, memory: 16GB, resources: { memory: { reservation: 16GB } } }
  - { name: vm2, host: esx1, cpus: 1, memory: 16GB, power: off, resources: { memory: { reservation: 16GB } } }
`);
  assert.equal(nestlab(['power', 'on', 'vm2', ...s]).json().code, 'insufficient-memory-resources');
  assert.equal(nestlab(['power', 'off', 'vm1', ...s]).code, 0);
  assert.equal(nestlab(['power', 'on', 'vm2', ...s]).json().state, 'on');
});

test('plan --capacity: what each level needs, and what would not power on — the seed\'s "will it fit in 32 GB?"', () => {
  const dir = tempDir();
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, NESTED({ vhv: true }).replace("  - { name: l2, host: nesx, cpus: 1, memory: 1GB }", `  - { name: l2, host: nesx, cpus: 1, memory: 1GB }
  - { name: big, host: esx1, cpus: 4, memory: 30GB, resources: { memory: { reservation: 30GB } } }`));
  const r = nestlab(['plan', file, '--capacity', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = r.json();
  const esx1 = j.hosts.find((h: { name: string }) => h.name === 'esx1');
  // ESXi 2 GB + nesx 8 GB + big 30 GB + overheads. Admission counts reservations + overhead only:
  // big's 30,720 MB + 241.73 MB overhead cannot fit next to nesx's overhead in 30,720 MB.
  assert.equal(esx1.vmMemoryMB, 38 * 1024);
  assert.ok(Math.abs(esx1.neededMB - (2048 + 38 * 1024 + overheadMB(2, 8192) + overheadMB(4, 30720))) < 0.01);
  assert.ok(esx1.memoryCommitPercent > 100, 'overcommitted');
  const nesx = j.hosts.find((h: { name: string }) => h.name === 'nesx');
  assert.deepEqual([nesx.level, nesx.runsIn, nesx.memoryMB, nesx.hypervisorMB], [1, 'esx1', 8192, 2048]);
  assert.deepEqual(j.notPoweredOn.map((f: { name: string; code: string }) => [f.name, f.code]), [['big', 'insufficient-memory-resources']]);
  assert.equal(j.physical.fits, false);
  const human = nestlab(['plan', file, '--capacity']);
  assert.match(human.stdout, /would not power on \(1\):\n {2}big on esx1: Insufficient resources/);
});

test('§11.31 exposing hardware virtualization on a VM with a PCI passthrough device is refused (§4)', () => {
  const dir = tempDir();
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, NESTED({ vhv: true }).replace('    hardwareVersion: 13\n', '    hardwareVersion: 13\n    pciPassthrough: true\n'));
  const r = nestlab(['validate', file, '--json']);
  assert.equal(r.code, 1);
  assert.equal(r.json().errors[0].code, 'passthrough-with-vhv');
  assert.match(r.json().errors[0].message, /Virtualization is not supported on a virtual machine with a PCI passthrough device/);
});
