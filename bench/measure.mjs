// Runs one nestlab command in this process and reports its wall time and peak RSS on stderr
// as JSON: node bench/measure.mjs up FILE --state DIR --json
const t0 = process.hrtime.bigint();
const { main } = await import('../dist/nestlab.mjs');
const code = await main(process.argv.slice(2));
const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
process.stderr.write(`${JSON.stringify({ code, wallMs, maxRssKB: process.resourceUsage().maxRSS })}\n`);
process.exitCode = code;
