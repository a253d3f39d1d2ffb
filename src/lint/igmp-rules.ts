// Multicast lint rules (spec/network.md R1.7, R9.3): groups that basic filtering cannot tell
// apart, and IGMP snooping with nobody to query.
import type { Finding } from '../spec/diagnostics.js';
import { multicastMac } from '../model/igmp-resolve.js';
import { finding, resolveNetwork, type LintRule } from './util.js';

/**
 * R1.7: in basic multicast filtering a vSwitch or vDS forwards by group MAC, "which can be
 * potentially mapped up to 32 IP multicast groups" (S40) — VMs that joined different groups with
 * one MAC receive each other's traffic. A vDS in snooping mode goes by group address.
 */
export const multicastGroupsShareMac: LintRule = {
  id: 'multicast-groups-share-mac',
  summary: 'VMs on one switch in basic multicast filtering joined different IPv4 groups with the same multicast MAC: each receives the other group\'s traffic',
  check(inv) {
    const out: Finding[] = [];
    // switch → group MAC (RFC 1112 §6.4: the low 23 bits, 32 groups to a MAC) → first group seen (and where)
    const seen = new Map<string, Map<string, { group: string; vm: string }>>();
    for (const vm of inv.vms.values()) {
      for (const nic of vm.nics) {
        const net = nic.groups?.length ? resolveNetwork(inv, nic.network) : undefined;
        if (net === undefined || net.kind === 'bridge') continue;
        if (net.kind === 'dvportgroup' && net.dvs.multicastFiltering === 'snooping') continue;
        const sw = net.kind === 'portgroup' ? `standard switch ${net.vswitch.name} of ${net.host.name}` : `vDS ${net.dvs.name}`;
        const byMac = seen.get(sw) ?? new Map<string, { group: string; vm: string }>();
        seen.set(sw, byMac);
        for (const group of nic.groups!) {
          const mac = multicastMac(group);
          const prior = byMac.get(mac);
          if (prior === undefined) byMac.set(mac, { group, vm: vm.name });
          else if (prior.group !== group) {
            out.push(finding(
              'multicast-groups-share-mac',
              `VM ${vm.name} joins ${group} and VM ${prior.vm} joins ${prior.group} on ${sw}: both map to multicast MAC ${mac}, and basic multicast filtering forwards by MAC — each receives the other's group traffic (R1.7).`,
              [...nic.source, 'multicast'],
              net.kind === 'dvportgroup' ? `set multicastFiltering: snooping on vDS ${net.dvs.name} (6.0.0+): it forwards by group address` : 'pick groups whose low 23 bits differ, or move the VMs to a vDS with multicastFiltering: snooping',
            ));
          }
        }
      }
    }
    return out;
  },
};

/**
 * R9.3: a physical switch with IGMP snooping learns members from reports; hosts report on their
 * own only when they join, and again only when queried. With no querier in the lab (a multicast
 * router station, or a vDS in snooping mode querying its VMs) memberships expire 260 s after the
 * first reports, and the group is flooded again as unknown multicast.
 */
export const igmpSnoopingWithoutQuerier: LintRule = {
  id: 'igmp-snooping-without-querier',
  summary: 'a physical switch snoops IGMP but nothing in the lab sends queries: memberships expire after 260 s',
  check(inv) {
    const querier = [...inv.stations.values()].some((s) => s.igmpQuerier === true) || [...inv.dvswitches.values()].some((d) => d.multicastFiltering === 'snooping');
    if (querier) return [];
    return [...inv.pswitches.values()].filter((s) => s.igmpSnooping === true).map((s) => finding(
      'igmp-snooping-without-querier',
      `physical switch ${s.name} snoops IGMP, but no querier runs in the lab: hosts report a group when they join it and then only when queried, so each membership expires 260 s after it was learned and the group's traffic floods the VLAN again (R9.3).`,
      [...s.source, 'igmpSnooping'],
      'give the multicast router station igmpQuerier: true (or use a vDS with multicastFiltering: snooping, which queries its VMs)',
    ));
  },
};
