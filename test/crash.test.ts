// kill -9 at random moments: "every operation runs in one transaction, so a process killed at
// any moment leaves the state as it was before or after the operation, never between"
// (src/store/store.ts). A medium lab (bench/gen-lab.ts: 200 hosts, 3,000 VMs, so `up` runs for
// about a second) is applied by a spawned `nestlab up` that is SIGKILLed after a delay drawn by
// a seeded PRNG — stratified so the kills spread over the whole run, from process start to
// past the commit. After each kill the state must be exactly the "before" snapshot or exactly
// the "after" one — `nestlab ls --json`, `nestlab events --json` and `nestlab tasks --json`, and
// every row of every table — and `PRAGMA integrity_check` must say ok. Two scenarios: creating a
// lab in an empty state, and updating it (v1 → v2 adds, removes and reconfigures VMs). The run
// reports how many kills left each outcome, and asserts that both were seen.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateLab } from '../bench/gen-lab.js';
import { BIN, ROOT, tempDir } from './helpers.js';

const SEED = Number(process.env.CRASH_SEED ?? 0x6b696c6c); // "kill"
const KILLS = Number(process.env.CRASH_KILLS ?? 22);
/** Extra kills around the end of a run, where the commit, the WAL checkpoint and the output happen. */
const END_KILLS = Number(process.env.CRASH_END_KILLS ?? 8);
const HOSTS = 200;
const VMS = 3000;

/** mulberry32: a small seeded PRNG, so the sequence of kill delays is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Spawned { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function run(args: string[]): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

interface UpRun {
  /** ms from spawn to exit */
  elapsed: number;
  /** ms from spawn to the first byte on stdout (the result is printed after the commit), if any */
  firstOutput: number | undefined;
  /** the SIGKILL reached a running process */
  killed: boolean;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `nestlab up FILE`, SIGKILLed `killAfter` ms after the spawn if it is still running. */
function up(file: string, state: string, killAfter = Infinity): Promise<UpRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, 'up', file, '--state', state, '--json'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let firstOutput: number | undefined;
    let killed = false;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => { firstOutput ??= performance.now() - started; out.push(b); });
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = Number.isFinite(killAfter)
      ? setTimeout(() => { if (child.exitCode === null && child.signalCode === null) killed = child.kill('SIGKILL'); }, killAfter)
      : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ elapsed: performance.now() - started, firstOutput, killed: killed && signal === 'SIGKILL', code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** What a user sees of one listing: the JSON on success; the exit status and error code otherwise (messages name the state directory). */
function seen(r: Spawned): string {
  if (r.code === 0) return r.stdout;
  try {
      const j = JSON.parse(r.stdout) as { code?: unknown };
      return `exit ${String(r.code)}: ${String(j.code)}`;
    } catch {
      return `exit ${String(r.code ?? r.signal)}, no JSON: ${r.stdout.slice(0, 500)}${r.stderr.slice(0, 500)}`;
    }
  }

  /** Every row of every table but `meta` (the schema version), canonically ordered; empty tables and a missing database read as nothing. */
function dumpState(dir: string): string {
  const file = join(dir, 'state.db');
  if (!existsSync(file)) return '';
  const db = new Database(file, { fileMustExist: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'meta' ORDER BY name").pluck().all() as string[];
    return tables
      .map((t) => [t, (db.prepare(`SELECT * FROM "${t}"`).raw().all() as unknown[][]).map((r) => JSON.stringify(r)).sort()] as const)
      .filter(([, rows]) => rows.length > 0)
      .map(([t, rows]) => `${t}\n${rows.join('\n')}`)
      .join('\n');
  } finally {
    db.close();
  }
}

function integrity(dir: string): string {
  const file = join(dir, 'state.db');
  if (!existsSync(file)) return 'ok (no database yet)';
  const db = new Database(file, { fileMustExist: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

interface Snapshot { ls: string; events: string; tasks: string; dump: string }

async function snapshot(state: string): Promise<Snapshot> {
  const [ls, events, tasks] = await Promise.all(['ls', 'events', 'tasks'].map((c) => run([c, '--state', state, '--json'])));
  return { ls: seen(ls!), events: seen(events!), tasks: seen(tasks!), dump: dumpState(state) };
}

const same = (a: Snapshot, b: Snapshot): boolean => a.ls === b.ls && a.events === b.events && a.tasks === b.tasks && a.dump === b.dump;

function difference(s: Snapshot, before: Snapshot, after: Snapshot): string {
  const parts = (['ls', 'events', 'tasks', 'dump'] as const).map((k) => `${k}: ${s[k] === before[k] ? 'as before' : s[k] === after[k] ? 'as after' : `neither (${s[k].length} chars: ${s[k].slice(0, 200)})`}`);
  return parts.join('; ');
}

/** v2 of the generated lab: the first 300 VMs removed, 300 new ones, 100 with more memory, one host in maintenance. */
function labV2(): string {
  return generateLab(HOSTS, VMS + 300)
    .split('\n')
    .filter((line) => { const m = /name: vm-(\d+),/.exec(line); return !m || Number(m[1]) >= 300; })
    .map((line) => { const m = /name: vm-(\d+),/.exec(line); return m && Number(m[1]) >= 1000 && Number(m[1]) < 1100 ? line.replace('memory: 4GB', 'memory: 6GB') : line; })
    .join('\n')
    .replace('  - name: esx-7\n', '  - name: esx-7\n    maintenance: true\n');
}

interface Scenario {
  name: string;
  file: string;
  /** a state directory holding the "before" state (copied for every run), or none: an empty state */
  from: string | undefined;
}

async function killRuns(t: TestContext, sc: Scenario, random: () => number, work: string): Promise<{ state: string; result: Record<string, string[]> }> {
  const fresh = (name: string): string => {
    const dir = join(work, sc.name, name);
    if (sc.from) cpSync(sc.from, dir, { recursive: true });
    return dir;
  };

  const before = await snapshot(fresh('before'));
  if (!sc.from) {
    assert.equal(before.ls, 'exit 1: no-lab', 'an empty state has no lab');
    assert.equal(before.dump, '');
  }

  // Complete runs: the "after" state, and how long `up` takes here (the median of three, as
  // the first run on a busy machine is often slow).
  const full = await up(sc.file, fresh('after'));
  assert.equal(full.code, 0, full.stderr);
  const after = await snapshot(join(work, sc.name, 'after'));
  assert.notEqual(after.dump, before.dump);
  const runs = [full];
  for (const k of [1, 2]) {
    runs.push(await up(sc.file, fresh(`timing-${k}`)));
    rmSync(join(work, sc.name, `timing-${k}`), { recursive: true, force: true });
  }
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  runs.sort((a, b) => a.elapsed - b.elapsed);
  const span = runs[1]!.elapsed;
  t.diagnostic(`${sc.name}: a complete up takes ${span.toFixed(0)} ms (median of ${runs.map((r) => r.elapsed.toFixed(0)).join(', ')}; the result is printed, after the commit, at ${runs[1]!.firstOutput?.toFixed(0)} ms)`);

  // Stratified: kill i lands in the i-th slice of [0, 1.2 × a complete run]; then END_KILLS
  // more in slices of [0.85, 1.05] × a complete run.
  const delays = [
    ...Array.from({ length: KILLS }, (_, i) => ((i + random()) / KILLS) * span * 1.2),
    ...Array.from({ length: END_KILLS }, (_, i) => (0.85 + ((i + random()) / END_KILLS) * 0.2) * span),
  ];
  const outcomes = { before: 0, afterKilled: 0, afterFinished: 0 };
  const lines: string[] = [];
  try {
    for (let i = 0; i < delays.length; i++) {
      const delay = delays[i]!;
      const state = fresh(`kill-${i}`);
      const r = await up(sc.file, state, delay);
      const s = await snapshot(state);
      const ok = integrity(state);
      assert.match(ok, /^ok/, `${sc.name}, kill ${i} at ${delay.toFixed(0)} ms: PRAGMA integrity_check says ${ok}`);
      let outcome: 'before' | 'after';
      if (same(s, before)) outcome = 'before';
      else if (same(s, after)) outcome = 'after';
      else assert.fail(`${sc.name}, kill ${i} at ${delay.toFixed(0)} ms (seed ${SEED}): the state is neither before nor after — ${difference(s, before, after)}`);
      if (!r.killed) assert.equal(r.code, 0, `${sc.name}, run ${i} finished before its kill but failed: ${r.stderr}`);
      if (outcome === 'before') outcomes.before++;
      else if (r.killed) outcomes.afterKilled++;
      else outcomes.afterFinished++;
      lines.push(`${delay.toFixed(0).padStart(5)} ms → ${r.killed ? 'killed' : 'finished'}, state ${outcome}`);
      // On a machine so loaded that no run got to its commit, wait longer (twice, four times… a complete run).
      const afters = outcomes.afterKilled + outcomes.afterFinished;
      if (i === delays.length - 1 && afters === 0 && delays.length < KILLS + END_KILLS + 4) delays.push(span * 2 ** (delays.length - KILLS - END_KILLS + 1));
      rmSync(state, { recursive: true, force: true });
    }
  } finally {
    t.diagnostic(`${sc.name}: kills (seed ${SEED}): ${lines.join(' | ')}`);
  }
  t.diagnostic(`${sc.name}: ${outcomes.before} left the state as before, ${outcomes.afterKilled} killed after the commit left it as after, ${outcomes.afterFinished} finished before the kill`);
  assert.ok(outcomes.before > 0, 'some kills landed before the commit');
  assert.ok(outcomes.afterKilled + outcomes.afterFinished > 0, 'some kills landed after the commit');

  // A state left by a kill is usable: the same `up` then brings it to exactly "after".
  const again = fresh('again');
  const killed = await up(sc.file, again, span * 0.5);
  assert.ok(killed.killed, 'killed half-way');
  const rerun = await up(sc.file, again);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.ok(same(await snapshot(again), after), 'up after a crash reaches exactly the after state');
  return { state: join(work, sc.name, 'after'), result: JSON.parse(full.stdout) as Record<string, string[]> };
}

test(`kill -9 during up leaves the state before or after, never between (${KILLS + END_KILLS} kills per scenario)`, { timeout: 240_000 }, async (t) => {
  t.diagnostic(`crash seed ${SEED} (set CRASH_SEED to replay another)`);
  const work = tempDir('nestlab-crash-');
  const v1 = join(work, 'v1.yaml');
  const v2 = join(work, 'v2.yaml');
  writeFileSync(v1, generateLab(HOSTS, VMS));
  writeFileSync(v2, labV2());
  const random = prng(SEED);

  t.after(() => rmSync(work, { recursive: true, force: true }));

  let v1State = '';
  await t.test('creating a lab: empty state → v1', async (t) => {
    const { state, result } = await killRuns(t, { name: 'create', file: v1, from: undefined }, random, work);
    assert.equal(result.poweredOn!.length, VMS, 'every VM powered on');
    v1State = state;
  });
  await t.test('updating a lab: v1 → v2 (adds, removes, reconfigures VMs)', async (t) => {
    assert.ok(v1State, 'the v1 state exists');
    const { result } = await killRuns(t, { name: 'update', file: v2, from: v1State }, random, work);
    for (const [key, id] of [['created', 'vm:vm-3299'], ['deleted', 'vm:vm-0'], ['updated', 'vm:vm-1000']] as const) {
      assert.ok(result[key]!.includes(id), `v2 ${key} ${id}`);
    }
  });
});
