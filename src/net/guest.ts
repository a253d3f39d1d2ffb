// A simulated guest's IPv4 stack: every VM NIC, VMkernel port and station NIC gets one. ARP
// with a cache and timeouts, echo request/reply, guest VLAN tagging (VGT), promiscuous mode,
// guest MAC changes, gratuitous ARP when the link comes up, and — for a VM or station with the
// router role — IPv4 forwarding between its NICs. Replies leave after a small processing delay,
// as events on the fabric's virtual-time scheduler.
import {
  ARP_REPLY, ARP_REQUEST, ETHERTYPE_ARP, ETHERTYPE_IPV4, ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST, IP_PROTO_ICMP, IP_PROTO_IGMP,
  arpReplyFrame, arpRequestFrame, buildEthernet, buildIpv4, frameDst, gratuitousArpFrame, icmpEchoFrame, isMulticastMac,
  parseArp, parseEthernet, parseIcmp, parseIpv4, sameSubnet,
} from './codec/index.js';
import { Port, type Device, type Fabric } from './fabric.js';

/** Time a guest takes to answer (ms). */
const PROCESSING_MS = 0.02;
/** ARP cache entries live this long (ms); then the next packet asks again. */
export const ARP_TIMEOUT_MS = 300_000;
/** An unanswered ARP request is retried after this long (ms), up to ARP_TRIES times. */
const ARP_RETRY_MS = 1000;
const ARP_TRIES = 3;

export interface InterfaceConfig {
  /** the object this interface belongs to, e.g. `vnic:web/0`, `vmknic:esx1/vmk0` */
  id: string;
  mac: number;
  ip?: { ip: number; prefix: number };
  gateway?: number;
  /** VGT: the guest tags its frames with this VLAN (0: untagged) */
  vlan: number;
  promiscuous: boolean;
}

export interface Interface extends InterfaceConfig {
  port: Port;
  /** the MAC the guest OS uses now (a guest MAC change sets it) */
  effectiveMac: number;
  readonly arp: Map<number, { mac: number; t: number }>;
  readonly pending: Map<number, { tries: number; queue: Array<(mac: number) => void> }>;
  /** the switch port this NIC plugs into learns of MAC changes (the vNIC reports them) */
  onMacChange?: (mac: number) => void;
}

export interface EchoReply {
  from: number;
  id: number;
  seq: number;
  t: number;
  ttl: number;
}

export class Guest implements Device {
  readonly kind: string;
  readonly interfaces: Interface[] = [];
  private readonly byPort = new Map<Port, Interface>();
  /** echo replies received, for ping */
  onEchoReply: ((iface: Interface, reply: EchoReply) => void) | null = null;
  /** IGMP messages (the IPv4 payload at frame[off..end)), in labs that speak IGMP (igmp-host.ts) */
  onIgmp: ((iface: Interface, frame: Uint8Array, off: number, end: number, t: number) => void) | null = null;

  constructor(
    readonly id: string,
    readonly fabric: Fabric,
    readonly router: boolean,
    kind = 'guest',
  ) {
    this.kind = kind;
  }

  addInterface(config: InterfaceConfig, speedMbps = 10_000): Interface {
    const port = new Port(config.id, this, speedMbps);
    const iface: Interface = { ...config, port, effectiveMac: config.mac, arp: new Map(), pending: new Map() };
    this.interfaces.push(iface);
    this.byPort.set(port, iface);
    return iface;
  }

  // ---- receiving ------------------------------------------------------------------------

  receive(port: Port, frame: Uint8Array, vid: number): void {
    const iface = this.byPort.get(port)!;
    const f = this.fabric;
    const t = f.frameTime;
    // The guest's own VLAN config: a VGT interface takes its VLAN only, others untagged only.
    if (vid !== iface.vlan) return f.drop(port, 'not-for-me', vid);
    const dst = frameDst(frame);
    if (dst !== iface.effectiveMac && !isMulticastMac(dst)) {
      // A promiscuous guest sees it, but its stack only answers frames to its own MAC.
      return f.drop(port, 'not-for-me', vid);
    }
    const eth = parseEthernet(frame);
    if (eth === null) return f.drop(port, 'malformed', vid);
    f.trace(this, port, 'deliver', vid, '', '');
    if (eth.etherType === ETHERTYPE_ARP) this.onArp(iface, frame, eth.payloadOffset, t);
    else if (eth.etherType === ETHERTYPE_IPV4) this.onIpv4(iface, frame, eth.payloadOffset, t);
  }

  private onArp(iface: Interface, frame: Uint8Array, off: number, t: number): void {
    const arp = parseArp(frame, off);
    if (arp === null) return this.fabric.drop(iface.port, 'malformed', iface.vlan);
    if (!iface.ip) return;
    // Learn the sender (RFC 826: update if known, add if we are the target).
    if (arp.senderIp !== 0 && (iface.arp.has(arp.senderIp) || arp.targetIp === iface.ip.ip)) this.learn(iface, arp.senderIp, arp.senderMac, t);
    if (arp.op === ARP_REQUEST && arp.targetIp === iface.ip.ip && arp.senderIp !== iface.ip.ip) {
      const reply = arpReplyFrame(iface.effectiveMac, iface.ip.ip, arp.senderMac, arp.senderIp);
      this.later(t, () => this.send(iface, reply));
    } else if (arp.op === ARP_REPLY && arp.targetIp === iface.ip.ip) {
      this.learn(iface, arp.senderIp, arp.senderMac, t);
    }
  }

  private learn(iface: Interface, ip: number, mac: number, t: number): void {
    iface.arp.set(ip, { mac, t });
    const waiting = iface.pending.get(ip);
    if (waiting) {
      iface.pending.delete(ip);
      for (const go of waiting.queue) this.later(t, () => go(mac));
    }
  }

  private onIpv4(iface: Interface, frame: Uint8Array, off: number, t: number): void {
    const ip = parseIpv4(frame, off);
    // A bad header checksum: the guest's stack discards the packet (RFC 1122 3.2.1.2).
    if (ip === null || !ip.checksumOk) return this.fabric.drop(iface.port, 'malformed', iface.vlan);
    if (ip.protocol === IP_PROTO_IGMP && this.onIgmp !== null) return this.onIgmp(iface, frame, ip.payloadOffset, ip.payloadOffset + ip.payloadLength, t);
    const mine = this.interfaces.some((i) => i.ip?.ip === ip.dst);
    if (!mine) {
      if (this.router) this.forward(frame, off, t);
      return;
    }
    if (ip.protocol !== IP_PROTO_ICMP) return;
    const icmp = parseIcmp(frame, ip.payloadOffset, ip.payloadOffset + ip.payloadLength);
    if (icmp === null || !icmp.checksumOk) return this.fabric.drop(iface.port, 'malformed', iface.vlan);
    if (icmp.type === ICMP_ECHO_REQUEST) {
      const size = icmp.dataLength;
      this.later(t, () => this.sendIp(iface, ip.src, (dstMac) => icmpEchoFrame({
        srcMac: iface.effectiveMac, dstMac, srcIp: iface.ip!.ip, dstIp: ip.src, id: icmp.id, seq: icmp.seq, size, reply: true,
      }), t));
    } else if (icmp.type === ICMP_ECHO_REPLY) {
      this.onEchoReply?.(iface, { from: ip.src, id: icmp.id, seq: icmp.seq, t, ttl: ip.ttl });
    }
  }

  /** Router role: forward to the interface on the destination's subnet (or drop: no route). */
  private forward(frame: Uint8Array, off: number, t: number): void {
    const ip = parseIpv4(frame, off)!;
    const out = this.interfaces.find((i) => i.ip && sameSubnet(i.ip.ip, ip.dst, i.ip.prefix));
    if (!out || ip.ttl <= 1) return this.fabric.drop(this.interfaces[0]!.port, out ? 'ttl-exceeded' : 'no-route', 0);
    const payload = frame.slice(ip.payloadOffset, ip.payloadOffset + ip.payloadLength);
    const packet = buildIpv4({ src: ip.src, dst: ip.dst, protocol: ip.protocol, ttl: ip.ttl - 1, id: ip.id, payload });
    this.later(t, () => this.sendIp(out, ip.dst, (dstMac) => buildEthernet({ dst: dstMac, src: out.effectiveMac, etherType: ETHERTYPE_IPV4, payload: packet }), t, true));
  }

  // ---- sending ----------------------------------------------------------------------------

  private later(t: number, run: () => void): void {
    this.fabric.schedule(t + PROCESSING_MS, run);
  }

  /** Put a frame on the wire from `iface` (at the fabric's current time). */
  send(iface: Interface, frame: Uint8Array): void {
    this.fabric.tracer?.begin(this.id, iface.port.id, frame, iface.vlan);
    this.fabric.transmit(iface.port, frame, iface.vlan, this.fabric.now);
  }

  /**
   * Send an IPv4 packet to `dstIp`: to it directly on the same subnet, else to the gateway; ARP
   * first if the next hop's MAC is not cached (retrying, then giving up).
   */
  sendIp(iface: Interface, dstIp: number, build: (dstMac: number) => Uint8Array, t = this.fabric.now, direct = false): void {
    if (!iface.ip) return;
    const onLink = direct || sameSubnet(iface.ip.ip, dstIp, iface.ip.prefix);
    const hop = onLink ? dstIp : iface.gateway;
    if (hop === undefined) return this.fabric.drop(iface.port, 'no-route', iface.vlan);
    const cached = iface.arp.get(hop);
    if (cached && t - cached.t <= ARP_TIMEOUT_MS) {
      this.send(iface, build(cached.mac));
      return;
    }
    const waiting = iface.pending.get(hop);
    if (waiting) {
      waiting.queue.push((mac) => this.send(iface, build(mac)));
      return;
    }
    iface.pending.set(hop, { tries: 1, queue: [(mac) => this.send(iface, build(mac))] });
    this.arpRequest(iface, hop);
  }

  private arpRequest(iface: Interface, ip: number): void {
    this.send(iface, arpRequestFrame(iface.effectiveMac, iface.ip!.ip, ip));
    this.fabric.schedule(this.fabric.now + ARP_RETRY_MS, () => {
      const waiting = iface.pending.get(ip);
      if (!waiting) return;
      if (waiting.tries >= ARP_TRIES) {
        iface.pending.delete(ip); // unresolved: the queued packets are lost
        return;
      }
      waiting.tries++;
      this.arpRequest(iface, ip);
    });
  }

  /** Gratuitous ARP when the link comes up. */
  announce(iface: Interface): void {
    if (iface.ip) this.send(iface, gratuitousArpFrame(iface.effectiveMac, iface.ip.ip));
  }

  /** The guest OS changes its MAC (its frames carry the new source from now on). */
  setMac(iface: Interface, mac: number): void {
    iface.effectiveMac = mac;
    iface.onMacChange?.(mac);
  }

  /** An echo request, like ping: resolves the next hop first. */
  ping(iface: Interface, dstIp: number, id: number, seq: number, size: number): void {
    this.sendIp(iface, dstIp, (dstMac) => icmpEchoFrame({ srcMac: iface.effectiveMac, dstMac, srcIp: iface.ip!.ip, dstIp, id, seq, size, reply: false }));
  }
}
