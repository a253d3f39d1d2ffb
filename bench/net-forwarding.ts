// Data-plane forwarding benchmark (not a test): how many frames per second one core pushes
// through nestlab's simulated switches, against a null forwarder measured in the same run.
//
//   node --import tsx bench/net-forwarding.ts            # ~1 s per repetition, 5 repetitions
//   node --import tsx bench/net-forwarding.ts --ms=300   # quicker, noisier
//   node --import tsx bench/net-forwarding.ts --only=vss  # null ×1 and the cases named …vss…
// (global.gc is used if --expose-gc was given, else enabled through v8.setFlagsFromString.)
//
// Cases (64-byte frames = 60 bytes without FCS, the codec's minimum, as nestlab carries no FCS):
//   null ×1 / null ×4   a device that tests the destination MAC (isMulticastAt) and hands the frame
//                       to its other port — one, and four in a row: the cost of the fabric alone
//   vss uplink→vm       one ESXi vSwitch hop: known unicast in on the uplink, out to the VM port
//                       with that registered MAC (R1.8), into a counting sink
//   vss vm→vm           known local unicast between two VM ports (R1.2)
//   vss vm→uplink       unicast to an outside MAC: out on the teaming-selected uplink (R1.5, R1.13)
//   nested 3-level      examples/three-level.yaml, everything on, frames for x (VLAN 30) put on
//                       psw/p10 by station-30's NIC: psw → L0 vSwitch0 (promiscuous copy to
//                       l1-esx) → L1 vSwitch0 (copy to l2-esx) → L2 vSwitch0 → x's port, whose
//                       guest is replaced by a counting sink (no guest stack cost)
//   bcast 2 uplinks ×16 broadcast from one of two active uplinks into 16 VM ports: each port
//                       takes it only from its own teaming-selected uplink (R1.9, R1.12 [L])
//   flood N             unknown unicast from the uplink to a vSwitch with N promiscuous ports
//                       (R2.3 copies), N = 1, 4, 16, 64
// each untraced, traced with a minimal tracer (hops into preallocated ring arrays), and traced
// with the real Recorder (src/net/trace.ts, as `nestlab trace` uses it; its frame list is
// cleared every 4096 frames so memory stays bounded).
//
// A "hop" is one forwarding device a frame crosses (null forwarder, physical switch, vSwitch);
// hops per frame are counted, not assumed: ingress RX on forwarding devices for one frame.
// Every case is warmed up first (all of them, so the fabric's call sites see every device type,
// as in a real network), then measured round-robin, 5 repetitions, median reported — in wall
// time, and per second of the process's CPU time (Mhop/cpu-s: on a loaded machine, what a core
// of our own would do; it includes GC and compiler threads).
// Allocation, after the timed runs: per case, 10,000,000 frames (--alloc=N; a case slower than
// 2 M frames/s gets 5 s worth) after a full GC, 500,000 frames to re-optimize and a full GC, in
// chunks of 10,000 (less than a semi-space even at 192 B/frame, so a chunk with a scavenge shows
// as heapUsed going down). Bytes allocated per frame: heapUsed growth over the chunks in which no
// GC ran (the cost of reading heapUsed subtracted). Scavenges: young-generation GCs over the whole
// run, counted by a PerformanceObserver ('gc', minor), with V8's default young generation (it
// grows to 8–16 MiB semi-spaces): the 16–192 B/frame measured before issue #3's fix meant a
// scavenge every 0.05–1 M frames; 0 B/frame means none in 10 M. Retained: heapUsed after a full
// GC, against before. A double or a 48-bit MAC passed through a non-inlined call would be boxed
// as a 16-byte HeapNumber, and inlining depends on how polymorphic the call sites are, so this
// runs after every case was warmed up: --only runs can differ from the full run.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { constants as perfConstants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadLabText } from '../src/plan/load.js';
import { buildNetwork } from '../src/net/topology.js';
import { connect, Fabric, Port, type Device, type TraceAction, type Tracer } from '../src/net/fabric.js';
import { VSwitch, type PortPolicy, type SwitchSettings } from '../src/net/vswitch.js';
import { Recorder } from '../src/net/trace.js';
import { RX } from '../src/net/reasons.js';
import { buildEthernet, DST_OFFSET, isMulticastAt, macToNumber } from '../src/net/codec/index.js';

const ROOT = join(import.meta.dirname, '..');
const arg = (name: string, dflt: number) => {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  return a ? Number(a.slice(name.length + 3)) : dflt;
};
const REP_MS = arg('ms', 1000);
const REPS = arg('reps', 5);
const ALLOC_FRAMES = arg('alloc', 10_000_000);
const ALLOC_CHUNK = 10_000;
const ALLOC_WARMUP = 500_000;
const TARGET_PER_HOP = 5_000_000;

// ---- devices --------------------------------------------------------------------------------

/** Counts what it is given, and nothing else. */
class Sink implements Device {
  readonly kind = 'sink';
  n = 0;
  constructor(readonly id: string) {}
  receive(): void {
    this.n++;
  }
}

/** The baseline: read the destination, hand the frame on through the other port. */
class NullForwarder implements Device {
  readonly kind = 'null';
  readonly a: Port;
  readonly b: Port;
  group = 0;
  constructor(readonly id: string, readonly fabric: Fabric) {
    this.a = new Port(`${id}/a`, this);
    this.b = new Port(`${id}/b`, this);
  }
  receive(port: Port, frame: Uint8Array, vid: number): void {
    if (isMulticastAt(frame, DST_OFFSET)) this.group++;
    this.fabric.forward(port === this.a ? this.b : this.a, frame, vid);
  }
}

/** `fabric.tracer` at its cheapest: every hop's fields into preallocated ring arrays. */
class RingTracer implements Tracer {
  static readonly SIZE = 1 << 16;
  readonly device: string[] = new Array<string>(RingTracer.SIZE).fill('');
  readonly port: string[] = new Array<string>(RingTracer.SIZE).fill('');
  readonly action: TraceAction[] = new Array<TraceAction>(RingTracer.SIZE).fill('ingress');
  readonly rule: string[] = new Array<string>(RingTracer.SIZE).fill('');
  readonly reason: string[] = new Array<string>(RingTracer.SIZE).fill('');
  readonly vid = new Int32Array(RingTracer.SIZE);
  hops = 0;
  frames = 0;
  begin(): void {
    this.frames++;
  }
  hop(device: string, port: string, action: TraceAction, vid: number, rule: string, reason: string): void {
    const i = this.hops++ & (RingTracer.SIZE - 1);
    this.device[i] = device;
    this.port[i] = port;
    this.action[i] = action;
    this.vid[i] = vid;
    this.rule[i] = rule;
    this.reason[i] = reason;
  }
}

// ---- cases ------------------------------------------------------------------------------------

type TraceMode = 'off' | 'ring' | 'recorder';

interface Case {
  name: string;
  /** forwarding devices crossed per frame (counted) */
  hops: number;
  /** frames delivered (or copies made) per frame sent, for the copies/s column */
  copies: number;
  fabric: Fabric;
  /** send n frames */
  run(n: number): void;
  /** what the sinks have received, to check the case does what it says */
  delivered(): number;
}

const SETTINGS: SwitchSettings = {
  reversePathFwdCheck: true, reversePathFwdCheckPromisc: false, forgedCompareInitial: false,
  duplicateSuppression: true, macLearningBypassesForged: true,
};

function policy(over: Partial<PortPolicy> = {}): PortPolicy {
  return {
    portgroup: 'VM Network', vlan: { kind: 'none' }, promiscuous: false, macChanges: true, forgedTransmits: true,
    active: ['vmnic0'], standby: [], teaming: 'port-id', failback: true, notifySwitches: true, learning: null, ...over,
  };
}

const frame64 = (dst: number, src: number) => buildEthernet({ dst, src, etherType: 0x88b5, payload: new Uint8Array(46) });
const EXTERNAL = macToNumber('02:00:00:00:00:01');
const vmMac = (i: number) => macToNumber('00:50:56:00:00:00') + i;

/** A port that frames are put on, attached to a sink (frames coming back are counted there). */
function source(id: string): { port: Port; sink: Sink } {
  const sink = new Sink(id);
  return { port: new Port(`${id}/0`, sink), sink };
}

function nullCase(chain: number): Case {
  const fabric = new Fabric();
  const src = source('src');
  const sink = new Sink('sink');
  const sinkPort = new Port('sink/0', sink);
  let prev = src.port;
  for (let i = 0; i < chain; i++) {
    const fwd = new NullForwarder(`null${i}`, fabric);
    connect(prev, fwd.a);
    prev = fwd.b;
  }
  connect(prev, sinkPort);
  const frame = frame64(vmMac(1), EXTERNAL);
  return {
    name: `null ×${chain}`, hops: chain, copies: 1, fabric, delivered: () => sink.n,
    run(n) {
      for (let i = 0; i < n; i++) {
        fabric.tracer?.begin('src', src.port.id, frame, 0);
        fabric.transmit(src.port, frame, 0, 0);
      }
    },
  };
}

/** A vSwitch with `uplinks` uplinks and `vms` VM ports (MACs vmMac(1..vms)), each into its own sink. */
function vswitch(vms: number, pol: (i: number) => PortPolicy = () => policy(), uplinks = 1) {
  const fabric = new Fabric();
  const sw = new VSwitch('vswitch:bench/vSwitch0', fabric, SETTINGS);
  const up = source('psw');
  connect(up.port, new Port('nic:bench/vmnic0', sw));
  sw.addUplink(up.port.peer!, 'vmnic0');
  for (let u = 1; u < uplinks; u++) {
    const more = source(`psw${u}`);
    connect(more.port, new Port(`nic:bench/vmnic${u}`, sw));
    sw.addUplink(more.port.peer!, `vmnic${u}`);
  }
  const sinks: Sink[] = [];
  const vmPorts: Port[] = [];
  for (let i = 1; i <= vms; i++) {
    const sink = new Sink(`vm${i}`);
    const guestSide = new Port(`vnic:vm${i}/0`, sink);
    const swSide = new Port(`${sw.id}[vnic:vm${i}/0]`, sw);
    connect(swSide, guestSide);
    const vp = sw.addPort(swSide, pol(i), vmMac(i));
    if (vp.policy.promiscuous) vp.guestPromisc = true;
    sw.invalidate();
    sinks.push(sink);
    vmPorts.push(guestSide);
  }
  return { fabric, sw, up, sinks, vmPorts };
}

function uplinkToVm(): Case {
  const { fabric, up, sinks } = vswitch(8);
  const frame = frame64(vmMac(1), EXTERNAL);
  return {
    name: 'vss uplink→vm', hops: 1, copies: 1, fabric, delivered: () => sinks[0]!.n,
    run(n) {
      for (let i = 0; i < n; i++) {
        fabric.tracer?.begin('psw', up.port.id, frame, 0);
        fabric.transmit(up.port, frame, 0, 0);
      }
    },
  };
}

function vmToVm(): Case {
  const { fabric, sinks, vmPorts } = vswitch(8);
  const frame = frame64(vmMac(2), vmMac(1));
  const from = vmPorts[0]!;
  return {
    name: 'vss vm→vm (R1.2)', hops: 1, copies: 1, fabric, delivered: () => sinks[1]!.n,
    run(n) {
      for (let i = 0; i < n; i++) {
        fabric.tracer?.begin('vm1', from.id, frame, 0);
        fabric.transmit(from, frame, 0, 0);
      }
    },
  };
}

function vmToUplink(): Case {
  const { fabric, up, vmPorts } = vswitch(8);
  const frame = frame64(EXTERNAL, vmMac(1));
  const from = vmPorts[0]!;
  return {
    name: 'vss vm→uplink', hops: 1, copies: 1, fabric, delivered: () => up.sink.n,
    run(n) {
      for (let i = 0; i < n; i++) {
        fabric.tracer?.begin('vm1', from.id, frame, 0);
        fabric.transmit(from, frame, 0, 0);
      }
    },
  };
}

/** R1.9 + R1.12: a broadcast from one of two active uplinks reaches the ports that uplink serves. */
function broadcastIn(ports: number): Case {
  const { fabric, up, sinks } = vswitch(ports, () => policy({ active: ['vmnic0', 'vmnic1'] }), 2);
  const frame = frame64(0xffff_ffff_ffff, EXTERNAL);
  fabric.transmit(up.port, frame, 0, 0);
  const copies = sinks.reduce((s, k) => s + k.n, 0);
  return {
    name: `bcast 2 uplinks ×${ports}`, hops: 1, copies, fabric,
    delivered: () => sinks.reduce((s, k) => s + k.n, 0),
    run(n) {
      for (let i = 0; i < n; i++) {
        fabric.tracer?.begin('psw', up.port.id, frame, 0);
        fabric.transmit(up.port, frame, 0, 0);
      }
    },
  };
}

function flood(promisc: number): Case {
  const { fabric, up, sinks } = vswitch(promisc, () => policy({ promiscuous: true }));
  const frame = frame64(macToNumber('00:0c:29:00:00:99'), EXTERNAL); // registered nowhere: R1.8 → copies only
  return {
    name: `flood ${promisc} promisc`, hops: 1, copies: promisc, fabric,
    delivered: () => sinks.reduce((s, k) => s + k.n, 0),
    run(n) {
      for (let i = 0; i < n; i++) {
        fabric.tracer?.begin('psw', up.port.id, frame, 0);
        fabric.transmit(up.port, frame, 0, 0);
      }
    },
  };
}

const FORWARDING = new Set(['pswitch', 'vswitch', 'dvswitch', 'bridge', 'null']);

function nested(): Case {
  const file = join(ROOT, 'examples/three-level.yaml');
  const l = loadLabText(file, readFileSync(file, 'utf8'));
  if (!l.ok) throw new Error(`three-level.yaml does not load: ${JSON.stringify(l.errors)}`);
  const inv = l.inventory;
  const net = buildNetwork(inv, { vm: (name) => ({ on: true, host: inv.vms.get(name)!.host }) });
  const fabric = net.fabric;
  const x = net.interfaces.get('x/nic0')!.iface;
  const station = net.interfaces.get('station-30/eth0')!.iface;
  const xSwitchSide = x.port.peer!;
  // Teach psw where x is (R9.1) with one frame from x, while x's guest is still attached.
  fabric.transmit(x.port, frame64(station.mac, x.mac), x.vlan, 0);
  fabric.runUntil(10_000);
  // Then x's guest stack is replaced by a counting sink at its switch-side port.
  const sink = new Sink('x');
  connect(xSwitchSide, new Port('sink:x', sink));
  const frame = frame64(x.mac, station.mac);
  const from = station.port;
  // Count the forwarding devices one frame crosses.
  const before = [...net.ports.values()].map((p) => p.counters[RX]!);
  fabric.transmit(from, frame, 0, 0);
  let hops = 0;
  [...net.ports.values()].forEach((p, i) => { if (p.counters[RX]! > before[i]! && FORWARDING.has(p.device.kind)) hops++; });
  if (sink.n !== 1) throw new Error(`nested: x's sink got ${sink.n} frames, expected 1`);
  return {
    name: 'nested 3-level → x', hops, copies: 1, fabric, delivered: () => sink.n,
    run(n) {
      for (let i = 0; i < n; i++) {
        fabric.tracer?.begin('station-30', from.id, frame, 0);
        fabric.transmit(from, frame, 0, 0);
      }
      fabric.runUntil(fabric.now); // nothing should be scheduled; keep the queue empty if it is
    },
  };
}

// ---- measuring --------------------------------------------------------------------------------

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const CHUNK = 1000;

function setTracer(c: Case, mode: TraceMode): Recorder | null {
  if (mode === 'off') c.fabric.tracer = null;
  else if (mode === 'ring') c.fabric.tracer = new RingTracer();
  else {
    const r = new Recorder();
    c.fabric.tracer = r;
    return r;
  }
  return null;
}

/** Frames per second over about `ms` of wall time, and per second of the process's CPU time. */
function timed(c: Case, mode: TraceMode, ms: number): { wall: number; cpu: number } {
  const rec = setTracer(c, mode);
  let frames = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const end = t0 + BigInt(Math.round(ms * 1e6));
  let now = t0;
  do {
    c.run(CHUNK);
    frames += CHUNK;
    if (rec !== null && frames % 4096 < CHUNK) rec.frames.length = 0;
    now = process.hrtime.bigint();
  } while (now < end);
  const cpu = process.cpuUsage(cpu0);
  c.fabric.tracer = null;
  return { wall: frames / (Number(now - t0) / 1e9), cpu: frames / ((cpu.user + cpu.system) / 1e6) };
}

// GC: a full collection on demand, and a count of collections from the perf hooks.
let gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  setFlagsFromString('--expose-gc');
  gc = runInNewContext('gc') as () => void;
}
const fullGc = gc;

// Young-generation collections, as the perf hooks report them (asynchronously: settle() first).
let scavenges = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if ((e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
}).observe({ entryTypes: ['gc'] });
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

interface Alloc { frames: number; allocBytes: number; allocBytesPerFrame: number; retainedBytesPerFrame: number; scavenges: number; gcChunks: number; sampledFrames: number }

/** Bytes allocated per frame (chunks without a GC), scavenges, and bytes retained after a full GC, over `frames`. */
async function allocation(c: Case, frames: number): Promise<Alloc> {
  const heap = () => process.memoryUsage().heapUsed;
  // The cost of reading the heap itself, to subtract (the median of 51 readings).
  const probes: number[] = [];
  for (let i = 0; i < 51; i++) { const a = heap(); const b = heap(); probes.push(b - a); }
  const probe = median(probes);
  // A full GC drops optimized code that embedded objects it collected (a tracer set earlier): let
  // the case run optimized again, then empty the young generation of what that warm-up allocated.
  fullGc();
  c.run(ALLOC_WARMUP);
  fullGc();
  await settle();
  const scavenges0 = scavenges;
  const base = heap();
  let grown = 0;
  let sampled = 0;
  let gcChunks = 0;
  for (let done = 0; done < frames; done += ALLOC_CHUNK) {
    const a = heap();
    c.run(ALLOC_CHUNK);
    const b = heap();
    if (b >= a) { grown += b - a - probe; sampled += ALLOC_CHUNK; } else gcChunks++; // a scavenge ran in this chunk
  }
  await settle();
  const counted = scavenges - scavenges0;
  fullGc();
  const retained = heap() - base;
  return { frames, allocBytes: grown, allocBytesPerFrame: sampled ? Math.max(0, grown) / sampled : NaN, retainedBytesPerFrame: retained / frames, scavenges: counted, gcChunks, sampledFrames: sampled };
}

// ---- the run --------------------------------------------------------------------------------

// --only=vss,nested keeps the null forwarder and the cases whose names contain one of the words.
const only = process.argv.find((x) => x.startsWith('--only='))?.slice(7).split(',');
const cases: Case[] = [nullCase(1), nullCase(4), uplinkToVm(), vmToVm(), vmToUplink(), nested(), broadcastIn(16), flood(1), flood(4), flood(16), flood(64)]
  .filter((c) => !only || c.name === 'null ×1' || only.some((w) => c.name.includes(w)));
const MODES: TraceMode[] = ['off', 'ring', 'recorder'];
const traced = new Set(['null ×1', 'null ×4', 'vss uplink→vm', 'vss vm→vm (R1.2)', 'vss vm→uplink', 'nested 3-level → x']);

const load0 = loadavg();
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}, load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
console.log(`one core, single thread; ${REPS} repetitions of ~${REP_MS} ms per case, round-robin; median`);

// Check each case does what it says before timing it.
for (const c of cases) {
  const d0 = c.delivered();
  c.run(10);
  const got = c.delivered() - d0;
  if (got !== 10 * c.copies) throw new Error(`${c.name}: 10 frames delivered ${got} copies, expected ${10 * c.copies}`);
}

// Warm-up: every case and mode, so call sites are in their steady (polymorphic) state.
for (let w = 0; w < 3; w++) for (const c of cases) for (const m of MODES) if (m === 'off' || traced.has(c.name)) timed(c, m, 60);

const jobs = cases.flatMap((c) => MODES.filter((m) => m === 'off' || traced.has(c.name)).map((m) => ({ c, m, fps: [] as number[], cpuFps: [] as number[] })));
for (let r = 0; r < REPS; r++) {
  for (const j of jobs) {
    const { wall, cpu } = timed(j.c, j.m, REP_MS);
    j.fps.push(wall);
    j.cpuFps.push(cpu);
  }
}

const nullFps = median(jobs.find((j) => j.c.name === 'null ×1' && j.m === 'off')!.fps);

// Slow cases (floods, broadcast) get about 5 s worth of frames, in whole chunks.
const allocFrames = (c: Case, m: TraceMode) => {
  const fps = median(jobs.find((j) => j.c === c && j.m === m)!.fps);
  return Math.max(ALLOC_CHUNK, Math.min(ALLOC_FRAMES, Math.floor((fps * 5) / ALLOC_CHUNK) * ALLOC_CHUNK));
};
const allocs = new Map<string, Alloc>();
for (const c of cases) allocs.set(c.name, await allocation(c, allocFrames(c, 'off')));
const hop1 = cases.find((c) => c.name === 'vss uplink→vm');
if (hop1) {
  setTracer(hop1, 'ring');
  allocs.set('vss uplink→vm +ring', await allocation(hop1, allocFrames(hop1, 'ring')));
  hop1.fabric.tracer = null;
}

const rows = jobs.map(({ c, m, fps, cpuFps }) => {
  const f = median(fps);
  const spread = (Math.max(...fps) - Math.min(...fps)) / f;
  return {
    case: c.name, trace: m, hops: c.hops, fps: f, nsPerFrame: 1e9 / f, fpsPerHop: f * c.hops, nsPerHop: 1e9 / (f * c.hops), cpuFpsPerHop: median(cpuFps) * c.hops,
    vsNull: f / nullFps, perHopVsNull: (f * c.hops) / nullFps, copiesPerS: f * c.copies, spread,
    allocBytesPerFrame: m === 'off' ? allocs.get(c.name)!.allocBytesPerFrame : m === 'ring' && c.name === 'vss uplink→vm' ? allocs.get('vss uplink→vm +ring')!.allocBytesPerFrame : null,
    retainedBytesPerFrame: m === 'off' ? allocs.get(c.name)!.retainedBytesPerFrame : null,
  };
});

const M = (x: number) => (x / 1e6).toFixed(2);
const pad = (s: string, n: number) => s.padEnd(n);
const lpad = (s: string, n: number) => s.padStart(n);
console.log('');
console.log(`${pad('case', 24)}${pad('trace', 9)}${lpad('hops', 4)}${lpad('Mframes/s', 11)}${lpad('ns/frame', 10)}${lpad('Mhop/s', 9)}${lpad('ns/hop', 8)}${lpad('÷null', 7)}${lpad('hop÷null', 9)}${lpad('Mcopies/s', 11)}${lpad('spread', 8)}${lpad('Mhop/cpu-s', 11)}${lpad('B/frame', 9)}`);
for (const r of rows) {
  console.log(`${pad(r.case, 24)}${pad(r.trace, 9)}${lpad(String(r.hops), 4)}${lpad(M(r.fps), 11)}${lpad(r.nsPerFrame.toFixed(0), 10)}${lpad(M(r.fpsPerHop), 9)}${lpad(r.nsPerHop.toFixed(0), 8)}${lpad(r.vsNull.toFixed(3), 7)}${lpad(r.perHopVsNull.toFixed(3), 9)}${lpad(M(r.copiesPerS), 11)}${lpad(`${(r.spread * 100).toFixed(0)}%`, 8)}${lpad(M(r.cpuFpsPerHop), 11)}${lpad(r.allocBytesPerFrame === null ? '' : r.allocBytesPerFrame.toFixed(2), 9)}`);
}
console.log('');
console.log(`allocation (heapUsed growth over chunks of ${ALLOC_CHUNK.toLocaleString('en-US')} frames without a GC; scavenges counted by the perf hooks; retained after a full GC):`);
for (const [name, a] of allocs) {
  console.log(`  ${pad(name, 26)} ${lpad(a.frames.toLocaleString('en-US'), 10)} frames: ${a.allocBytesPerFrame.toFixed(2)} B/frame allocated (${Math.round(a.allocBytes).toLocaleString('en-US')} B in all), ${a.scavenges} scavenges, ${Math.max(0, a.retainedBytesPerFrame).toFixed(2)} B/frame retained, ${a.gcChunks} of ${a.frames / ALLOC_CHUNK} chunks had a GC`);
}

// The target applies to unicast forwarding hops through real devices, untraced; floods are a curve
// of copies/s (each copy is a delivery), reported separately.
// On a shared machine the CPU-time rate is what one core of our own would do.
const verdicts = rows.filter((r) => r.trace === 'off' && !r.case.startsWith('null') && !r.case.startsWith('flood') && !r.case.startsWith('bcast')).map((r) => ({ case: r.case, fpsPerHop: Math.round(r.fpsPerHop), cpuFpsPerHop: Math.round(r.cpuFpsPerHop), met: r.fpsPerHop >= TARGET_PER_HOP }));
console.log('');
console.log(`target ≥ 5 M frames/s per hop per core, untraced (wall; per CPU second): ${verdicts.map((v) => `${v.case} ${M(v.fpsPerHop)} M ${v.met ? 'MET' : 'NOT MET'} (${M(v.cpuFpsPerHop)} M)`).join('; ')}`);
const floods = rows.filter((r) => r.trace === 'off' && r.case.startsWith('flood'));
console.log(`flooding curve (promiscuous ports: frames/s, copies/s): ${floods.map((r) => `${r.case.split(' ')[1]}: ${M(r.fps)} M, ${M(r.copiesPerS)} M`).join(' · ')}`);
const load1 = loadavg();
console.log(`load average after: ${load1.map((x) => x.toFixed(2)).join(' ')}`);
console.log(JSON.stringify({
  bench: 'net-forwarding', node: process.version, cpu: cpus()[0]?.model, cores: cpus().length, loadavg: [load0, load1], repMs: REP_MS, reps: REPS,
  targetPerHop: TARGET_PER_HOP, verdicts, floods: floods.map((r) => ({ case: r.case, fps: Math.round(r.fps), copiesPerS: Math.round(r.copiesPerS) })),
  rows: rows.map((r) => ({ ...r, fps: Math.round(r.fps), fpsPerHop: Math.round(r.fpsPerHop), cpuFpsPerHop: Math.round(r.cpuFpsPerHop), copiesPerS: Math.round(r.copiesPerS) })),
  alloc: Object.fromEntries(allocs),
}));
