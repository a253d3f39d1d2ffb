// Units of the lab file (spec/lab-file.md "Units"): memory in MB with GB = 1024 MB (the vSphere
// convention), CPU in MHz, durations in seconds, percentages as fractions, network rates in Mb/s.

const MEMORY_RE = /^\s*(\d+(?:\.\d+)?)\s*(KB|KiB|MB|MiB|GB|GiB|TB|TiB)?\s*$/i;
const MEMORY_FACTOR: Record<string, number> = {
  kb: 1 / 1024, kib: 1 / 1024,
  mb: 1, mib: 1,
  gb: 1024, gib: 1024,
  tb: 1024 * 1024, tib: 1024 * 1024,
};

/** `512MB`, `6GB`, `6GiB`, `3TB` or a bare number of MB → MB. `undefined` when not a memory size. */
export function parseMemoryMB(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = MEMORY_RE.exec(value);
  if (!m) return undefined;
  const mb = Number(m[1]) * MEMORY_FACTOR[(m[2] ?? 'mb').toLowerCase()]!;
  return Number.isFinite(mb) ? mb : undefined;
}

const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/;
const DURATION_FACTOR: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };

/** `300s`, `5m`, `1h`, `100ms` or a bare number of seconds → seconds. */
export function parseDurationSeconds(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = DURATION_RE.exec(value);
  if (!m) return undefined;
  const s = Number(m[1]) * DURATION_FACTOR[m[2] ?? 's']!;
  return Number.isFinite(s) ? s : undefined;
}

const FREQUENCY_RE = /^\s*(\d+(?:\.\d+)?)\s*(MHz|GHz)?\s*$/i;

/** `2400`, `2400MHz` or `2.4GHz` → MHz. */
export function parseMHz(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = FREQUENCY_RE.exec(value);
  if (!m) return undefined;
  const mhz = Number(m[1]) * ((m[2] ?? 'mhz').toLowerCase() === 'ghz' ? 1000 : 1);
  return Number.isFinite(mhz) ? mhz : undefined;
}

const PERCENT_RE = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;

/** `25%` or `0.25` → 0.25. Only 0..1 (0%..100%). */
export function parseFraction(value: string | number): number | undefined {
  let f: number;
  if (typeof value === 'number') f = value;
  else {
    const m = PERCENT_RE.exec(value);
    if (!m) return undefined;
    f = Number(m[1]) / 100;
  }
  return Number.isFinite(f) && f >= 0 && f <= 1 ? f : undefined;
}

const BANDWIDTH_RE = /^\s*(\d+(?:\.\d+)?)\s*(?:([kKmMgG])(?:bps|b\/s))?\s*$/;
const BANDWIDTH_FACTOR: Record<string, number> = { k: 0.001, m: 1, g: 1000 };

/**
 * A network rate: `800Mbps`, `1.5Gbps`, `800Mb/s`, `500kbps` or a bare number of Mb/s → Mb/s.
 * Bits only: a capital B (`MBps`, bytes) is refused rather than silently read as bits.
 */
export function parseMbps(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const m = BANDWIDTH_RE.exec(value);
  if (!m) return undefined;
  const mbps = Number(m[1]) * BANDWIDTH_FACTOR[(m[2] ?? 'm').toLowerCase()]!;
  return Number.isFinite(mbps) ? mbps : undefined;
}

/** Human form of a memory size in MB: `512 MB`, `6 GB`, `1.5 TB`. */
export function formatMB(mb: number): string {
  if (mb >= 1024 * 1024 && mb % (1024 * 1024) === 0) return `${mb / (1024 * 1024)} TB`;
  if (mb >= 1024) {
    const gb = mb / 1024;
    return `${Number.isInteger(gb) ? gb : gb.toFixed(2).replace(/\.?0+$/, '')} GB`;
  }
  return `${Number.isInteger(mb) ? mb : mb.toFixed(2)} MB`;
}
