// A link goes down or comes up: every vSwitch's teaming reacts (link-status detection, R5.9),
// ports move to another uplink — back again on recovery when failback is on (R5.11) — and
// announce their MACs with RARP when notify switches is on (R5.10).
import type { Port } from './fabric.js';
import type { Network } from './topology.js';
import { VSwitch } from './vswitch.js';

/** Set a link's state; returns the switch-side ports that moved to another uplink. */
export function changeLink(net: Network, port: Port, up: boolean): string[] {
  const vswitches = [...net.switches.values()].filter((s): s is VSwitch => s instanceof VSwitch);
  for (const s of vswitches) s.settleUplinks();
  port.up = up;
  const now = net.fabric.now;
  return vswitches.flatMap((s) => s.uplinksChanged(now));
}
