// The lab file contract (spec/lab-file.md): parsing with positions, schema errors that name
// file:line:column, the value, what was expected and a hint; reference resolution; JSON Schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { labJsonSchema } from '../src/spec/schema.js';
import { load, loadOk, SMALL_LAB } from './helpers.js';

function errorsOf(text: string) {
  const r = load(text);
  assert.equal(r.ok, false, 'expected the lab to be rejected');
  return r.ok ? [] : r.errors;
}

test('a valid lab loads with defaults applied', () => {
  const { inventory: inv } = loadOk(SMALL_LAB);
  assert.equal(inv.lab, 'small');
  assert.equal(inv.hosts.size, 2, 'a nested hypervisor is a host in its own right');
  const esx1 = inv.hosts.get('esx1')!;
  assert.equal(esx1.hypervisor, 'esxi');
  assert.equal(esx1.version, '8.0');
  assert.equal(esx1.reservedMB, 2048);
  assert.equal(esx1.memoryMB, 32768);
  const web = inv.vms.get('web')!;
  assert.deepEqual(web.path, ['esx1', 'nested-esx', 'web']);
  assert.equal(web.hardwareVersion, 13);
  assert.equal(web.power, 'on');
});

test('YAML syntax errors name line and column', () => {
  const [e] = errorsOf('lab: x\nhosts:\n  - name: [unclosed\n');
  assert.equal(e!.code, 'yaml-syntax');
  assert.ok(e!.line >= 3, `line ${e!.line}`);
});

test('power: on stays a string (YAML 1.2 core schema, not 1.1 booleans)', () => {
  const { inventory } = loadOk(SMALL_LAB.replace('power: off', 'power: on'));
  assert.equal(inventory.vms.get('db')!.power, 'on');
});

test('duplicate keys are refused', () => {
  const [e] = errorsOf('lab: x\nlab: y\n');
  assert.equal(e!.code, 'yaml-syntax');
  assert.equal(e!.line, 2);
});

test('a document that is not a mapping is refused with a hint', () => {
  const [e] = errorsOf('- just\n- a list\n');
  assert.equal(e!.code, 'invalid-type');
  assert.match(e!.hint ?? '', /lab:/);
});

test('unknown fields point at the key and suggest the right one', () => {
  const [e] = errorsOf(SMALL_LAB.replace('    memory: 32GB', '    memroy: 32GB\n    memory: 32GB'));
  assert.equal(e!.code, 'unknown-field');
  assert.equal(e!.path, 'hosts[0].memroy');
  assert.equal(e!.line, 15);
  assert.equal(e!.column, 5);
  assert.equal(e!.hint, 'did you mean "memory"?');
});

test('a bad unit says what was expected and shows the value', () => {
  const [e] = errorsOf(SMALL_LAB.replace('memory: 32GB', 'memory: lots'));
  assert.equal(e!.code, 'invalid-value');
  assert.equal(e!.path, 'hosts[0].memory');
  assert.match(e!.message, /expected a memory size/);
  assert.match(e!.message, /"lots"/);
  assert.equal(e!.line, 15);
  assert.equal(e!.column, 13);
});

test('enum values get did-you-mean hints', () => {
  const [e] = errorsOf(SMALL_LAB.replace('security: { promiscuous: accept }', 'security: { promiscuous: acept }'));
  assert.equal(e!.path, 'hosts[0].switches[0].security.promiscuous');
  assert.equal(e!.hint, 'did you mean "accept"?');
});

test('missing required fields are reported with a hint', () => {
  const [e] = errorsOf('lab: x\nvms:\n  - { name: a, host: h, cpus: 1 }\n');
  assert.equal(e!.code, 'missing-field');
  assert.equal(e!.path, 'vms[0].memory');
  assert.match(e!.hint ?? '', /memory: 4GB/);
});

test('huge numbers are refused against configuration maxima', () => {
  const errors = errorsOf(SMALL_LAB.replace('cpus: 1,', 'cpus: 100000,').replace('memory: 32GB', 'memory: 1e400'));
  assert.ok(errors.some((e) => e.path === 'vms[1].cpus' && /768/.test(e.message)));
  assert.ok(errors.some((e) => e.path === 'hosts[0].memory'));
});

test('unknown port group: the network is named with a case-sensitive hint', () => {
  const [e] = errorsOf(SMALL_LAB.replace('network: VLAN100, ip', 'network: vlan100, ip'));
  assert.equal(e!.code, 'unknown-reference');
  assert.equal(e!.path, 'vms[1].nics[0].network');
  assert.equal(e!.hint, 'did you mean "VLAN100"?');
  assert.match(e!.message, /case-sensitive/);
});

test('every kind of reference is resolved', () => {
  const cases: Array<[string, string, string]> = [
    ['host: esx1, cpus: 2, memory: 4GB, power: off', 'host: esx2, cpus: 2, memory: 4GB, power: off', 'vms[2].host'],
    ['hosts: [esx1, nested-esx]', 'hosts: [esx1, nested-esxx]', 'datastores[0].hosts[1]'],
    ['connect: core/p9', 'connect: cor/p9', 'network.stations[0].nics[0].connect'],
    ['uplinks: [vmnic0]\n        security', 'uplinks: [vmnic7]\n        security', 'hosts[0].switches[0].uplinks[0]'],
    ['cpu: xeon-e3-1230-v3', 'cpu: xeon-e3-1230v3', 'hosts[0].cpu'],
  ];
  for (const [from, to, path] of cases) {
    const errors = errorsOf(SMALL_LAB.replace(from, to));
    assert.ok(errors.some((e) => e.code === 'unknown-reference' && e.path === path), `${to}: ${JSON.stringify(errors)}`);
  }
});

test('a VM hosted on itself, or on its own nested VM, is a nesting cycle', () => {
  const self = errorsOf(SMALL_LAB.replace('    host: esx1\n    cpus: 2\n    memory: 8GB', '    host: nested-esx\n    cpus: 2\n    memory: 8GB'));
  assert.ok(self.some((e) => e.code === 'nesting-cycle' && e.path === 'vms[0].host'), JSON.stringify(self));
  const pair = errorsOf(`lab: loop
vms:
  - { name: a, host: b, cpus: 2, memory: 8GB, nested: {} }
  - { name: b, host: a, cpus: 2, memory: 8GB, nested: {} }
`);
  assert.ok(pair.some((e) => e.code === 'nesting-cycle'), JSON.stringify(pair));
});

test('a VM on a VM that runs no hypervisor is refused', () => {
  const errors = errorsOf(SMALL_LAB.replace('{ name: web, host: nested-esx', '{ name: web, host: db'));
  assert.ok(errors.some((e) => e.code === 'not-a-hypervisor' && /nested:/.test(e.hint ?? '')));
});

test('hosts, VMs and stations share one namespace', () => {
  const errors = errorsOf(SMALL_LAB.replace('{ name: db,', '{ name: laptop,'));
  assert.ok(errors.some((e) => e.code === 'duplicate-name' && e.path === 'network.stations[0].name'));
});

test('a switch port takes one cable', () => {
  const errors = errorsOf(SMALL_LAB.replace('connect: core/p9', 'connect: core/p1'));
  assert.ok(errors.some((e) => e.code === 'port-in-use'));
});

test('a nested host\'s NICs are its VM\'s vNICs, with the same MACs', () => {
  const { inventory: inv } = loadOk(SMALL_LAB);
  const vm = inv.vms.get('nested-esx')!;
  const host = inv.hosts.get('nested-esx')!;
  assert.equal(host.nics[0]!.name, 'vmnic0');
  assert.equal(host.nics[0]!.mac, vm.nics[0]!.mac);
  assert.equal(host.depth, 1);
});

test('R1.16: vmk0 takes the MAC of its switch\'s first uplink; other vmknics get 00:50:56', () => {
  const { inventory: inv } = loadOk(SMALL_LAB.replace("{ name: vmk0, ip: 10.0.0.10/24, services: [management] }", "{ name: vmk0, ip: 10.0.0.10/24, services: [management] }, { name: vmk1, ip: 10.0.1.10/24, services: [vmotion] }"));
  const esx1 = inv.hosts.get('esx1')!;
  const [vmk0, vmk1] = esx1.vswitches[0]!.portgroups[0]!.vmkernel;
  assert.equal(vmk0!.mac, esx1.nics[0]!.mac);
  assert.match(vmk1!.mac, /^00:50:56:[67]/);
  // Nested: vmk0 of the nested host has the MAC of the outer VM's vNIC (spec §7.1).
  const nested = inv.hosts.get('nested-esx')!;
  assert.equal(nested.vswitches[0]!.portgroups[0]!.vmkernel[0]!.mac, inv.vms.get('nested-esx')!.nics[0]!.mac);
});

test('MACs are deterministic, in VMware ranges, and unique', () => {
  const a = loadOk(SMALL_LAB).inventory;
  const b = loadOk(SMALL_LAB).inventory;
  const macs = (inv: typeof a) => [...inv.vms.values()].flatMap((v) => v.nics.map((n) => n.mac));
  assert.deepEqual(macs(a), macs(b));
  for (const m of macs(a)) assert.match(m, /^00:50:56:[89ab][0-9a-f]:[0-9a-f]{2}:[0-9a-f]{2}$/);
  assert.equal(new Set(macs(a)).size, macs(a).length);
  const other = loadOk(SMALL_LAB.replace('lab: small', 'lab: other')).inventory;
  assert.notDeepEqual(macs(other), macs(a), 'another lab gets other MACs (20 students, 20 labs)');
});

test('ids are stable kind:path strings', () => {
  const { inventory: inv } = loadOk(SMALL_LAB);
  assert.equal(inv.hosts.get('esx1')!.vswitches[0]!.portgroups[1]!.id, 'portgroup:esx1/VM Network');
  assert.equal(inv.vms.get('web')!.nics[0]!.id, 'vnic:web/0');
  assert.equal(inv.links[0]!.id, 'link:nic:esx1/vmnic0~switchport:core/p1');
});

test('cluster: VMs are placed on the compatible host with the most free memory', () => {
  const text = `lab: place
hosts:
  - { name: h1, cpu: xeon-gold-6130, memory: 64GB, switches: [{ name: vSwitch0, portgroups: [{ name: VM Network }] }] }
  - { name: h2, cpu: xeon-gold-6130, memory: 128GB, switches: [{ name: vSwitch0, portgroups: [{ name: VM Network }] }] }
  - { name: h3, cpu: xeon-gold-6130, memory: 256GB }
vcenter: external
clusters:
  - { name: c1, hosts: [h1, h2, h3] }
vms:
  - { name: a, cluster: c1, cpus: 1, memory: 32GB, nics: [{ network: VM Network }] }
  - { name: b, cluster: c1, cpus: 1, memory: 32GB, nics: [{ network: VM Network }] }
  - { name: c, cluster: c1, cpus: 1, memory: 32GB, nics: [{ network: VM Network }] }
`;
  const { inventory: inv } = loadOk(text);
  // h3 has no "VM Network"; h2 has the most memory until two VMs land there.
  assert.deepEqual(['a', 'b', 'c'].map((v) => inv.vms.get(v)!.host), ['h2', 'h2', 'h1']);
  const errors = errorsOf(text.replace("{ name: c, cluster: c1, cpus: 1, memory: 32GB, nics: [{ network: VM Network }] }", "{ name: c, cluster: c1, cpus: 1, memory: 32GB, nics: [{ network: Storage }] }"));
  assert.ok(errors.some((e) => e.code === 'no-compatible-host' && /h1 has no network "Storage"/.test(e.message)));
});

test('teaming lists name the switch\'s uplinks; ip-hash cannot have standby (R5.4)', () => {
  const errors = errorsOf(SMALL_LAB.replace('security: { promiscuous: accept }', 'teaming: { policy: ip-hash, active: [], standby: [vmnic0] }'));
  assert.ok(errors.some((e) => e.code === 'invalid-teaming' && /R5.4/.test(e.message)));
});

test('port group overrides each security property separately (R2.2)', () => {
  const { inventory: inv } = loadOk(SMALL_LAB.replace('{ name: VM Network }', '{ name: VM Network, security: { forgedTransmits: reject } }'));
  const pg = inv.hosts.get('esx1')!.vswitches[0]!.portgroups[1]!;
  assert.deepEqual(pg.security, { promiscuous: 'accept', macChanges: 'accept', forgedTransmits: 'reject' });
});

test('nestlab schema is a JSON Schema an editor can use', () => {
  const schema = labJsonSchema() as { $schema: string; properties: Record<string, { description?: string }>; required: string[] };
  assert.match(schema.$schema, /json-schema.org/);
  assert.deepEqual(schema.required, ['lab']);
  for (const k of ['lab', 'settings', 'network', 'datastores', 'hosts', 'distributedSwitches', 'vcenter', 'clusters', 'vms']) assert.ok(k in schema.properties, k);
});

test('a nested host sees its VM\'s CPU masked to the outer cluster\'s EVC baseline (compute.md §5)', () => {
  const text = `lab: evc
vcenter: external
hosts:
  - { name: xeon, cpu: xeon-e3-1230-v3, memory: 32GB, switches: [{ name: vSwitch0, portgroups: [{ name: VM Network }] }] }
  - { name: atom, cpu: atom-c2750, memory: 32GB, switches: [{ name: vSwitch0, portgroups: [{ name: VM Network }] }] }
clusters:
  - { name: physical, hosts: [xeon, atom], evc: intel-westmere }
vms:
  - { name: n1, host: xeon, cpus: 2, memory: 8GB, exposeHardwareVirtualization: true, nested: {} }
  - { name: n2, host: atom, cpus: 2, memory: 8GB, nested: {} }
`;
  const { inventory: inv } = loadOk(text);
  const n1 = inv.hosts.get('n1')!.cpu;
  const n2 = inv.hosts.get('n2')!.cpu;
  assert.ok(!n1.features.has('avx') && !n1.features.has('avx2'), 'Westmere hides AVX from VMs on the Haswell host');
  assert.ok(n1.features.has('aes') && n1.features.has('vmx') && n1.features.has('ept'), 'baseline features and exposed VT-x/EPT stay');
  assert.ok(!n2.features.has('vmx'), 'without exposeHardwareVirtualization the nested host sees no VT-x');
  assert.equal(n1.cores, 2);
  const unmasked = loadOk(text.replace(', evc: intel-westmere', '')).inventory.hosts.get('n1')!.cpu;
  assert.ok(unmasked.features.has('avx2'));
});

test('§11.32 configuration maximums: a 97th host in a cluster, 1,025 VMs on a host, vCPUs over the hardware version\'s maximum (compute.md §10)', async () => {
  const { generateLab } = await import('../bench/gen-lab.js');
  const big = load(generateLab(97, 10, 97));
  assert.equal(big.ok, false);
  assert.ok(!big.ok && big.errors.some((e) => e.code === 'config-maximum' && /hosts in cluster cluster-0: 97/.test(e.message)));
  const crowded = load(generateLab(1, 1025));
  assert.ok(!crowded.ok && crowded.errors.some((e) => e.code === 'config-maximum' && /VMs on host esx-0: 1,025/.test(e.message)));
  assert.ok(load(generateLab(1, 1024)).ok, '1,024 VMs on a host is the maximum, allowed');
  const wide = load(SMALL_LAB.replace('{ name: db, host: esx1, cpus: 2,', '{ name: db, host: esx1, cpus: 200,'));
  assert.ok(!wide.ok && wide.errors.some((e) => e.code === 'config-maximum' && e.path === 'vms[2].cpus' && /at most 128/.test(e.message)));
  assert.ok(load(SMALL_LAB.replace('{ name: db, host: esx1, cpus: 2,', '{ name: db, host: esx1, hardwareVersion: 20, cpus: 768,')).ok, 'HW20 allows 768');
});
