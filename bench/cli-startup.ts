// Cold-process wall times of the CLI (issue #3: `nestlab trace` on the three-level lab < 100 ms).
// Run with `node --import tsx bench/cli-startup.ts [runs]` after `npm run build`; record the results
// in docs/benchmarks.md. Every command is a fresh `node bin/nestlab.js …` process, as a user
// (and test/helpers.ts) runs it; the cases are interleaved round-robin so a load spike hits them
// all alike, and each figure is the median of `runs` (default 11). Each case is measured with the
// environment as it is and, when NODE_EXTRA_CA_CERTS is set, without it too: Node reads that
// certificate file at every start-up, before any of nestlab's code runs.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'nestlab.js');
const runs = Number(process.argv[2] ?? 11);

interface Case { name: string; args: string[] }
const cases: Case[] = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'nestlab --version', args: [BIN, '--version'] },
  { name: 'nestlab ls', args: [BIN, 'ls'] },
  { name: 'nestlab validate examples/home-lab.yaml', args: [BIN, 'validate', join(ROOT, 'examples', 'home-lab.yaml')] },
  { name: 'nestlab trace x station-30', args: [BIN, 'trace', 'x', 'station-30'] },
];

const dir = mkdtempSync(join(tmpdir(), 'nestlab-startup-'));
const withCa = { ...process.env, NESTLAB_STATE: join(dir, '.nestlab'), NO_COLOR: '1' };
const withoutCa: NodeJS.ProcessEnv = { ...withCa };
delete withoutCa.NODE_EXTRA_CA_CERTS;
const envs: [string, NodeJS.ProcessEnv][] = process.env.NODE_EXTRA_CA_CERTS
  ? [['with NODE_EXTRA_CA_CERTS', withCa], ['without', withoutCa]]
  : [['environment as is', withCa]];

function run(args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: dir, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  run([BIN, 'up', join(ROOT, 'examples', 'three-level.yaml')], withCa);
  const times = new Map<string, number[]>();
  for (let i = 0; i < runs + 1; i++) {
    for (const [label, env] of envs) {
      for (const c of cases) {
        const ms = run(c.args, env);
        if (i === 0) continue; // one warm-up round: the page cache, not nestlab
        const key = `${c.name}\t${label}`;
        times.set(key, [...(times.get(key) ?? []), ms]);
      }
    }
  }
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`median of ${runs} cold processes, ms wall (min–max)`);
  const width = Math.max(...cases.map((c) => c.name.length));
  console.log(`${''.padEnd(width)}  ${envs.map(([label]) => label.padStart(26)).join('')}`);
  for (const c of cases) {
    const cells = envs.map(([label]) => {
      const xs = times.get(`${c.name}\t${label}`)!;
      return `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`.padStart(26);
    });
    console.log(`${c.name.padEnd(width)}  ${cells.join('')}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
