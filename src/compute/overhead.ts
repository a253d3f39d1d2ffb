// Per-VM overhead memory required to power on (spec/compute.md §2.1): VMware's 6.5/6.7 table,
// exact at its cells; elsewhere the fitted formula 14.4 + 4.0·vCPUs + 0.0074·MB, which is within
// about 1 MB of every cell.

const TABLE: ReadonlyMap<string, number> = new Map([
  ['256/1', 20.29], ['256/2', 24.28], ['256/4', 32.23], ['256/8', 48.16],
  ['1024/1', 25.9], ['1024/2', 29.91], ['1024/4', 37.86], ['1024/8', 53.82],
  ['4096/1', 48.64], ['4096/2', 52.72], ['4096/4', 60.67], ['4096/8', 76.78],
  ['16384/1', 139.62], ['16384/2', 143.98], ['16384/4', 151.93], ['16384/8', 168.6],
]);

/** Overhead memory in MB of a VM with `cpus` vCPUs and `memoryMB` configured. */
export function overheadMB(cpus: number, memoryMB: number): number {
  return TABLE.get(`${memoryMB}/${cpus}`) ?? Math.round((14.4 + 4.0 * cpus + 0.0074 * memoryMB) * 100) / 100;
}
