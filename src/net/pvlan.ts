// Private VLANs on a distributed switch (R3.11): "promiscuous ports talk to all; isolated only to
// promiscuous; community to same community + promiscuous". Modelled as VLAN contexts, the way the
// VLAN IDs travel on the wire: a frame from a PVLAN port enters with its secondary id (the
// primary for a promiscuous port) and leaves the uplink tagged with it; a port takes the contexts
// its type accepts — promiscuous: the whole domain (primary and every secondary); isolated: the
// primary only; community: the primary and its own community. So a non-PVLAN-aware physical trunk
// that carries the primary and secondary VLANs joins the hosts of one vDS correctly (R9.6).
// Each port's accepted contexts are a precomputed Uint8Array, like a trunk's `allowed`: the
// forwarding path's `admits` stays one indexed read.
import type { DvSwitch, DvVlan, PvlanEntry } from '../model/inventory.js';
import type { DropReason } from './reasons.js';

/** What a VLAN id is in a private VLAN domain (`domain[vid]`): not in it, or its type. */
const NOT_PVLAN = 0;
const PROMISCUOUS = 1;
const ISOLATED = 2;
const COMMUNITY = 3;

export interface PvlanMode {
  kind: 'pvlan';
  type: PvlanEntry['type'];
  primary: number;
  /** the port's own id: the context its frames enter with (the primary for a promiscuous port) */
  secondary: number;
  /** contexts the port takes frames from (1) */
  accepts: Uint8Array;
  /** every id of the primary's domain, by type (PROMISCUOUS, ISOLATED, COMMUNITY), else NOT_PVLAN */
  domain: Uint8Array;
}

/** Modes are shared by every port of a port group: one pair of 4 KB arrays per port group and switch. */
const cache = new WeakMap<DvSwitch, Map<number, PvlanMode>>();

/** The VLAN mode of a dv port group whose vlan is `{ type: 'pvlan' }` (R3.11). */
export function pvlanMode(dvs: DvSwitch, vlan: Extract<DvVlan, { type: 'pvlan' }>): PvlanMode {
  let modes = cache.get(dvs);
  if (!modes) cache.set(dvs, (modes = new Map()));
  const known = modes.get(vlan.secondary);
  if (known) return known;
  const domain = new Uint8Array(4096);
  domain[vlan.primary] = PROMISCUOUS;
  for (const e of dvs.pvlans ?? []) {
    if (e.primary === vlan.primary && e.secondary !== e.primary) domain[e.secondary] = e.type === 'isolated' ? ISOLATED : COMMUNITY;
  }
  const accepts = new Uint8Array(4096);
  accepts[vlan.primary] = 1;
  if (vlan.pvlanType === 'promiscuous') for (let v = 1; v < 4095; v++) accepts[v] = domain[v] !== NOT_PVLAN ? 1 : 0;
  else if (vlan.pvlanType === 'community') accepts[vlan.secondary] = 1;
  const mode: PvlanMode = { kind: 'pvlan', type: vlan.pvlanType, primary: vlan.primary, secondary: vlan.secondary, accepts, domain };
  modes.set(vlan.secondary, mode);
  return mode;
}

/**
 * Why a frame in context `ctx` may not reach a PVLAN port of the same domain that does not accept
 * it: isolated on either side (`pvlan-isolated`), else two different communities
 * (`pvlan-community`); null when `ctx` is not of the port's domain (then it is an ordinary
 * VLAN mismatch, R1.3).
 */
export function pvlanDenial(dst: PvlanMode, ctx: number): DropReason | null {
  const what = dst.domain[ctx];
  if (what === NOT_PVLAN || dst.accepts[ctx] === 1) return null;
  return what === ISOLATED || dst.type === 'isolated' ? 'pvlan-isolated' : 'pvlan-community';
}
