// EVC (spec/compute.md §5): host admission to an EVC cluster with the missing features named,
// refused hosts kept out of the cluster (and out of `cluster:` placement), and the CPU features a
// VM sees — the cluster baseline — recorded at power-on and kept until it is power-cycled. The
// seed's Xeon E3-1230 v3 + Atom C2750 cluster runs at Westmere (examples/home-lab.yaml).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { evcAdmission, missingCpuFeatures, vmVisibleFeatures } from '../src/cluster/evc.js';
import { CPU_CATALOG, EVC_BASELINES } from '../src/model/cpu.js';
import { Store } from '../src/store/store.js';
import { nestlab, ROOT, tempDir } from './helpers.js';

const cpu = (id: string) => CPU_CATALOG.get(id)!;

function upFile(file: string): { state: string; s: string[] } {
  const state = join(tempDir(), 'state');
  const s = ['--state', state, '--json'];
  const r = nestlab(['up', file, ...s]);
  assert.ok(r.code === 0 || r.code === 3, r.stdout + r.stderr);
  return { state, s };
}

function write(text: string): string {
  const file = join(tempDir(), 'lab.yaml');
  writeFileSync(file, text);
  return file;
}

/** The CPU a VM sees, as `nestlab show VM` reports it. */
function cpuOf(state: string, vm: string): { evcMode: string | null; features: string[] } {
  return nestlab(['show', vm, '--state', state, '--json']).json().cpu;
}

function runtimeOf(state: string, lab: string, id: string): Record<string, any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const store = new Store(state);
  try {
    return JSON.parse(store.objects(lab).find((o) => o.id === id)!.runtime) as Record<string, unknown>;
  } finally {
    store.close();
  }
}

function events(state: string, lab: string): Array<{ type: string; object: string | null; message: string; data: Record<string, any> | null }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const store = new Store(state);
  try {
    return store.events(lab).map((e) => ({ type: e.type, object: e.object, message: e.message, data: e.data === null ? null : JSON.parse(e.data) as Record<string, unknown> }));
  } finally {
    store.close();
  }
}

test('§5 admission: Xeon E3-1230 v3 and Atom C2750 both support Westmere; the Atom lacks AVX/XSAVE for Sandy Bridge; AMD never joins an Intel mode', () => {
  assert.deepEqual(evcAdmission('esx-xeon', cpu('xeon-e3-1230-v3'), 'c', 'intel-westmere'), { ok: true });
  assert.deepEqual(evcAdmission('esx-atom', cpu('atom-c2750'), 'c', 'intel-westmere'), { ok: true });
  const sb = evcAdmission('esx-atom', cpu('atom-c2750'), 'c', 'intel-sandybridge');
  assert.ok(!sb.ok);
  assert.equal(sb.reason, 'missing-features');
  assert.deepEqual(sb.missing, ['avx', 'xsave']);
  assert.equal(sb.maxMode, 'intel-westmere');
  assert.match(sb.message, /lacks avx, xsave/);
  const amd = evcAdmission('e1', cpu('epyc-7302'), 'c', 'intel-westmere');
  assert.ok(!amd.ok && amd.reason === 'vendor-mismatch');
  assert.match(amd.message, /Intel and AMD cannot be mixed/);
});

test('§5 VMs see the cluster baseline: Haswell and Silvermont present the same features under Westmere; HV flags only when exposed', () => {
  const westmere = EVC_BASELINES.get('intel-westmere')!;
  const onXeon = vmVisibleFeatures(cpu('xeon-e3-1230-v3').features, 'intel-westmere', false);
  const onAtom = vmVisibleFeatures(cpu('atom-c2750').features, 'intel-westmere', false);
  assert.deepEqual(onXeon, onAtom);
  for (const f of westmere.features) assert.ok(onXeon.includes(f), f);
  for (const f of ['avx', 'avx2', 'movbe', 'rdrand', 'vmx']) assert.ok(!onXeon.includes(f), f);
  assert.ok(vmVisibleFeatures(cpu('xeon-e3-1230-v3').features, 'intel-westmere', true).includes('vmx'));
  // Without EVC the Haswell VM has what the Atom lacks.
  const raw = vmVisibleFeatures(cpu('xeon-e3-1230-v3').features, undefined, false);
  assert.deepEqual(missingCpuFeatures(raw, new Set(vmVisibleFeatures(cpu('atom-c2750').features, undefined, false))).slice(0, 4), ['abm', 'avx', 'avx2', 'bmi1']);
});

test('seed: the home lab\'s physical cluster runs at Westmere; VMs on the Xeon and (nested) on the Atom record the same baseline; no host is refused', () => {
  const file = join(ROOT, 'examples', 'home-lab.yaml');
  assert.equal(nestlab(['validate', file, '--json']).code, 0);
  const { state } = upFile(file);
  const vcsa = cpuOf(state, 'vcsa');
  const webA2 = cpuOf(state, 'web-a2');
  assert.equal(vcsa.evcMode, 'intel-westmere');
  assert.deepEqual(vcsa.features, webA2.features, 'a VM on the Xeon and one nested on the Atom see the same CPU');
  assert.ok(vcsa.features.includes('aes') && !vcsa.features.includes('avx'));
  assert.ok(!events(state, 'cloud-stitcher').some((e) => e.type === 'cluster.host-refused'));
  assert.equal(runtimeOf(state, 'cloud-stitcher', 'host:esx-atom').evcRefused, undefined);
});

const REFUSAL = (evc: string, second = 'atom-c2750') => `lab: evc
vcenter: external
datastores:
  - { name: nfs, type: nfs, capacity: 1TB, hosts: [xeon, other] }
hosts:
  - { name: xeon, cpu: xeon-e3-1230-v3, memory: 32GB, switches: [{ name: vSwitch0, portgroups: [{ name: VM Network }] }] }
  - { name: other, cpu: ${second}, memory: 128GB, switches: [{ name: vSwitch0, portgroups: [{ name: VM Network }] }] }
clusters:
  - { name: c, hosts: [xeon, other], evc: ${evc} }
vms:
  - { name: v1, cluster: c, cpus: 1, memory: 2GB, disks: [{ datastore: nfs, size: 10GB }], nics: [{ network: VM Network }] }
  - { name: v2, cluster: c, cpus: 1, memory: 2GB, disks: [{ datastore: nfs, size: 10GB }], nics: [{ network: VM Network }] }
`;

test('§5 a host below the cluster\'s EVC mode is refused at up: event cluster.host-refused naming the missing features; `cluster:` VMs do not land there; validate still warns only', () => {
  const file = write(REFUSAL('intel-haswell'));
  const v = nestlab(['validate', file, '--json']);
  assert.equal(v.code, 0, v.stdout);
  assert.ok(v.json().warnings.some((w: { rule: string }) => w.rule === 'evc-mode-unsupported'));
  const { state, s } = upFile(file);
  const refused = events(state, 'evc').filter((e) => e.type === 'cluster.host-refused');
  assert.equal(refused.length, 1);
  assert.equal(refused[0]!.object, 'host:other');
  assert.deepEqual(refused[0]!.data!.missing, ['avx', 'xsave', 'f16c', 'fsgsbase', 'avx2', 'fma', 'bmi1', 'bmi2', 'invpcid', 'abm']);
  assert.match(refused[0]!.message, /lacks avx, xsave/);
  assert.deepEqual(runtimeOf(state, 'evc', 'host:other').evcRefused, { cluster: 'c', mode: 'intel-haswell', reason: 'missing-features', missing: refused[0]!.data!.missing });
  // The Atom has four times the memory, yet placement keeps the cluster's VMs off it.
  for (const vm of ['v1', 'v2']) assert.equal(nestlab(['show', vm, ...s]).json().host, 'xeon', vm);
  // A second up changes nothing and logs nothing.
  const again = nestlab(['up', file, ...s]);
  assert.equal(again.code, 0);
  assert.equal(events(state, 'evc').filter((e) => e.type === 'cluster.host-refused').length, 1);
  // Lower the mode to Westmere: the Atom is admitted.
  writeFileSync(file, REFUSAL('intel-westmere'));
  assert.equal(nestlab(['up', file, ...s]).code, 0);
  assert.equal(runtimeOf(state, 'evc', 'host:other').evcRefused, undefined);
  assert.ok(events(state, 'evc').some((e) => e.type === 'cluster.host-admitted' && e.object === 'host:other'));
});

test('§5 Intel and AMD cannot be mixed: an EPYC host in an Intel EVC cluster is refused (vendor-mismatch)', () => {
  const { state } = upFile(write(REFUSAL('intel-westmere', 'epyc-7302')));
  const e = events(state, 'evc').find((x) => x.type === 'cluster.host-refused')!;
  assert.equal(e.data!.reason, 'vendor-mismatch');
  assert.equal(runtimeOf(state, 'evc', 'host:other').evcRefused.reason, 'vendor-mismatch');
});

test('§5 raising the mode: a running VM keeps the old baseline until it is power-cycled', () => {
  const text = (evc: string) => REFUSAL(evc, 'xeon-e3-1230-v3');
  const file = write(text('intel-westmere'));
  const { state, s } = upFile(file);
  assert.ok(!cpuOf(state, 'v1').features.includes('avx2'));
  writeFileSync(file, text('intel-haswell'));
  assert.equal(nestlab(['up', file, ...s]).code, 0);
  assert.ok(!cpuOf(state, 'v1').features.includes('avx2'), 'still Westmere while running');
  assert.equal(cpuOf(state, 'v1').evcMode, 'intel-westmere');
  assert.equal(nestlab(['power', 'reset', 'v1', ...s]).code, 0);
  assert.ok(!cpuOf(state, 'v1').features.includes('avx2'), 'a reset is not a power cycle');
  assert.equal(nestlab(['power', 'off', 'v1', ...s]).code, 0);
  assert.equal(nestlab(['power', 'on', 'v1', ...s]).code, 0);
  const after = cpuOf(state, 'v1');
  assert.equal(after.evcMode, 'intel-haswell');
  assert.ok(after.features.includes('avx2') && after.features.includes('fma'));
});
