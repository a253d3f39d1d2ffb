// `nestlab groups SWITCH`: the multicast groups a switch knows and the ports they go to — IGMP
// snooping tables with their ages (R1.7 vDS snooping, R9.3 physical switches, Linux bridges), or
// a vSwitch's registered multicast MACs in basic filtering (R1.7).
import { groupsView, type GroupsView } from '../net/igmp-state.js';
import type { LabRow, Store } from '../store/store.js';
import { switchId, withNetwork } from './network.js';

export function groupTable(store: Store, lab: LabRow, name: string): GroupsView {
  return withNetwork(store, lab, ({ net }) => {
    const id = switchId(net, name);
    // What came due as the network started (a querier's first query, guests' reports) runs first.
    net.fabric.runUntil(net.fabric.now);
    return groupsView(net, id, net.fabric.now);
  });
}
