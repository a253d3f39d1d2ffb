// minFree and host memory states (spec/compute.md §2.3): the sliding scale since ESXi 5.0, and
// the 6.0+ states named after the highest threshold free memory meets.

/** minFree in MB: 6% of the first 4 GB, 4% of the next 8, 2% of the next 16, 1% of the rest. */
export function minFreeMB(memoryMB: number): number {
  const bands: Array<[number, number]> = [[4096, 0.06], [8192, 0.04], [16384, 0.02], [Infinity, 0.01]];
  let left = memoryMB;
  let mf = 0;
  for (const [size, pct] of bands) {
    const part = Math.min(left, size);
    mf += part * pct;
    left -= part;
    if (left <= 0) break;
  }
  return Math.round(mf * 100) / 100;
}

export type MemoryState = 'high' | 'clear' | 'soft' | 'hard' | 'low';

/** The state for `freeMB` free: High ≥ 400% of minFree, Clear ≥ 100%, Soft ≥ 64%, Hard ≥ 32%, else Low. */
export function memoryState(freeMB: number, minFree: number): MemoryState {
  if (freeMB >= 4 * minFree) return 'high';
  if (freeMB >= minFree) return 'clear';
  if (freeMB >= 0.64 * minFree) return 'soft';
  if (freeMB >= 0.32 * minFree) return 'hard';
  return 'low';
}
