// Start-up (issue #3): bin/loader.cjs starts the bundle from the V8 code cache `npm run build`
// made, for plain `node` and for the flags of bin/nestlab.js's interpreter line; a cache that is
// missing or stale (another Node, other flags) only costs time, never changes what the CLI does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nestlab, ROOT, tempDir } from './helpers.js';

const LOADER = join(ROOT, 'bin', 'loader.cjs');
const SHEBANG_FLAGS = readFileSync(join(ROOT, 'bin', 'nestlab.js'), 'utf8').split('\n')[0]!.split(/\s+/).filter((a) => a.startsWith('--'));

/**
 * Load the bundle from `dist` in a fresh `node [flags]` process, as bin/nestlab.js does, run one
 * command; the cache's status and the command's output. `prepare` runs before, in the same process.
 */
function loadIn(dist: string, args: string[], flags: string[] = [], prepare = ''): { status: string; stdout: string; code: number | null } {
  const dir = tempDir();
  const script = join(dir, 'load.cjs');
  writeFileSync(script, `const { load, cacheFile } = require(${JSON.stringify(LOADER)});
const dist = ${JSON.stringify(dist)};
${prepare}
const { main, cache } = load(dist);
main(${JSON.stringify(args)}).then((code) => { process.stderr.write('cache ' + cache.status + '\\n'); process.exitCode = code; });
`);
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, [...flags, script], { encoding: 'utf8', env, cwd: dir });
  const status = /^cache (\w+)$/m.exec(r.stderr)?.[1];
  assert.ok(status, r.stderr);
  return { status, stdout: r.stdout, code: r.status };
}

/** A copy of the built bundle without its caches (it finds its packages through a link). */
function bareDist(): string {
  const root = tempDir();
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  const dist = join(root, 'dist');
  mkdirSync(dist);
  copyFileSync(join(ROOT, 'dist', 'nestlab.cjs'), join(dist, 'nestlab.cjs'));
  return dist;
}

test('the build leaves a code cache that V8 accepts, with and without the interpreter-line flags', () => {
  assert.ok(SHEBANG_FLAGS.length > 0, 'bin/nestlab.js names its flags on its interpreter line');
  for (const flags of [[], SHEBANG_FLAGS]) {
    const r = loadIn(join(ROOT, 'dist'), ['--version'], flags);
    assert.equal(r.status, 'accepted', `node ${flags.join(' ')}`);
    assert.equal(r.stdout, '0.1.0\n');
  }
});

test('without a code cache, or with one V8 rejects, the CLI works the same', () => {
  const dist = bareDist();
  const none = loadIn(dist, ['--version']);
  assert.deepEqual([none.status, none.stdout, none.code], ['none', '0.1.0\n', 0]);
  // What another Node version's cache looks like to V8: not its own.
  const stale = loadIn(dist, ['--version'], [], 'require("node:fs").mkdirSync(require("node:path").dirname(cacheFile(dist)), { recursive: true }); require("node:fs").writeFileSync(cacheFile(dist), Buffer.alloc(4096, 7));');
  assert.deepEqual([stale.status, stale.stdout, stale.code], ['rejected', '0.1.0\n', 0]);
});

test('trace answers the same with the code cache and without one', () => {
  const lab = join(ROOT, 'examples', 'three-level.yaml');
  const dist = bareDist();
  const outputs = ['cached', 'bare'].map((how) => {
    const state = join(tempDir(), 'state');
    assert.equal(nestlab(['up', lab, '--state', state]).code, 0);
    const args = ['trace', 'x', 'station-30', '--state', state, '--json'];
    if (how === 'cached') {
      const r = nestlab(args);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    }
    const r = loadIn(dist, args);
    assert.equal(r.status, 'none');
    assert.equal(r.code, 0);
    return r.stdout;
  });
  assert.equal(outputs[0], outputs[1]);
  assert.match(outputs[0]!, /"delivered": true/);
});
