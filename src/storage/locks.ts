// VMFS on-disk locking (spec/compute.md §9), as pure functions. A powered-on VM holds exclusive
// locks on its files (.vmx, .vmdk, .vswp, .nvram) on every datastore its disks live on; the owner
// is the host running it, which keeps its heartbeat slot fresh while it is alive. Another host
// may break a lock only once the owner's heartbeat slot has not changed for the liveness timeout
// (16 s, §9 and §11.21). We model a heartbeat as "alive until the host failed at T": an isolated
// host that still reaches its storage keeps heartbeating, so its locks never become breakable
// (§9 "HA and locks", §11.22).

/** §9: a heartbeat slot unchanged this long may be cleared and the lock broken. */
export const VMFS_LIVENESS_TIMEOUT_MS = 16_000;

/** The locks a running VM holds: one exclusive lock set per datastore of its files. */
export interface VmLock {
  host: string;
  datastores: string[];
  sinceMs: number;
}

/** The datastores a VM's files live on, in disk order, each once (no disks: no lock). */
export function lockDatastores(disks: ReadonlyArray<{ datastore: string }>): string[] {
  return [...new Set(disks.map((d) => d.datastore))];
}

export type LockVerdict =
  | { ok: true; broken: boolean }
  | { ok: false; owner: string; datastore: string; breakableInS: number | null; message: string };

/**
 * May `host` open a VM's files now? `lock` is what is held (if anything); `ownerStoppedAtMs` is
 * when the owner's heartbeat stopped (undefined: it is alive). Same host, or no lock: yes. A lock
 * whose owner's heartbeat has been stale for the liveness timeout: yes, by breaking it (§9).
 */
export function lockVerdict(lock: VmLock | undefined, host: string, ownerStoppedAtMs: number | undefined, nowMs: number, vm = 'the VM'): LockVerdict {
  if (!lock || lock.datastores.length === 0 || lock.host === host) return { ok: true, broken: false };
  const datastore = lock.datastores[0]!;
  if (ownerStoppedAtMs === undefined) {
    return {
      ok: false, owner: lock.host, datastore, breakableInS: null,
      message: `Failed to lock the file: the files of ${vm} on datastore ${datastore} are locked by host ${lock.host}, whose VMFS heartbeat is alive (§9)`,
    };
  }
  const stale = nowMs - ownerStoppedAtMs;
  if (stale >= VMFS_LIVENESS_TIMEOUT_MS) return { ok: true, broken: true };
  const breakableInS = Math.round((VMFS_LIVENESS_TIMEOUT_MS - stale) / 10) / 100;
  return {
    ok: false, owner: lock.host, datastore, breakableInS,
    message: `Failed to lock the file: the files of ${vm} on datastore ${datastore} are locked by host ${lock.host}, whose heartbeat has been stale for ${stale / 1000} s; the lock is breakable in ${breakableInS} s (liveness timeout ${VMFS_LIVENESS_TIMEOUT_MS / 1000} s, §9)`,
  };
}
