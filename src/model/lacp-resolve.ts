// Link aggregation groups of a distributed switch (R6.5), from the lab file to the inventory, with
// the rules vCenter enforces:
// - enhanced LACP (several named LAGs) needs a vDS of version 5.5.0 or later
//   (VMwareDvsLacpCapability.multiLacpGroupSupported "Version 5.5 or later"); fast LACP 7.0.0 or
//   later (lacpFastModeSupported "Version 7.0 or later");
// - "On a host proxy switch, you can connect one physical NIC to only one LAG port" and a LAG has
//   `ports` of them (uplinkNum) — at most that many vmnics per host (vSphere Networking 6.7, ch. 5);
// - teaming: "You can only use one active LAG or multiple standalone uplinks to handle the traffic
//   of distributed port groups. You cannot configure multiple active LAGs or mix active LAGs and
//   standalone uplinks" (ibid., Table "LACP Teaming and failover configuration") — an error. A LAG
//   as standby beside active uplinks (or the reverse) is the documented intermediate step of a
//   migration and is accepted (lint lag-teaming-migration warns);
// - beacon probing: "The teaming and failover health check does not work for LAG ports. LACP
//   checks the connectivity of the LAG ports" (Limitations of the LACP Support), and LACP worked
//   "only with … Link Status Network failover detection" (KB 2034277) — an error.
import type { Path } from '../spec/diagnostics.js';
import type { DvSwitchSpec } from '../spec/schema.js';
import type { DvLag, Host, Teaming } from './inventory.js';
import { compareVersions } from './defaults.js';
import type { ErrorFn } from './resolve.js';

type MemberSpec = DvSwitchSpec['members'][number];

/** The switch's LAGs; undefined when it declares none (the stored switch stays as it was). */
export function resolveLags(d: DvSwitchSpec, version: string, dvUplinks: readonly string[], path: Path, error: ErrorFn): DvLag[] | undefined {
  if (d.lags === undefined) return undefined;
  const at: Path = [...path, 'lags'];
  if (d.lags.length && compareVersions(version, '5.5.0') < 0) {
    error('lag-needs-vds-5.5', `distributed switch ${d.name} is version ${version}: link aggregation groups (enhanced LACP) need version 5.5.0 or later`, [...path, 'version'],
      'set version: 5.5.0 or later (8.0.0 is the default)');
  }
  const out: DvLag[] = [];
  d.lags.forEach((l, i) => {
    if (out.some((x) => x.name === l.name) || dvUplinks.includes(l.name)) {
      error('duplicate-name', `the name "${l.name}" is already a ${dvUplinks.includes(l.name) ? 'standalone uplink' : 'LAG'} of ${d.name} (teaming names uplinks and LAGs alike)`, [...at, i, 'name']);
      return;
    }
    if (l.timeout === 'fast' && compareVersions(version, '7.0.0') < 0) {
      error('lag-fast-needs-vds-7.0', `LAG ${l.name}: the fast LACP timeout needs a distributed switch of version 7.0.0 or later (${d.name} is ${version})`, [...at, i, 'timeout'],
        'set timeout: slow, or the switch\'s version to 7.0.0 or later');
    }
    out.push({ name: l.name, ports: l.ports, mode: l.mode, loadBalancing: l.loadBalancing, timeout: l.timeout });
  });
  return out;
}

/**
 * One member host's vmnics on LAG ports, by LAG name, in LAG-port order. `claim` checks the NICs
 * exist and serve no other switch (the resolver's uplink bookkeeping); `standalone`: the host's
 * standalone uplinks of this switch.
 */
export function resolveMemberLags(
  host: Host, m: MemberSpec, lags: readonly DvLag[] | undefined, standalone: readonly string[], path: Path, error: ErrorFn,
  claim: (names: readonly string[], path: Path) => string[],
): Record<string, string[]> | undefined {
  if (m.lags === undefined) return undefined;
  const out: Record<string, string[]> = {};
  const seen = new Map<string, string>();
  for (const [name, nics] of Object.entries(m.lags)) {
    const at: Path = [...path, 'lags', name];
    const lag = lags?.find((l) => l.name === name);
    if (lag === undefined) {
      const known = (lags ?? []).map((l) => l.name);
      error('unknown-reference', `LAG "${name}" is not declared on this distributed switch`, at,
        known.length ? `declared: ${known.join(', ')}` : 'declare it under lags: [{ name, ports, mode }] of the distributed switch');
      continue;
    }
    if (nics.length > lag.ports) {
      error('lag-too-many-uplinks', `${host.name} assigns ${nics.length} vmnics to LAG ${name}, which has ${lag.ports} ports (one vmnic per LAG port)`, at,
        `give ${name} ports: ${nics.length} (2–32), or assign fewer vmnics`);
    }
    const fine = nics.filter((n, i) => {
      const other = standalone.includes(n) ? 'a standalone uplink' : seen.get(n);
      if (other === undefined) return true;
      error('uplink-in-use', `${host.name}/${n} is already ${other.startsWith('a ') ? other : `a port of LAG ${other}`} of this distributed switch`, [...at, i],
        'a physical NIC is either a standalone uplink or one LAG port');
      return false;
    });
    for (const n of fine) seen.set(n, name);
    out[name] = claim(fine.slice(0, lag.ports), at);
  }
  return out;
}

/** Teaming of a vDS or dv port group that names LAGs: one active LAG alone; no beacon probing. */
export function checkLagTeaming(t: Teaming, lags: readonly DvLag[] | undefined, path: Path, error: ErrorFn): void {
  if (lags === undefined || lags.length === 0) return;
  const isLag = (n: string) => lags.some((l) => l.name === n);
  const activeLags = t.active.filter(isLag);
  if (activeLags.length > 0 && t.active.length > 1) {
    error('lag-mixed-active', `the active list ${JSON.stringify(t.active)} ${activeLags.length > 1 ? 'has several LAGs' : `mixes LAG ${activeLags[0]} with standalone uplinks`}: `
      + 'one LAG or only standalone uplinks can be active (R6.5)', [...path, 'active'],
    `make ${activeLags[0]} the only active entry (standalone uplinks and other LAGs unused), or leave LAGs out of it`);
  }
  if (t.detection === 'beacon' && [...t.active, ...t.standby].some(isLag)) {
    error('lag-with-beacon-probing', 'beacon probing does not work on LAG ports: LACP itself checks their connectivity (R5.9, R6.5)', [...path, 'detection'],
      'use detection: link (link status only) with a LAG');
  }
}
