// Can this VM run on that host? One answer for every way a VM lands on a host: a power-on, an HA
// restart, a vMotion (by hand, by DRS, by maintenance mode). The checks, in order: the datastores
// holding its disks mounted there and its networks present by exact, case-sensitive name (unless
// it is the host the lab file names, which guarantees both), the CPU features it runs with
// (vMotion, §5/§6), nested-virtualization requirements (§4), admission control (§1.4) and the
// checks cluster services register (VMFS locks, vCenter's dvPorts, HA admission control).
import { missingCpuFeatures } from '../cluster/evc.js';
import { vmDemand } from '../compute/admission.js';
import { nestedRefusal } from '../compute/nested.js';
import { ids, type NetworkRef } from '../model/inventory.js';
import { hostFacts, ledger, vmConfig } from './compute.js';
import { OperationError, type Engine } from './engine.js';
import { visibleFeaturesOn, vmCpuFeatures } from './evc.js';
import { placementChecks, type Placement } from './hooks.js';

export interface VnicConfig {
  vm: string;
  index: number;
  network: NetworkRef;
  connected: boolean;
}

export interface VnicRow {
  id: string;
  name: string;
  config: VnicConfig;
}

/** Every VM's NICs (vm id → rows), read once per operation. */
export function vnicsByVm(engine: Engine): Map<string, VnicRow[]> {
  return engine.cache('vnics', () => {
    const m = new Map<string, VnicRow[]>();
    for (const row of engine.allRows()) {
      if (row.kind !== 'vnic' || row.parent === null) continue;
      let list = m.get(row.parent);
      if (!list) m.set(row.parent, (list = []));
      list.push({ id: row.id, name: row.name, config: JSON.parse(row.config) as VnicConfig });
    }
    return m;
  });
}

export interface PlacementOptions {
  /** check admission control (§1.4); DRS keeps its own tally of a pass's tentative moves */
  admission?: boolean;
}

/** Why `vm` cannot run on `host` for `why`, or undefined. The host's own state is the caller's concern. */
export function placementRefusal(engine: Engine, vm: string, host: string, why: Placement, opts: PlacementOptions = {}): OperationError | undefined {
  const config = vmConfig(engine, vm);
  if (why !== 'power-on' || host !== config.host) {
    const e = storageRefusal(engine, vm, host, why) ?? networkRefusal(engine, vm, host);
    if (e) return e;
  }
  if (why === 'vmotion') {
    // §5/§6: the features the VM powered on with must all be there on the target.
    const missing = missingCpuFeatures(vmCpuFeatures(engine, vm), new Set(visibleFeaturesOn(engine, host, config.exposeHardwareVirtualization)));
    if (missing.length) {
      const from = engine.runtime<{ host: string }>(`vm:${vm}`).host;
      return new OperationError('cpu-incompatible', `the CPU of ${host} lacks ${missing.join(', ')}, which ${vm} uses (it powered on with them on ${from}); put both hosts in one EVC cluster or power-cycle the VM (compute.md §5, §6)`, { name: vm, host, missing });
    }
  }
  const facts = hostFacts(engine, host);
  const nested = nestedRefusal(config, facts);
  if (nested) return new OperationError(nested.code, nested.message, { name: vm, ...nested.details });
  if (opts.admission !== false) {
    const refused = admissionRefusal(engine, config, host, why, facts.cluster);
    if (refused) return refused;
  }
  for (const check of placementChecks) {
    const e = check(engine, vm, host, why);
    if (e) return e;
  }
  return undefined;
}

/** §1.4 on the target; a VM that moves no longer holds its reservation on the source. */
function admissionRefusal(engine: Engine, config: ReturnType<typeof vmConfig>, host: string, why: Placement, cluster: string | undefined): OperationError | undefined {
  const vm = config.name;
  const l = ledger(engine);
  const from = engine.runtime<{ host: string }>(`vm:${vm}`).host;
  const held = why === 'vmotion' ? vmDemand(config, from, hostFacts(engine, from).cluster) : undefined;
  if (held) l.remove(held);
  const refused = l.check(vmDemand(config, host, cluster));
  if (held) l.add(held);
  return refused ? new OperationError(refused.code, refused.message, { name: vm, ...(why === 'power-on' ? {} : { host }), ...refused.details }) : undefined;
}

function storageRefusal(engine: Engine, vm: string, host: string, why: Placement): OperationError | undefined {
  const mounted = new Set(engine.config<{ datastores?: string[] }>(`host:${host}`).datastores ?? []);
  const disks = engine.config<{ disks?: Array<{ datastore: string }> }>(`vm:${vm}`).disks ?? [];
  const missing = [...new Set(disks.map((d) => d.datastore))].filter((d) => !mounted.has(d));
  if (!missing.length) return undefined;
  const which = missing.map((d) => `datastore "${d}"`).join(', ');
  return why === 'vmotion'
    ? new OperationError('no-shared-storage', `${host} does not mount ${which} holding ${vm}'s disks: vMotion needs storage both hosts see (compute.md §6)`, { name: vm, host, datastores: missing })
    : new OperationError('datastore-not-mounted', `${host} does not mount ${which} holding ${vm}'s disks`, { name: vm, host, datastores: missing });
}

/** §6, §11.29: every NIC's network exists on the target under the same, case-sensitive name. */
function networkRefusal(engine: Engine, vm: string, host: string): OperationError | undefined {
  const absent = [...new Set((vnicsByVm(engine).get(`vm:${vm}`) ?? []).map((n) => n.config.network).filter((n) => !networkOn(engine, n, host)).map((n) => n.name))];
  if (!absent.length) return undefined;
  const names = networkNames(engine, host);
  const near = absent.map((n) => names.find((x) => x.toLowerCase() === n.toLowerCase())).filter((x) => x !== undefined);
  return new OperationError('network-missing', `${host} has no network ${absent.map((n) => `"${n}"`).join(', ')} (names are case-sensitive, compute.md §6)${near.length ? `; it has ${near.map((n) => `"${n}"`).join(', ')}` : ''}`, { name: vm, host, networks: absent });
}

function dvMember(engine: Engine, dvswitch: string, host: string): boolean {
  return (engine.config<{ members?: Array<{ host: string }> }>(ids.dvswitch(dvswitch)).members ?? []).some((m) => m.host === host);
}

/** A port group, bridge or dv port group of this name that a VM NIC on `host` could attach to. */
function networkOn(engine: Engine, net: NetworkRef, host: string): boolean {
  if (net.kind !== 'dvportgroup') return engine.row(ids.portgroup(host, net.name)) !== undefined || engine.row(ids.bridge(host, net.name)) !== undefined;
  return dvMember(engine, net.dvswitch, host);
}

/** The names of the networks on `host` (for a did-you-mean when one is missing). */
function networkNames(engine: Engine, host: string): string[] {
  const names: string[] = [];
  for (const row of engine.allRows()) {
    if ((row.kind === 'portgroup' || row.kind === 'bridge') && row.id.startsWith(`${row.kind}:${host}/`)) names.push(row.name);
    if (row.kind === 'dvportgroup' && dvMember(engine, row.id.slice('dvportgroup:'.length).split('/')[0]!, host)) names.push(row.name);
  }
  return names;
}
