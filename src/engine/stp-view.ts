// Spanning tree as `nestlab show SWITCH` shows it (R9.9): the root bridge, this switch's bridge
// id and root port, each port's role and state. A read of the network as it stands (views.ts
// builds it from the stored lab, its saved state restored), transitions that came due since
// caught up — that changes nothing and saves nothing.
import type { StpView } from '../net/stp.js';
import type { Network } from '../net/topology.js';

/** The spanning tree of physical switch `switchId` (`pswitch:core`) at `now`, or undefined: it runs none (or the lab no longer resolves). */
export function spanningTreeView(net: Network | undefined, switchId: string, now: number): StpView | undefined {
  net?.stp?.start(); // catch up on listening/learning that ended since (nothing runs, nothing is saved)
  return net?.stp?.describe(switchId, now);
}
