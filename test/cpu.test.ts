import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EVC_MODES, GENERATIONS } from '../src/spec/schema.js';
import type { EvcMode } from '../src/spec/schema.js';
import {
  CPU_CATALOG, EVC_BASELINES, catalogIds, commonEvcMode, evcModeForGeneration, hardwareVirtualization,
  maxEvcMode, resolveCpu, supportsEvcMode,
} from '../src/model/cpu.js';
import type { Cpu } from '../src/model/cpu.js';

function cpu(id: string): Cpu {
  const c = resolveCpu(id);
  assert.ok(c, `catalog has ${id}`);
  return c;
}

test('catalog: at least 16 entries, sorted ids, consistent vendor/generation', () => {
  assert.ok(CPU_CATALOG.size >= 16);
  const ids = catalogIds();
  assert.equal(ids.length, CPU_CATALOG.size);
  assert.deepEqual(ids, [...ids].sort());
  for (const [id, c] of CPU_CATALOG) {
    assert.equal(c.id, id);
    assert.ok((GENERATIONS[c.vendor] as readonly string[]).includes(c.generation), `${id}: ${c.vendor} ${c.generation}`);
    assert.ok(c.threads >= c.cores && c.cores >= 1 && c.sockets >= 1 && c.mhz > 0, id);
    assert.ok(c.features.has('lm') && c.features.has('nx'), `${id} is a 64-bit CPU with NX`);
    for (const x of c.features) assert.match(x, /^[a-z0-9_.-]+$/, `${id}: ${x}`);
  }
  for (const id of ['xeon-x5670', 'xeon-e5-2670', 'xeon-e5-2680-v2', 'xeon-e5-2680-v4', 'xeon-gold-6130',
    'xeon-gold-6248', 'xeon-gold-6338', 'xeon-gold-6430', 'core-i7-4770', 'core-i5-8500', 'xeon-l5420',
    'opteron-6272', 'opteron-6380', 'epyc-7281', 'epyc-7302', 'epyc-7543', 'epyc-9354', 'ryzen-5950x']) {
    assert.ok(CPU_CATALOG.has(id), id);
  }
});

test('seed CPU xeon-e3-1230-v3: exact figures', () => {
  const c = cpu('xeon-e3-1230-v3');
  assert.equal(c.model, 'Intel Xeon E3-1230 v3');
  assert.equal(c.vendor, 'intel');
  assert.equal(c.generation, 'haswell');
  assert.deepEqual([c.sockets, c.cores, c.threads, c.mhz], [1, 4, 8, 3300]);
  for (const x of ['vmx', 'ept', 'vmcs-shadowing', 'lm', 'aes', 'avx', 'avx2']) assert.ok(c.features.has(x), x);
  assert.deepEqual(hardwareVirtualization(c), { vt: true, mmu: true, label: 'VT-x + EPT' });
});

test('seed CPU atom-c2750: exact figures, no AVX/XSAVE', () => {
  const c = cpu('atom-c2750');
  assert.equal(c.model, 'Intel Atom C2750');
  assert.equal(c.vendor, 'intel');
  assert.equal(c.generation, 'silvermont');
  assert.deepEqual([c.sockets, c.cores, c.threads, c.mhz], [1, 8, 8, 2400]);
  for (const x of ['vmx', 'ept', 'lm', 'aes', 'sse4_2', 'popcnt', 'rdrand']) assert.ok(c.features.has(x), x);
  for (const x of ['avx', 'xsave', 'avx2', 'vmcs-shadowing']) assert.ok(!c.features.has(x), x);
});

test('atom-c2750 tops out at intel-westmere: Sandy Bridge needs avx and xsave', () => {
  const atom = cpu('atom-c2750');
  assert.equal(maxEvcMode(atom), 'intel-westmere');
  assert.deepEqual(supportsEvcMode(atom, 'intel-westmere'), { ok: true });
  assert.deepEqual(supportsEvcMode(atom, 'intel-sandybridge'), { ok: false, reason: 'missing-features', missing: ['avx', 'xsave'] });
  // RDRAND (an Ivy Bridge feature) does not help: levels are cumulative.
  const ivy = supportsEvcMode(atom, 'intel-ivybridge');
  assert.equal(ivy.ok, false);
  if (!ivy.ok) assert.ok(ivy.missing.includes('avx') && !ivy.missing.includes('rdrand'));
});

test('xeon-e3-1230-v3 tops out at intel-haswell', () => {
  const c = cpu('xeon-e3-1230-v3');
  assert.equal(maxEvcMode(c), 'intel-haswell');
  const bdw = supportsEvcMode(c, 'intel-broadwell');
  assert.equal(bdw.ok, false);
  if (!bdw.ok) assert.ok(bdw.missing.includes('rdseed'));
});

test('a Haswell + Atom cluster runs at intel-westmere', () => {
  const hosts = [cpu('xeon-e3-1230-v3'), cpu('atom-c2750')];
  for (const h of hosts) assert.deepEqual(supportsEvcMode(h, 'intel-westmere'), { ok: true });
  assert.equal(commonEvcMode(hosts), 'intel-westmere');
  assert.equal(commonEvcMode([cpu('xeon-e3-1230-v3'), cpu('xeon-gold-6248')]), 'intel-haswell');
  assert.equal(commonEvcMode([]), undefined);
  assert.equal(commonEvcMode([cpu('xeon-e3-1230-v3'), cpu('epyc-7302')]), undefined, 'Intel and AMD cannot be mixed');
});

test('vendor mismatch', () => {
  assert.deepEqual(supportsEvcMode(cpu('xeon-e3-1230-v3'), 'amd-rev-e'), { ok: false, reason: 'vendor-mismatch', missing: [] });
  assert.deepEqual(supportsEvcMode(cpu('epyc-7543'), 'intel-merom'), { ok: false, reason: 'vendor-mismatch', missing: [] });
});

test('hardware virtualization: L5420 has VT-x but no EPT; AMD reports AMD-V + RVI', () => {
  const l5420 = cpu('xeon-l5420');
  assert.ok(l5420.features.has('vmx'));
  assert.ok(!l5420.features.has('ept'));
  assert.deepEqual(hardwareVirtualization(l5420), { vt: true, mmu: false, label: 'VT-x (no EPT)' });
  assert.deepEqual(hardwareVirtualization(cpu('epyc-7281')), { vt: true, mmu: true, label: 'AMD-V + RVI' });
  for (const c of CPU_CATALOG.values()) {
    if (c.generation === 'merom' || c.generation === 'penryn') continue;
    assert.ok(hardwareVirtualization(c).mmu, `${c.id} has a second-level MMU`);
  }
});

test('every catalog CPU supports its own generation\'s mode where VMware defines one', () => {
  // Desktop Skylake-family parts (core-i5-8500) lack AVX-512, CLWB and PKU, which the
  // intel-skylake baseline requires; they top out at intel-broadwell.
  const clientSkylake = new Set(['core-i5-8500']);
  for (const c of CPU_CATALOG.values()) {
    const own = evcModeForGeneration(c.generation);
    if (own === undefined) {
      assert.equal(c.generation, 'silvermont');
      continue;
    }
    if (clientSkylake.has(c.id)) {
      const r = supportsEvcMode(c, own);
      assert.equal(r.ok, false);
      if (!r.ok) assert.ok(r.missing.includes('avx512f'));
      assert.equal(maxEvcMode(c), 'intel-broadwell');
      continue;
    }
    assert.deepEqual(supportsEvcMode(c, own), { ok: true }, `${c.id} supports ${own}`);
    assert.equal(maxEvcMode(c), own, `${c.id} tops out at ${own}`);
  }
});

test('EVC baselines: every mode, cumulative, levels per compute.md §5', () => {
  assert.deepEqual([...EVC_BASELINES.keys()], [...EVC_MODES]);
  for (const b of EVC_BASELINES.values()) {
    if (b.parent === undefined) continue;
    const parent = EVC_BASELINES.get(b.parent);
    assert.ok(parent && parent.vendor === b.vendor);
    assert.equal(b.level, parent.level + 1);
    for (const x of parent.features) assert.ok(b.features.has(x), `${b.mode} includes ${x}`);
  }
  const level = (m: EvcMode) => EVC_BASELINES.get(m)?.level;
  assert.equal(level('intel-merom'), 0);
  assert.equal(level('intel-sandybridge'), 4);
  assert.equal(level('intel-sapphirerapids'), 11);
  assert.equal(level('amd-greyhound'), 3);
  assert.equal(level('amd-zen4'), 9);
  assert.equal(EVC_BASELINES.get('amd-zen4')?.label, 'B7');
  // The 3DNow! track: greyhound is not below bulldozer, and Bulldozer cannot run it.
  assert.ok(!EVC_BASELINES.get('amd-bulldozer')?.features.has('3dnow'));
  assert.equal(supportsEvcMode(cpu('opteron-6272'), 'amd-greyhound').ok, false);
  assert.deepEqual(supportsEvcMode(cpu('opteron-6272'), 'amd-greyhound-no3dnow'), { ok: true });
  assert.equal(maxEvcMode(cpu('opteron-6174')), 'amd-greyhound');
  assert.equal(commonEvcMode([cpu('opteron-6174'), cpu('opteron-6380')]), 'amd-greyhound-no3dnow');
  // Zen dropped XOP/FMA4/TBM but still satisfies the Bulldozer-family modes.
  assert.deepEqual(supportsEvcMode(cpu('epyc-7281'), 'amd-steamroller'), { ok: true });
  assert.ok(!cpu('epyc-7281').features.has('xop'));
});

test('a CPU supports every mode below its maximum on its track', () => {
  for (const c of CPU_CATALOG.values()) {
    let mode = maxEvcMode(c);
    assert.ok(mode, `${c.id} has an EVC mode`);
    while (mode) {
      assert.deepEqual(supportsEvcMode(c, mode), { ok: true }, `${c.id} supports ${mode}`);
      mode = EVC_BASELINES.get(mode)?.parent;
    }
  }
});

test('custom CPU: id custom, threads default to cores, features exactly as given', () => {
  const c = resolveCpu({ vendor: 'intel', generation: 'haswell', sockets: 2, cores: 6, mhz: 2400, features: ['vmx', 'ept', 'lm'] });
  assert.ok(c);
  assert.equal(c.id, 'custom');
  assert.equal(c.vendor, 'intel');
  assert.equal(c.generation, 'haswell');
  assert.deepEqual([c.sockets, c.cores, c.threads, c.mhz], [2, 6, 6, 2400]);
  assert.deepEqual([...c.features].sort(), ['ept', 'lm', 'vmx']);
  assert.deepEqual(hardwareVirtualization(c), { vt: true, mmu: true, label: 'VT-x + EPT' });
  // The generation adds nothing: without the baseline features no EVC mode fits.
  assert.equal(maxEvcMode(c), undefined);

  const t = resolveCpu({ vendor: 'amd', generation: 'zen3', model: 'lab box', sockets: 1, cores: 8, threads: 16, mhz: 3000, features: [] });
  assert.ok(t);
  assert.equal(t.model, 'lab box');
  assert.equal(t.threads, 16);
  assert.deepEqual(hardwareVirtualization(t), { vt: false, mmu: false, label: 'no hardware virtualization' });

  // A custom CPU with a catalog CPU's features behaves like it.
  const like = resolveCpu({ vendor: 'intel', generation: 'silvermont', sockets: 1, cores: 8, mhz: 2400, features: [...cpu('atom-c2750').features] });
  assert.ok(like);
  assert.equal(maxEvcMode(like), 'intel-westmere');
});

test('unknown catalog id → undefined', () => {
  assert.equal(resolveCpu('xeon-nonexistent'), undefined);
  assert.equal(resolveCpu(''), undefined);
});
