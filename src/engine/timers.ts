// Timers in virtual time that outlive a command: "declare the host failed at T0+15 s", "restart
// these VMs at T0+16 s". Kept under the lab's `timers` key; `advance` runs what falls due, in
// time order (ties in the order scheduled), each at its own virtual time.
import type { Engine } from './engine.js';

export interface Timer {
  atMs: number;
  seq: number;
  kind: string;
  data: Record<string, unknown>;
}

export type TimerHandler = (engine: Engine, data: Record<string, unknown>) => void;

const handlers = new Map<string, TimerHandler>();

/** Register what a kind of timer does when it fires (feature modules call this at load). */
export function onTimer(kind: string, handler: TimerHandler): void {
  handlers.set(kind, handler);
}

interface TimerState {
  nextSeq: number;
  timers: Timer[];
}

function load(engine: Engine): TimerState {
  return engine.cache('timers', () => {
    const json = engine.store.labState(engine.lab.name, 'timers');
    return json ? (JSON.parse(json) as TimerState) : { nextSeq: 1, timers: [] };
  });
}

function save(engine: Engine, s: TimerState): void {
  engine.store.putLabState(engine.lab.name, 'timers', JSON.stringify(s));
}

export function scheduleTimer(engine: Engine, atMs: number, kind: string, data: Record<string, unknown>): void {
  const s = load(engine);
  s.timers.push({ atMs: Math.round(atMs), seq: s.nextSeq++, kind, data });
  save(engine, s);
}

/** Cancel timers of `kind` whose data matches `match` (e.g. a host that recovered). */
export function cancelTimers(engine: Engine, kind: string, match: (data: Record<string, unknown>) => boolean): number {
  const s = load(engine);
  const before = s.timers.length;
  s.timers = s.timers.filter((t) => !(t.kind === kind && match(t.data)));
  save(engine, s);
  return before - s.timers.length;
}

export function pendingTimers(engine: Engine): readonly Timer[] {
  return load(engine).timers;
}

/** Run every timer due up to `untilMs`, each at its own time; the clock ends at `untilMs`. */
export function runDueTimers(engine: Engine, untilMs: number): number {
  let n = 0;
  for (;;) {
    const s = load(engine);
    let next: Timer | undefined;
    for (const t of s.timers) if (t.atMs <= untilMs && (!next || t.atMs < next.atMs || (t.atMs === next.atMs && t.seq < next.seq))) next = t;
    if (!next) break;
    s.timers = s.timers.filter((t) => t !== next);
    save(engine, s);
    if (next.atMs > engine.nowMs) engine.advance(next.atMs - engine.nowMs);
    const handler = handlers.get(next.kind);
    if (handler) handler(engine, next.data);
    n++;
  }
  if (untilMs > engine.nowMs) engine.advance(untilMs - engine.nowMs);
  return n;
}
