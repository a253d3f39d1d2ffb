// nestlab benchmarks (not tests). Run with `npm run bench` after `npm run build`; record the
// results with date and machine in docs/benchmarks.md. Each figure is measured in this run.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { generateLab } from './gen-lab.js';

const OUT = join(import.meta.dirname, 'out');
const BIN = join(import.meta.dirname, '..', 'bin', 'nestlab.js');
const MEASURE = join(import.meta.dirname, 'measure.mjs');
const only = process.argv[2];

interface Measured { code: number; wallMs: number; maxRssKB: number }

function measure(args: string[]): Measured {
  // The same V8 flag as bin/nestlab.js's interpreter line.
  const r = spawnSync(process.execPath, ['--max-semi-space-size=4', MEASURE, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const line = r.stderr.trim().split('\n').pop() ?? '{}';
  return JSON.parse(line) as Measured;
}

function wall(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nestlab ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

mkdirSync(OUT, { recursive: true });
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);

if (!only || only === 'validate') {
  // Node start-up included: what a user waits for.
  const nodeOnly = median(Array.from({ length: 11 }, () => { const t = process.hrtime.bigint(); spawnSync(process.execPath, ['-e', '0']); return Number(process.hrtime.bigint() - t) / 1e6; }));
  const times = Array.from({ length: 11 }, () => wall(['validate', 'examples/home-lab.yaml', '--json']));
  console.log(`validate home-lab: median ${median(times).toFixed(0)} ms wall (node -e 0 alone: ${nodeOnly.toFixed(0)} ms; ratio ${(median(times) / nodeOnly).toFixed(2)}) target < 300 ms`);
}

if (!only || only === 'maxima') {
  const file = join(OUT, 'maxima.yaml');
  const text = generateLab();
  writeFileSync(file, text);
  const state = join(OUT, 'maxima-state');
  rmSync(state, { recursive: true, force: true });
  const vms = 40000;
  const first = measure(['up', file, '--state', state, '--json']);
  const again = measure(['up', file, '--state', state, '--json']);
  const val = measure(['validate', file, '--json']);
  console.log(`maxima file: ${(text.length / 2 ** 20).toFixed(1)} MiB, 2,500 hosts, ${vms.toLocaleString('en-US')} VMs`);
  console.log(`up (fresh):      ${(first.wallMs / 1000).toFixed(2)} s wall, peak RSS ${(first.maxRssKB / 1024).toFixed(0)} MiB = ${(first.maxRssKB / vms).toFixed(1)} KB per VM (exit ${first.code}) target < 10 s, < 15 KB/VM`);
  console.log(`up (no change):  ${(again.wallMs / 1000).toFixed(2)} s wall, peak RSS ${(again.maxRssKB / 1024).toFixed(0)} MiB (exit ${again.code})`);
  console.log(`validate:        ${(val.wallMs / 1000).toFixed(2)} s wall, peak RSS ${(val.maxRssKB / 1024).toFixed(0)} MiB (exit ${val.code})`);
}
