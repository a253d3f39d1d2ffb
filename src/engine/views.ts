// Read-only views of a lab's state for every surface (CLI today, API later): `ls`, `show`,
// `events`, `tasks`. Surfaces render these; they compute nothing themselves.
import type { EventRow, LabRow, ObjectRow, Store, TaskRow } from '../store/store.js';
import { OperationError } from './engine.js';
import type { HostRuntime, VmRuntime } from './power.js';
import { portCounters, storedNetwork } from './network.js';
import { vmVisibleFeatures } from '../cluster/evc.js';
import type { EvcMode } from '../spec/schema.js';
import type { NetState } from '../net/state.js';
import { uplinkLoadView } from '../net/lbt.js';
import { LIST_KINDS, type ListKind } from './list-kinds.js';
import { spanningTreeView } from './stp-view.js';
import { dvsLacp, hostLacp, switchLacp, type StoredNet } from './lacp-view.js';
import type { StpView } from '../net/stp.js';
import type { Network } from '../net/topology.js';

export interface ListItem {
  name: string;
  kind: string;
  id: string;
  parent: string | null;
  state: string | null;
  [extra: string]: unknown;
}

type Config = Record<string, unknown>;

const parse = (s: string) => JSON.parse(s) as Config;

/** `runsOn(vm)`: the host a VM runs on now (a nested host's parent is where its VM runs). */
function item(row: ObjectRow, runsOn: (vm: string) => string | undefined): ListItem {
  const c = parse(row.config);
  const rt = parse(row.runtime);
  const base = { name: row.name, kind: row.kind, id: row.id };
  switch (row.kind) {
    case 'vm': {
      const r = rt as VmRuntime;
      return { ...base, parent: r.host, state: r.power, cpus: c.cpus, memoryMB: c.memoryMB, nested: c.nested !== undefined, role: c.role ?? null };
    }
    case 'host': {
      const cpu = c.cpu as { model: string; cores: number; sockets: number };
      return {
        ...base, parent: c.vm !== undefined ? runsOn(c.vm as string) ?? null : (c.cluster as string | undefined) ?? null, state: (rt as HostRuntime).state,
        hypervisor: c.hypervisor, version: c.version, nested: c.vm !== undefined, cluster: c.cluster ?? null,
        cpu: cpu.model, cores: cpu.cores * cpu.sockets, memoryMB: c.memoryMB,
      };
    }
    case 'vswitch':
      return { ...base, parent: c.host as string, state: null, uplinks: c.uplinks };
    case 'bridge':
      return { ...base, parent: c.host as string, state: null, type: bridgeType(c), uplinks: c.uplinks };
    case 'portgroup':
      return { ...base, parent: `${String(c.host)}/${String(c.vswitch)}`, state: null, vlan: c.vlan, security: c.security };
    case 'dvportgroup':
      return { ...base, parent: c.dvswitch as string, state: null, vlan: c.vlan, binding: c.binding, security: c.security };
    case 'datastore':
      return { ...base, parent: null, state: null, type: c.type, capacityMB: c.capacityMB, hosts: c.hosts };
    case 'cluster':
      return { ...base, parent: null, state: null, hosts: c.hosts, evc: c.evc ?? null, drs: (c.drs as { enabled: boolean }).enabled, ha: (c.ha as { enabled: boolean }).enabled };
    default:
      return { ...base, parent: row.parent, state: null };
  }
}

export function listObjects(store: Store, lab: LabRow, kind?: ListKind): ListItem[] {
  const kinds: readonly string[] = kind ? LIST_KINDS[kind] : Object.values(LIST_KINDS).flat();
  const rows = kinds.flatMap((k) => store.objects(lab.name, k));
  const runsOn = (vm: string) => (parse(store.object(lab.name, `vm:${vm}`)?.runtime ?? '{}') as Partial<VmRuntime>).host;
  return rows.map((r) => item(r, runsOn));
}

/** Find one object by id (`portgroup:esx1/VM Network`), path (`esx1/VM Network`) or name. */
export function findObject(store: Store, lab: LabRow, name: string): ObjectRow {
  const exact = store.object(lab.name, name);
  if (exact) return exact;
  const named = store.objectsNamed(lab.name, name);
  const slash = name.lastIndexOf('/');
  const candidates = named.length
    ? named
    : slash > 0
      ? store.objectsNamed(lab.name, name.slice(slash + 1)).filter((r) => r.id.slice(r.id.indexOf(':') + 1) === name)
      : [];
  // A nested hypervisor is both a VM and a host by one name: the VM view shows both.
  const preferred = candidates.find((r) => r.kind === 'vm') ?? candidates.find((r) => r.kind === 'host') ?? candidates.find((r) => r.kind === 'station');
  if (preferred) return preferred;
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length > 1) {
    throw new OperationError('ambiguous-name', `"${name}" names ${candidates.length} objects: ${candidates.map((c) => c.id).join(', ')}; give the id or HOST/NAME`, { candidates: candidates.map((c) => c.id) });
  }
  throw new OperationError('unknown-object', `no object named "${name}" in lab ${lab.name}`, { name });
}

/** The nesting chain of a VM as it runs now: physical host, nested hosts…, the VM. */
function vmPath(store: Store, lab: LabRow, vm: string): string[] {
  const path = [vm];
  let host = (parse(store.object(lab.name, `vm:${vm}`)?.runtime ?? '{}') as Partial<VmRuntime>).host;
  for (let guard = 0; host !== undefined && guard < 64; guard++) {
    path.unshift(host);
    const outer = store.object(lab.name, `vm:${host}`);
    host = outer ? (parse(outer.runtime) as Partial<VmRuntime>).host : undefined;
  }
  return path;
}

/** What the data plane saved the last time a command ran the network. */
function savedNetState(store: Store, lab: LabRow): Partial<NetState> {
  return JSON.parse(store.labState(lab.name, 'net') ?? '{}') as Partial<NetState>;
}

/** Per-port counters the data plane kept (rx, tx, drops by reason), by port id. */
function counterLookup(state: Partial<NetState>): (portId: string) => ReturnType<typeof portCounters> {
  return (id) => portCounters(state.counters?.[id]);
}

/** The lab's network as it stands, built at most once per `show` and only if a view asks for it. */
function storedNet(store: Store, lab: LabRow): StoredNet {
  let net: Network | undefined | null = null;
  return () => (net === null ? (net = storedNetwork(store, lab)?.net) : net);
}

export function describeObject(store: Store, lab: LabRow, name: string): Record<string, unknown> {
  const row = findObject(store, lab, name);
  const counters = counterLookup(savedNetState(store, lab));
  const net = storedNet(store, lab);
  const config = parse(row.config);
  const runtime = parse(row.runtime);
  const children = store.children(lab.name, row.id);
  const base = { id: row.id, name: row.name, kind: row.kind };
  if (row.kind === 'vm') {
    const rt = runtime as VmRuntime;
    const { host: _declared, path: _path, ...rest } = config;
    const nested = config.nested !== undefined ? describeHost(store, lab, `host:${row.name}`, net) : undefined;
    // The CPU the VM sees: fixed at power-on (its start host's CPU under the EVC mode then, §5).
    const started = rt as VmRuntime & { cpuHost?: string; evcMode?: string | null };
    const startHost = started.cpuHost === undefined ? undefined : store.object(lab.name, `host:${started.cpuHost}`);
    const cpu = rt.power === 'on' && startHost
      ? { evcMode: started.evcMode ?? null, features: vmVisibleFeatures(new Set((parse(startHost.config).cpu as { features: string[] }).features), (started.evcMode ?? undefined) as EvcMode | undefined, config.exposeHardwareVirtualization === true) }
      : null;
    return {
      ...base, state: rt.power, host: rt.host, path: vmPath(store, lab, row.name), ...rest, cpu,
      nics: children.filter((c) => c.kind === 'vnic').map((c) => ({ name: c.name, ...parse(c.config), counters: counters(c.id) })),
      ...(nested ? { nested } : {}),
      counters: { powerOns: rt.powerOns ?? 0, resets: rt.resets ?? 0, poweredOnAtS: rt.poweredOnAtMs === undefined ? null : rt.poweredOnAtMs / 1000 },
    };
  }
  if (row.kind === 'host') return describeHost(store, lab, row.id, net);
  // R9.9: a switch running spanning tree shows the root bridge and each port's role and state.
  const stp = row.kind === 'pswitch' && config.stp !== undefined ? spanningTreeView(net(), row.id, lab.nowMs) : undefined;
  // R6.5: LACP channels of a physical switch (each member's state), LAGs of a vDS on each member host.
  const lacp = row.kind === 'pswitch' ? switchLacp(net, lab, row, children) : undefined;
  const lags = row.kind === 'dvswitch' ? dvsLacp(net, lab, row) : undefined;
  const ports = row.kind === 'pswitch' ? { ports: children.map((c) => ({ name: c.name, ...parse(c.config), ...(stp?.ports[c.id] ? { stp: stp.ports[c.id] } : {}), ...(lacp?.byPort.get(c.id) ? { lacp: lacp.byPort.get(c.id) } : {}), counters: counters(c.id) })) } : {};
  const tree = stp === undefined ? {} : { spanningTree: spanningTreeSummary(stp, new Set(children.map((c) => c.id))) };
  const lacpSection = lacp !== undefined ? { lacp: { channels: lacp.channels } } : lags !== undefined ? { lacp: lags } : {};
  return { ...base, parent: row.parent, ...config, ...runtime, ...tree, ...lacpSection, ...ports, children: children.map((c) => ({ id: c.id, kind: c.kind, name: c.name })) };
}

/** A kvm host's bridge: a Linux bridge, or an Open vSwitch bridge when it has OVS settings (R8.5). */
function bridgeType(config: Record<string, unknown>): 'linux-bridge' | 'ovs' {
  return config.ovs !== undefined ? 'ovs' : 'linux-bridge';
}

/** The switch's place in the tree; port channels (not objects of their own) with their roles. */
function spanningTreeSummary(v: StpView, objects: ReadonlySet<string>): Record<string, unknown> {
  const { ports, ...bridge } = v;
  const channels = Object.entries(ports).filter(([id]) => !objects.has(id)).map(([id, p]) => ({ name: id.replace(/^\w+:/, ''), ...p }));
  return { ...bridge, ...(channels.length ? { channels } : {}) };
}

function describeHost(store: Store, lab: LabRow, id: string, net: StoredNet): Record<string, unknown> {
  const row = store.object(lab.name, id)!;
  const netState = savedNetState(store, lab);
  const counters = counterLookup(netState);
  const config = parse(row.config);
  const children = store.children(lab.name, id);
  const portgroups = (switchId: string) =>
    store.children(lab.name, switchId).map((pg) => ({
      name: pg.name, ...parse(pg.config),
      vmkernel: store.children(lab.name, pg.id).map((k) => ({ name: k.name, ...parse(k.config) })),
    }));
  const running = store.objects(lab.name, 'vm').filter((v) => (parse(v.runtime) as VmRuntime).host === row.name);
  const lacp = hostLacp(net, store, lab, row.name); // R6.5: its LAGs on the distributed switches it is a member of
  return {
    id: row.id, name: row.name, kind: 'host', state: (parse(row.runtime) as HostRuntime).state, ...config,
    nics: children.filter((c) => c.kind === 'nic').map((c) => {
      const config = parse(c.config);
      // Uplink utilisation (R5.5) as the last command that ran the network saw it, when it carries load.
      const load = uplinkLoadView(netState.lbt, c.id, (config.speed as number | undefined) ?? 1000);
      return { name: c.name, ...config, counters: counters(c.id), ...(load ? { load } : {}) };
    }),
    vswitches: children.filter((c) => c.kind === 'vswitch').map((s) => ({ name: s.name, ...parse(s.config), portgroups: portgroups(s.id) })),
    bridges: children.filter((c) => c.kind === 'bridge').map((b) => {
      const config = parse(b.config);
      return { name: b.name, type: bridgeType(config), ...config };
    }),
    vms: running.map((v) => ({ name: v.name, state: (parse(v.runtime) as VmRuntime).power })),
    ...(lacp ? { lacp } : {}),
  };
}

export interface EventView {
  seq: number;
  time: number;
  type: string;
  object: string | null;
  task: number | null;
  message: string;
  data?: unknown;
}

export function listEvents(store: Store, lab: LabRow, opts: { after?: number; limit?: number; object?: string; type?: string } = {}): EventView[] {
  const rows: EventRow[] = store.events(lab.name, opts.after ?? 0, opts.limit ?? 1_000_000);
  return rows
    .filter((e) => (opts.object === undefined || e.object === opts.object || e.object?.endsWith(`:${opts.object}`)) && (opts.type === undefined || e.type.startsWith(opts.type)))
    .map((e) => ({ seq: e.seq, time: e.timeMs / 1000, type: e.type, object: e.object, task: e.task, message: e.message, ...(e.data ? { data: JSON.parse(e.data) as unknown } : {}) }));
}

export interface TaskView {
  id: number;
  kind: string;
  target: string;
  state: TaskRow['state'];
  queued: number;
  started: number | null;
  completed: number | null;
  result?: unknown;
  error?: unknown;
}

export function listTasks(store: Store, lab: LabRow, opts: { after?: number; limit?: number } = {}): TaskView[] {
  return store.tasks(lab.name, opts.after ?? 0, opts.limit ?? 1_000_000).map((t) => ({
    id: t.seq, kind: t.kind, target: t.target, state: t.state, queued: t.queuedMs / 1000,
    started: t.startedMs === null ? null : t.startedMs / 1000, completed: t.completedMs === null ? null : t.completedMs / 1000,
    ...(t.result ? { result: JSON.parse(t.result) as unknown } : {}), ...(t.error ? { error: JSON.parse(t.error) as unknown } : {}),
  }));
}
