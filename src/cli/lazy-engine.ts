// The engine as commands use it, loaded on demand (lazy.ts).
export { advance, down, planLab, resolveContext, up } from '../engine/apply.js';
export { drs, enterMaintenance, exitMaintenance } from '../engine/drs.js';
export { failHost, hangVm, haStatus, recoverHost } from '../engine/ha.js';
export { migrate } from '../engine/migrate.js';
export { macTable, pingLab, setLink, startCapture, stopCapture, traceLab } from '../engine/network.js';
export { groupTable } from '../engine/igmp-view.js';
export { power } from '../engine/power.js';
export { currentStats } from '../engine/stats.js';
export { inspect, operate } from '../engine/engine.js';
export { describeObject, listEvents, listObjects, listTasks } from '../engine/views.js';
export { capacityReport } from '../compute/capacity.js';
export { CPU_CATALOG, hardwareVirtualization, maxEvcMode } from '../model/cpu.js';
