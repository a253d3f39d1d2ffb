// VM power operations. A VM runs only on a running host: a physical host that is connected and
// not in maintenance mode, or a nested host whose own VM is powered on. Powering off a nested
// hypervisor's VM takes down every VM inside it, at every level below.
import { Engine, OperationError } from './engine.js';

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

/** Why a VM cannot power on now, or undefined. */
function powerOnRefusal(engine: Engine, name: string): OperationError | undefined {
  const rt = engine.runtime<VmRuntime>(vmId(name));
  if (rt.power === 'on') return new OperationError('invalid-power-state', `VM ${name} is already powered on`, { name, state: rt.power });
  const host = engine.runtime<HostRuntime>(hostId(rt.host));
  if (host.state === 'maintenance') {
    return new OperationError('host-in-maintenance', `host ${rt.host} is in maintenance mode; VMs cannot power on there`, { name, host: rt.host });
  }
  if (host.state !== 'connected') {
    const why = host.state === 'powered-off' ? `its VM ${rt.host} is powered off` : `it is ${host.state}`;
    return new OperationError('host-not-running', `host ${rt.host} is not running (${why})`, { name, host: rt.host, hostState: host.state });
  }
  return undefined;
}

export function powerOn(engine: Engine, name: string, reason = 'requested'): VmRuntime {
  const id = findVm(engine, name);
  const refusal = powerOnRefusal(engine, name);
  if (refusal) {
    engine.event('vm.power-on-failed', id, `Cannot power on ${name}: ${refusal.message}`, { reason: refusal.code });
    throw refusal;
  }
  const rt = engine.runtime<VmRuntime>(id);
  engine.setRuntime(id, { power: 'on', poweredOnAtMs: engine.nowMs, powerOns: (rt.powerOns ?? 0) + 1 });
  engine.event('vm.powered-on', id, `${name} powered on on ${rt.host}`, { host: rt.host, reason });
  const nested = engine.config<VmConfig>(id).nested;
  if (nested !== undefined) {
    engine.setRuntime(hostId(nested), { state: engine.config<{ maintenance?: boolean }>(hostId(nested)).maintenance ? 'maintenance' : 'connected' });
    engine.event('host.connected', hostId(nested), `nested host ${nested} is up (its VM powered on)`);
  }
  return engine.runtime<VmRuntime>(id);
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
  engine.setRuntime(id, { power: 'off', poweredOnAtMs: undefined });
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
