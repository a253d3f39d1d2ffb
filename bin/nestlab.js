#!/usr/bin/env -S node --max-semi-space-size=4
// A small young generation: a CLI run is short, and at configuration maxima the default one's
// headroom is most of the peak memory (docs/benchmarks.md: ~630 → ~533 MiB for a 40,000-VM `up`).
//
// CommonJS (bin/package.json), as is the bundle it loads (loader.cjs): an ES module entry point
// starts Node's ES module loader, 6–10 ms of every run (docs/benchmarks.md, issue #3).
/* global require -- a CommonJS module */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { load } = require('./loader.cjs');

load().main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
