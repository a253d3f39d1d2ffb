// Makes the V8 code cache for this Node and the flags this process runs with (scripts/build.mjs
// runs it once per set of flags): loads dist/nestlab.cjs as bin/loader.cjs does, runs the commands
// a cold process should answer fast, then saves what V8 compiled for them, which includes the
// functions compiled lazily while they ran.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const { load } = createRequire(import.meta.url)('../bin/loader.cjs');
const { main, script, cache } = load();

const state = mkdtempSync(join(tmpdir(), 'nestlab-code-cache-'));
const examples = join(root, 'examples');
const commands = [
  ['validate', join(examples, 'home-lab.yaml')],
  ['up', join(examples, 'three-level.yaml')],
  ['trace', 'x', 'station-30'],
  ['ls'],
];
const { write: out } = process.stdout;
const { write: err } = process.stderr;
process.stdout.write = process.stderr.write = () => true; // the commands' output is not wanted here
try {
  for (const args of commands) {
    const code = await main([...args, '--state', state]);
    if (code !== 0) throw new Error(`nestlab ${args.join(' ')} exited ${code}`);
  }
} finally {
  process.stdout.write = out;
  process.stderr.write = err;
  rmSync(state, { recursive: true, force: true });
}
mkdirSync(dirname(cache.file), { recursive: true });
writeFileSync(cache.file, script.createCachedData());
