// A link goes down or comes up: every vSwitch's teaming reacts (link-status detection, R5.9),
// ports move to another uplink — back again on recovery when failback is on (R5.11) — and
// announce their MACs with RARP when notify switches is on (R5.10); LACP takes a member out of its
// bundle, or starts negotiating it back (R6.5, lacp.ts). An Open vSwitch bond whose
// active member went down picks another and sends gratuitous learning packets (R8.5, ovs.ts).
import type { Port } from './fabric.js';
import { OvsBridge } from './ovs.js';
import type { Network } from './topology.js';
import { VSwitch } from './vswitch.js';

/** Set a link's state; returns the switch-side ports that moved to another uplink. */
export function changeLink(net: Network, port: Port, up: boolean): string[] {
  const vswitches = [...net.switches.values()].filter((s): s is VSwitch => s instanceof VSwitch);
  for (const s of vswitches) s.settleUplinks();
  const bonded = [...net.switches.values()].filter((s): s is OvsBridge => s instanceof OvsBridge && s.bond !== null);
  for (const b of bonded) b.settleBond();
  port.up = up;
  const now = net.fabric.now;
  // LACP first (R6.5): a member whose link went down leaves its LAG before teaming looks (lacp.ts).
  net.lacp?.linkChanged(now);
  const moved = [...vswitches.flatMap((s) => s.uplinksChanged(now)), ...bonded.flatMap((b) => b.bondChanged(now))];
  // Spanning tree recomputes: ports start listening or block (R9.9); link up clears an err-disable.
  net.stp?.linkChanged(port, up, now);
  return moved;
}
