// Spanning tree as `nestlab show SWITCH` shows it (R9.9): the root bridge, this switch's bridge
// id and root port, each port's role and state. A read of the network as it stands — built from
// the stored lab, its saved state restored, transitions that came due since caught up — that
// changes nothing and saves nothing.
import type { LabRow, Store } from '../store/store.js';
import { emptyNetState, restore, type NetState } from '../net/state.js';
import { buildNetwork } from '../net/topology.js';
import type { StpView } from '../net/stp.js';
import { storedInventory } from './apply.js';
import { Engine } from './engine.js';
import type { VmRuntime } from './power.js';

/** The spanning tree of physical switch `switchId` (`pswitch:core`), or undefined: it runs none. */
export function spanningTreeView(store: Store, lab: LabRow, switchId: string): StpView | undefined {
  const { inventory, errors } = storedInventory(store, lab);
  if (errors.length) return undefined;
  const engine = new Engine(store, lab);
  const net = buildNetwork(inventory, {
    vm: (name) => {
      const rt = engine.runtime<VmRuntime>(`vm:${name}`);
      return { on: rt.power === 'on', host: rt.host };
    },
  });
  const json = store.labState(lab.name, 'net');
  restore(net, json ? (JSON.parse(json) as NetState) : emptyNetState());
  net.fabric.now = lab.nowMs;
  net.stp?.start(); // catch up on listening/learning that ended since (nothing runs, nothing is saved)
  return net.stp?.describe(switchId, lab.nowMs);
}
