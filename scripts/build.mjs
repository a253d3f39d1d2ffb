// `npm run build` (and `prepare`, so `npm install` does it too): bundle the CLI with esbuild into
// one CommonJS file, dist/nestlab.cjs, then make the V8 code caches bin/loader.cjs starts it with.
//
// What only some commands need (the lab-file parser with zod and js-yaml, lint, the engine and the
// data plane, SQLite) is reached through import() (src/cli/lazy.ts, src/store/store.ts), which
// esbuild turns into modules evaluated on first use: `--version` or `trace` never build the zod
// schema. The code caches (scripts/train-code-cache.mjs) hold what V8 compiled while running a few
// commands, one per set of interpreter flags the CLI runs with.
import { build, transform } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = join(root, 'dist');
const outfile = join(dist, 'nestlab.cjs');

rmSync(dist, { recursive: true, force: true }); // no stale bundle or cache from an earlier build
const { metafile } = await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // better-sqlite3's JavaScript is bundled (src/store/sqlite.ts); `bindings`, which it requires to
  // find its native addon, is not: the store names the addon itself (nativeBinding).
  external: ['bindings'],
  // The sources are ES modules: they resolve packages from where they are (createRequire).
  define: { 'import.meta.url': '__filename' },
  metafile: true,
  logLevel: 'warning',
});

// bin/loader.cjs compiles the bundle with node:vm, which cannot import() at run time: every
// import() must be of a module in the bundle.
for (const [file, input] of Object.entries(metafile.inputs)) {
  const outside = input.imports.find((i) => i.kind === 'dynamic-import' && i.external);
  if (outside) throw new Error(`${file}: import('${outside.path}') is not bundled; bin/loader.cjs could not run it`);
}

// All ASCII, so bin/loader.cjs reads it as Latin-1: a one-byte string at once, where decoding UTF-8
// took ~4 ms a run. esbuild escapes every non-ASCII character in code (its default charset); the
// ones left are in comments it keeps, where an escape changes nothing, as checked here.
const bundle = readFileSync(outfile, 'utf8');
const { code: withoutComments } = await transform(bundle, { minifyWhitespace: true });
if (/[\u0080-\uffff]/.test(withoutComments)) throw new Error(`${outfile} has non-ASCII characters outside comments`);
writeFileSync(outfile, bundle.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));

// Plain `node bin/nestlab.js` (tests, benchmarks) and the flags of bin/nestlab.js's interpreter line.
const shebang = readFileSync(join(root, 'bin', 'nestlab.js'), 'utf8').split('\n')[0];
const interpreterFlags = shebang.split(/\s+/).filter((a) => a.startsWith('--'));
// A command that fails here leaves the CLI without a cache, slower but working; the build goes on
// (test/startup.test.ts fails on it) so that a bug in one command does not stop every other test.
for (const flags of [[], interpreterFlags]) {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // a cache is keyed by the flags it was made under
  const r = spawnSync(process.execPath, [...flags, join(import.meta.dirname, 'train-code-cache.mjs')], { env, encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`warning: no code cache for \`${['node', ...flags].join(' ')}\`, the CLI will start slower:\n${r.stdout}${r.stderr}`);
}
