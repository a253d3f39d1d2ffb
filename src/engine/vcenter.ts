// vCenter in the engine (spec/network.md §6 R6.2–R6.4, issue 5 item 1): is vCenter up, and the
// dvPort bindings of VM NICs on distributed port groups. A NIC on a static port group gets its
// port id at its first power-on, which needs vCenter; once held, the port is kept (powered off
// too) and the VM powers on without vCenter. Ephemeral port groups never need vCenter (R6.3).
import { freeDvPort, nicsNeedingVcenter, STATIC_BINDING_MESSAGE, vcenterState, type DvNic, type VcenterState } from '../cluster/vcenter.js';
import type { LabSpec } from '../spec/schema.js';
import { OperationError, type Engine } from './engine.js';
import { placementChecks, powerListeners } from './hooks.js';
import { vnicsByVm, type VnicRow } from './placement.js';
import type { VmRuntime } from './power.js';

export interface VnicDvRuntime extends Record<string, unknown> {
  /** the static dvPort this NIC holds (R6.2) */
  dvPort?: number;
}

/** vCenter now: `external` is always up; a vCenter VM is up while powered on. */
export function vcenterNow(engine: Engine): VcenterState {
  const name = engine.cache('vcenter.name', () => (JSON.parse(engine.lab.spec || '{}') as Partial<LabSpec>).vcenter);
  const power = name === undefined || name === 'external' ? undefined : engine.row(`vm:${name}`) ? engine.runtime<VmRuntime>(`vm:${name}`).power : undefined;
  return vcenterState(name, power);
}

/** Refuse what needs vCenter while it is down (vMotion, DRS …): `vcenter-unavailable`. */
export function requireVcenter(engine: Engine, what: string): void {
  const s = vcenterNow(engine);
  if (!s.up) throw new OperationError('vcenter-unavailable', `${what} needs vCenter, which is unavailable: ${s.reason}`, { ...(s.vcenter !== undefined ? { vcenter: s.vcenter } : {}) });
}

interface DvIndex {
  /** vm id → its vnic rows on dv port groups */
  byVm: Map<string, VnicRow[]>;
  /** dv port group id → ports held */
  held: Map<string, Set<number>>;
}

/** Built once per operation: the lab's NICs on dv port groups and the ports they hold. */
function dvIndex(engine: Engine): DvIndex {
  return engine.cache('dvports', () => {
    const idx: DvIndex = { byVm: new Map(), held: new Map() };
    for (const [vm, nics] of vnicsByVm(engine)) {
      const dv = nics.filter((n) => n.config.network.kind === 'dvportgroup');
      if (dv.length) idx.byVm.set(vm, dv);
      for (const n of dv) {
        const p = engine.runtime<VnicDvRuntime>(n.id).dvPort;
        if (p === undefined) continue;
        let set = idx.held.get(n.config.network.id);
        if (!set) idx.held.set(n.config.network.id, (set = new Set()));
        set.add(p);
      }
    }
    return idx;
  });
}

/** The VM's connected NICs on distributed port groups, with their binding and held port. */
function dvNics(engine: Engine, vm: string): Array<DvNic & { index: number; name: string }> {
  const out: Array<DvNic & { index: number; name: string }> = [];
  for (const { id, config: c } of dvIndex(engine).byVm.get(`vm:${vm}`) ?? []) {
    if (!c.connected || c.network.kind !== 'dvportgroup' || !engine.row(c.network.id)) continue;
    const binding = engine.config<{ binding: 'static' | 'ephemeral' }>(c.network.id).binding;
    const port = engine.runtime<VnicDvRuntime>(id).dvPort;
    out.push({ id, portgroup: c.network.id, binding, index: c.index, name: c.network.name, ...(port !== undefined ? { port } : {}) });
  }
  return out.sort((a, b) => a.index - b.index);
}

// R6.2/R6.4: a NIC on a static port group without a port needs vCenter to bind one (a running VM
// that moves keeps its ports).
placementChecks.push((engine, vm, _host, why) => {
  if (why === 'vmotion') return undefined;
  const nics = dvNics(engine, vm);
  if (nics.length === 0) return undefined;
  const s = vcenterNow(engine);
  const need = nicsNeedingVcenter(nics, s.up);
  if (need.length === 0 || s.up) return undefined;
  return new OperationError(
    'vcenter-unavailable',
    `${STATIC_BINDING_MESSAGE}: ${vm}'s ${need.map((n) => `nic${n.index} on static port group "${n.name}"`).join(', ')} holds no dvPort yet and binding one needs vCenter (${s.reason}) (network.md R6.2, R6.4)`,
    { name: vm, nics: need.map((n) => ({ nic: n.index, portgroup: n.name })), ...(s.vcenter !== undefined ? { vcenter: s.vcenter } : {}) },
  );
});

// R6.2: the port is assigned at the first power-on (vCenter up) and kept; R6.3: ephemeral ports
// come and go with the power state and are not recorded.
powerListeners.push((engine, vm, _host, state) => {
  if (state !== 'on') return;
  for (const n of dvNics(engine, vm)) if (n.binding === 'static' && n.port === undefined) bindDvPort(engine, vm, n);
});

function bindDvPort(engine: Engine, vm: string, n: DvNic & { index: number; name: string }): void {
  const held = dvIndex(engine).held;
  let set = held.get(n.portgroup);
  if (!set) held.set(n.portgroup, (set = new Set()));
  const port = freeDvPort(set);
  set.add(port);
  engine.setRuntime(n.id, { dvPort: port });
  engine.event('dvport.bound', n.id, `${vm} nic${n.index} bound to dvPort ${port} of ${n.name}`, { portgroup: n.portgroup, port });
}

/**
 * R6.2, §10.30: a NIC that `up` adds to an existing VM, or moves to another network, gives back
 * the port it held; on a static dv port group it is given one at once — only through vCenter, so
 * while vCenter is down the reconfiguration fails (and `up` with it, changing nothing).
 */
export function nicReconfigured(engine: Engine, vnic: string): void {
  if (engine.runtime<VnicDvRuntime>(vnic).dvPort !== undefined) {
    engine.setRuntime(vnic, { dvPort: undefined });
    engine.invalidate(); // the index of held ports has it
  }
  const row = engine.row(vnic);
  if (!row?.parent) return;
  const vm = row.parent.slice('vm:'.length);
  const n = dvNics(engine, vm).find((x) => x.id === vnic);
  if (!n || n.binding !== 'static') return;
  const s = vcenterNow(engine);
  if (!s.up) {
    throw new OperationError('vcenter-unavailable', `${STATIC_BINDING_MESSAGE}: ${vm}'s nic${n.index} would connect to static port group "${n.name}", and binding a port needs vCenter (${s.reason}) (network.md R6.2)`,
      { name: vm, nics: [{ nic: n.index, portgroup: n.name }], ...(s.vcenter !== undefined ? { vcenter: s.vcenter } : {}) });
  }
  bindDvPort(engine, vm, n);
}
