// CPU and memory scheduling over a lab in virtual time: the scheduler's inputs read from the
// stored rows (running hosts outer levels first, running VMs, resource pool chains, SSD host
// caches), its per-VM state kept under the lab's `compute` key. `advance` runs sample periods;
// `stats` shows the current period without changing anything.
import { emptyVmState, MODEL, runPeriod, type HostInput, type PeriodResult, type VmInput, type VmState } from '../compute/scheduler.js';
import type { Allocation, Workload } from '../model/inventory.js';
import type { LabSpec } from '../spec/schema.js';
import type { LabRow, Store } from '../store/store.js';
import type { Engine } from './engine.js';
import type { HostRuntime, VmRuntime } from './power.js';

interface ComputeState {
  period: number;
  lastSampleMs: number;
  vms: Record<string, VmState>;
}

/** Sample periods one `advance` simulates at most: the estimates converge well before that. */
const MAX_PERIODS = 30;

function inputs(engine: Engine): { hosts: HostInput[]; vms: VmInput[] } {
  const pools = new Map<string, { id: string; parent?: string; cpu: Allocation; memory: Allocation }>();
  const caches = new Map<string, number>();
  const clusterOf = new Map<string, string>();
  const hostRows: Array<{ depth: number; input: HostInput }> = [];
  const vms: VmInput[] = [];
  for (const row of engine.allRows()) {
    if (row.kind === 'pool') {
      const c = JSON.parse(row.config) as { cluster: string; parent?: string; cpu: Allocation; memory: Allocation };
      pools.set(row.id, { id: row.id, ...(c.parent !== undefined ? { parent: `pool:${c.cluster}/${c.parent}` } : {}), cpu: c.cpu, memory: c.memory });
    } else if (row.kind === 'datastore') {
      const c = JSON.parse(row.config) as { cache: boolean; capacityMB: number; hosts: string[] };
      if (c.cache) for (const h of c.hosts) caches.set(h, (caches.get(h) ?? 0) + c.capacityMB);
    } else if (row.kind === 'host') {
      const cluster = (JSON.parse(row.config) as { cluster?: string }).cluster;
      if (cluster !== undefined) clusterOf.set(row.name, cluster);
    }
  }
  for (const row of engine.allRows()) {
    if (row.kind === 'host') {
      const rt = engine.runtime<HostRuntime>(row.id);
      if (rt.state !== 'connected' && rt.state !== 'maintenance') continue;
      const c = JSON.parse(row.config) as { vm?: string; depth: number; memoryMB: number; reservedMB: number; cpu: { cores: number; sockets: number; threads: number; mhz: number } };
      hostRows.push({
        depth: c.depth,
        input: {
          name: row.name, ...(c.vm !== undefined ? { vm: c.vm } : {}), memoryMB: c.memoryMB, reservedMB: c.reservedMB,
          cores: c.cpu.cores * c.cpu.sockets, threads: c.cpu.threads * c.cpu.sockets, mhz: c.cpu.mhz, cacheMB: caches.get(row.name) ?? 0,
        },
      });
    } else if (row.kind === 'vm') {
      const rt = engine.runtime<VmRuntime>(row.id);
      if (rt.power !== 'on') continue;
      const c = JSON.parse(row.config) as { cpus: number; memoryMB: number; tools: boolean; cpuAlloc: Allocation; memAlloc: Allocation; workload: Workload; pool?: string; cluster?: string; nested?: string; pshareSalt?: string };
      const chain: VmInput['pools'] = [];
      const cluster = c.cluster ?? clusterOf.get(rt.host);
      for (let id = c.pool !== undefined && cluster !== undefined ? `pool:${cluster}/${c.pool}` : undefined; id !== undefined && chain.length < 64;) {
        const p = pools.get(id);
        if (!p) break;
        chain.unshift(p);
        id = p.parent;
      }
      vms.push({
        name: row.name, host: rt.host, cpus: c.cpus, memoryMB: c.memoryMB, tools: c.tools, cpuAlloc: c.cpuAlloc, memAlloc: c.memAlloc,
        workload: c.workload, pools: chain, ...(c.nested !== undefined ? { nested: c.nested } : {}), ...(c.pshareSalt !== undefined ? { pshareSalt: c.pshareSalt } : {}),
      });
    }
  }
  hostRows.sort((a, b) => a.depth - b.depth || (a.input.name < b.input.name ? -1 : 1));
  return { hosts: hostRows.map((h) => h.input), vms };
}

function settingsOf(lab: LabRow): { idleMemoryTax: number; shareForceSalting: number; seed: number } {
  const s = (JSON.parse(lab.spec) as LabSpec).settings;
  return { idleMemoryTax: s.idleMemoryTax, shareForceSalting: s.shareForceSalting, seed: s.seed };
}

function load(store: Store, lab: LabRow): ComputeState {
  const json = store.labState(lab.name, 'compute');
  return json ? (JSON.parse(json) as ComputeState) : { period: 0, lastSampleMs: 0, vms: {} };
}

/** Run the sample periods that fall due up to the engine's clock (called by `advance`). */
export function runDuePeriods(engine: Engine): number {
  const store = engine.store;
  const state = load(store, engine.lab);
  const due = Math.floor((engine.nowMs - state.lastSampleMs) / (MODEL.samplePeriodS * 1000));
  if (due <= 0) return 0;
  const { hosts, vms } = inputs(engine);
  const states = new Map(Object.entries(state.vms));
  const settings = settingsOf(engine.lab);
  const periods = Math.min(due, MAX_PERIODS);
  for (let i = 0; i < periods; i++) runPeriod(hosts, vms, states, settings, state.period + i, true);
  state.period += periods;
  state.lastSampleMs += due * MODEL.samplePeriodS * 1000;
  const running = new Set(vms.map((v) => v.name));
  state.vms = Object.fromEntries([...states].filter(([name]) => running.has(name)));
  store.putLabState(engine.lab.name, 'compute', JSON.stringify(state));
  return periods;
}

/** The current period's view (nothing is changed). */
export function currentStats(engine: Engine): PeriodResult {
  const state = load(engine.store, engine.lab);
  const { hosts, vms } = inputs(engine);
  const states = new Map(Object.entries(state.vms).map(([k, v]) => [k, { ...emptyVmState(), ...v }]));
  return runPeriod(hosts, vms, states, settingsOf(engine.lab), state.period, false);
}
