// The lab file's IGMP snooping settings as the inventory holds them (igmp.ts): each only when set,
// so that the inventory of a lab written before them stays as it was (no plan change).
import type { Path } from '../spec/diagnostics.js';
import type { DvSwitch, SwitchPort } from './inventory.js';

type ErrorSink = (code: string, message: string, path: Path, hint?: string) => void;

/** `mrouter: true` on a switch port: a configured multicast-router port. */
export function portMrouter(p: { mrouter?: boolean | undefined } | undefined): Pick<SwitchPort, 'mrouter'> {
  return p?.mrouter === true ? { mrouter: true } : {};
}

/** Does `version` (a.b.c) reach `min` (a.b.c)? */
function atLeast(version: string, min: readonly number[]): boolean {
  const v = version.split('.').map(Number);
  for (let i = 0; i < min.length; i++) {
    const a = v[i] ?? 0;
    if (a !== min[i]) return a > min[i]!;
  }
  return true;
}

/**
 * `multicastFiltering: snooping` of a vDS: "vSphere Distributed Switch 6.0.0 and later releases
 * support multicast snooping" (S40) — VMwareDVSConfigInfo.multicastFilteringMode is "Since vSphere
 * API Release 6.0"; vCenter refuses it on an older switch, and so does nestlab.
 */
export function dvsMulticastFiltering(mode: 'basic' | 'snooping' | undefined, version: string, path: Path, error: ErrorSink): Pick<DvSwitch, 'multicastFiltering'> {
  if (mode !== 'snooping') return {};
  if (!atLeast(version, [6, 0, 0])) {
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
