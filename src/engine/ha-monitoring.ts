// vSphere HA VM monitoring in the engine (spec/compute.md §8 "VM monitoring", §11.33): `nestlab
// hang VM [--io]` stops a guest's VMware Tools heartbeats; HA looks at it after the failure
// interval (and the minimum uptime) and resets it unless it still did I/O, at most 3 times.
import { Engine, OperationError } from './engine.js';
import { powerListeners } from './hooks.js';
import { findVm, reset, type VmRuntime } from './power.js';
import { onTimer, scheduleTimer } from './timers.js';
import { haCluster, vmId, type HaVmConfig } from './ha-state.js';
import { monitorVerdict, vmMonitoringSettings, type VmMonitoringLevel } from '../cluster/ha.js';

interface MonitoredVmRuntime extends VmRuntime {
  /** when its VMware Tools heartbeats stopped (absent: they arrive) */
  toolsLostAtMs?: number;
  /** the hung guest still does disk/network I/O */
  ioActive?: boolean;
  /** virtual times of VM monitoring resets */
  haResetsMs?: number[];
}

export interface HangResult {
  name: string;
  at: number;
  monitoring: VmMonitoringLevel;
  /** when HA looks at it, if it monitors the VM */
  checkAt?: number;
}

/** `nestlab hang VM [--io]`: the guest hangs — its Tools heartbeats stop; with --io it still does I/O. */
export function hangVm(engine: Engine, name: string, opts: { io?: boolean } = {}): HangResult {
  const id = findVm(engine, name);
  const rt = engine.runtime<MonitoredVmRuntime>(id);
  if (rt.power !== 'on') throw new OperationError('invalid-power-state', `VM ${name} is not running`, { name, state: rt.power });
  if (rt.toolsLostAtMs !== undefined) throw new OperationError('invalid-power-state', `VM ${name} is already hung`, { name });
  const t0 = engine.nowMs;
  engine.setRuntime(id, { toolsLostAtMs: t0, ioActive: opts.io === true });
  engine.event('vm.tools-heartbeat-lost', id, `${name} hung: its VMware Tools heartbeats stopped${opts.io ? ' (it still does disk/network I/O)' : ' (and it does no I/O)'}`, { io: opts.io === true });
  const level = engine.config<HaVmConfig>(id).ha?.vmMonitoring ?? 'disabled';
  const settings = haCluster(engine, rt.host) ? vmMonitoringSettings(level) : undefined;
  if (!settings) return { name, at: t0 / 1000, monitoring: 'disabled' };
  const at = Math.max(t0 + settings.failureIntervalMs, (rt.poweredOnAtMs ?? 0) + settings.minUptimeMs);
  scheduleTimer(engine, at, 'ha.vm-monitor', { vm: name, lostAtMs: t0 });
  return { name, at: t0 / 1000, monitoring: level, checkAt: at / 1000 };
}

onTimer('ha.vm-monitor', (engine, data) => {
  const name = String(data.vm);
  const id = vmId(name);
  if (!engine.row(id)) return;
  const rt = engine.runtime<MonitoredVmRuntime>(id);
  const lostAtMs = rt.toolsLostAtMs;
  if (rt.power !== 'on' || lostAtMs === undefined || lostAtMs !== data.lostAtMs) return;
  const level = engine.config<HaVmConfig>(id).ha?.vmMonitoring ?? 'disabled';
  const settings = haCluster(engine, rt.host) ? vmMonitoringSettings(level) : undefined;
  if (!settings) return;
  const v = monitorVerdict(settings, {
    nowMs: engine.nowMs, lostAtMs, poweredOnAtMs: rt.poweredOnAtMs ?? 0,
    lastIoAtMs: rt.ioActive ? engine.nowMs : undefined, resetTimesMs: rt.haResetsMs ?? [],
  });
  if (v.action === 'wait') {
    scheduleTimer(engine, v.untilMs, 'ha.vm-monitor', data);
  } else if (v.action === 'io-active') {
    engine.event('ha.vm-monitor-io', id, `VM monitoring: no VMware Tools heartbeat from ${name} for ${settings.failureIntervalMs / 1000} s, but it did disk/network I/O within ${settings.ioStatsIntervalMs / 1000} s: not reset (§8)`);
  } else if (v.action === 'max-resets') {
    engine.event('ha.vm-monitor-max-resets', id, `VM monitoring: ${name} has no VMware Tools heartbeat and no I/O, but it was already reset ${v.resets} times (maximum ${settings.maxResets}${settings.windowMs === null ? '' : ` within ${settings.windowMs / 3_600_000} h`}): no further automatic reset (§8, §11.33)`, { resets: v.resets });
  } else {
    engine.task('ha-vm-reset', id, () => reset(engine, name));
    engine.setRuntime(id, { toolsLostAtMs: undefined, ioActive: undefined, haResetsMs: [...(rt.haResetsMs ?? []), engine.nowMs] });
    engine.event('ha.vm-reset', id, `VM monitoring reset ${name}: no VMware Tools heartbeat for ${(engine.nowMs - lostAtMs) / 1000} s and no disk/network I/O in ${settings.ioStatsIntervalMs / 1000} s (§8)`, { resets: (rt.haResetsMs ?? []).length + 1 });
  }
});

// A VM that powers off (or on) starts with a healthy guest.
powerListeners.push((engine, vm) => {
  const id = vmId(vm);
  if (engine.runtime<MonitoredVmRuntime>(id).toolsLostAtMs !== undefined) engine.setRuntime(id, { toolsLostAtMs: undefined, ioActive: undefined });
});
