// Private VLANs of a distributed switch (R3.11), from the lab file to the inventory: the map's
// rules as vCenter enforces them (VMwareDVSPvlanMapEntry: a promiscuous entry has secondary =
// primary and exists, implicitly, for every primary; one isolated secondary per primary; a
// secondary belongs to one primary) and a dv port group's `{ pvlan: id }` looked up in it.
import type { Path } from '../spec/diagnostics.js';
import type { DvSwitchSpec } from '../spec/schema.js';
import type { DvVlan, PvlanEntry } from './inventory.js';
import type { ErrorFn } from './resolve.js';

type PvlanSpec = NonNullable<DvSwitchSpec['pvlans']>[number];

/**
 * The switch's private VLAN map, sorted by primary then secondary, with each primary's
 * promiscuous entry; undefined when the lab declares none (the stored switch stays as it was).
 */
export function resolvePvlanMap(entries: readonly PvlanSpec[] | undefined, path: Path, error: ErrorFn): PvlanEntry[] | undefined {
  if (entries === undefined) return undefined;
  const primaries = new Set(entries.map((e) => e.primary));
  /** secondary id → its entry and where it was declared */
  const secondaries = new Map<number, { entry: PvlanEntry; i: number }>();
  const isolatedOf = new Map<number, number>();
  const out = new Map<string, PvlanEntry>();
  const add = (e: PvlanEntry) => out.set(`${e.primary}/${e.secondary}`, e);
  entries.forEach((e, i) => {
    const at: Path = [...path, i];
    if (e.type === 'promiscuous') {
      // vCenter: the promiscuous entry of a primary is the primary itself.
      if (e.secondary !== e.primary) {
        error('pvlan-invalid-entry', `a promiscuous private VLAN entry has secondary = primary; got primary ${e.primary}, secondary ${e.secondary}`, [...at, 'secondary'],
          `write { primary: ${e.primary}, secondary: ${e.primary}, type: promiscuous } (or leave it out: it is implicit), and give ${e.secondary} the type isolated or community`);
        return;
      }
      add({ primary: e.primary, secondary: e.primary, type: 'promiscuous' });
      return;
    }
    if (e.secondary === e.primary) {
      error('pvlan-invalid-entry', `VLAN ${e.primary} is the primary (promiscuous) VLAN; an ${e.type} secondary needs an id of its own`, [...at, 'secondary'],
        `pick a free VLAN id for the ${e.type} secondary of primary ${e.primary}`);
      return;
    }
    if (primaries.has(e.secondary)) {
      error('pvlan-secondary-reused', `VLAN ${e.secondary} is a primary private VLAN of this switch; it cannot also be a secondary of primary ${e.primary}`, [...at, 'secondary'],
        'a secondary VLAN belongs to exactly one primary and is not a primary itself (R3.11)');
      return;
    }
    const prior = secondaries.get(e.secondary);
    if (prior) {
      const again = prior.entry.primary === e.primary;
      error('pvlan-secondary-reused',
        again ? `secondary VLAN ${e.secondary} of primary ${e.primary} is declared twice (entries ${prior.i} and ${i})`
          : `secondary VLAN ${e.secondary} is already a secondary of primary ${prior.entry.primary} (entry ${prior.i}); a secondary belongs to one primary`,
        [...at, 'secondary'], again ? 'remove one of the two entries' : `pick another VLAN id for this ${e.type} secondary of primary ${e.primary}`);
      return;
    }
    if (e.type === 'isolated') {
      const isolated = isolatedOf.get(e.primary);
      if (isolated !== undefined) {
        error('pvlan-duplicate-isolated', `primary VLAN ${e.primary} already has the isolated secondary ${isolated}; vSphere allows one isolated secondary per primary`, [...at, 'type'],
          `put every isolated port of primary ${e.primary} in VLAN ${isolated} (isolated ports never talk to each other anyway), or make ${e.secondary} a community`);
        return;
      }
      isolatedOf.set(e.primary, e.secondary);
    }
    const entry: PvlanEntry = { primary: e.primary, secondary: e.secondary, type: e.type };
    secondaries.set(e.secondary, { entry, i });
    add(entry);
  });
  for (const p of primaries) add({ primary: p, secondary: p, type: 'promiscuous' });
  return [...out.values()].sort((a, b) => a.primary - b.primary || a.secondary - b.secondary);
}

/** A dv port group's `vlan: { pvlan: id }`: the map entry whose secondary is `id` (a primary id is its promiscuous entry). */
export function resolvePvlanVlan(id: number, map: readonly PvlanEntry[] | undefined, dvs: string, path: Path, error: ErrorFn): DvVlan {
  const entry = map?.find((e) => e.secondary === id);
  if (entry) return { type: 'pvlan', primary: entry.primary, secondary: entry.secondary, pvlanType: entry.type };
  const known = (map ?? []).map((e) => `${e.secondary} (${e.type}${e.type === 'promiscuous' ? '' : ` in ${e.primary}`})`);
  error('pvlan-unknown-id', `private VLAN ${id} is not in the private VLAN map of distributed switch ${dvs}`, path,
    known.length ? `the map has ${known.join(', ')}` : `declare it first: pvlans: [{ primary: …, secondary: ${id}, type: isolated|community }] on distributed switch ${dvs}`);
  return { type: 'none' };
}
