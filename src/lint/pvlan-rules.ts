// Lint rules for private VLANs on a vDS (R3.11) and the ESXi Learnswitch fling (R4b.1): labs that
// resolve but will not behave as their author expects.
import type { Finding } from '../spec/diagnostics.js';
import type { DvSwitch } from '../model/inventory.js';
import { cabledPort, finding, networkLabel, resolveNetwork, type LintRule } from './util.js';

/** The PVLAN ids of a switch (primaries and secondaries) and what each is. */
function pvlanIds(dvs: DvSwitch): Map<number, string> {
  const ids = new Map<number, string>();
  for (const e of dvs.pvlans ?? []) ids.set(e.secondary, e.type === 'promiscuous' ? `the primary private VLAN ${e.primary}` : `the ${e.type} secondary of primary ${e.primary}`);
  return ids;
}

/**
 * R3.11 with R1.3: a plain VLAN port group on an id of the switch's private VLAN map joins that
 * private VLAN's traffic without its rules — an ordinary VLAN 101 port takes what isolated ports
 * of 101 send and is reachable by them, which is what isolated ports must never be. [L] vSphere's
 * documentation is silent on whether vCenter refuses it; a warning, not an error.
 */
export const pvlanIdAsVlan: LintRule = {
  id: 'pvlan-id-as-vlan',
  summary: 'a dv port group uses a private VLAN id of its switch as a plain VLAN id',
  check(inv) {
    const out: Finding[] = [];
    for (const dvs of inv.dvswitches.values()) {
      const ids = pvlanIds(dvs);
      if (ids.size === 0) continue;
      for (const pg of dvs.portgroups) {
        if (pg.vlan.type !== 'vlan') continue;
        const what = ids.get(pg.vlan.id);
        if (what === undefined) continue;
        out.push(finding(
          'pvlan-id-as-vlan',
          `dv port group "${pg.name}" of vDS ${dvs.name} uses VLAN ${pg.vlan.id}, which is ${what} on this switch: its ports join that VLAN without the private VLAN rules `
          + '— they take the frames the private VLAN\'s ports send and reach them directly, around isolation (R3.11, R1.3).',
          [...pg.source, 'vlan'],
          `give "${pg.name}" a VLAN id outside the private VLAN map, or make it vlan: { pvlan: ${pg.vlan.id} }`,
        ));
      }
    }
    return out;
  },
};

/**
 * R3.11 with R9.5/R9.6: PVLAN frames leave a host tagged with their private VLAN id, so the
 * physical port behind every uplink must be a trunk carrying the primary and secondary ids in use
 * (a PVLAN-aware switch or not) — or hosts never reach each other's PVLAN ports.
 */
export const pvlanUplinkMissingVlans: LintRule = {
  id: 'pvlan-uplink-missing-vlans',
  summary: 'a vDS uplink with private VLAN port groups plugs into a physical port that does not carry their VLAN ids',
  check(inv) {
    const out: Finding[] = [];
    for (const dvs of inv.dvswitches.values()) {
      const used = new Set<number>();
      for (const pg of dvs.portgroups) {
        if (pg.vlan.type !== 'pvlan') continue;
        used.add(pg.vlan.primary);
        // A promiscuous port takes every secondary of its primary; the others send their own id.
        for (const e of dvs.pvlans ?? []) if (e.primary === pg.vlan.primary && (pg.vlan.pvlanType === 'promiscuous' || e.secondary === pg.vlan.secondary)) used.add(e.secondary);
      }
      if (used.size === 0) continue;
      const ids = [...used].sort((a, b) => a - b);
      dvs.members.forEach((m, j) => {
        const host = inv.hosts.get(m.host);
        m.uplinks.forEach((u, k) => {
          const port = cabledPort(inv, host?.nics.find((n) => n.name === u));
          if (!port) return;
          const carried = (v: number) => port.mode === 'trunk' && port.native !== v && port.allowed.some(([lo, hi]) => v >= lo && v <= hi);
          const missing = ids.filter((v) => !carried(v));
          if (!missing.length) return;
          const where = `${port.switch}/${port.name}`;
          out.push(finding(
            'pvlan-uplink-missing-vlans',
            `${m.host}/${u}, an uplink of vDS ${dvs.name}, plugs into ${where}, ${port.mode === 'access' ? `an access port (VLAN ${port.vlan}), which drops tagged frames (R9.5)` : 'a trunk'} that does not carry private VLAN ${missing.join(', ')} tagged: `
            + `frames of those private VLANs leave ${m.host} tagged with their id (R3.11) and never reach the other hosts of the switch (R9.6).`,
            [...dvs.source, 'members', j, 'uplinks', k],
            `make ${where} a trunk allowing ${ids.join(', ')} (not as its native VLAN)`,
          ));
        });
      });
    }
    return out;
  },
};

/** R4b.1: "Both Promiscuous Mode and Forged Transmit is still required on the outer VDS or Distributed Portgroup". */
export const learnswitchNeedsPromiscuous: LintRule = {
  id: 'learnswitch-needs-promiscuous',
  summary: 'a vNIC with the Learnswitch sits on a dv port group without promiscuous mode and forged transmits accept',
  check(inv) {
    const out: Finding[] = [];
    for (const vm of inv.vms.values()) {
      for (const nic of vm.nics) {
        if (!nic.learnswitch) continue;
        const n = resolveNetwork(inv, nic.network);
        if (n?.kind !== 'dvportgroup') continue;
        const off = (['promiscuous', 'forgedTransmits'] as const).filter((k) => n.pg.security[k] !== 'accept');
        if (!off.length) continue;
        out.push(finding(
          'learnswitch-needs-promiscuous',
          `VM "${vm.name}" NIC ${nic.index} uses the ESXi Learnswitch on ${networkLabel(n)}, where ${off.join(' and ')} ${off.length === 1 ? 'is' : 'are'} reject: `
          + 'the Learnswitch only filters what promiscuous mode delivers and learns only what forged transmits lets in, so it changes nothing there (R4b.1) — unlike native vDS MAC learning (§4c).',
          [...nic.source, 'macLearn'],
          `set security: { promiscuous: accept, forgedTransmits: accept } on ${networkLabel(n)}, or use macLearning: { enabled: true } on a vDS 6.6+ dv port group instead`,
        ));
      }
    }
    return out;
  },
};
