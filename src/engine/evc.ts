// EVC in the engine (spec/compute.md §5): hosts an EVC cluster refuses at `up` stay out of it
// (runtime `evc`, event `cluster.host-refused`), and every VM records at power-on the CPU features
// it sees — its host's CPU masked to the cluster baseline — until it is power-cycled.
import { evcAdmission, vmVisibleFeatures } from '../cluster/evc.js';
import type { EvcMode } from '../spec/schema.js';
import type { Engine } from './engine.js';
import { hostFacts, vmConfig } from './compute.js';
import { powerListeners } from './hooks.js';
import type { VmRuntime } from './power.js';

interface ClusterConfig {
  hosts: string[];
  evc?: EvcMode;
}

export interface HostEvcRuntime extends Record<string, unknown> {
  /** set while the host's cluster refuses it (§5 admission rule) */
  evcRefused?: { cluster: string; mode: EvcMode; reason: string; missing: string[] };
}

export interface VmEvcRuntime extends VmRuntime {
  /** the host whose CPU the VM powered on with (§5: kept until power-cycled) */
  cpuHost?: string;
  /** the EVC mode in force where it powered on */
  evcMode?: string | null;
}

/**
 * §5 admission at `up`: each host of an EVC cluster whose CPU does not support the mode is
 * refused — runtime `evcRefused` and one `cluster.host-refused` event naming what it lacks (again
 * only when the verdict changes, so a second `up` logs nothing). Returns the refused hosts.
 */
export function admitEvcHosts(engine: Engine): string[] {
  const refused: string[] = [];
  const verdict = new Map<string, HostEvcRuntime['evcRefused']>();
  for (const row of engine.allRows()) {
    if (row.kind !== 'cluster') continue;
    const c = JSON.parse(row.config) as ClusterConfig;
    for (const h of c.hosts) {
      if (!engine.row(`host:${h}`) || verdict.has(h)) continue;
      if (c.evc === undefined) { verdict.set(h, undefined); continue; }
      const a = evcAdmission(h, hostFacts(engine, h).cpu, row.name, c.evc);
      verdict.set(h, a.ok ? undefined : { cluster: row.name, mode: c.evc, reason: a.reason, missing: a.missing });
      if (!a.ok) {
        refused.push(h);
        const before = engine.runtime<HostEvcRuntime>(`host:${h}`).evcRefused;
        if (JSON.stringify(before) !== JSON.stringify(verdict.get(h))) {
          engine.setRuntime(`host:${h}`, { evcRefused: verdict.get(h) });
          engine.event('cluster.host-refused', `host:${h}`, a.message, { cluster: row.name, evc: c.evc, reason: a.reason, missing: a.missing });
        }
      }
    }
  }
  // Hosts admitted now that were refused before (a lower mode, a new CPU, another cluster).
  for (const row of engine.allRows()) {
    if (row.kind !== 'host') continue;
    const rt = engine.runtime<HostEvcRuntime>(row.id);
    const was = rt.evcRefused;
    if (was !== undefined && verdict.get(row.name) === undefined) {
      engine.setRuntime(row.id, { evcRefused: undefined });
      engine.event('cluster.host-admitted', row.id, `host ${row.name} is no longer refused by cluster ${was.cluster}`, { cluster: was.cluster });
    }
  }
  return refused;
}

/** The cluster a host is really in: its configured one, unless EVC admission refused it. */
export function effectiveCluster(engine: Engine, host: string): string | undefined {
  const c = hostFacts(engine, host).cluster;
  if (c === undefined) return undefined;
  return engine.runtime<HostEvcRuntime>(`host:${host}`).evcRefused ? undefined : c;
}

/** The EVC mode a host presents to its VMs: its cluster's, if it is admitted to it. */
export function hostEvcMode(engine: Engine, host: string): EvcMode | undefined {
  const c = effectiveCluster(engine, host);
  return c === undefined ? undefined : engine.config<ClusterConfig>(`cluster:${c}`).evc;
}

/** What a VM would see on `host` if it powered on there now (§5); once per host per operation. */
export function visibleFeaturesOn(engine: Engine, host: string, exposeHardwareVirtualization: boolean): string[] {
  return engine.cache(`evc.visible:${host}:${exposeHardwareVirtualization}`, () =>
    vmVisibleFeatures(hostFacts(engine, host).cpu.features, hostEvcMode(engine, host), exposeHardwareVirtualization));
}

/**
 * The features a running VM has: fixed at power-on (§5: kept until a power cycle) as the CPU of
 * the host it started on (`cpuHost`) masked to the EVC mode it started under (`evcMode`). The two
 * names are what the runtime keeps — not the feature list, which at 40,000 VMs would cost ~22 MB.
 */
export function vmCpuFeatures(engine: Engine, vm: string): string[] {
  const rt = engine.runtime<VmEvcRuntime>(`vm:${vm}`);
  const expose = vmConfig(engine, vm).exposeHardwareVirtualization;
  if (rt.cpuHost === undefined || !engine.row(`host:${rt.cpuHost}`)) return visibleFeaturesOn(engine, rt.host, expose);
  const cpuHost = rt.cpuHost;
  return engine.cache(`evc.started:${cpuHost}:${rt.evcMode ?? ''}:${expose}`, () =>
    vmVisibleFeatures(hostFacts(engine, cpuHost).cpu.features, (rt.evcMode ?? undefined) as EvcMode | undefined, expose));
}

powerListeners.push((engine, vm, host, state) => {
  if (state === 'on') {
    const mode = engine.cache(`evc.mode:${host}`, () => hostEvcMode(engine, host) ?? null);
    engine.setRuntime(`vm:${vm}`, { cpuHost: host, evcMode: mode });
  } else {
    engine.setRuntime(`vm:${vm}`, { cpuHost: undefined, evcMode: undefined });
  }
});
