// ping and trace between guests of a running network, in virtual time.
import { ipToNumber, ipToString } from './codec/index.js';
import type { Guest, Interface } from './guest.js';
import type { Network } from './topology.js';
import { Recorder, type TracedFrame } from './trace.js';

export interface Endpoint {
  name: string;
  guest: Guest;
  iface: Interface;
}

export class ProbeError extends Error {
  constructor(readonly code: string, message: string, readonly hint?: string) {
    super(message);
  }
}

/**
 * A VM, station or VMkernel port: `web` (its first NIC with an IP), `web/nic1`, `laptop`,
 * `laptop/eth0`, `esx1/vmk0`.
 */
export function endpoint(net: Network, spec: string): Endpoint {
  const exact = net.interfaces.get(spec);
  if (exact) return { name: spec, ...exact };
  const candidates = [...net.interfaces.entries()].filter(([k]) => k.startsWith(`${spec}/`) && !k.includes(':'));
  const withIp = candidates.find(([, v]) => v.iface.ip !== undefined);
  if (withIp) return { name: withIp[0], ...withIp[1] };
  if (candidates.length) throw new ProbeError('no-ip', `${spec} has no NIC with an IP address`, 'give a NIC ip: 10.0.0.5/24 in the lab file');
  throw new ProbeError('unknown-endpoint', `no running VM, station or VMkernel port named "${spec}"`, 'is it powered on? use VM, VM/nicN, STATION, or HOST/vmkN');
}

/** A destination: an endpoint's IP, or an IPv4 address. */
export function targetIp(net: Network, spec: string): number {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(spec)) return ipToNumber(spec);
  return endpoint(net, spec).iface.ip!.ip;
}

export interface PingResult {
  from: string;
  to: string;
  sent: number;
  received: number;
  lossPercent: number;
  rttMs: { min: number; avg: number; max: number } | null;
  replies: Array<{ seq: number; rttMs: number; ttl: number }>;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export function ping(net: Network, src: Endpoint, dst: number, opts: { count?: number; size?: number; intervalMs?: number } = {}): PingResult {
  if (!src.iface.ip) throw new ProbeError('no-ip', `${src.name} has no IP address`);
  const count = opts.count ?? 4;
  const interval = opts.intervalMs ?? 1000;
  const f = net.fabric;
  const t0 = f.now;
  const id = (src.iface.mac + dst) % 0xffff;
  const sentAt = new Map<number, number>();
  const replies: PingResult['replies'] = [];
  const prior = src.guest.onEchoReply;
  src.guest.onEchoReply = (iface, r) => {
    if (iface !== src.iface || r.id !== id || r.from !== dst || !sentAt.has(r.seq) || replies.some((x) => x.seq === r.seq)) return;
    replies.push({ seq: r.seq, rttMs: round(r.t - sentAt.get(r.seq)!), ttl: r.ttl });
  };
  for (let seq = 1; seq <= count; seq++) {
    f.schedule(t0 + (seq - 1) * interval, () => {
      sentAt.set(seq, f.now);
      src.guest.ping(src.iface, dst, id, seq, opts.size ?? 56);
    });
  }
  // Wait for the last reply as ping does (ARP may retry for up to 3 s).
  f.runUntil(t0 + (count - 1) * interval + 3000);
  src.guest.onEchoReply = prior;
  const rtts = replies.map((r) => r.rttMs);
  return {
    from: src.name, to: ipToString(dst), sent: count, received: replies.length,
    lossPercent: Math.round(((count - replies.length) / count) * 100),
    rttMs: rtts.length ? { min: Math.min(...rtts), avg: round(rtts.reduce((a, b) => a + b, 0) / rtts.length), max: Math.max(...rtts) } : null,
    replies,
  };
}

export interface TraceResult {
  from: string;
  to: string;
  delivered: boolean;
  frames: TracedFrame[];
}

/** One echo request (ARP first if needed) and every frame it caused. */
export function trace(net: Network, src: Endpoint, dst: number): TraceResult {
  const recorder = new Recorder();
  net.fabric.tracer = recorder;
  try {
    const r = ping(net, src, dst, { count: 1 });
    recorder.close();
    return { from: src.name, to: ipToString(dst), delivered: r.received === 1, frames: recorder.frames };
  } finally {
    net.fabric.tracer = null;
  }
}
