// The fabric: ports joined in pairs (a cable, a vNIC in a vSwitch port, a nested host's vmnic in
// its VM's port), devices that receive frames on their ports, and a virtual-time scheduler for
// what guests do next. Frames are bytes without their outer 802.1Q tag, which travels beside
// them as `vid` (0 = untagged): flooding hands the same bytes to every port, nothing is copied.
// Tracing costs one null check per hop when off.
//
// A hop allocates nothing: devices are called with small integers and objects only. A frame's
// virtual time (a double, ms) is not an argument — V8 would box it into a new heap number at every
// call it crosses — but a slot of the fabric, `frameTime`, set while the frame is delivered.
import { COUNTER_SLOTS, DROP_BASE, REASON_INDEX, REASON_RULE, RX, TX, type DropReason } from './reasons.js';

export type TraceAction = 'ingress' | 'forward' | 'flood' | 'deliver' | 'tag' | 'untag' | 'copy-promiscuous' | 'drop' | 'learn';

export interface Tracer {
  /** a guest puts a new frame on the wire */
  begin(origin: string, port: string, frame: Uint8Array, vid: number): void;
  hop(device: string, port: string, action: TraceAction, vid: number, rule: string, reason: string): void;
}

export interface Device {
  readonly id: string;
  readonly kind: string;
  /** A frame arrives on `port` (one of this device's) with outer VLAN `vid`, at the fabric's `frameTime`. */
  receive(port: Port, frame: Uint8Array, vid: number): void;
}

export type CaptureHook = (t: number, frame: Uint8Array, vid: number) => void;

export class Port {
  peer: Port | null = null;
  /** link state: false after `nestlab link down` or when the far side is gone */
  up = true;
  readonly counters = new Float64Array(COUNTER_SLOTS);
  capture: CaptureHook | null = null;

  constructor(
    readonly id: string,
    readonly device: Device,
    /** link speed, Mb/s: serialization delay per frame */
    readonly speedMbps = 10_000,
  ) {}
}

/** Is the link up at both ends (`nestlab link down` on either side cuts it)? */
export function linkUp(p: Port): boolean {
  return p.up && p.peer !== null && p.peer.up;
}

/** Join two ports with a cable (or a virtual attachment). */
export function connect(a: Port, b: Port): void {
  a.peer = b;
  b.peer = a;
}

/** Frames deeper than this in one synchronous walk are a layer-2 loop (no STP in the path). */
const MAX_DEPTH = 256;
/**
 * Hops one frame may cause in one synchronous walk, copies included: a broadcast in a loop where
 * switches flood to two ports or more doubles at every turn — a broadcast storm, which the depth
 * guard alone would follow for 2^256 hops. A broadcast to every VM of a lab at configuration
 * maxima is some 10^4 hops.
 */
const MAX_HOPS = 1_000_000;

interface Scheduled {
  t: number;
  seq: number;
  run: () => void;
}

export class Fabric {
  tracer: Tracer | null = null;
  /** virtual time of the event being run, ms */
  now = 0;
  private depth = 0;
  /** hops of the walk under way (reset when a walk starts at depth 0) */
  private hops = 0;
  private seq = 0;
  private readonly queue: Scheduled[] = [];
  /** [0]: virtual time of the frame being handled, ms — when it reached the device now receiving it */
  private readonly clock = new Float64Array(1);

  /** Virtual time (ms) of the frame being handled: when it reached the device receiving it. */
  get frameTime(): number {
    return this.clock[0]!;
  }

  /** Put `frame` on the wire out of `from` at virtual time `t` (ms): a guest or a beacon sends. */
  transmit(from: Port, frame: Uint8Array, vid: number, t: number): void {
    const clock = this.clock;
    const outer = clock[0]!;
    clock[0] = t;
    this.forward(from, frame, vid);
    clock[0] = outer;
  }

  /** A device sends the frame it is handling out of `from`, at the frame's time, to whatever is at the other end. */
  forward(from: Port, frame: Uint8Array, vid: number): void {
    const clock = this.clock;
    const t = clock[0]!;
    from.counters[TX]!++;
    if (from.capture !== null) from.capture(t, frame, vid);
    const to = from.peer;
    if (to === null || !from.up || !to.up) {
      this.drop(from, 'link-down', vid);
      return;
    }
    if (this.depth === 0) this.hops = 0;
    if (this.depth >= MAX_DEPTH || ++this.hops > MAX_HOPS) {
      this.drop(to, 'ttl-exceeded', vid);
      return;
    }
    to.counters[RX]!++;
    if (to.capture !== null) to.capture(t, frame, vid);
    this.depth++;
    // Serialization delay of the frame on this link (preamble, FCS and gap included).
    clock[0] = t + ((frame.length + 24) * 8) / (from.speedMbps * 1000);
    to.device.receive(to, frame, vid);
    clock[0] = t;
    this.depth--;
  }

  /**
   * Run `run` with tracing off: what the network does on its own (beacons, hellos, LACPDUs, IGMP
   * queries, LBT's RARPs) is not what `nestlab trace` follows.
   */
  untraced<T>(run: () => T): T {
    const tracer = this.tracer;
    this.tracer = null;
    try {
      return run();
    } finally {
      this.tracer = tracer;
    }
  }

  /** Count (and trace) a drop at `port`; `rule` when the reason's default rule is not the one that applied. */
  drop(port: Port, reason: DropReason, vid: number, rule: string = REASON_RULE[reason]): void {
    port.counters[DROP_BASE + REASON_INDEX[reason]]!++;
    if (this.tracer !== null) this.tracer.hop(port.device.id, port.id, 'drop', vid, rule, reason);
  }

  trace(device: Device, port: Port, action: TraceAction, vid: number, rule: string, reason = ''): void {
    if (this.tracer !== null) this.tracer.hop(device.id, port.id, action, vid, rule, reason);
  }

  // ---- virtual-time scheduler -------------------------------------------------------------

  /** Run `run` at virtual time `t` (ms); ties run in the order scheduled (deterministic). */
  schedule(t: number, run: () => void): void {
    const item = { t, seq: this.seq++, run };
    const q = this.queue;
    q.push(item);
    for (let i = q.length - 1; i > 0;) {
      const parent = (i - 1) >> 1;
      if (before(q[parent]!, item)) break;
      q[i] = q[parent]!;
      q[parent] = item;
      i = parent;
    }
  }

  /** Run everything due up to `until` (ms), in time order; returns the number of events run. */
  runUntil(until: number): number {
    let n = 0;
    while (this.queue.length && this.queue[0]!.t <= until) {
      const next = this.pop()!;
      this.now = next.t;
      next.run();
      n++;
    }
    this.now = Math.max(this.now, until);
    return n;
  }

  get pending(): number {
    return this.queue.length;
  }

  private pop(): Scheduled | undefined {
    const q = this.queue;
    const top = q[0];
    const last = q.pop();
    if (top === undefined || last === undefined || q.length === 0) return top;
    q[0] = last;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < q.length && before(q[l]!, q[m]!)) m = l;
      if (r < q.length && before(q[r]!, q[m]!)) m = r;
      if (m === i) break;
      [q[i], q[m]] = [q[m]!, q[i]!];
      i = m;
    }
    return top;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}
