// The lab file's IGMP snooping settings as the inventory holds them (igmp.ts): each only when set,
// so that the inventory of a lab written before them stays as it was (no plan change).
import type { Path } from '../spec/diagnostics.js';
import { compareVersions } from './defaults.js';
import type { DvSwitch, SwitchPort } from './inventory.js';
import type { ErrorFn } from './resolve.js';

/** `mrouter: true` on a switch port: a configured multicast-router port. */
export function portMrouter(p: { mrouter?: boolean | undefined } | undefined): Pick<SwitchPort, 'mrouter'> {
  return p?.mrouter === true ? { mrouter: true } : {};
}

/**
 * `multicastFiltering: snooping` of a vDS: "vSphere Distributed Switch 6.0.0 and later releases
 * support multicast snooping" (S40) — VMwareDVSConfigInfo.multicastFilteringMode is "Since vSphere
 * API Release 6.0"; vCenter refuses it on an older switch, and so does nestlab.
 */
export function dvsMulticastFiltering(mode: 'basic' | 'snooping' | undefined, version: string, path: Path, error: ErrorFn): Pick<DvSwitch, 'multicastFiltering'> {
  if (mode !== 'snooping') return {};
  if (compareVersions(version, '6.0.0') < 0) {
    error('snooping-needs-vds-6', `IGMP/MLD snooping needs a distributed switch of version 6.0.0 or later; this one is ${version}`, [...path, 'multicastFiltering'],
      'upgrade the switch (version: 6.0.0 or later), or keep multicastFiltering: basic');
    return {};
  }
  return { multicastFiltering: 'snooping' };
}

/** The IPv4 groups of a VM NIC's `multicast:` (MACs there have no group address to report). */
export function nicGroups(multicast: readonly string[]): { groups?: string[] } {
  const groups = multicast.filter((g) => g.includes('.'));
  return groups.length > 0 ? { groups } : {};
}

/** A joined group as its multicast MAC: an IPv4 group maps to 01:00:5e + its low 23 bits (RFC 1112 §6.4); a MAC stays as it is. */
export function multicastMac(group: string): string {
  if (!group.includes('.')) return group.toLowerCase();
  const [, b = 0, c = 0, d = 0] = group.split('.').map(Number);
  return ['01', '00', '5e', (b & 0x7f), c, d].map((x) => typeof x === 'string' ? x : x.toString(16).padStart(2, '0')).join(':');
}
