// Loads the CLI bundle (dist/nestlab.cjs) with V8's code cache. Compiling the bundle and then,
// lazily, every function a command runs was most of what a short command such as `nestlab trace`
// cost beyond Node's own start-up; `npm run build` runs a few commands once
// (scripts/train-code-cache.mjs) and keeps what V8 compiled for them, so later runs start from
// compiled code.
//
// V8 accepts a cache only from the same V8 version with the same V8 flags, so there is one per
// Node version and interpreter flags: plain `node bin/nestlab.js` (tests, benchmarks) and the
// `--max-semi-space-size=4` of bin/nestlab.js's interpreter line each have theirs. A cache that is
// missing (other flags) or stale (another Node since the build) is only slower: V8 rejects it and
// compiles the bundle as it would without one; `npm run build` makes new ones.
'use strict';
/* global module, __dirname -- a CommonJS module */
const { readFileSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');
const { join } = process.getBuiltinModule('node:path');
const { Script } = process.getBuiltinModule('node:vm');

const DIST = join(__dirname, '..', 'dist');

/** The cache file for this Node, platform and V8 flags (interpreter flags and NODE_OPTIONS). */
function cacheFile(dist) {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].filter(Boolean).join(' ');
  const key = `${process.version}-${process.platform}-${process.arch}${flags ? `-${flags.replace(/[^A-Za-z0-9=.-]+/g, '_')}` : ''}`;
  return join(dist, 'cache', `${key.slice(0, 200)}.bin`);
}

/**
 * The bundle's exports (`main`), with how the code cache went: 'accepted', 'rejected' (stale) or
 * 'none' (missing); `script` makes a new cache (scripts/build.mjs).
 */
function load(dist = DIST) {
  const filename = join(dist, 'nestlab.cjs');
  const cache = cacheFile(dist);
  let cachedData;
  try {
    cachedData = readFileSync(cache);
  } catch {
    cachedData = undefined;
  }
  // The bundle as a CommonJS module, compiled the way Node's require() would; it is all ASCII
  // (scripts/build.mjs), which Latin-1 reads without decoding.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${readFileSync(filename, 'latin1')}\n})`, { filename, cachedData });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(filename), module, filename, dist);
  const status = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'accepted';
  return { main: module.exports.main, cache: { file: cache, status }, script };
}

module.exports = { load, cacheFile };
