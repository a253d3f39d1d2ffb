// What the vSphere HA modules of the engine share (spec/compute.md §8): the configurations and
// runtime state they read, and the few questions all of them ask — which HA cluster a host is
// really in, whether HA can use a host, which VMs run on it.
import type { Engine } from './engine.js';
import { effectiveCluster } from './evc.js';
import type { HostRuntime, VmRuntime } from './power.js';
import type { AdmissionPolicy, RestartPriority, VmMonitoringLevel } from '../cluster/ha.js';
import type { DrsRule } from '../cluster/rules.js';

export interface HostConfig {
  cluster?: string;
  vm?: string;
  datastores?: string[];
  memoryMB: number;
  reservedMB: number;
  maintenance?: boolean;
  cpu: { cores: number; sockets: number; mhz: number };
}

export interface ClusterConfig {
  hosts: string[];
  rules?: DrsRule[];
  ha: { enabled: boolean; admissionControl: AdmissionPolicy; isolationResponse: 'leave-powered-on' | 'power-off' | 'shutdown' };
}

export interface HaHostRuntime extends HostRuntime {
  failedAtMs?: number;
  /** the VMs that stopped when it failed (restarted once a primary declares it failed) */
  haLostVms?: string[];
  /** a primary declared it failed */
  haDeclared?: boolean;
  heartbeatStoppedAtMs?: number;
  isolated?: boolean;
  isolatedAtMs?: number;
}

/** A VM HA has yet to restart: what its next attempt needs (ha-restarts.ts). */
export interface PendingRestart {
  vm: string;
  from: string;
  why: string;
  firstAttemptMs: number;
  attempts: number;
}

/** An election under way because the primary was lost (failed or isolated) at `lostAtMs`. */
export interface Election {
  lost: string;
  lostAtMs: number;
  doneAtMs: number;
}

export interface HaClusterRuntime extends Record<string, unknown> {
  /** the elected primary; null: the last election found no live host; absent: none elected yet */
  haPrimary?: string | null;
  haElection?: Election;
  /** VMs whose restart failed and will be retried, in the order they failed */
  haRestarts?: PendingRestart[];
  /** when the scheduled retry timer fires */
  haRetryAtMs?: number;
  /** a retry for new capacity is scheduled at this instant */
  haCapacityRetryAtMs?: number;
}

export interface HaVmConfig {
  nested?: string;
  tools?: boolean;
  cpus: number;
  memoryMB: number;
  disks?: Array<{ datastore: string }>;
  cpuAlloc: { reservation: number };
  memAlloc: { reservation: number };
  ha?: { restartPriority: RestartPriority; vmMonitoring?: VmMonitoringLevel };
}

export const hostId = (name: string) => `host:${name}`;
export const vmId = (name: string) => `vm:${name}`;
export const clusterId = (name: string) => `cluster:${name}`;

export function hostRt(engine: Engine, host: string): HaHostRuntime {
  return engine.runtime<HaHostRuntime>(hostId(host));
}

export function clusterRt(engine: Engine, cluster: string): HaClusterRuntime {
  return engine.runtime<HaClusterRuntime>(clusterId(cluster));
}

export function haEnabled(engine: Engine, cluster: string): boolean {
  return engine.config<Partial<ClusterConfig>>(clusterId(cluster)).ha?.enabled === true;
}

/** The HA-enabled cluster a host is really in (EVC admission may have refused it), if any. */
export function haCluster(engine: Engine, host: string): { name: string; config: ClusterConfig } | undefined {
  const cluster = effectiveCluster(engine, host);
  if (cluster === undefined) return undefined;
  const config = engine.config<ClusterConfig>(clusterId(cluster));
  return config.ha?.enabled ? { name: cluster, config } : undefined;
}

/** A host HA can use: connected, reachable on the management network, heartbeating. */
export function hostUp(engine: Engine, host: string): boolean {
  const rt = hostRt(engine, host);
  return rt.state === 'connected' && !rt.isolated && rt.heartbeatStoppedAtMs === undefined;
}

export function runningOn(engine: Engine, host: string): string[] {
  const out: string[] = [];
  for (const row of engine.allRows()) {
    if (row.kind !== 'vm') continue;
    const rt = engine.runtime<VmRuntime>(row.id);
    if (rt.power === 'on' && rt.host === host) out.push(row.name);
  }
  return out;
}
