// A DRS pass over one cluster at its configuration maximum: 96 hosts, 10,000 powered-on VMs,
// deliberately imbalanced (a third of the hosts carry twice the load), threshold 3.
//   node --import tsx bench/drs-pass.ts
import { cpus, loadavg } from 'node:os';
import { drsPass, type DrsHost, type DrsVm } from '../src/cluster/drs.js';

const hosts: DrsHost[] = Array.from({ length: 96 }, (_, i) => ({ name: `esx-${i}`, cpuMHz: 40 * 2500, memoryMB: 768 * 1024, maintenance: false }));
const vms: DrsVm[] = Array.from({ length: 10_000 }, (_, i) => {
  const heavy = i % 3 === 0;
  return { name: `vm-${i}`, host: `esx-${heavy ? (i % 32) : 32 + (i % 64)}`, cpuMHz: heavy ? 1600 : 400, memoryMB: heavy ? 8192 : 2048, reserveMemoryMB: 60, reserveCpuMHz: 0 };
});
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const times: number[] = [];
let moves = 0;
for (let k = 0; k < 5; k++) {
  const t = performance.now();
  const r = drsPass({
    hosts, vms, rules: [], threshold: 3, compatible: () => true,
    reserved: () => ({ memoryMB: 0, cpuMHz: 0 }), capacity: () => ({ memoryMB: 766 * 1024, cpuMHz: 100_000 }),
  });
  times.push(performance.now() - t);
  moves = r.recommendations.length;
}
const sorted = [...times].sort((a, b) => a - b);
console.log(`DRS pass, 96 hosts, 10,000 VMs: median ${sorted[2]!.toFixed(0)} ms (${moves} moves recommended) — target < 1000 ms`);
