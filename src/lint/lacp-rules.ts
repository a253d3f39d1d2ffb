// LACP lint rules (spec/network.md R6.5, R5.4, R5.7): LAGs that will not bundle, LACP channels
// facing hosts that send no LACPDUs, the teaming mixes vSphere supports only while migrating, and
// LACP on nested hosts. Labs without LAGs or LACP channels stay quiet.
import type { Finding, Path } from '../spec/diagnostics.js';
import type { DvSwitch, Teaming } from '../model/inventory.js';
import { cabledPort, finding, type LintRule } from './util.js';

/**
 * vSphere Networking (6.7, "LACP Teaming and Failover Configuration for Distributed Port Groups"):
 * "Having an active LAG and standby uplinks and the reverse is not supported. Having a LAG and
 * another standby LAG is not supported" — yet "Set the LAG as standby in the teaming and failover
 * configuration … you create an intermediate configuration that lets you migrate the network
 * traffic to the LAG". nestlab runs it as teaming would (R5.7): the standby carries the traffic
 * while the active entry is down — a LAG is down while LACP has no member bundled.
 */
export const lagTeamingMigration: LintRule = {
  id: 'lag-teaming-migration',
  summary: 'a LAG beside standalone uplinks (one active, the other standby) is supported only while migrating to the LAG',
  check(inv) {
    const out: Finding[] = [];
    const check = (dvs: DvSwitch, what: string, t: Teaming, path: Path) => {
      const lags = new Set((dvs.lags ?? []).map((l) => l.name));
      if (lags.size === 0) return;
      const activeLag = t.active.some((n) => lags.has(n));
      const standbyLag = t.standby.some((n) => lags.has(n));
      const standbyUplink = t.standby.some((n) => !lags.has(n));
      if (!(activeLag && t.standby.length > 0) && !(standbyLag && t.active.length > 0)) return;
      const mix = activeLag ? (standbyUplink ? 'an active LAG with standby uplinks' : 'an active LAG with another LAG as standby') : 'active standalone uplinks with a standby LAG';
      out.push(finding(
        'lag-teaming-migration',
        `${what} teams ${mix} (active ${JSON.stringify(t.active)}, standby ${JSON.stringify(t.standby)}): vSphere supports that only as the intermediate step of a migration to the LAG, not as a design (R6.5). `
        + 'nestlab fails over to the standby entry whenever the active one is down (R5.7) — a LAG is down while LACP has none of its members bundled.',
        path,
        activeLag ? `make the LAG the only active entry and every standalone uplink unused: teaming: { active: [${t.active.find((n) => lags.has(n))}] }` : 'finish the migration: the LAG alone active, standalone uplinks unused',
      ));
    };
    for (const dvs of inv.dvswitches.values()) {
      check(dvs, `distributed switch ${dvs.name}`, dvs.teaming, [...dvs.source, 'teaming']);
      for (const pg of dvs.portgroups) if (pg.teaming !== dvs.teaming) check(dvs, `dv port group "${pg.name}" of vDS ${dvs.name}`, pg.teaming, [...pg.source, 'teaming']);
    }
    return out;
  },
};

/**
 * R6.5 (vSphere "LACP Support on a vSphere Distributed Switch"): "The physical NICs on a host that
 * you connect to the LAG ports must be connected to links that participate in an LACP port channel
 * on the physical switch … For each host … a separate LACP port channel"; and at least one end
 * must be active (vSAN Network Design Guide, "LACP").
 */
export const lagNotOnLacpChannel: LintRule = {
  id: 'lag-not-on-lacp-channel',
  summary: 'a LAG\'s vmnics must be cabled to one LACP port channel (channelMode active or passive) of one physical switch, and one end must be active',
  check(inv) {
    const out: Finding[] = [];
    for (const dvs of inv.dvswitches.values()) {
      for (const [j, m] of dvs.members.entries()) {
        const host = inv.hosts.get(m.host);
        if (!host || host.vm !== undefined) continue; // nested: lag-on-nested-host
        for (const lag of dvs.lags ?? []) {
          const nics = m.lags?.[lag.name] ?? [];
          if (nics.length === 0) continue;
          const ports = nics.map((n) => cabledPort(inv, host.nics.find((x) => x.name === n)));
          const where = nics.map((n, i) => `${n} → ${ports[i] ? `${ports[i]!.switch}/${ports[i]!.name}${ports[i]!.channel ? ` (channel ${ports[i]!.channel}, mode ${ports[i]!.channelMode ?? 'on'})` : ''}` : 'nothing'}`).join(', ');
          const path: Path = [...dvs.source, 'members', j, 'lags', lag.name];
          const first = ports[0];
          const oneChannel = first?.channel !== undefined && ports.every((p) => p?.switch === first.switch && p.channel === first.channel);
          if (ports.some((p) => p?.channelMode === undefined)) {
            out.push(finding('lag-not-on-lacp-channel',
              `LAG ${lag.name} of ${dvs.name} on ${host.name} has vmnics on switch ports that do not run LACP (${where}): no LACPDUs come back, the members stay out of the LAG and the LAG carries nothing (R6.5).`,
              path, 'put those switch ports in one channel with channelMode: active (channel: po1, channelMode: active), or use a static EtherChannel with IP hash teaming instead of a LAG'));
          } else if (!oneChannel) {
            out.push(finding('lag-not-on-lacp-channel',
              `LAG ${lag.name} of ${dvs.name} on ${host.name} spans several switches or channels (${where}): LACP bundles links to one partner system and key, so the members toward the others stay out (R6.5).`,
              path, 'cable every vmnic of the LAG to ports of one channel on one switch (or a stack / vPC pair, which nestlab does not model)'));
          } else if (lag.mode === 'passive' && ports.every((p) => p!.channelMode === 'passive')) {
            out.push(finding('lag-not-on-lacp-channel',
              `LAG ${lag.name} of ${dvs.name} on ${host.name} is passive and so is ${first!.switch} ${first!.channel} (${where}): neither end sends the first LACPDU and the LAG never bundles (R6.5).`,
              path, `set mode: active on LAG ${lag.name}, or channelMode: active on the switch ports`));
          }
        }
      }
    }
    return out;
  },
};

/**
 * R6.5, R5.4: a physical switch's LACP channel toward a host NIC that is no LAG port — a static
 * IP-hash team, or any standalone uplink — hears no LACPDUs; Catalyst's default suspends the port.
 */
export const lacpChannelWithoutLag: LintRule = {
  id: 'lacp-channel-without-lag',
  summary: 'an LACP channel member cabled to a host NIC that is not a LAG port is suspended (no LACPDUs from the host)',
  check(inv) {
    const out: Finding[] = [];
    const lagNics = new Set<string>();
    for (const dvs of inv.dvswitches.values()) for (const m of dvs.members) for (const nics of Object.values(m.lags ?? {})) for (const n of nics) lagNics.add(`${m.host}/${n}`);
    for (const host of inv.hosts.values()) {
      for (const nic of host.nics) {
        const port = cabledPort(inv, nic);
        if (!port || port.channelMode === undefined || lagNics.has(`${host.name}/${nic.name}`)) continue;
        out.push(finding('lacp-channel-without-lag',
          `switch port ${port.switch}/${port.name} runs LACP (channel ${port.channel}, mode ${port.channelMode}) toward ${host.name} ${nic.name}, which is not a LAG port: ${host.name} sends no LACPDUs on it, `
          + 'so the switch suspends the port (Catalyst default, port-channel standalone-disable) and whatever the host sends there is lost (R6.5, R5.4).',
          port.declared ? [...port.source, 'channelMode'] : [...nic.source, 'connect'],
          host.hypervisor === 'esxi'
            ? `assign ${nic.name} to a LAG of a distributed switch (members: [{ host: ${host.name}, lags: { lag1: [${nic.name}, …] } }]), or make the channel static (channelMode: on) for IP hash teaming`
            : 'make the channel static (channelMode: on), or drop the channel'));
      }
    }
    return out;
  },
};

/**
 * vSphere, "Limitations of the LACP Support on a vSphere Distributed Switch": "The LACP support is
 * not possible between nested ESXi hosts"; KB 315347: "Running LACP inside any guest OS (including
 * nested ESXi hosts) is not supported." The nested host's vmnics are ports of a virtual switch,
 * which speaks no LACP: its LAG never bundles.
 */
export const lagOnNestedHost: LintRule = {
  id: 'lag-on-nested-host',
  summary: 'LACP is not possible on nested ESXi hosts: a nested host\'s LAG never bundles',
  check(inv) {
    const out: Finding[] = [];
    for (const dvs of inv.dvswitches.values()) {
      for (const [j, m] of dvs.members.entries()) {
        const host = inv.hosts.get(m.host);
        if (!host?.vm) continue;
        for (const [lag, nics] of Object.entries(m.lags ?? {})) {
          if (nics.length === 0) continue;
          out.push(finding('lag-on-nested-host',
            `nested host ${host.name} puts ${nics.join(', ')} on LAG ${lag} of ${dvs.name}, but its vmnics are ports of a virtual switch, which runs no LACP: the LAG never bundles ("LACP support is not possible between nested ESXi hosts", R6.5).`,
            [...dvs.source, 'members', j, 'lags', lag],
            'give the nested host standalone uplinks (route based on originating port ID)'));
        }
      }
    }
    return out;
  },
};

/**
 * R6.5, R5.7: a dv port group teams on a LAG, but a member host put no vmnic on it — "No physical
 * NICs are assigned to the LAG ports" of a new LAG; on that host the LAG is down and the port
 * group's VMs reach nothing (or only the standby).
 */
export const lagWithoutUplinks: LintRule = {
  id: 'lag-without-uplinks',
  summary: 'a port group teams on a LAG to which a member host assigned no vmnic: on that host the LAG carries nothing',
  check(inv) {
    const out: Finding[] = [];
    for (const dvs of inv.dvswitches.values()) {
      const lags = new Set((dvs.lags ?? []).map((l) => l.name));
      if (lags.size === 0) continue;
      for (const pg of dvs.portgroups) {
        const used = [...pg.teaming.active, ...pg.teaming.standby].filter((n) => lags.has(n));
        for (const lag of used) {
          const empty = dvs.members.filter((m) => (m.lags?.[lag] ?? []).length === 0).map((m) => m.host);
          if (empty.length === 0) continue;
          const standby = pg.teaming.active.includes(lag) && pg.teaming.standby.length > 0 ? ' (only the standby uplinks)' : '';
          out.push(finding('lag-without-uplinks',
            `dv port group "${pg.name}" of vDS ${dvs.name} teams on LAG ${lag}, but ${empty.join(', ')} ${empty.length === 1 ? 'has' : 'have'} no vmnic on its ports: there the LAG is down and the port group's VMs reach nothing${standby} (R6.5, R5.7).`,
            [...pg.source, 'teaming'],
            `assign vmnics to ${lag} on every member host: members: [{ host: ${empty[0]}, lags: { ${lag}: [vmnicN, vmnicM] } }]`));
        }
      }
    }
    return out;
  },
};
