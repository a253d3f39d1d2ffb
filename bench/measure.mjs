// Runs one nestlab command in this process and reports its wall time and peak RSS on stderr
// as JSON: node bench/measure.mjs up FILE --state DIR --json
import { createRequire } from 'node:module';

const t0 = process.hrtime.bigint();
const { main } = createRequire(import.meta.url)('../bin/loader.cjs').load(); // as bin/nestlab.js loads the CLI
const code = await main(process.argv.slice(2));
const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
process.stderr.write(`${JSON.stringify({ code, wallMs, maxRssKB: process.resourceUsage().maxRSS })}\n`);
process.exitCode = code;
