// DRS (spec/compute.md §7): the imbalance metric and its priority, thresholds, mandatory moves for
// maintenance mode, must rules that block evacuation (§11.24), should rules, VM-VM rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { drsPass, priorityOf, type DrsHost, type DrsInput, type DrsRule, type DrsVm } from '../src/cluster/drs.js';

const host = (name: string, maintenance = false): DrsHost => ({ name, cpuMHz: 10_000, memoryMB: 32_768, maintenance });
const vm = (name: string, h: string, mem = 4096): DrsVm => ({ name, host: h, cpuMHz: 1000, memoryMB: mem, reserveMemoryMB: 30, reserveCpuMHz: 0 });

function pass(hosts: DrsHost[], vms: DrsVm[], o: { threshold?: number; rules?: DrsRule[] } = {}) {
  const input: DrsInput = {
    hosts, vms, rules: o.rules ?? [], threshold: o.threshold ?? 3,
    compatible: () => true, reserved: () => ({ memoryMB: 0, cpuMHz: 0 }), capacity: () => ({ memoryMB: 30_720, cpuMHz: 10_000 }),
  };
  return drsPass(input);
}

test('§7 priority = 6 − ceil(imbalance · √N / 0.1): with 4 hosts, threshold 3 acts above a 0.1 standard deviation', () => {
  assert.equal(priorityOf(0.1, 4), 4, 'exactly at the target: priority 4, not applied at threshold 3');
  assert.equal(priorityOf(0.11, 4), 3);
  assert.equal(priorityOf(0.3, 4), 2, 'clamped to 2: priority 1 is for mandatory moves');
  assert.equal(priorityOf(0.01, 4), 5);
});

test('§7 balancing: VMs piled on one host are spread while the imbalance is within the threshold', () => {
  const r = pass([host('a'), host('b')], [vm('v1', 'a'), vm('v2', 'a'), vm('v3', 'a'), vm('v4', 'a')]);
  assert.ok(r.imbalance > 0.2);
  // One move brings the deviation to 0.125, under threshold 3's target 0.1·2/√2 ≈ 0.141: DRS stops.
  assert.equal(r.target, 0.1414);
  assert.deepEqual(r.recommendations.map((m) => [m.from, m.to]), [['a', 'b']]);
  assert.ok(r.recommendations[0]!.priority <= 3);
  const aggressive = pass([host('a'), host('b')], [vm('v1', 'a'), vm('v2', 'a'), vm('v3', 'a'), vm('v4', 'a')], { threshold: 5 });
  assert.equal(aggressive.recommendations.length, 2, 'threshold 5 takes any slight improvement: two each');
  assert.equal(pass([host('a'), host('b')], [vm('v1', 'a'), vm('v2', 'a'), vm('v3', 'b')], { threshold: 1 }).recommendations.length, 0, 'threshold 1: mandatory moves only');
});

test('§7 maintenance mode: powered-on VMs are evacuated with priority-1 moves', () => {
  const r = pass([host('a', true), host('b'), host('c')], [vm('v1', 'a'), vm('v2', 'a')]);
  assert.deepEqual(r.recommendations.map((m) => [m.vm, m.from, m.priority]), [['v1', 'a', 1], ['v2', 'a', 1]]);
  assert.ok(r.recommendations.every((m) => m.to !== 'a'));
  assert.deepEqual(r.stuck, []);
});

test('§11.24 a must rule blocks maintenance; a should rule lets the VM go (§7)', () => {
  const rule = (type: DrsRule['type']): DrsRule => ({ name: 'pin', type, vms: ['vm1'], hosts: ['esx1'] });
  const must = pass([host('esx1', true), host('esx2')], [vm('vm1', 'esx1')], { rules: [rule('vm-host-must')] });
  assert.equal(must.recommendations.length, 0);
  assert.match(must.stuck[0]!.reason, /must rule/);
  const should = pass([host('esx1', true), host('esx2')], [vm('vm1', 'esx1')], { rules: [rule('vm-host-should')] });
  assert.deepEqual(should.recommendations.map((m) => [m.vm, m.to, m.priority]), [['vm1', 'esx2', 1]]);
});

test('§7 VM-VM anti-affinity: balancing never puts the pair together; no capacity means stuck', () => {
  const anti: DrsRule = { name: 'apart', type: 'vm-anti-affinity', vms: ['v1', 'v2'], hosts: [] };
  const r = pass([host('a'), host('b')], [vm('v1', 'a'), vm('v2', 'b'), vm('v3', 'a'), vm('v4', 'a')], { rules: [anti] });
  for (const m of r.recommendations) assert.notEqual(m.vm === 'v1' ? m.to : '', 'b');
  const full = drsPass({
    hosts: [host('a', true), host('b')], vms: [{ ...vm('big', 'a', 30_000), reserveMemoryMB: 30_000 }], rules: [], threshold: 3,
    compatible: () => true, reserved: () => ({ memoryMB: 0, cpuMHz: 0 }), capacity: () => ({ memoryMB: 1000, cpuMHz: 10_000 }),
  });
  assert.equal(full.recommendations.length, 0);
  assert.match(full.stuck[0]!.reason, /not enough unreserved capacity/);
});
