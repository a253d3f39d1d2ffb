// The shape of the code (design.md "imports flow one way"), and what start-up loads (src/cli/lazy.ts):
// a static walk of the value imports between src/ modules — `import type` and dynamic import()
// left out, as the bundle evaluates them (scripts/build.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ROOT } from './helpers.js';

const IMPORT = /^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\s+from\s+)?'([^']+)'/gm;

/** The modules `entry` evaluates, itself included: relative paths under src/, or package names. */
function reach(entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    if (!file.startsWith('src/')) return; // a package
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const [, spec] of text.matchAll(IMPORT)) {
      if (!spec!.startsWith('.')) walk(spec!.split('/')[0]!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!);
      else walk(relative(ROOT, join(ROOT, dirname(file), spec!)).replace(/\.js$/, '.ts').replace(/\/$/, '/index.ts'));
    }
  };
  walk(entry);
  return seen;
}

test('start-up and the engine never evaluate the lab-file schema (zod) or the YAML parser: only validate, plan, up, schema and rules do', () => {
  for (const entry of ['src/cli/main.ts', 'src/cli/lazy-engine.ts']) {
    const loaded = reach(entry);
    for (const heavy of ['src/spec/schema.ts', 'zod', 'js-yaml', 'yaml']) assert.ok(!loaded.has(heavy), `${entry} loads ${heavy}`);
  }
  assert.ok(reach('src/cli/lazy-lab-file.ts').has('zod'), 'the walk sees the schema where it is meant to be');
});

test('imports flow one way: the data plane, model and spec never import the engine or the CLI', () => {
  const layers: Array<[string, string[]]> = [['src/net/', ['src/engine/', 'src/cli/']], ['src/model/', ['src/engine/', 'src/cli/', 'src/net/']], ['src/spec/', ['src/engine/', 'src/cli/', 'src/model/', 'src/net/']]];
  const all = reach('src/cli/main.ts');
  for (const f of reach('src/cli/lazy-engine.ts')) all.add(f);
  for (const f of reach('src/cli/lazy-lab-file.ts')) all.add(f);
  for (const [layer, forbidden] of layers) {
    for (const file of [...all].filter((f) => f.startsWith(layer))) {
      for (const dep of reach(file)) {
        if (dep === file || dep.startsWith(layer)) continue;
        assert.ok(!forbidden.some((f) => dep.startsWith(f)), `${file} reaches ${dep}`);
      }
    }
  }
});
