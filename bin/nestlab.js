#!/usr/bin/env -S node --max-semi-space-size=4
// A small young generation: a CLI run is short, and at configuration maxima the default one's
// headroom is most of the peak memory (docs/benchmarks.md: ~630 → ~533 MiB for a 40,000-VM `up`).
import { main } from '../dist/nestlab.mjs';

process.exitCode = await main(process.argv.slice(2));
