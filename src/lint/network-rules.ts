// Network lint rules: the pitfalls of nested hypervisors on ESXi switches (spec/network.md §7,
// seeds 001 and 002), VLAN trunks for nested hosts (§3), vDS specifics (§4c, §6) and MAC
// duplicates. Every finding is a warning whose code is the rule id.
import type { Finding, Path } from '../spec/diagnostics.js';
import type { DvVlan, Host, HostNic, Inventory } from '../model/inventory.js';
import {
  attachments, compareVersions, finding, hostLabel, innerNetworks, listMacs, macLearningActive, macsBehind, networkLabel,
  resolveNetwork, vnicOf, type Attachment, type LintRule, type MacSource, type ResolvedNetwork,
} from './util.js';

// ---- nested MACs behind a nested hypervisor's vNIC (rules 1 and 2) ------------------------------

interface NestedUplink {
  host: Host;
  nic: HostNic;
  vnic: Attachment;
  outer: ResolvedNetwork;
  /** MACs leaving through this vmnic other than the vmnic's own (which the outer switch knows) */
  foreign: MacSource[];
}

/**
 * Every vmnic of a nested hypervisor whose frames carry MACs other than its own — nested VMs,
 * vmknics other than vmk0 (network.md §7.6 "vmk1"), deeper hypervisors (§7.7) — with the outer
 * network its vNIC is on. A nested VM configured with the vmnic's MAC (the 1:1 mapping of seed
 * 002, §7.6) is not foreign.
 */
function nestedUplinks(inv: Inventory): NestedUplink[] {
  const attached = attachments(inv);
  const out: NestedUplink[] = [];
  for (const host of inv.hosts.values()) {
    if (!host.vm) continue;
    for (const nic of host.nics) {
      const vnic = vnicOf(inv, host, nic);
      const outer = vnic && resolveNetwork(inv, vnic.nic.network);
      if (!vnic || !outer) continue;
      const foreign: MacSource[] = [];
      for (const m of macsBehind(inv, host, nic, attached)) {
        if (m.mac !== nic.mac && !foreign.some((f) => f.mac === m.mac)) foreign.push(m);
      }
      if (foreign.length) out.push({ host, nic, vnic, outer, foreign });
    }
  }
  return out;
}

const ONE_TO_ONE = 'or give each nested VM the MAC of its own vmnic (the 1:1 mapping, network.md §7.6)';

/** Rule 1 — network.md R1.8, §7.1, §7.2, §7.4, R4c.4, seeds 001 and 002. */
export const nestedNeedsPromiscuous: LintRule = {
  id: 'nested-needs-promiscuous',
  summary: 'a nested hypervisor\'s outer port group must accept promiscuous mode (or learn MACs) for its nested VMs to be reachable',
  check(inv) {
    const out: Finding[] = [];
    for (const u of nestedUplinks(inv)) {
      const o = u.outer;
      // A Linux bridge learns MACs and floods unknown unicast (R8.1–R8.3): nothing to set.
      if (o.kind === 'bridge') continue;
      if (o.pg.security.promiscuous === 'accept') continue;
      if (o.kind === 'dvportgroup' && macLearningActive(o.dvs, o.pg)) continue;
      const filter = u.vnic.nic.macLearn
        ? ' The MAC Learning dvFilter on this vNIC does not replace promiscuous mode: it only filters the promiscuous copies (R4a.2, §7.4).'
        : '';
      out.push(finding(
        'nested-needs-promiscuous',
        `${hostLabel(u.host)} sends frames of ${listMacs(u.foreign)} out ${u.nic.name}, its vNIC on ${networkLabel(o)}, `
        + `where promiscuous mode is reject: the outer switch knows only the vNIC's own MAC ${u.nic.mac} and drops unicast frames to the others (R1.8), `
        + `so those nested VMs are unreachable.${filter}`,
        [...u.vnic.nic.source, 'network'],
        `set security: { promiscuous: accept, forgedTransmits: accept } on ${networkLabel(o)}${o.kind === 'portgroup' ? ' (or on its vSwitch)' : ''}, `
        + `or use a vDS 6.6+ dv port group with macLearning: { enabled: true }, ${ONE_TO_ONE}`,
      ));
    }
    return out;
  },
};

/**
 * Rule 2 — network.md R2.5, §7.1 step 2, §7.3, R6.6. MAC learning on a vDS 6.6+ port group is
 * treated as satisfying it: the open question R4c.8 / §11.5 (whether learning bypasses the
 * forged-transmit check) is modelled as "it does" (`macLearningBypassesForgedCheck` default
 * true). The dvFilter fling does not bypass it (R4a.2).
 */
export const nestedNeedsForgedTransmits: LintRule = {
  id: 'nested-needs-forged-transmits',
  summary: 'a nested hypervisor\'s outer port group must accept forged transmits (or learn MACs) for its nested VMs\' frames to get out',
  check(inv) {
    const out: Finding[] = [];
    for (const u of nestedUplinks(inv)) {
      const o = u.outer;
      if (o.kind === 'bridge') continue;
      if (o.pg.security.forgedTransmits === 'accept') continue;
      if (o.kind === 'dvportgroup' && macLearningActive(o.dvs, o.pg)) continue;
      const defaultVds = o.kind === 'dvportgroup' ? ' (the vDS default, R6.6)' : '';
      out.push(finding(
        'nested-needs-forged-transmits',
        `${hostLabel(u.host)} sends frames of ${listMacs(u.foreign)} out ${u.nic.name}, its vNIC on ${networkLabel(o)}, `
        + `where forged transmits is reject${defaultVds}: every frame whose source MAC is not the vNIC's own ${u.nic.mac} is dropped as it enters the outer switch (R2.5), `
        + 'so those nested VMs cannot send anything out.',
        [...u.vnic.nic.source, 'network'],
        `set security: { forgedTransmits: accept } on ${networkLabel(o)}, or enable macLearning on a vDS 6.6+ dv port group, ${ONE_TO_ONE}`,
      ));
    }
    return out;
  },
};

// ---- VLANs ---------------------------------------------------------------------------------------

/** Whether an outer network passes guest-tagged frames with these VLAN ids (R3.5–R3.7). */
function carriesTags(n: ResolvedNetwork, tags: readonly number[]): boolean {
  switch (n.kind) {
    case 'portgroup': return n.pg.vlan === 4095;
    case 'dvportgroup': return n.pg.vlan.type === 'trunk' && tags.every((t) => inRanges(n.pg.vlan, t));
    // A Linux bridge without VLAN filtering forwards tagged frames as they are; per-port VLANs
    // of a filtering bridge are not modelled.
    case 'bridge': return true;
  }
}

function inRanges(v: DvVlan, tag: number): boolean {
  return v.type === 'trunk' && v.ranges.some(([lo, hi]) => tag >= lo && tag <= hi);
}

function vlanLabel(n: ResolvedNetwork): string {
  if (n.kind === 'portgroup') return n.pg.vlan === 4095 ? 'VLAN 4095 (trunk)' : `VLAN ${n.pg.vlan}`;
  if (n.kind === 'bridge') return 'no VLAN filtering';
  const v = n.pg.vlan;
  if (v.type === 'none') return 'no VLAN';
  if (v.type === 'vlan') return `VLAN ${v.id}`;
  if (v.type === 'pvlan') return `private VLAN ${v.secondary} (${v.pvlanType}${v.pvlanType === 'promiscuous' ? '' : ` in primary ${v.primary}`})`;
  return `trunk ${v.ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}`;
}

/** Rule 3 — network.md R3.5, R3.6, R3.7; seed 001 ("allow a VLAN tag of all or 4095"). */
export const nestedVlanNeedsTrunk: LintRule = {
  id: 'nested-vlan-needs-trunk',
  summary: 'VLAN-tagged port groups inside a nested hypervisor need a trunk (VLAN 4095 / dv trunk) outer port group',
  check(inv) {
    const out: Finding[] = [];
    const attached = attachments(inv);
    for (const host of inv.hosts.values()) {
      if (!host.vm) continue;
      // What leaves this nested host tagged: [tags, needs a trunk regardless of tags, path, label].
      const tagged: Array<{ tags: number[]; uplinks: string[]; path: Path; what: string }> = [];
      for (const inner of innerNetworks(inv, host)) {
        const n = inner.network;
        const netId = n.kind === 'bridge' ? n.bridge.id : n.pg.id;
        const guests = (attached.get(netId) ?? []).filter((a) => a.vm.host === host.name);
        if (n.kind === 'bridge') {
          // kvm: the guests tag their own frames (VGT) and the bridge passes them on.
          for (const a of guests) {
            // R8.5: on an Open vSwitch port group with a VLAN (an access port) the bridge tags.
            const ref = a.nic.network;
            const pg = ref.kind === 'bridge' && ref.portgroup !== undefined ? n.bridge.ovs?.portgroups.find((p) => p.name === ref.portgroup) : undefined;
            if (pg !== undefined && pg.vlan > 0) {
              tagged.push({ tags: [pg.vlan], uplinks: inner.uplinks, path: [...a.nic.source, 'network'], what: `VM "${a.vm.name}" on Open vSwitch port group "${pg.name}" (VLAN ${pg.vlan}) of ${networkLabel(n)}` });
              continue;
            }
            if (a.nic.vlan === undefined) continue;
            tagged.push({ tags: [a.nic.vlan], uplinks: inner.uplinks, path: [...a.nic.source, 'vlan'], what: `VM "${a.vm.name}" on ${networkLabel(n)} tags VLAN ${a.nic.vlan}` });
          }
          continue;
        }
        const guestTags = [...new Set(guests.flatMap((a) => (a.nic.vlan !== undefined ? [a.nic.vlan] : [])))].sort((a, b) => a - b);
        let tags: number[] | undefined;
        if (n.kind === 'portgroup') {
          if (n.pg.vlan >= 1 && n.pg.vlan <= 4094) tags = [n.pg.vlan];
          else if (n.pg.vlan === 4095) tags = guestTags;
        } else if (n.pg.vlan.type === 'vlan') tags = [n.pg.vlan.id];
        else if (n.pg.vlan.type === 'trunk') tags = guestTags;
        if (tags === undefined) continue;
        const what = `${networkLabel(n)} (${vlanLabel(n)})${n.kind === 'dvportgroup' ? ` on ${host.name}` : ''}`;
        tagged.push({ tags, uplinks: inner.uplinks, path: [...n.pg.source, 'vlan'], what });
      }
      for (const t of tagged) {
        const bad: string[] = [];
        for (const u of t.uplinks) {
          const nic = host.nics.find((x) => x.name === u);
          const vnic = nic && vnicOf(inv, host, nic);
          const outer = vnic && resolveNetwork(inv, vnic.nic.network);
          if (outer && !carriesTags(outer, t.tags)) bad.push(`${u} (on ${networkLabel(outer)}, ${vlanLabel(outer)})`);
        }
        if (!bad.length) continue;
        out.push(finding(
          'nested-vlan-needs-trunk',
          `${t.what} sends tagged frames out ${bad.join(', ')}, which is not a trunk${t.tags.length ? ` for VLAN ${t.tags.join(', ')}` : ''}: `
          + 'the outer switch drops frames a VM tags on a non-trunk port group (R3.5, R3.7), so these VLANs never leave or reach the nested host.',
          t.path,
          'put the nested host\'s vNIC on a VLAN 4095 port group (vSS) or a dv port group with vlan: { trunk: [\'0-4094\'] } (seed 001: "allow a VLAN tag of all or 4095")',
        ));
      }
    }
    return out;
  },
};

/** Extra — network.md R3.5, R3.6, R3.7: a guest that tags its frames (VGT) needs a trunk port group. */
export const guestVlanTagDropped: LintRule = {
  id: 'guest-vlan-tag-dropped',
  summary: 'a VM NIC that tags its frames (vlan:) sits on a port group that is not a trunk for that VLAN',
  check(inv) {
    const out: Finding[] = [];
    for (const vm of inv.vms.values()) {
      for (const nic of vm.nics) {
        if (nic.vlan === undefined) continue;
        const n = resolveNetwork(inv, nic.network);
        if (!n || carriesTags(n, [nic.vlan])) continue;
        out.push(finding(
          'guest-vlan-tag-dropped',
          `VM "${vm.name}" tags its frames with VLAN ${nic.vlan}, but ${networkLabel(n)} is ${vlanLabel(n)}, not a trunk for it: `
          + 'the switch drops tagged frames from the VM (R3.5, R3.7) and never delivers VLAN-tagged frames to it.',
          [...nic.source, 'vlan'],
          n.kind === 'portgroup' ? 'use a port group with vlan: 4095 (VGT), or drop vlan: and let the port group tag (VST)' : `add ${nic.vlan} to the dv port group's trunk ranges, or drop vlan: and let the port group tag`,
        ));
      }
    }
    return out;
  },
};

/** Extra — network.md R3.10 ("Beaconing is not supported with guest VLAN tagging"), R5.9. */
export const beaconWithVgt: LintRule = {
  id: 'beacon-with-vgt',
  summary: 'beacon probing is not supported on a port group with guest VLAN tagging (VLAN 4095, dv trunk)',
  check(inv) {
    const out: Finding[] = [];
    const report = (n: ResolvedNetwork, path: Path) => out.push(finding(
      'beacon-with-vgt',
      `${networkLabel(n)} is ${vlanLabel(n)} — the guests tag their own frames (VGT) — and its teaming uses beacon probing: beacon probing is not supported `
      + 'with guest VLAN tagging (R3.10). The switch beacons only on VLANs it tags itself, so a failure on the guests\' VLANs goes unnoticed and their '
      + 'traffic may stay on an uplink that no longer reaches them (R5.9).',
      path,
      `set teaming: { detection: link } on ${networkLabel(n)}, or give each guest VLAN its own VST port group (vlan: 1–4094)`,
    ));
    for (const host of inv.hosts.values()) {
      for (const vswitch of host.vswitches) {
        for (const pg of vswitch.portgroups) {
          if (pg.vlan === 4095 && pg.teaming.detection === 'beacon') report({ kind: 'portgroup', pg, vswitch, host }, [...pg.source, 'vlan']);
        }
      }
    }
    for (const dvs of inv.dvswitches.values()) {
      for (const pg of dvs.portgroups) {
        if (pg.vlan.type === 'trunk' && pg.teaming.detection === 'beacon') report({ kind: 'dvportgroup', pg, dvs }, [...pg.source, 'vlan']);
      }
    }
    return out;
  },
};

/**
 * network.md R5.4, §10.28: "IP-based teaming requires that the physical switch be configured with
 * EtherChannel" — one VM MAC leaves on several uplinks, so without a port channel the physical
 * switch sees it flap between ports.
 */
export const ipHashWithoutPortChannel: LintRule = {
  id: 'ip-hash-without-port-channel',
  summary: 'route based on IP hash needs its active uplinks in one EtherChannel (port channel) on one physical switch',
  check(inv) {
    const out: Finding[] = [];
    const check = (n: ResolvedNetwork, host: Host, nics: readonly string[], path: Path) => {
      if (nics.length < 2) return;
      const ports = nics.map((name) => host.nics.find((x) => x.name === name)?.connect);
      const channels = ports.map((c) => (c ? inv.pswitches.get(c.switch)?.ports.get(c.port)?.channel : undefined));
      const switches = new Set(ports.map((c) => c?.switch));
      if (switches.size === 1 && channels[0] !== undefined && channels.every((c) => c === channels[0])) return;
      const where = nics.map((name, i) => `${name} → ${ports[i] ? `${ports[i]!.switch}/${ports[i]!.port}${channels[i] ? ` (channel ${channels[i]})` : ''}` : 'a virtual switch (no EtherChannel possible)'}`).join(', ');
      out.push(finding(
        'ip-hash-without-port-channel',
        `${networkLabel(n)} on ${host.name} routes based on IP hash over ${nics.join(', ')}, but they are not one EtherChannel on one physical switch (${where}): `
        + 'a VM\'s frames leave on several uplinks, so the physical switch sees its MAC flap between ports and replies go astray (R5.4, network.md §10.28).',
        path,
        'put those switch ports in one port channel (ports: { pN: { channel: po1 } } on the same switch), or use route based on originating port ID',
      ));
    };
    for (const host of inv.hosts.values()) {
      for (const vswitch of host.vswitches) {
        for (const pg of vswitch.portgroups) {
          if (pg.teaming.policy === 'ip-hash') check({ kind: 'portgroup', pg, vswitch, host }, host, pg.teaming.active.filter((u) => vswitch.uplinks.includes(u)), pg.source);
        }
      }
    }
    for (const dvs of inv.dvswitches.values()) {
      for (const pg of dvs.portgroups) {
        if (pg.teaming.policy !== 'ip-hash') continue;
        for (const m of dvs.members) {
          const host = inv.hosts.get(m.host);
          const active = m.uplinks.filter((u) => pg.teaming.active.includes(u));
          if (host) check({ kind: 'dvportgroup', pg, dvs }, host, active.length ? active : m.uplinks, pg.source);
        }
      }
    }
    return out;
  },
};

// ---- vDS and vCenter ---------------------------------------------------------------------------

/** Rule 10 — lab-file.md `vcenter` ("Absent: no vCenter, so no ... vDS changes"), network.md R6.2. */
export const vdsWithoutVcenter: LintRule = {
  id: 'vds-without-vcenter',
  summary: 'a distributed switch needs a vCenter to be created and changed',
  check(inv) {
    if (inv.vcenter !== undefined) return [];
    return [...inv.dvswitches.values()].map((d) => finding(
      'vds-without-vcenter',
      `vDS ${d.name} is declared but the lab has no vCenter: a distributed switch is created and managed by vCenter, `
      + 'and without one no VM NIC can be connected to a static-binding port (R6.2).',
      d.source,
      'add vcenter: <the vCenter VM> (or vcenter: external), or use standard vSwitches on the hosts',
    ));
  },
};

/** Rule 15 — network.md R6.2–R6.4, seed 001 (why the author stayed on vSS). */
export const vcenterOnStaticDvPortgroup: LintRule = {
  id: 'vcenter-on-static-dvportgroup',
  summary: 'the vCenter VM should sit on an ephemeral (or standard) port group',
  check(inv) {
    if (inv.vcenter === undefined || inv.vcenter === 'external') return [];
    const vm = inv.vms.get(inv.vcenter);
    if (!vm) return [];
    const out: Finding[] = [];
    for (const nic of vm.nics) {
      const n = resolveNetwork(inv, nic.network);
      if (n?.kind !== 'dvportgroup' || n.pg.binding !== 'static') continue;
      out.push(finding(
        'vcenter-on-static-dvportgroup',
        `the vCenter VM "${vm.name}" is on ${networkLabel(n)}, which has static binding: while vCenter is down no NIC can be (re)connected to `
        + 'a static port (R6.2) — including vCenter\'s own, if its port is lost or it has to be re-registered. An ephemeral port group needs no vCenter (R6.3).',
        [...nic.source, 'network'],
        `set binding: ephemeral on dv port group "${n.pg.name}" (or a new one for vCenter), or put vCenter on a standard vSwitch port group`,
      ));
    }
    return out;
  },
};

/** Rule 16 — network.md R4c.1, lab-file.md (MAC learning needs 6.6.0+). */
export const macLearningNeedsVds66: LintRule = {
  id: 'mac-learning-needs-vds-6.6',
  summary: 'native MAC learning on a dv port group needs vDS version 6.6.0 or later',
  check(inv) {
    const out: Finding[] = [];
    for (const d of inv.dvswitches.values()) {
      for (const pg of d.portgroups) {
        if (!pg.macLearning.enabled || compareVersions(d.version, '6.6.0') >= 0) continue;
        out.push(finding(
          'mac-learning-needs-vds-6.6',
          `dv port group "${pg.name}" enables MAC learning, but vDS ${d.name} is version ${d.version}: MAC learning exists from vDS 6.6.0 (vSphere 6.7) on (R4c.1), so it has no effect here.`,
          [...pg.source, 'macLearning', 'enabled'],
          `set version: 6.6.0 or later on vDS ${d.name} (all members must run ESXi 6.7+), or use promiscuous + forged transmits accept`,
        ));
      }
    }
    return out;
  },
};

// ---- teaming + promiscuous -----------------------------------------------------------------------

/** Rule 11 — network.md R1.11, §7.2 (last paragraph), test scenario 9. */
export const promiscuousDuplicateFrames: LintRule = {
  id: 'promiscuous-duplicate-frames',
  summary: 'promiscuous ports on a switch with several uplinks receive duplicates unless reversePathFwdCheckPromisc is set',
  check(inv) {
    if (inv.settings.reversePathFwdCheckPromisc) return [];
    const out: Finding[] = [];
    const report = (where: string, uplinks: number, promisc: string[], path: Path) => out.push(finding(
      'promiscuous-duplicate-frames',
      `${where} has ${uplinks} uplinks and promiscuous mode accepted on ${promisc.join(', ')}: with Net.ReversePathFwdCheckPromisc = 0 (the ESXi default) `
      + 'a frame flooded out one uplink comes back in on another and is delivered to promiscuous ports a second time — duplicate frames, and nested '
      + 'switches seeing their own MACs arrive from the wire (R1.11).',
      path,
      'set settings: { reversePathFwdCheckPromisc: true } (VMware\'s fix, required for NSX bridges), or give the switch a single active uplink',
    ));
    for (const host of inv.hosts.values()) {
      for (const vs of host.vswitches) {
        if (vs.uplinks.length < 2) continue;
        const pgs = vs.portgroups.filter((p) => p.security.promiscuous === 'accept');
        if (vs.security.promiscuous === 'accept') {
          report(`vSwitch ${vs.name} on ${host.name}`, vs.uplinks.length, [`the vSwitch (inherited by ${pgs.length} port group${pgs.length === 1 ? '' : 's'})`], [...vs.source, 'security', 'promiscuous']);
        } else if (pgs[0]) {
          report(`vSwitch ${vs.name} on ${host.name}`, vs.uplinks.length, pgs.map((p) => `port group "${p.name}"`), [...pgs[0].source, 'security', 'promiscuous']);
        }
      }
    }
    for (const d of inv.dvswitches.values()) {
      const uplinks = Math.max(0, ...d.members.map((m) => m.uplinks.length));
      if (uplinks < 2) continue;
      const pgs = d.portgroups.filter((p) => p.security.promiscuous === 'accept');
      if (d.security.promiscuous === 'accept') {
        report(`vDS ${d.name}`, uplinks, ['the vDS (inherited by its dv port groups)'], [...d.source, 'security', 'promiscuous']);
      } else if (pgs[0]) {
        report(`vDS ${d.name}`, uplinks, pgs.map((p) => `dv port group "${p.name}"`), [...pgs[0].source, 'security', 'promiscuous']);
      }
    }
    return out;
  },
};

// ---- duplicate MACs --------------------------------------------------------------------------------

interface MacHolder {
  mac: string;
  what: string;
  path: Path;
}

/** Rule 17 — network.md §7.6 constraints (never map a nested VM to mE0 on the vSwitch that holds vmk0), R1.1. */
export const duplicateMac: LintRule = {
  id: 'duplicate-mac',
  summary: 'two ports with the same MAC on one vSwitch, bridge or vDS',
  check(inv) {
    const out: Finding[] = [];
    const attached = attachments(inv);
    const check = (where: string, holders: MacHolder[]) => {
      const first = new Map<string, MacHolder>();
      for (const h of holders) {
        const prior = first.get(h.mac);
        if (!prior) {
          first.set(h.mac, h);
          continue;
        }
        out.push(finding(
          'duplicate-mac',
          `${h.what} has MAC ${h.mac}, the same as ${prior.what}, on ${where}: a vSwitch registers one port per MAC (R1.1), so frames to ${h.mac} reach only one of them.`,
          [...h.path, 'mac'],
          `give ${h.what} another MAC; for the 1:1 mapping (network.md §7.6) map nested VMs to a vmnic whose switch holds no vmknic with that MAC — never to vmnic0's MAC next to vmk0`,
        ));
      }
    };
    const vmHolders = (netId: string): MacHolder[] =>
      (attached.get(netId) ?? []).map((a) => ({ mac: a.nic.mac, what: `VM "${a.vm.name}" (NIC ${a.nic.index})`, path: a.nic.source }));
    for (const host of inv.hosts.values()) {
      for (const vs of host.vswitches) {
        const holders: MacHolder[] = [];
        for (const pg of vs.portgroups) {
          for (const k of pg.vmkernel) holders.push({ mac: k.mac, what: `${k.name} of ${host.name}`, path: k.source });
          holders.push(...vmHolders(pg.id));
        }
        check(`vSwitch ${vs.name} on ${host.name}`, holders);
      }
      for (const b of host.bridges) check(`bridge ${b.name} on ${host.name}`, vmHolders(b.id));
    }
    for (const d of inv.dvswitches.values()) check(`vDS ${d.name}`, d.portgroups.flatMap((pg) => vmHolders(pg.id)));
    return out;
  },
};

// ---- load-based teaming ----------------------------------------------------------------------------

/**
 * Rule — network.md R5.1 item 4, R5.5: "Route based on physical NIC load" exists on distributed
 * switches only. On a standard vSwitch nestlab accepts it (labs that said so keep resolving) and
 * teams by originating port ID (R5.2), which is what this warning says.
 */
export const loadBasedNeedsVds: LintRule = {
  id: 'load-based-needs-vds',
  summary: 'route based on physical NIC load (LBT) exists on distributed switches only; on a standard vSwitch it teams by port ID',
  check(inv) {
    const out: Finding[] = [];
    const report = (what: string, path: Path) => out.push(finding(
      'load-based-needs-vds',
      `${what} uses teaming policy load-based, but route based on physical NIC load exists on distributed port groups only (R5.1, R5.5): `
      + 'on a standard vSwitch nestlab teams these ports by originating port ID (R5.2) and never moves them off a busy uplink.',
      path,
      'move the port group to a distributed switch (distributedSwitches: …, teaming: { policy: load-based }), or set policy: port-id',
    ));
    for (const host of inv.hosts.values()) {
      for (const vs of host.vswitches) {
        if (vs.teaming.policy === 'load-based') {
          report(`vSwitch ${vs.name} on ${host.name}`, [...vs.source, 'teaming', 'policy']);
          continue; // its port groups inherit it: one warning
        }
        for (const pg of vs.portgroups) if (pg.teaming.policy === 'load-based') report(`port group "${pg.name}" on ${host.name}`, [...pg.source, 'teaming', 'policy']);
      }
    }
    return out;
  },
};
