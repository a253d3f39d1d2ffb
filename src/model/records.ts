// The inventory as flat records — id, kind, name, parent, configuration — in dependency order
// (a parent before its children, outer nesting levels before inner ones). Plans diff these
// records; the store keeps them; `ls` and `show` read them back.
import type { Cpu } from './cpu.js';
import type { Host, Inventory } from './inventory.js';

export interface ObjectRecord {
  id: string;
  kind: string;
  name: string;
  parent: string | null;
  config: Record<string, unknown>;
}

/** Drop the fields every record carries separately (and the source position). */
function configOf<T extends { id: string; kind: string; name: string; source: unknown }>(o: T, omit: ReadonlyArray<keyof T> = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (k === 'id' || k === 'kind' || k === 'name' || k === 'source' || (omit as readonly string[]).includes(k)) continue;
    out[k] = v instanceof Map ? undefined : v;
  }
  return out;
}

export function cpuConfig(cpu: Cpu): Record<string, unknown> {
  return { ...cpu, features: [...cpu.features].sort() };
}

export function inventoryRecords(inv: Inventory): ObjectRecord[] {
  const out: ObjectRecord[] = [];
  const push = (id: string, kind: string, name: string, parent: string | null, config: Record<string, unknown>) =>
    out.push({ id, kind, name, parent, config });

  for (const d of inv.datastores.values()) push(d.id, d.kind, d.name, null, configOf(d));
  for (const s of inv.pswitches.values()) {
    push(s.id, s.kind, s.name, null, configOf(s, ['ports']));
    for (const p of s.ports.values()) push(p.id, p.kind, p.name, s.id, configOf(p));
  }
  for (const st of inv.stations.values()) {
    push(st.id, st.kind, st.name, null, configOf(st, ['nics']));
    for (const n of st.nics) push(n.id, n.kind, n.name, st.id, configOf(n));
  }
  const hostRecords = (h: Host, parent: string | null) => {
    push(h.id, h.kind, h.name, parent, { ...configOf(h, ['nics', 'vswitches', 'bridges']), cpu: cpuConfig(h.cpu) });
    for (const n of h.nics) push(n.id, n.kind, n.name, h.id, configOf(n));
    for (const s of h.vswitches) {
      push(s.id, s.kind, s.name, h.id, configOf(s, ['portgroups']));
      for (const p of s.portgroups) {
        push(p.id, p.kind, p.name, s.id, configOf(p, ['vmkernel']));
        for (const k of p.vmkernel) push(k.id, k.kind, k.name, p.id, configOf(k));
      }
    }
    for (const b of h.bridges) push(b.id, b.kind, b.name, h.id, configOf(b));
  };
  for (const h of inv.hosts.values()) if (h.vm === undefined) hostRecords(h, null);
  for (const d of inv.dvswitches.values()) {
    push(d.id, d.kind, d.name, null, configOf(d, ['portgroups']));
    for (const p of d.portgroups) push(p.id, p.kind, p.name, d.id, configOf(p));
  }
  for (const c of inv.clusters.values()) {
    push(c.id, c.kind, c.name, null, configOf(c, ['pools']));
    for (const p of c.pools) push(p.id, p.kind, p.name, c.id, configOf(p));
  }
  for (const vm of inv.vms.values()) {
    push(vm.id, vm.kind, vm.name, `host:${vm.host}`, configOf(vm, ['nics']));
    for (const n of vm.nics) push(n.id, n.kind, n.name, vm.id, configOf(n));
    const nested = vm.nested === undefined ? undefined : inv.hosts.get(vm.nested);
    if (nested) hostRecords(nested, vm.id);
  }
  for (const l of inv.links) push(l.id, l.kind, l.name, null, configOf(l));
  return out;
}
