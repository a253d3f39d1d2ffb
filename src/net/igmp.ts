// IGMP snooping (RFC 4541): what a switch learns from the IGMP messages it forwards, and where it
// then sends IPv4 multicast — by group address, to the ports that joined the group and to the
// multicast-router ports, instead of flooding it (R9.3 "multicast likewise unless IGMP
// snooping"; R1.7 "vDS 6.0+ optionally does IGMP/MLD snooping"; R6.5).
//
// Three flavours share the tables here:
//  - the vDS proxy switch in multicast snooping mode (`multicastFiltering: snooping`, vDS 6.0.0+):
//    "provides IGMP and MLD snooping according to RFC 4541. The switch dispatches multicast
//    traffic more precisely by using IP addresses … When a virtual machine sends a packet which
//    contains IGMP or MLD membership information through a switch port, the switch creates a
//    record about the destination IP address of the group, and in the case of IGMPv3, about a
//    source IP address" (vSphere 6.0–8.0 Networking, "Multicast Filtering Modes", S40). It learns
//    from its VMs only, keeps IGMPv3 sources per port up to Net.IGMPV3MaxSrcIPNum (10, range
//    1–32, S33), and sends its own general queries every Net.IGMPQueryInterval (125 s) "in case
//    a snooping querier is not configured on the physical switch" (igmp-host.ts);
//  - a physical switch with `igmpSnooping: true` (Cisco `ip igmp snooping`, on by default on
//    Catalyst — off by default in nestlab, so that labs written before it flood as they did):
//    multicast-router ports learned from queries ("Snooping on IGMP queries, Protocol Independent
//    Multicast (PIM) packets, and DVMRP packets" [C1]; PIM/DVMRP are not modelled) or configured
//    (`mrouter: true`, "ip igmp snooping mrouter"); reports and leaves go to the mrouter ports only
//    [C1: report suppression, on by default, forwards only the first report per group and query —
//    nestlab forwards every one, as with suppression off, so the router side counts as a user
//    expects]; group traffic to members and mrouter ports; traffic to a group nobody joined is
//    flooded in the VLAN (R9.3; [C2] "If the switch receives a multicast packet that has an IP
//    address of a group it has not learned (unregistered frame), the switch floods that packet out
//    of all ports on the VLAN" — Catalyst does the same by default [M]); IGMPv3 is tracked by group
//    only (Catalyst's basic IGMPv3 snooping support, no source filtering); a leave ends a port's
//    membership after the last-member query time, 2 × 1 s, unless a report refreshes it (no
//    immediate-leave, the default [C1]) [L: nestlab's queriers send no group-specific queries, so
//    other hosts behind that port join again at the next general query];
//  - a Linux bridge (multicast_snooping=1, the kernel default): it snoops, but forwards by its
//    tables only while a querier is heard on the link ([K1] b00589af "bridge: disable snooping if
//    there is no querier": without one it floods); then a group nobody joined goes to the router
//    ports only ([K2] bd4265fe "bridge: Only flood unregistered groups to routers"; br_input.c:
//    mrouters_only unless 224.0.0.x); router ports are learned from queries (multicast_router=1,
//    MDB_RTR_TYPE_TEMP_QUERY); IGMPv1/v2 reports and leaves go to router ports (mrouters_only),
//    IGMPv3 reports — to 224.0.0.22, link-local — are flooded.
// In all of them 224.0.0.0/24 is flooded (RFC 4541 §2.1.2), a membership lives 260 s after its
// last report (robustness 2 × query interval 125 s + response 10 s: RFC 2236/3376's group
// membership interval, [K3] multicast_membership_interval = 260 * HZ, the "port purge interval
// 260 s" of other snooping switches), a router port 255 s after its last query ([K3]
// multicast_querier_interval = 255 * HZ).
//
// Sources (besides the spec's S33, S40, S43):
//  [C1] Cisco IE 2000 / Catalyst 2960-X Software Configuration Guides, "Configuring IGMP Snooping
//       and MVR" (report suppression, snooping methods, immediate leave, querier)
//  [C2] Dell Force10 FTOS Configuration Guide, "Internet Group Management Protocol" ("Disabling
//       Multicast Flooding", "ip igmp snooping mrouter")
//  [K1] Linux commit b00589af3b04 (2013), [K2] commit bd4265fe365c (2011) — git.zx2c4.com/linux-dev
//  [K3] net/bridge/br_multicast.c br_multicast_init / br_multicast_ctx_init defaults
//
// Forwarding reads the frame in place and allocates nothing: the group and source are read as
// int32 from the IPv4 header, tables are keyed by (VLAN, group) in a MacTable, members are
// scanned in arrays, times are the fabric's frame time. Parsing — and the allocations it takes —
// happens only for IGMP messages.
import {
  ALLOW_NEW_SOURCES, BLOCK_OLD_SOURCES, CHANGE_TO_INCLUDE, MODE_IS_INCLUDE, parseIgmp, parseIpv4, type Igmp,
} from './codec/index.js';
import type { Device, Fabric, Port } from './fabric.js';
import { MacTable } from './mactable.js';
import type { DropReason } from './reasons.js';

/** Net.IGMPQueryInterval (ESXi, default 125 s, S33); the RFC 2236/3376 query interval Cisco and Linux use. */
export const QUERY_INTERVAL_MS = 125_000;
/** Max response time of a general query (10 s). */
export const QUERY_RESPONSE_MS = 10_000;
/** Group membership interval: robustness 2 × query interval + response time = 260 s. */
export const MEMBERSHIP_MS = 260_000;
/** Other querier present interval (2 × 125 s + 10 s / 2): how long a heard querier counts; router ports live as long. */
export const OTHER_QUERIER_MS = 255_000;
/** After a leave: last member query count 2 × last member query interval 1 s (RFC 2236, Cisco, Linux). */
export const LAST_MEMBER_MS = 2_000;
/** Net.IGMPV3MaxSrcIPNum (default 10, 1–32): IGMPv3 sources a vDS keeps per group and port (S33). */
export const MAX_SOURCES = 10;

/** What kind of multicast a frame is (multicastKind). */
export const MC_OTHER = 0; // not IPv4 multicast: BPDUs, LLDP, IPv6 33:33:… (MLD kept at the MAC level)
export const MC_LINK_LOCAL = 1; // 224.0.0.0/24, not IGMP
export const MC_DATA = 2; // IPv4 group traffic
export const MC_IGMP = 3; // an IGMP message (protocol 2)

/** The kind of an (I/G bit set) frame, read in place: untagged IPv4 to 224.0.0.0/4? IGMP? link-local? */
export function multicastKind(frame: Uint8Array): number {
  if (frame.length < 34 || frame[12] !== 0x08 || frame[13] !== 0x00 || frame[14]! >>> 4 !== 4) return MC_OTHER;
  const b0 = frame[30]!;
  if (b0 >>> 4 !== 0xe) return MC_OTHER;
  if (frame[23] === 2) return MC_IGMP;
  return b0 === 224 && frame[31] === 0 && frame[32] === 0 ? MC_LINK_LOCAL : MC_DATA;
}

/** The IPv4 destination (the group) at frame[30..34), as an int32. */
export function groupAt(frame: Uint8Array): number {
  return (frame[30]! << 24) | (frame[31]! << 16) | (frame[32]! << 8) | frame[33]!;
}

/** The IPv4 source at frame[26..30), as an int32. */
function sourceAt(frame: Uint8Array): number {
  return (frame[26]! << 24) | (frame[27]! << 16) | (frame[28]! << 8) | frame[29]!;
}

/** A member's source filter: any source (IGMPv1/v2, or v3 EXCLUDE {}), only `sources`, or all but them. */
export const ANY_SOURCE = 0;
export const INCLUDE = 1;
export const EXCLUDE = 2;

export interface Member {
  /** the (logical) port the reports came in on — a vDS: the VM's port */
  port: Port;
  /** virtual time of the last report, ms */
  t: number;
  mode: number;
  /** IGMPv3 sources (int32), for INCLUDE / EXCLUDE */
  sources: number[];
}

export interface GroupEntry {
  vlan: number;
  /** the group, int32 */
  group: number;
  members: Member[];
}

/**
 * Group memberships by (VLAN, group): the MDB. The forwarding path reads the time of the frame
 * being handled from the fabric (fabric.ts) rather than taking it as an argument: a double
 * passed through a call that is not inlined would be boxed, once per frame.
 */
export class GroupTable {
  private readonly table = new MacTable<GroupEntry>();

  constructor(private readonly fabric: Fabric) {}

  /** The entry of (`vlan`, `group`) — or undefined: nobody ever joined. */
  get(vlan: number, group: number): GroupEntry | undefined {
    return this.table.get(vlan, group | 0);
  }

  /** Is `m` still a member at `now` (a report within the membership interval)? */
  live(m: Member, now: number): boolean {
    return now - m.t <= MEMBERSHIP_MS;
  }

  /**
   * Does a member of `e`, live at the frame's time, sit on `port` and take the frame's source
   * (its IPv4 source address, read in place)? Allocation-free.
   */
  passes(e: GroupEntry, port: Port, frame: Uint8Array): boolean {
    const now = this.fabric.frameTime;
    const ms = e.members;
    for (let i = 0; i < ms.length; i++) {
      const m = ms[i]!;
      if (m.port !== port || now - m.t > MEMBERSHIP_MS) continue;
      if (m.mode === ANY_SOURCE) return true;
      const listed = m.sources.includes(sourceAt(frame));
      return m.mode === INCLUDE ? listed : !listed;
    }
    return false;
  }

  /** Does `e` have a member live at the frame's time? */
  anyLive(e: GroupEntry): boolean {
    const now = this.fabric.frameTime;
    for (let i = 0; i < e.members.length; i++) if (now - e.members[i]!.t <= MEMBERSHIP_MS) return true;
    return false;
  }

  private member(vlan: number, group: number, port: Port): Member | undefined {
    return this.get(vlan, group)?.members.find((m) => m.port === port);
  }

  /** `port` is (again) a member of (`vlan`, `group`) at `t`, from `mode` sources. */
  join(vlan: number, group: number, port: Port, t: number, mode = ANY_SOURCE, sources: number[] = []): void {
    let e = this.get(vlan, group);
    if (e === undefined) {
      e = { vlan, group: group | 0, members: [] };
      this.table.set(vlan, group | 0, e);
    }
    const m = e.members.find((x) => x.port === port);
    if (m === undefined) e.members.push({ port, t, mode, sources });
    else {
      m.t = t;
      m.mode = mode;
      m.sources = sources;
    }
  }

  /** `port` leaves (`vlan`, `group`): now, or once `afterMs` pass without a report. */
  leave(vlan: number, group: number, port: Port, t: number, afterMs: number): void {
    const e = this.get(vlan, group);
    const i = e === undefined ? -1 : e.members.findIndex((m) => m.port === port);
    if (i < 0) return;
    if (afterMs <= 0) {
      e!.members.splice(i, 1);
      if (e!.members.length === 0) this.table.delete(vlan, group | 0);
    } else {
      const m = e!.members[i]!;
      m.t = Math.min(m.t, t - MEMBERSHIP_MS + afterMs);
    }
  }

  /**
   * One IGMPv3 group record from `port` (RFC 3376 §6.4, per port). `limit` sources kept per
   * member — past it, the member takes any source [L: fail-open, no wanted traffic lost]; 0:
   * track groups only (Cisco's basic IGMPv3 snooping, Linux here). `leaveMs`: how a leave (TO_IN {})
   * ends the membership (leave()).
   */
  record(vlan: number, port: Port, t: number, type: number, group: number, sources: readonly number[], limit: number, leaveMs: number): void {
    const s = sources.map((x) => x | 0);
    const include = type === MODE_IS_INCLUDE || type === CHANGE_TO_INCLUDE;
    if (include && s.length === 0) return this.leave(vlan, group, port, t, leaveMs);
    const m = this.member(vlan, group, port);
    if (limit === 0) {
      // By group: anything but a block or an empty allow (re)joins it.
      if (type === BLOCK_OLD_SOURCES || (type === ALLOW_NEW_SOURCES && s.length === 0)) return;
      return this.join(vlan, group, port, t);
    }
    let mode: number;
    let list: number[];
    if (type === ALLOW_NEW_SOURCES) {
      if (m === undefined || m.mode === INCLUDE) [mode, list] = [INCLUDE, union(m?.sources ?? [], s)];
      else [mode, list] = [m.mode === ANY_SOURCE ? ANY_SOURCE : EXCLUDE, m.sources.filter((x) => !s.includes(x))];
    } else if (type === BLOCK_OLD_SOURCES) {
      if (m === undefined) return;
      if (m.mode === INCLUDE) {
        list = m.sources.filter((x) => !s.includes(x));
        if (list.length === 0) return this.leave(vlan, group, port, t, leaveMs);
        mode = INCLUDE;
      } else [mode, list] = [EXCLUDE, union(m.sources, s)];
    } else [mode, list] = include ? [INCLUDE, s] : [s.length === 0 ? ANY_SOURCE : EXCLUDE, s];
    if (list.length > limit) [mode, list] = [ANY_SOURCE, []]; // Net.IGMPV3MaxSrcIPNum exceeded [L]
    if (mode === EXCLUDE && list.length === 0) mode = ANY_SOURCE;
    this.join(vlan, group, port, t, mode, list);
  }

  /** Forget members that aged out (for views and saving). */
  age(now: number): void {
    for (const [vlan, group, e] of [...this.table.entries()]) {
      for (let i = e.members.length - 1; i >= 0; i--) if (!this.live(e.members[i]!, now)) e.members.splice(i, 1);
      if (e.members.length === 0) this.table.delete(vlan, group);
    }
  }

  /** Entries in the order learned. */
  entries(): GroupEntry[] {
    return [...this.table.entries()].map(([, , e]) => e);
  }
}

function union(a: readonly number[], b: readonly number[]): number[] {
  return [...a, ...b.filter((x) => !a.includes(x))];
}

/** Multicast-router ports by VLAN: learned from queries (for OTHER_QUERIER_MS), or static (every VLAN). */
export class Mrouters {
  constructor(private readonly fabric: Fabric) {}

  readonly ports: Port[] = [];
  /** −1: every VLAN (a configured mrouter port) */
  readonly vlans: number[] = [];
  /** last query, ms; Infinity: static */
  readonly times: number[] = [];

  addStatic(port: Port): void {
    this.learn(-1, port, Infinity);
  }

  learn(vlan: number, port: Port, t: number): void {
    for (let i = 0; i < this.ports.length; i++) {
      if (this.ports[i] !== port || (this.vlans[i] !== vlan && this.vlans[i] !== -1)) continue;
      if (this.times[i] !== Infinity) this.times[i] = t;
      return;
    }
    this.ports.push(port);
    this.vlans.push(vlan);
    this.times.push(t);
  }

  /** Is `port` a multicast-router port of `vlan` at the frame's time? Allocation-free. */
  is(vlan: number, port: Port): boolean {
    const now = this.fabric.frameTime;
    for (let i = 0; i < this.ports.length; i++) {
      if (this.ports[i] === port && (this.vlans[i] === vlan || this.vlans[i] === -1) && now - this.times[i]! <= OTHER_QUERIER_MS) return true;
    }
    return false;
  }

  /** Learned entries that aged out: gone. */
  age(now: number): void {
    for (let i = this.ports.length - 1; i >= 0; i--) {
      if (now - this.times[i]! <= OTHER_QUERIER_MS) continue;
      this.ports.splice(i, 1);
      this.vlans.splice(i, 1);
      this.times.splice(i, 1);
    }
  }
}

/** How a snooping switch sends a multicast frame on (classify()). */
export const SNOOP_FLOOD = 0; // as without snooping (R9.3, R8.3)
export const SNOOP_FILTER = 1; // only to ports passes() accepts
export const SNOOP_DROP = 2; // a malformed IGMP message: dropped (Linux: br_multicast_rcv fails → the frame is freed)

/** Whom a filtered frame goes to. */
const TO_MEMBERS = 0; // group members and mrouter ports
const TO_MROUTERS = 1; // mrouter ports only: reports, leaves, (Linux) unregistered groups

/** Parse the IGMP message in `frame` (untagged IPv4, protocol 2); null: malformed (bad IPv4 header or checksum, bad IGMP). */
export function igmpOf(frame: Uint8Array): Igmp | null {
  const ip = parseIpv4(frame, 14);
  if (ip === null || !ip.checksumOk) return null;
  return parseIgmp(frame, ip.payloadOffset, ip.payloadOffset + ip.payloadLength);
}

/**
 * IGMP snooping on a physical switch (Cisco flavour) or a Linux bridge (Linux flavour): the
 * switch calls classify() for every multicast frame, then passes() for each port it would flood
 * to. Ports are the switch's logical ports (a port channel is one, R5.4).
 */
export class SnoopingSwitch {
  readonly groups: GroupTable;
  readonly mrouters: Mrouters;
  /** VLAN → when a query was last heard: a Linux bridge forwards by its tables only while one was (OTHER_QUERIER_MS) */
  readonly queriers = new Map<number, number>();
  // The frame being forwarded (set by classify, read by passes): no allocation per frame.
  private entry: GroupEntry | undefined = undefined;
  private vlan = 0;
  private frame: Uint8Array | null = null;
  private to = TO_MEMBERS;

  constructor(
    readonly device: Device,
    readonly fabric: Fabric,
    readonly flavour: 'cisco' | 'linux',
  ) {
    this.groups = new GroupTable(fabric);
    this.mrouters = new Mrouters(fabric);
  }

  /** Is snooping in force in `vlan` — always on a Cisco switch; on a Linux bridge, while a querier is heard (at the frame's time). */
  active(vlan: number): boolean {
    if (this.flavour === 'cisco') return true;
    const t = this.queriers.get(vlan);
    return t !== undefined && this.fabric.frameTime - t <= OTHER_QUERIER_MS;
  }

  /**
   * A multicast frame from logical port `ingress` (physical `port`, for traces) in `vlan`: learn
   * from it if it is IGMP, then say how it goes on — SNOOP_FLOOD, SNOOP_FILTER or SNOOP_DROP.
   */
  classify(ingress: Port, port: Port, frame: Uint8Array, vlan: number): number {
    const kind = multicastKind(frame);
    if (kind === MC_OTHER || kind === MC_LINK_LOCAL) return SNOOP_FLOOD; // RFC 4541 §2.1.2: 224.0.0.x floods
    this.vlan = vlan;
    this.frame = frame;
    if (kind === MC_IGMP) return this.snoop(ingress, port, frame, vlan);
    // Group traffic.
    if (!this.active(vlan)) return SNOOP_FLOOD;
    const e = this.groups.get(vlan, groupAt(frame));
    if (e !== undefined && this.groups.anyLive(e)) {
      this.entry = e;
      this.to = TO_MEMBERS;
      return SNOOP_FILTER;
    }
    // Nobody joined: Catalyst floods it; a Linux bridge with a querier sends it to router ports only.
    if (this.flavour === 'cisco') return SNOOP_FLOOD;
    this.entry = undefined;
    this.to = TO_MROUTERS;
    return SNOOP_FILTER;
  }

  private snoop(ingress: Port, port: Port, frame: Uint8Array, vlan: number): number {
    const f = this.fabric;
    const now = f.frameTime;
    const m = igmpOf(frame);
    if (m === null) return SNOOP_DROP;
    this.entry = undefined;
    this.to = TO_MROUTERS;
    const rule = this.flavour === 'cisco' ? 'R9.3' : 'R8.3';
    switch (m.kind) {
      case 'query':
        // The querier's port is a multicast-router port; queries reach every host (flooded).
        this.queriers.set(vlan, now);
        this.mrouters.learn(vlan, ingress, now);
        f.trace(this.device, port, 'learn', vlan, rule, 'igmp-query');
        return SNOOP_FLOOD;
      case 'report':
        this.groups.join(vlan, m.group, ingress, now);
        f.trace(this.device, port, 'learn', vlan, rule, 'igmp-report');
        return this.active(vlan) ? SNOOP_FILTER : SNOOP_FLOOD;
      case 'leave':
        this.groups.leave(vlan, m.group, ingress, now, LAST_MEMBER_MS);
        f.trace(this.device, port, 'learn', vlan, rule, 'igmp-leave');
        return this.active(vlan) ? SNOOP_FILTER : SNOOP_FLOOD;
      case 'report-v3':
        for (const r of m.records) this.groups.record(vlan, ingress, now, r.type, r.group, r.sources, 0, LAST_MEMBER_MS);
        f.trace(this.device, port, 'learn', vlan, rule, 'igmp-report');
        // Cisco sends reports to the multicast routers only; Linux floods v3 reports (224.0.0.22 is link-local).
        return this.flavour === 'cisco' ? SNOOP_FILTER : SNOOP_FLOOD;
      case 'other':
        return SNOOP_FLOOD;
    }
  }

  /** Does the frame classify() filtered go out of logical port `port` (not its ingress: the switch never sends it back)? Allocation-free. */
  passes(port: Port): boolean {
    if (this.mrouters.is(this.vlan, port)) return true;
    return this.to === TO_MEMBERS && this.entry !== undefined && this.groups.passes(this.entry, port, this.frame!);
  }

  /** Why a filtered frame went out of no port. */
  noneReason(): DropReason {
    return this.to === TO_MEMBERS ? 'no-group-member' : 'no-mrouter-port';
  }
}
