// spec/compute.md §11 scenarios about entitlement and reclamation (§1.3, §2.3–§2.8, §3), with the
// spec's numbers: the water-filling divvy, memory shares with the idle tax, the balloon cap,
// swap-file and compression-cache limits, resource-pool siblings; and `stats`/`advance` from
// the command line. Tolerances are stated per assertion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { divvy, idleTaxedShares } from '../src/compute/divvy.js';
import { runPeriod, type HostInput, type VmInput } from '../src/compute/scheduler.js';
import { overheadMB } from '../src/compute/overhead.js';
import { nestlab, tempDir } from './helpers.js';

const near = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (±${tol})`);

test('§11.8 CPU proportional share: 1200/2400/2400; with A reserved 1500: 1500/2250/2250; with C limited 1800: 1700/2500/1800 (§1.3)', () => {
  // Host 6000 MHz, cores of 2500 MHz; A 1 vCPU 1000 shares, B 1 vCPU 2000, C 2 vCPU 2000; CPU-bound.
  const cap = (vcpus: number) => vcpus * 2500;
  assert.deepEqual(divvy(6000, [{ shares: 1000, lo: 0, hi: cap(1) }, { shares: 2000, lo: 0, hi: cap(1) }, { shares: 2000, lo: 0, hi: cap(2) }]).map(Math.round), [1200, 2400, 2400]);
  assert.deepEqual(divvy(6000, [{ shares: 1000, lo: 1500, hi: cap(1) }, { shares: 2000, lo: 0, hi: cap(1) }, { shares: 2000, lo: 0, hi: cap(2) }]).map(Math.round), [1500, 2250, 2250]);
  assert.deepEqual(divvy(6000, [{ shares: 1000, lo: 1500, hi: cap(1) }, { shares: 2000, lo: 0, hi: cap(1) }, { shares: 2000, lo: 0, hi: 1800 }]).map(Math.round), [1700, 2500, 1800]);
});

function vm(name: string, o: Partial<VmInput> & { active?: number; cpu?: number } = {}): VmInput {
  return {
    name, host: 'h', cpus: 1, memoryMB: 4096, tools: true,
    cpuAlloc: { shares: 'normal', reservation: 0 }, memAlloc: { shares: 'normal', reservation: 0 },
    workload: { cpu: o.cpu ?? 0.2, activeMemory: o.active ?? 0.2, dirtyRateMBps: 5 }, pools: [], ...o,
  };
}
const host = (o: Partial<HostInput> = {}): HostInput => ({ name: 'h', memoryMB: 16384, reservedMB: 2048, cores: 8, threads: 8, mhz: 2500, cacheMB: 0, ...o });
const settings = { idleMemoryTax: 0.75, shareForceSalting: 2, seed: 1 };

test('§11.9 memory shares with no idle tax (τ = 0): two fully active 4 GB VMs share 5120 MB equally, 2560 each (§2.7)', () => {
  const vms = [vm('a', { active: 1 }), vm('b', { active: 1 })];
  const h = host({ memoryMB: 5120 + 2048 + 2 * overheadMB(1, 4096) });
  const r = runPeriod([h], vms, new Map(), { ...settings, idleMemoryTax: 0 }, 0, false);
  near(r.vms.get('a')!.entitlement.memoryMB, 2560, 0.5, 'a');
  near(r.vms.get('b')!.entitlement.memoryMB, 2560, 0.5, 'b');
  // With the default tax (τ = 0.75, k = 4) an idle VM's page costs four active pages (§2.7).
  assert.equal(idleTaxedShares(40960, 1, 0.75), 40960);
  assert.equal(idleTaxedShares(40960, 0, 0.75), 10240);
  const taxed = runPeriod([h], [vm('a', { active: 1 }), vm('b', { active: 0.05 })], new Map(), settings, 0, false);
  assert.ok(taxed.vms.get('a')!.entitlement.memoryMB > taxed.vms.get('b')!.entitlement.memoryMB + 1000, 'the idle VM yields memory to the active one');
});

function pressure(o: { tools: boolean; reservation?: number }) {
  // An 8 GB VM (mostly idle) next to a busy 16 GB VM on a 16 GB host: deep overcommit.
  const vms = [vm('v8', { memoryMB: 8192, tools: o.tools, active: 0.05, memAlloc: { shares: 'normal', reservation: o.reservation ?? 0 } }), vm('busy', { memoryMB: 16384, active: 0.9 })];
  const r = runPeriod([host()], vms, new Map(), settings, 0, false);
  return { v8: r.vms.get('v8')!, host: r.hosts.get('h')! };
}

test('§11.13 balloon cap: an 8 GB VM with Tools balloons at most 65% = 5324.8 MB; without Tools nothing, straight to compression and swap (§2.5)', () => {
  const withTools = pressure({ tools: true });
  near(withTools.v8.memory.balloonedMB, 5324.8, 0.01, 'ballooned');
  assert.ok(withTools.v8.memory.compressedMB + withTools.v8.memory.swappedMB > 0, 'further reclamation needs compression or swap');
  const without = pressure({ tools: false });
  assert.equal(without.v8.memory.balloonedMB, 0);
  assert.ok(without.v8.memory.compressedMB > 0 && without.v8.memory.swappedMB > 0);
});

test('§11.14, §11.15 an 8 GB VM reserving 2 GB swaps at most 6144 MB (its .vswp) and compresses at most 10% = 819.2 MB; reserved memory is never reclaimed (§2.6)', () => {
  const { v8 } = pressure({ tools: false, reservation: 2048 });
  assert.ok(v8.memory.swappedMB <= 6144 + 0.01, String(v8.memory.swappedMB));
  assert.ok(v8.memory.compressedMB <= 819.2 + 0.01, String(v8.memory.compressedMB));
  assert.ok(v8.memory.consumedMB >= 2048 - 0.01, `consumed ${v8.memory.consumedMB} stays above the reservation`);
});

test('§11.34 resource pool vs VM siblings: RP Dev (4000 shares, 10 VMs) and a 2 vCPU VM (2000) split the parent 2:1 (§1.1)', () => {
  const dev = { id: 'pool:c/Dev', cpu: { shares: 'normal' as const, reservation: 0 }, memory: { shares: 'normal' as const, reservation: 0 } };
  const vms = [...Array.from({ length: 10 }, (_, i) => vm(`dev${i}`, { cpu: 1, pools: [dev] })), vm('single', { cpus: 2, cpu: 1 })];
  const r = runPeriod([host({ cores: 4, threads: 4, mhz: 3000 })], vms, new Map(), settings, 0, false);
  const devTotal = Array.from({ length: 10 }, (_, i) => r.vms.get(`dev${i}`)!.entitlement.cpuMHz).reduce((a, b) => a + b, 0);
  near(devTotal, 8000, 1, 'the pool gets 2/3 of 12,000 MHz');
  near(r.vms.get('single')!.entitlement.cpuMHz, 4000, 1, 'the single VM gets 1/3');
  near(r.vms.get('dev0')!.entitlement.cpuMHz, 800, 1, 'each Dev VM 1/15 (the spec text says ~1/30; 2/3 ÷ 10 is 1/15)');
  assert.ok(r.vms.get('dev0')!.cpu.readyPercent > 70, 'CPU-bound Dev VMs wait: ready time');
});

test('§3 a nested host\'s CPU and memory come from its VM\'s entitlement: contention propagates down a level', () => {
  const outer = host({ memoryMB: 12288 });
  const nested: HostInput = { name: 'n', vm: 'nvm', memoryMB: 8192, reservedMB: 2048, cores: 2, threads: 2, mhz: 2500, cacheMB: 0 };
  const vms = [vm('nvm', { cpus: 2, memoryMB: 8192, active: 0.9, cpu: 1 }), vm('hog', { memoryMB: 8192, active: 0.9 }), vm('inner', { host: 'n', memoryMB: 4096, active: 0.9, cpu: 1 })];
  const r = runPeriod([outer, nested], vms, new Map(), settings, 0, false);
  const nvm = r.vms.get('nvm')!;
  const n = r.hosts.get('n')!;
  assert.ok(nvm.entitlement.memoryMB < 8192, 'the nested hypervisor\'s VM is entitled to less than its memory');
  near(n.memory.capacityMB, nvm.entitlement.memoryMB - 2048, 0.01, 'the nested host offers its VM\'s entitlement less its own hypervisor');
  near(n.cpu.capacityMHz, Math.min(2 * 2500 * 0.93, nvm.entitlement.cpuMHz * 0.93), 0.01, 'nested CPU at 93% efficiency (§3)');
});

test('stats and advance from the command line: the contract keys, determinism, and sample periods in virtual time', () => {
  const dir = tempDir();
  const file = join(dir, 'lab.yaml');
  writeFileSync(file, `lab: stats
settings: { seed: 7 }
hosts:
  - { name: esx1, cpu: xeon-e3-1230-v3, memory: 16GB }
vms:
  - { name: a, host: esx1, cpus: 2, memory: 8GB, workload: busy }
  - { name: b, host: esx1, cpus: 2, memory: 8GB, workload: idle, tools: false }
`);
  const run = () => {
    const s = ['--state', join(tempDir(), 'state'), '--json'];
    nestlab(['up', file, ...s]);
    const adv = nestlab(['advance', '5m', ...s]).json();
    assert.equal(adv.samplePeriods, 5);
    return nestlab(['stats', ...s]);
  };
  const r = run();
  assert.equal(r.code, 0, r.stderr);
  const j = r.json();
  const h = j.hosts[0];
  for (const k of ['state', 'freeMB', 'minFreeMB']) assert.ok(k in h.memory, k);
  assert.ok('usedMHz' in h.cpu);
  const a = j.vms.find((v: { name: string }) => v.name === 'a');
  for (const k of ['cpuMHz', 'memoryMB']) assert.ok(k in a.entitlement, k);
  for (const k of ['activeMB', 'balloonedMB', 'compressedMB', 'swappedMB', 'sharedMB']) assert.ok(k in a.memory, k);
  assert.ok('readyPercent' in a.cpu);
  assert.ok(h.memory.state !== 'high', `16 GB host with 16 GB of VMs is under pressure: ${h.memory.state}`);
  const b = j.vms.find((v: { name: string }) => v.name === 'b');
  assert.equal(b.memory.balloonedMB, 0, 'no Tools, no balloon');
  assert.equal(run().stdout, r.stdout, 'deterministic: seeded sampling, virtual time');
  const one = nestlab(['stats', 'a', '--state', join(dir, 'none'), '--json']);
  assert.equal(one.code, 1);
});

test('§11.16 TPS salting: ShareForceSalting 2 with no salts shares within VMs only; a common salt, or setting 1 or 0, shares across them (§2.4)', () => {
  // Two idle 4 GB VMs on a host short of memory (below High, so large pages are broken).
  const run = (forceSalting: number, salts: [string?, string?]) => {
    const vms = [vm('a', { active: 0.05, ...(salts[0] ? { pshareSalt: salts[0] } : {}) }), vm('b', { active: 0.05, ...(salts[1] ? { pshareSalt: salts[1] } : {}) })];
    const r = runPeriod([host({ memoryMB: 9216 })], vms, new Map(), { ...settings, shareForceSalting: forceSalting }, 0, false);
    return r.vms.get('a')!.memory.sharedMB;
  };
  const intraOnly = run(2, []);
  assert.ok(intraOnly > 0, 'pages shared within the VM');
  assert.ok(run(2, ['grp1', 'grp1']) > intraOnly, 'both salted grp1: shared across VMs');
  assert.equal(run(2, ['grp1', 'grp2']), intraOnly, 'different salts: not shared');
  assert.ok(run(1, []) > intraOnly, 'ShareForceSalting 1, no salts: salt 0 for both, shared');
  assert.ok(run(0, ['x', 'y']) > intraOnly, 'ShareForceSalting 0: shared regardless of salt');
});

test('§2.6 swap goes to an SSD host cache first, then to the .vswp file', () => {
  const vms = [vm('v8', { memoryMB: 8192, tools: false, active: 0.05 }), vm('busy', { memoryMB: 16384, active: 0.9 })];
  const withCache = runPeriod([host({ cacheMB: 1024 })], vms, new Map(), settings, 0, false).vms.get('v8')!;
  assert.ok(withCache.memory.swappedMB > 1024, 'more swapped than the cache holds');
  near(withCache.memory.hostCacheMB, 1024, 0.01, 'the cache fills first');
  const noCache = runPeriod([host()], vms, new Map(), settings, 0, false).vms.get('v8')!;
  assert.equal(noCache.memory.hostCacheMB, 0);
});
