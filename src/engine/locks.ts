// VMFS locks in the engine (spec/compute.md §9): a VM's lock lives in its runtime (`lock`), the
// owner's heartbeat in the host's runtime (`heartbeatStoppedAtMs`, absent while it is alive).
// Power-on takes the lock, a clean power-off releases it; a crash (`nestlab fail`) keeps it, and
// another host can break it only once the owner's heartbeat has been stale for 16 s.
import { Engine, OperationError } from './engine.js';
import { placementChecks, powerListeners } from './hooks.js';
import { lockDatastores, lockVerdict, type VmLock } from '../storage/locks.js';

interface LockedVmRuntime extends Record<string, unknown> {
  power?: string;
  lock?: VmLock;
}

interface HeartbeatRuntime extends Record<string, unknown> {
  heartbeatStoppedAtMs?: number;
}

let crashing = 0;

/** Run `fn` as a crash: VMs that go down inside it keep their locks (no clean close of their files). */
export function asCrash<T>(fn: () => T): T {
  crashing++;
  try {
    return fn();
  } finally {
    crashing--;
  }
}

export function vmLock(engine: Engine, vm: string): VmLock | undefined {
  return engine.runtime<LockedVmRuntime>(`vm:${vm}`).lock;
}

export function heartbeatStoppedAt(engine: Engine, host: string): number | undefined {
  return engine.runtime<HeartbeatRuntime>(`host:${host}`).heartbeatStoppedAtMs;
}

/** The host stopped writing its VMFS heartbeat at `atMs` (power loss). */
export function stopHeartbeat(engine: Engine, host: string, atMs: number): void {
  engine.setRuntime(`host:${host}`, { heartbeatStoppedAtMs: atMs });
}

/** The host is back: it heartbeats again and, replaying its journal, frees the locks of VMs it no longer runs. */
export function restartHeartbeat(engine: Engine, host: string): string[] {
  if (heartbeatStoppedAt(engine, host) === undefined) return [];
  engine.setRuntime(`host:${host}`, { heartbeatStoppedAtMs: undefined });
  const freed: string[] = [];
  for (const row of engine.allRows()) {
    if (row.kind !== 'vm') continue;
    const rt = engine.runtime<LockedVmRuntime>(row.id);
    if (rt.lock?.host === host && rt.power !== 'on') {
      engine.setRuntime(row.id, { lock: undefined });
      freed.push(row.name);
    }
  }
  if (freed.length > 0) engine.event('vmfs.locks-released', `host:${host}`, `${host} is back and released the stale locks of ${freed.join(', ')}`, { vms: freed });
  return freed;
}

/** Why `host` cannot open `vm`'s files now (`file-locked`), or undefined (§9). */
export function lockRefusal(engine: Engine, vm: string, host: string): OperationError | undefined {
  const lock = vmLock(engine, vm);
  if (!lock) return undefined;
  const v = lockVerdict(lock, host, heartbeatStoppedAt(engine, lock.host), engine.nowMs, vm);
  if (v.ok) return undefined;
  return new OperationError('file-locked', v.message, { name: vm, host, owner: v.owner, datastore: v.datastore, breakableInS: v.breakableInS });
}

// A vMotion takes the lock over at switchover (migrate.ts); anything else must be able to lock the files.
placementChecks.push((engine, vm, host, why) => (why === 'vmotion' ? undefined : lockRefusal(engine, vm, host)));

powerListeners.push((engine, vm, host, state) => {
  const id = `vm:${vm}`;
  if (state === 'on') {
    const old = vmLock(engine, vm);
    if (old && old.host !== host) {
      engine.event('vmfs.lock-broken', id, `${host} broke the stale lock of ${vm} held by ${old.host} on ${old.datastores.join(', ')} (heartbeat stale ≥ 16 s, §9)`, { owner: old.host, host, datastores: old.datastores });
    }
    const datastores = lockDatastores(engine.config<{ disks?: Array<{ datastore: string }> }>(id).disks ?? []);
    engine.setRuntime(id, { lock: datastores.length > 0 ? { host, datastores, sinceMs: engine.nowMs } satisfies VmLock : undefined });
  } else if (crashing === 0) {
    engine.setRuntime(id, { lock: undefined });
  }
});
