// Lint rules for Open vSwitch bridges on kvm hosts (spec/network.md R8.5): a mac-aging-time OVS
// will not honour, and guests tagging frames on an access port. Warnings; the rule id is the code.
import type { Finding } from '../spec/diagnostics.js';
import { OVS_AGING_MAX_S, OVS_AGING_MIN_S } from '../model/ovs-resolve.js';
import { finding, hostLabel, type LintRule } from './util.js';

/** R8.5: "forced into a reasonable range, currently 15 to 3600 seconds" (vswitch.xml mac-aging-time). */
export const ovsAgingClamped: LintRule = {
  id: 'ovs-aging-clamped',
  summary: 'an Open vSwitch bridge\'s agingTime (mac-aging-time) is outside 15–3600 s, so OVS uses the nearest bound',
  check(inv) {
    const out: Finding[] = [];
    for (const host of inv.hosts.values()) {
      for (const b of host.bridges) {
        const requested = b.ovs?.requestedAgingTimeS;
        if (requested === undefined) continue;
        out.push(finding(
          'ovs-aging-clamped',
          `Open vSwitch bridge ${b.name} on ${hostLabel(host)} asks for mac-aging-time ${requested} s, but OVS forces it into ${OVS_AGING_MIN_S}–${OVS_AGING_MAX_S} s: `
          + `it uses ${b.agingTimeS} s, so learned MACs are forgotten after ${b.agingTimeS} s idle (R8.5).`,
          [...b.source, 'agingTime'],
          `set agingTime between ${OVS_AGING_MIN_S}s and ${OVS_AGING_MAX_S / 60}m (a Linux bridge, type: linux-bridge, takes any ageing time, 0 = never, R8.2)`,
        ));
      }
    }
    return out;
  },
};

/** R8.5, vswitch.xml vlan_mode access: "Any packet with an 802.1Q header with a nonzero VLAN ID that ingresses on an access port is dropped". */
export const ovsAccessPortTagged: LintRule = {
  id: 'ovs-access-port-tagged',
  summary: 'a VM NIC that tags its frames (vlan:) is on an Open vSwitch port group with a VLAN, an access port that drops tagged frames',
  check(inv) {
    const out: Finding[] = [];
    for (const vm of inv.vms.values()) {
      for (const nic of vm.nics) {
        const ref = nic.network;
        if (nic.vlan === undefined || ref.kind !== 'bridge' || ref.portgroup === undefined) continue;
        const bridge = inv.hosts.get(ref.host)?.bridges.find((b) => b.id === ref.id);
        const pg = bridge?.ovs?.portgroups.find((p) => p.name === ref.portgroup);
        if (!bridge || !pg || pg.vlan === 0) continue;
        out.push(finding(
          'ovs-access-port-tagged',
          `VM "${vm.name}" tags its frames with VLAN ${nic.vlan}, but Open vSwitch port group "${pg.name}" of ${bridge.name} on ${ref.host} makes its port an access port of VLAN ${pg.vlan}: `
          + 'OVS drops every tagged frame coming in on an access port, whatever the VLAN (R8.5).',
          [...nic.source, 'vlan'],
          `drop vlan: and let the port group tag (VLAN ${pg.vlan}), or attach the NIC to ${bridge.name} by its name (a trunk port of every VLAN)`,
        ));
      }
    }
    return out;
  },
};
