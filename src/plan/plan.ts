// Desired (the lab file's records) against current (the state's) → what to create, update and
// delete, and which VMs to power on or off. Creation follows dependency order; deletion runs
// in reverse, children before parents.
import type { ObjectRecord } from '../model/records.js';
import type { ObjectRow } from '../store/store.js';

export interface PlanItem {
  id: string;
  kind: string;
  name: string;
}

export interface PlanUpdate extends PlanItem {
  /** the configuration fields that change */
  changes: string[];
}

export interface Plan {
  lab: string;
  create: PlanItem[];
  update: PlanUpdate[];
  delete: PlanItem[];
  /** VMs `up` will power on (declared `power: on`, now off or new) */
  powerOn: string[];
  /** VMs `up` will power off (declared `power: off`, now on) */
  powerOff: string[];
}

export interface DesiredRecord extends ObjectRecord {
  /** canonical JSON of `config` */
  json: string;
}

/** Add each record's canonical JSON, in place (a configuration-maxima lab has ~100k records). */
export function withJson(records: ObjectRecord[]): DesiredRecord[] {
  for (const r of records) (r as DesiredRecord).json = JSON.stringify(r.config);
  return records as DesiredRecord[];
}

export function makePlan(lab: string, desired: readonly DesiredRecord[], current: readonly ObjectRow[]): Plan {
  const currentById = new Map(current.map((r) => [r.id, r]));
  const desiredIds = new Set(desired.map((r) => r.id));
  const plan: Plan = { lab, create: [], update: [], delete: [], powerOn: [], powerOff: [] };
  for (const d of desired) {
    const c = currentById.get(d.id);
    if (!c) plan.create.push(item(d));
    else if (c.config !== d.json || c.parent !== d.parent || c.kind !== d.kind) {
      plan.update.push({ ...item(d), changes: changedFields(JSON.parse(c.config) as Record<string, unknown>, d.config, c.parent !== d.parent) });
    }
    if (d.kind === 'vm') {
      const power = c ? (JSON.parse(c.runtime) as { power?: string }).power ?? 'off' : 'off';
      if (d.config.power === 'on' && power !== 'on') plan.powerOn.push(d.name);
      if (d.config.power === 'off' && power === 'on') plan.powerOff.push(d.name);
    }
  }
  // Delete children before parents: the reverse of the order they were stored in (creation order).
  const gone = current.filter((c) => !desiredIds.has(c.id));
  plan.delete = sortChildrenFirst(gone).map(item);
  return plan;
}

function item(r: { id: string; kind: string; name: string }): PlanItem {
  return { id: r.id, kind: r.kind, name: r.name };
}

function changedFields(before: Record<string, unknown>, after: Record<string, unknown>, parentChanged: boolean): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  const changed = [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  if (parentChanged && !changed.includes('parent')) changed.push('parent');
  return changed.sort();
}

/** Order rows so that every object comes before its parent. */
function sortChildrenFirst<T extends { id: string; parent: string | null }>(rows: readonly T[]): T[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const depth = (r: T): number => {
    let d = 0;
    for (let p = r.parent; p !== null && byId.has(p) && d < 64; p = byId.get(p)!.parent) d++;
    return d;
  };
  return [...rows].map((r) => ({ r, d: depth(r) })).sort((a, b) => b.d - a.d || (a.r.id < b.r.id ? -1 : a.r.id > b.r.id ? 1 : 0)).map((x) => x.r);
}

export function planIsEmpty(p: Plan): boolean {
  return !p.create.length && !p.update.length && !p.delete.length && !p.powerOn.length && !p.powerOff.length;
}
