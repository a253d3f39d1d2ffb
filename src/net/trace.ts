// Recording what frames did, for `nestlab trace`: every frame a guest put on the wire, with each
// decision a device took — device, port, action, VLAN, rule id, reason code.
import { describeFrame, frameDst, frameSrc, macToString } from './codec/index.js';
import type { TraceAction, Tracer } from './fabric.js';

export interface Hop {
  device: string;
  port: string;
  action: TraceAction;
  vlan: number;
  rule: string;
  reason: string;
}

export interface TracedFrame {
  kind: string;
  from: string;
  src: string;
  dst: string;
  vlan: number;
  outcome: 'delivered' | 'dropped';
  hops: Hop[];
  drop?: { device: string; port: string; rule: string; reason: string };
}

export class Recorder implements Tracer {
  readonly frames: TracedFrame[] = [];
  private current: TracedFrame | null = null;

  begin(origin: string, port: string, frame: Uint8Array, vid: number): void {
    this.close();
    this.current = { kind: describeFrame(frame, vid), from: port, src: macToString(frameSrc(frame)), dst: macToString(frameDst(frame)), vlan: vid, outcome: 'dropped', hops: [] };
    this.frames.push(this.current);
    void origin;
  }

  hop(device: string, port: string, action: TraceAction, vlan: number, rule: string, reason: string): void {
    this.current?.hops.push({ device, port, action, vlan, rule, reason });
  }

  /** Settle outcomes: delivered when a guest other than the sender took the frame in. */
  close(): void {
    const f = this.current;
    if (!f) return;
    const delivered = f.hops.some((h) => h.action === 'deliver' && h.port !== f.from);
    f.outcome = delivered ? 'delivered' : 'dropped';
    // The drop that explains the frame: not a guest ignoring it, nor a flood into an empty port.
    const drops = f.hops.filter((h) => h.action === 'drop' && h.reason !== 'not-for-me');
    const lastDrop = drops.filter((h) => h.reason !== 'link-down').at(-1) ?? drops.at(-1);
    if (!delivered && lastDrop) f.drop = { device: lastDrop.device, port: lastDrop.port, rule: lastDrop.rule, reason: lastDrop.reason };
    this.current = null;
  }
}
