// vCenter availability and distributed-port binding (spec/network.md §6, R6.1–R6.4; issue 5
// item 1). Pure domain logic: the engine glue is src/engine/vcenter.ts.

/** `vcenter:` of the lab file: a VM's name, `external` (always up), or absent (no vCenter). */
export type VcenterState =
  | { up: true; vcenter: string }
  | { up: false; vcenter?: string; reason: string };

/** vCenter is up iff it is `external`, or its VM is powered on. */
export function vcenterState(vcenter: string | undefined, vmPower: string | undefined): VcenterState {
  if (vcenter === undefined) return { up: false, reason: 'the lab has no vCenter (no `vcenter:`)' };
  if (vcenter === 'external') return { up: true, vcenter };
  if (vmPower === 'on') return { up: true, vcenter };
  return { up: false, vcenter, reason: `the vCenter VM ${vcenter} is ${vmPower === undefined ? 'missing' : `powered ${vmPower}`}` };
}

export interface DvNic {
  /** vnic id */
  id: string;
  portgroup: string;
  binding: 'static' | 'ephemeral';
  /** the dvPort it holds (static binding, R6.2), if any */
  port?: number;
}

/**
 * R6.4 simulator rule: a power-on with a vNIC on a static dv port group succeeds iff the vNIC
 * already owns a port id or vCenter is reachable; ephemeral port groups always (R6.3). Returns
 * the NICs that would need vCenter to bind a new port (empty: fine).
 */
export function nicsNeedingVcenter<N extends DvNic>(nics: readonly N[], vcenterUp: boolean): N[] {
  if (vcenterUp) return [];
  return nics.filter((n) => n.binding === 'static' && n.port === undefined);
}

/** The message vSphere gives (R6.2, network.md §10.30). */
export const STATIC_BINDING_MESSAGE = 'Addition or reconfiguration of network adapters attached to non-ephemeral distributed virtual port groups is not supported';

/**
 * The lowest free port id of a static port group (R6.2: assigned once, kept until the NIC leaves
 * the port group). Static port groups grow as needed (vSphere 5.0+ auto-expand), so there is one.
 */
export function freeDvPort(held: ReadonlySet<number>): number {
  let p = 0;
  while (held.has(p)) p++;
  return p;
}
