// VM power operations. A VM runs only on a running host: a physical host that is connected and
// not in maintenance mode, or a nested host whose own VM is powered on. Powering off a nested
// hypervisor's VM takes down every VM inside it, at every level below.
import { Engine, OperationError } from './engine.js';
import { hostFacts, ledger, vmConfig } from './compute.js';
import { vmDemand } from '../compute/admission.js';
import { hostChoosers, powerListeners, type Placement } from './hooks.js';
import { placementRefusal } from './placement.js';
import './features.js'; // the checks and listeners cluster services register
import { esxiMinimumMemoryMB } from '../model/defaults.js';
import { formatMB } from '../spec/units.js';

export interface VmRuntime extends Record<string, unknown> {
  power: 'on' | 'off' | 'suspended';
  /** the host it runs on now */
  host: string;
  poweredOnAtMs?: number;
  powerOns?: number;
  resets?: number;
}

export interface HostRuntime extends Record<string, unknown> {
  state: 'connected' | 'maintenance' | 'powered-off' | 'not-responding';
}

interface VmConfig {
  nested?: string;
  host: string;
}

export type PowerAction = 'on' | 'off' | 'reset';

const vmId = (name: string) => `vm:${name}`;
const hostId = (name: string) => `host:${name}`;

export function findVm(engine: Engine, name: string): string {
  const id = vmId(name);
  if (!engine.row(id)) throw new OperationError('unknown-vm', `no VM named "${name}" in lab ${engine.lab.name}`, { name });
  return id;
}

/** Why a VM cannot power on now on the host it is placed on, or undefined. */
export function powerOnRefusal(engine: Engine, name: string, why: Placement = 'power-on'): OperationError | undefined {
  const rt = engine.runtime<VmRuntime>(vmId(name));
  if (rt.power === 'on') return new OperationError('invalid-power-state', `VM ${name} is already powered on`, { name, state: rt.power });
  return hostRefusal(engine, name, rt.host) ?? placementRefusal(engine, name, rt.host, why);
}

/** Where the VM starts, if a cluster service decides (DRS initial placement): moves its registration. */
function chooseHost(engine: Engine, name: string): OperationError | 'placed' | undefined {
  for (const choose of hostChoosers) {
    const r = choose(engine, name);
    if (r) return r;
  }
  return undefined;
}

/** Why no VM can start on (or move to) `host` now: maintenance mode, or not running. */
export function hostRefusal(engine: Engine, name: string, host: string): OperationError | undefined {
  const state = engine.runtime<HostRuntime>(hostId(host)).state;
  if (state === 'maintenance') {
    return new OperationError('host-in-maintenance', `host ${host} is in maintenance mode; VMs cannot run there`, { name, host });
  }
  if (state !== 'connected') {
    const why = state === 'powered-off' ? `its VM ${host} is powered off` : `it is ${state}`;
    return new OperationError('host-not-running', `host ${host} is not running (${why})`, { name, host, hostState: state });
  }
  return undefined;
}

export function powerOn(engine: Engine, name: string, reason = 'requested', why: Placement = 'power-on'): VmRuntime {
  const id = findVm(engine, name);
  const chosen = why === 'power-on' && engine.runtime<VmRuntime>(id).power !== 'on' ? chooseHost(engine, name) : undefined;
  const refusal = chosen === 'placed' ? undefined : chosen ?? powerOnRefusal(engine, name, why);
  if (refusal) {
    engine.event('vm.power-on-failed', id, `Cannot power on ${name}: ${refusal.message}`, { reason: refusal.code });
    throw refusal;
  }
  const rt = engine.runtime<VmRuntime>(id);
  const vm = vmConfig(engine, name);
  ledger(engine).add(vmDemand(vm, rt.host, hostFacts(engine, rt.host).cluster));
  engine.setRuntime(id, { power: 'on', poweredOnAtMs: engine.nowMs, powerOns: (rt.powerOns ?? 0) + 1 });
  engine.event('vm.powered-on', id, `${name} powered on on ${rt.host}`, { host: rt.host, reason });
  for (const l of powerListeners) l(engine, name, rt.host, 'on');
  if (vm.nested !== undefined) bootNestedHost(engine, vm.nested, vm.memoryMB);
  return engine.runtime<VmRuntime>(id);
}

/** A nested hypervisor boots inside its VM — unless the VM has less memory than it needs (§4). */
function bootNestedHost(engine: Engine, host: string, memoryMB: number): void {
  const c = hostFacts(engine, host);
  const min = c.hypervisor === 'esxi' ? esxiMinimumMemoryMB(c.version) : 0;
  if (memoryMB < min) {
    engine.setRuntime(hostId(host), { state: 'not-responding' });
    engine.event('host.boot-failed', hostId(host), `nested ESXi ${c.version} on ${host} does not boot: it needs ${formatMB(min)}, its VM has ${formatMB(memoryMB)}`, { minimumMB: min, memoryMB });
    return;
  }
  const maintenance = engine.config<{ maintenance?: boolean }>(hostId(host)).maintenance;
  engine.setRuntime(hostId(host), { state: maintenance ? 'maintenance' : 'connected' });
  engine.event('host.connected', hostId(host), `nested host ${host} is up (its VM powered on)`);
}

export function powerOff(engine: Engine, name: string, reason = 'requested'): VmRuntime {
  const id = findVm(engine, name);
  const rt = engine.runtime<VmRuntime>(id);
  if (rt.power !== 'on') throw new OperationError('invalid-power-state', `VM ${name} is already powered off`, { name, state: rt.power });
  const nested = engine.config<VmConfig>(id).nested;
  if (nested !== undefined) {
    // Everything running inside the nested hypervisor stops with it.
    for (const row of [...engine.allRows()]) {
      if (row.kind !== 'vm') continue;
      const inner = engine.runtime<VmRuntime>(row.id);
      if (inner.power === 'on' && inner.host === nested) powerOff(engine, row.name, `host ${nested} powered off`);
    }
    engine.setRuntime(hostId(nested), { state: 'powered-off' });
    engine.event('host.disconnected', hostId(nested), `nested host ${nested} is down (its VM powered off)`);
  }
  ledger(engine).remove(vmDemand(vmConfig(engine, name), rt.host, hostFacts(engine, rt.host).cluster));
  engine.setRuntime(id, { power: 'off', poweredOnAtMs: undefined });
  for (const l of powerListeners) l(engine, name, rt.host, 'off');
  engine.event('vm.powered-off', id, `${name} powered off${reason === 'requested' ? '' : `: ${reason}`}`, { host: rt.host, reason });
  return engine.runtime<VmRuntime>(id);
}

export function reset(engine: Engine, name: string): VmRuntime {
  const id = findVm(engine, name);
  const rt = engine.runtime<VmRuntime>(id);
  if (rt.power !== 'on') throw new OperationError('invalid-power-state', `VM ${name} is powered off; reset needs a running VM`, { name, state: rt.power });
  engine.setRuntime(id, { poweredOnAtMs: engine.nowMs, resets: (rt.resets ?? 0) + 1 });
  engine.event('vm.reset', id, `${name} was reset`, { host: rt.host });
  return engine.runtime<VmRuntime>(id);
}

export function power(engine: Engine, action: PowerAction, name: string): VmRuntime {
  return action === 'on' ? powerOn(engine, name) : action === 'off' ? powerOff(engine, name) : reset(engine, name);
}
