// Spanning tree as `nestlab show SWITCH` shows it (R9.9): the root bridge, this switch's bridge
// id and root port, each port's role and state. A read of the network as it stands — built from
// the stored lab, its saved state restored, transitions that came due since caught up — that
// changes nothing and saves nothing.
import type { LabRow, Store } from '../store/store.js';
import type { StpView } from '../net/stp.js';
import { storedNetwork } from './network.js';

/** The spanning tree of physical switch `switchId` (`pswitch:core`), or undefined: it runs none. */
export function spanningTreeView(store: Store, lab: LabRow, switchId: string): StpView | undefined {
  const net = storedNetwork(store, lab)?.net;
  net?.stp?.start(); // catch up on listening/learning that ended since (nothing runs, nothing is saved)
  return net?.stp?.describe(switchId, lab.nowMs);
}
