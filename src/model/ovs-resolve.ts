// An Open vSwitch bridge of a kvm host (`switches[]` with `type: ovs`, spec/network.md R8.5),
// resolved: mac-aging-time forced into OVS's range, the uplinks' bond mode, libvirt-style port
// groups giving VM ports an access tag. Problems are reported through `error`; nothing throws.
import type { Path } from '../spec/diagnostics.js';
import type { HostSwitchSpec } from '../spec/schema.js';
import { ids, type Bridge, type Host, type OvsBridgeConfig } from './inventory.js';
import type { ErrorFn } from './resolve.js';

/** OVS forces mac-aging-time into this range (vswitch.xml: "currently 15 to 3600 seconds", R8.5). */
export const OVS_AGING_MIN_S = 15;
export const OVS_AGING_MAX_S = 3600;
/** vswitch.xml: "The default is currently 300 seconds" (R8.5). */
const OVS_AGING_DEFAULT_S = 300;

/**
 * The bridge `sw` of `host` as an Open vSwitch bridge. `pgNames` holds the port group names
 * already used on the host (port group names are unique per host, as libvirt network port
 * groups are per network and a VM NIC names just one); `switchNames` the host's switch names.
 */
export function resolveOvsBridge(
  host: Host, sw: HostSwitchSpec, swPath: Path, uplinks: string[], pgNames: Map<string, Path>, switchNames: ReadonlySet<string>, error: ErrorFn,
): Bridge {
  const na = (field: keyof HostSwitchSpec, why: string) => {
    if (sw[field] !== undefined) error('not-applicable', `"${field}" does not apply to an Open vSwitch bridge: ${why}`, [...swPath, field]);
  };
  na('security', 'it has no ESXi security policy; a NORMAL bridge learns and floods (R8.5)');
  na('teaming', 'several uplinks form a bond; set bond: { mode } instead');
  na('vlanFiltering', 'Open vSwitch is always VLAN-aware (one learning table per VLAN, R8.5)');
  if (sw.stp === true) {
    error('not-supported', 'spanning tree on an Open vSwitch bridge (stp_enable) is not modelled', [...swPath, 'stp'],
      'drop stp: (OVS runs without STP by default), or use a Linux bridge (type: linux-bridge) with stp: true');
  }

  const requested = sw.agingTime ?? OVS_AGING_DEFAULT_S;
  const agingTimeS = Math.min(OVS_AGING_MAX_S, Math.max(OVS_AGING_MIN_S, requested));
  const ovs: OvsBridgeConfig = { portgroups: [] };
  if (agingTimeS !== requested) ovs.requestedAgingTimeS = requested;

  const mode = sw.bond?.mode ?? 'active-backup';
  if (mode === 'balance-tcp') {
    error('not-supported', 'bond mode balance-tcp needs LACP negotiated with the upstream switch (lacp=active), which nestlab does not model', [...swPath, 'bond', 'mode'],
      'use balance-slb (load balancing without the switch\'s cooperation) or active-backup (the OVS default)');
  } else if (sw.bond !== undefined && uplinks.length < 2) {
    error('invalid-value', `a bond needs two or more uplinks; ${sw.name} has ${uplinks.length}`, [...swPath, 'bond'],
      'list two or more NICs in uplinks, or drop bond: (a single uplink is an ordinary port)');
  }
  if (uplinks.length >= 2 && mode !== 'balance-tcp') ovs.bond = mode;

  sw.portgroups.forEach((pg, j) => {
    const pgPath = [...swPath, 'portgroups', j];
    for (const f of ['security', 'teaming'] as const) {
      if (pg[f] !== undefined) error('not-applicable', `"${f}" does not apply to an Open vSwitch port group (only name and vlan do)`, [...pgPath, f]);
    }
    if (pg.vmkernel.length) error('not-applicable', 'VMkernel ports belong to ESXi; an Open vSwitch port group only gives VM ports a VLAN tag', [...pgPath, 'vmkernel']);
    if (pgNames.has(pg.name) || switchNames.has(pg.name)) {
      error('duplicate-name', `"${pg.name}" already names a port group or switch on host ${host.name} (a VM NIC's network must name one thing)`, [...pgPath, 'name']);
      return;
    }
    if (pg.vlan === 4095) {
      error('invalid-value', 'VLAN 4095 is reserved (802.1Q); an Open vSwitch port without a tag already carries every VLAN', [...pgPath, 'vlan'],
        'use vlan: 0 for a trunk port, or attach the VM NIC to the bridge by its name');
      return;
    }
    pgNames.set(pg.name, pgPath);
    ovs.portgroups.push({ name: pg.name, vlan: pg.vlan });
  });

  return {
    id: ids.bridge(host.name, sw.name), kind: 'bridge', name: sw.name, source: swPath, host: host.name, uplinks, mtu: sw.mtu,
    agingTimeS, vlanFiltering: false, stp: sw.stp ?? false, ovs,
  };
}
