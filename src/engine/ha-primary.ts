// The primary (master) of a vSphere HA cluster (spec/compute.md §8): FDM elects one host per
// cluster among its live hosts; the others are secondaries. The primary watches them and declares
// a silent one failed (T0+15 s). The primary is kept in the cluster's runtime (`haPrimary`): elected
// when first needed, then kept until it is lost — failed or isolated: the secondaries miss its
// heartbeats, start an election at T0+10 s and elect a new primary at T0+25 s, which declares the
// hosts nobody has declared yet (the old primary among them) — or, without a timeline, when it can
// no longer serve (maintenance mode, left the cluster). A primary that comes back before the
// election starts is primary again; during it, it is a candidate like any live host; after it, it
// rejoins as a secondary.
import type { Engine } from './engine.js';
import { effectiveCluster } from './evc.js';
import { cancelTimers, onTimer, scheduleTimer } from './timers.js';
import {
  clusterId, clusterRt, haEnabled, hostId, hostRt, hostUp,
  type ClusterConfig, type HostConfig,
} from './ha-state.js';
import { electPrimary, HA_ELECTION_DONE_MS, HA_ELECTION_START_MS, HA_FAILURE_DETECTION_MS } from '../cluster/ha.js';
import { VMFS_LIVENESS_TIMEOUT_MS } from '../storage/locks.js';

/** A scheduled HA reaction, as `fail` lists them. */
export interface HaReaction {
  cluster: string;
  host: string;
  event: string;
  at: number;
}

/** A host that can take part in an election: in the cluster (not refused by EVC), connected, heartbeating. */
function eligible(engine: Engine, cluster: string, host: string): boolean {
  return engine.row(hostId(host)) !== undefined && effectiveCluster(engine, host) === cluster && hostUp(engine, host);
}

/** The election among the cluster's live hosts (§8; the rule is electPrimary's). */
function elect(engine: Engine, cluster: string): string | undefined {
  const config = engine.config<ClusterConfig>(clusterId(cluster));
  return electPrimary(config.hosts.filter((h) => eligible(engine, cluster, h))
    .map((h) => ({ name: h, datastores: engine.config<HostConfig>(hostId(h)).datastores?.length ?? 0 })));
}

/**
 * The cluster's primary as things stand, without changing anything (`nestlab ha` reads it): during
 * an election none, before it starts the lost primary (the secondaries have not noticed yet), else
 * the stored primary while it can serve, else the host an election would pick now.
 */
export function primaryOf(engine: Engine, cluster: string): string | undefined {
  if (!haEnabled(engine, cluster)) return undefined;
  const rt = clusterRt(engine, cluster);
  if (rt.haElection) return rt.haPrimary ?? undefined;
  if (typeof rt.haPrimary === 'string' && eligible(engine, cluster, rt.haPrimary)) return rt.haPrimary;
  return elect(engine, cluster);
}

/**
 * The primary, stored in the cluster's runtime. The first election (HA enabled) is silent; a later
 * one (the primary left without a failure timeline, or a host came back to a cluster without one)
 * is an `ha.primary-elected` event, and the new primary declares the hosts no primary declared.
 */
export function ensurePrimary(engine: Engine, cluster: string): string | undefined {
  const rt = clusterRt(engine, cluster);
  const primary = primaryOf(engine, cluster);
  if (rt.haElection || primary === (rt.haPrimary ?? undefined)) return primary;
  const before = rt.haPrimary;
  engine.setRuntime(clusterId(cluster), { haPrimary: primary ?? null });
  if (before !== undefined && primary !== undefined) {
    engine.event('ha.primary-elected', hostId(primary), `${primary} was elected vSphere HA primary of cluster ${cluster}${before === null ? ' (no host was left to elect before)' : ` (${before} can no longer serve)`} (§8)`, { cluster, previous: before });
    takeOver(engine, cluster, primary);
  }
  return primary;
}

/** The primary if it is alive and reachable: the host that can declare failures now. */
export function livePrimary(engine: Engine, cluster: string): string | undefined {
  const primary = ensurePrimary(engine, cluster);
  return primary !== undefined && hostUp(engine, primary) ? primary : undefined;
}

/**
 * The primary `lost` stopped sending heartbeats at `t0`: the secondaries start an election at
 * T0+10 s and elect a new primary at T0+25 s (§8). One election at a time; the reactions listed.
 */
export function startElection(engine: Engine, cluster: string, lost: string, t0: number): HaReaction[] {
  let election = clusterRt(engine, cluster).haElection;
  if (!election) {
    election = { lost, lostAtMs: t0, doneAtMs: t0 + HA_ELECTION_DONE_MS };
    engine.setRuntime(clusterId(cluster), { haElection: election });
    scheduleTimer(engine, t0 + HA_ELECTION_START_MS, 'ha.election', { cluster, stage: 'start', lostAtMs: t0 });
    scheduleTimer(engine, election.doneAtMs, 'ha.election', { cluster, stage: 'done', lostAtMs: t0 });
  }
  return [
    { cluster, host: election.lost, event: 'election', at: (election.lostAtMs + HA_ELECTION_START_MS) / 1000 },
    { cluster, host: election.lost, event: 'primary-elected', at: election.doneAtMs / 1000 },
  ];
}

/** When a host that fails now would be declared failed: T0+15 s, or when the election under way ends. */
export function declaredAt(engine: Engine, cluster: string, t0: number): number {
  return Math.max(t0 + HA_FAILURE_DETECTION_MS, clusterRt(engine, cluster).haElection?.doneAtMs ?? 0);
}

/** When the primary's VMs restart if it is lost now, or undefined while a primary can restart them. */
export function electionEndsAt(engine: Engine, cluster: string): number | undefined {
  return clusterRt(engine, cluster).haElection?.doneAtMs;
}

/** A lost host is back: if it was the primary and the election has not started, it stays primary. */
export function primaryBack(engine: Engine, cluster: string, host: string): void {
  const election = clusterRt(engine, cluster).haElection;
  if (election?.lost !== host || engine.nowMs >= election.lostAtMs + HA_ELECTION_START_MS) return;
  engine.setRuntime(clusterId(cluster), { haElection: undefined });
  cancelTimers(engine, 'ha.election', (d) => d.cluster === cluster);
}

onTimer('ha.election', (engine, data) => {
  const cluster = String(data.cluster);
  const election = clusterRt(engine, cluster).haElection;
  if (!election || election.lostAtMs !== data.lostAtMs) return;
  if (!haEnabled(engine, cluster)) {
    engine.setRuntime(clusterId(cluster), { haElection: undefined });
    return;
  }
  if (data.stage === 'start') {
    engine.setRuntime(clusterId(cluster), { haPrimary: null });
    engine.event('ha.election', clusterId(cluster), `the secondaries of cluster ${cluster} received no heartbeats from the primary ${election.lost} for ${HA_ELECTION_START_MS / 1000} s and start an election (§8)`, { cluster, lost: election.lost });
    return;
  }
  const primary = elect(engine, cluster);
  engine.setRuntime(clusterId(cluster), { haElection: undefined, haPrimary: primary ?? null });
  if (primary === undefined) {
    engine.event('ha.no-primary', clusterId(cluster), `the election in cluster ${cluster} found no live host: no primary until a host comes back (§8)`, { cluster, lost: election.lost });
    return;
  }
  const datastores = engine.config<HostConfig>(hostId(primary)).datastores?.length ?? 0;
  engine.event('ha.primary-elected', hostId(primary), `${primary} was elected vSphere HA primary of cluster ${cluster} (T0+${HA_ELECTION_DONE_MS / 1000} s): it mounts the most datastores (${datastores}), ties going to the highest host name (§8)`, { cluster, previous: election.lost, datastores });
  takeOver(engine, cluster, primary);
});

// ---- failure detection: the primary's job ----------------------------------------------------------

/** A new primary declares the failed hosts no primary has declared (those silent for 15 s or more). */
function takeOver(engine: Engine, cluster: string, primary: string): void {
  for (const h of engine.config<ClusterConfig>(clusterId(cluster)).hosts) {
    const rt = hostRt(engine, h);
    if (rt.failedAtMs !== undefined && !rt.haDeclared && engine.nowMs >= rt.failedAtMs + HA_FAILURE_DETECTION_MS && effectiveCluster(engine, h) === cluster) {
      declareFailed(engine, cluster, h, primary);
    }
  }
}

/** `primary` declares `host` failed; its VMs restart once their locks are breakable (§9, §11.21). */
function declareFailed(engine: Engine, cluster: string, host: string, primary: string): void {
  const rt = hostRt(engine, host);
  const failedAtMs = rt.failedAtMs!;
  engine.setRuntime(hostId(host), { haDeclared: true });
  engine.event('ha.host-failed', hostId(host), `vSphere HA primary ${primary} of cluster ${cluster} declared ${host} failed: no network heartbeats, no ping response and no datastore heartbeats for ${(engine.nowMs - failedAtMs) / 1000} s (§8)`, { cluster, primary, vms: rt.haLostVms ?? [] });
  const at = Math.max(engine.nowMs, failedAtMs + VMFS_LIVENESS_TIMEOUT_MS);
  scheduleTimer(engine, at, 'ha.restart', { cluster, host, vms: rt.haLostVms ?? [], why: `${host} failed` });
}

/** Watch a host that failed at `t0`: the primary declares it failed at T0+15 s. */
export function watchFailedHost(engine: Engine, cluster: string, host: string, t0: number): void {
  scheduleTimer(engine, t0 + HA_FAILURE_DETECTION_MS, 'ha.declare-failed', { cluster, host, failedAtMs: t0 });
}

onTimer('ha.declare-failed', (engine, data) => {
  const host = String(data.host);
  const cluster = String(data.cluster);
  const rt = hostRt(engine, host);
  if (rt.failedAtMs !== data.failedAtMs || rt.haDeclared) return; // it came back meanwhile
  if (!haEnabled(engine, cluster)) return;
  const primary = livePrimary(engine, cluster);
  // No live primary (it failed too, or an election is under way): the next one declares it.
  if (primary !== undefined) declareFailed(engine, cluster, host, primary);
});
