// A vDS proxy switch in multicast snooping mode (`multicastFiltering: snooping`, vDS 6.0.0+; R1.7,
// R6.5, S40): it learns group membership per port from the IGMP reports its VMs send, and gives
// a port an IPv4 group's traffic only when the port joined that group — by group address, so the
// basic mode's over-delivery (32 groups share one MAC; R1.7) is gone — and, for IGMPv3, only from
// the sources the port asked for (up to Net.IGMPV3MaxSrcIPNum, igmp.ts). What it does not change:
//  - every multicast a VM sends still leaves on its one teaming-selected uplink (R1.7, R1.13):
//    receivers and the multicast router may be out there [L: the vDS knows no remote members];
//  - reports and leaves go out of the uplink (toward the multicast router) and to no other VM
//    (RFC 4541 §2.1.1) — promiscuous ports get their copy (R2.3) as of every frame;
//  - reports arriving from the physical network teach it nothing ("membership information that
//    virtual machines send"), and reach no VM;
//  - queries (from a VM or the physical network) and 224.0.0.0/24 reach every port of the VLAN
//    (RFC 4541 §2.1.2) — whatever its vNIC filter, as a host's all-systems group always is;
//  - multicast that is not IPv4 (IPv6 33:33:…, BPDUs, LLDP) keeps the basic filtering by MAC:
//    nestlab does not decode MLD, so IPv6 groups stay at the MAC level.
// A leave takes the port out of the group at once [L: the vDS knows one vNIC sits behind a port —
// no last-member queries]. A port of a nested hypervisor (its vmnic, all-multicast in basic mode)
// is a port like any other: it gets the groups its nested VMs joined, whose reports crossed the
// nested switch and entered here on its port [L].
import { groupAt, GroupTable, igmpOf, MAX_SOURCES, MC_DATA, MC_IGMP, MC_LINK_LOCAL, multicastKind, type GroupEntry } from './igmp.js';
import type { Device, Fabric, Port } from './fabric.js';
import type { VPort } from './vswitch.js';

const BY_MAC = 0; // not IPv4 multicast: the vNIC's multicast filter (basic mode)
const TO_ALL = 1; // link-local groups and queries: every port of the VLAN
const TO_NONE = 2; // reports and leaves: the uplink only
const BY_GROUP = 3; // group traffic: the members

export class VdsSnooping {
  readonly groups: GroupTable;
  /** VLAN → when a query from the physical network was last heard: the vDS's own querier keeps quiet then (igmp-host.ts) */
  readonly heard = new Map<number, number>();
  // The frame being forwarded (set by fromLocal / fromUplink, read by wants): no allocation per frame.
  private how = BY_MAC;
  private entry: GroupEntry | undefined = undefined;

  constructor(
    readonly device: Device,
    readonly fabric: Fabric,
  ) {
    this.groups = new GroupTable(fabric);
  }

  /** A multicast (not broadcast) frame from local port `port` in VLAN `ctx`; false: malformed IGMP (dropped). */
  fromLocal(port: Port, frame: Uint8Array, ctx: number): boolean {
    const kind = this.begin(frame, ctx);
    if (kind !== MC_IGMP) return true;
    const m = igmpOf(frame);
    if (m === null) return false;
    const f = this.fabric;
    const now = f.frameTime;
    switch (m.kind) {
      case 'report':
        this.groups.join(ctx, m.group, port, now);
        break;
      case 'leave':
        this.groups.leave(ctx, m.group, port, now, 0);
        break;
      case 'report-v3':
        for (const r of m.records) this.groups.record(ctx, port, now, r.type, r.group, r.sources, MAX_SOURCES, 0);
        break;
      default:
        // A query (a VM acting as querier) or another IGMP message: to the VLAN, like 224.0.0.x.
        this.how = TO_ALL;
        return true;
    }
    f.trace(this.device, port, 'learn', ctx, 'R1.7', m.kind === 'leave' ? 'igmp-leave' : 'igmp-report');
    this.how = TO_NONE;
    return true;
  }

  /** A multicast (not broadcast) frame from uplink `uplink` in VLAN `ctx`; false: malformed IGMP (dropped). */
  fromUplink(uplink: Port, frame: Uint8Array, ctx: number): boolean {
    const kind = this.begin(frame, ctx);
    if (kind !== MC_IGMP) return true;
    const m = igmpOf(frame);
    if (m === null) return false;
    const now = this.fabric.frameTime;
    if (m.kind === 'query') {
      this.heard.set(ctx, now);
      this.fabric.trace(this.device, uplink, 'learn', ctx, 'R1.9', 'igmp-query');
      this.how = TO_ALL;
    } else this.how = m.kind === 'other' ? TO_ALL : TO_NONE; // others' reports are for the router, not our VMs
    return true;
  }

  private begin(frame: Uint8Array, ctx: number): number {
    const kind = multicastKind(frame);
    this.entry = undefined;
    if (kind === MC_DATA) {
      this.how = BY_GROUP;
      this.entry = this.groups.get(ctx, groupAt(frame));
    } else this.how = kind === MC_LINK_LOCAL ? TO_ALL : BY_MAC;
    return kind;
  }

  /** Is the frame fromLocal / fromUplink looked at group traffic, forwarded to the group's members (a trace says `forward`)? */
  get byGroup(): boolean {
    return this.how === BY_GROUP;
  }

  /** Does local port `vp` get the frame fromLocal / fromUplink looked at (R1.7 / R1.9 in snooping mode)? Allocation-free. */
  wants(vp: VPort, frame: Uint8Array): boolean {
    switch (this.how) {
      case BY_MAC: return vp.wantsGroup(frame);
      case TO_ALL: return true;
      case TO_NONE: return false;
      default: return this.entry !== undefined && this.groups.passes(this.entry, vp.port, frame);
    }
  }
}
