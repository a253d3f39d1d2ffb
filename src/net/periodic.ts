// The network's periodic work in virtual time: beacon probing (R5.9) ticks once a second on every
// vSwitch that uses it; load-based teaming (R5.5, lbt.ts) evaluates vDS uplinks every 30 s when
// there is traffic; spanning tree (R9.9, stp.ts) times port transitions and topology changes, and
// Linux bridges with STP send hellos every 2 s; LACP times negotiations (R6.5, lacp.ts); IGMP
// queriers query every 125 s (R1.7, R9.3, igmp-host.ts). Nothing else needs a timer — MAC tables
// age lazily when looked up (R9.2, R8.2, R4c.7) — so a lab without any of these has no periodic
// work at all.
import { BEACON_INTERVAL_MS, BEACON_MISS_LIMIT, type BeaconChange, type BeaconProbe } from './beacon.js';
import { startLbt } from './lbt.js';
import { startIgmp } from './igmp-host.js';
import type { Network } from './topology.js';
import { VSwitch } from './vswitch.js';

const I = BEACON_INTERVAL_MS;

function beaconSwitches(net: Network): VSwitch[] {
  const out: VSwitch[] = [];
  for (const sw of net.switches.values()) if (sw instanceof VSwitch && sw.beacon !== null) out.push(sw);
  return out;
}

/**
 * Schedule every beacon-probing vSwitch's ticks on whole seconds of virtual time, carrying on
 * after the last tick an earlier command ran (NetState); time that passed without the network
 * (commands that do not run it) keeps the miss counters as they were. Call once per built
 * network, after `restore` and with `fabric.now` set.
 */
export function startPeriodic(net: Network): void {
  const f = net.fabric;
  for (const sw of beaconSwitches(net)) {
    const probe = sw.beacon!;
    probe.nextTick = Math.max(Math.ceil(f.now / I) * I, probe.lastTick >= 0 ? probe.lastTick + I : 0);
    const schedule = (at: number): void => f.schedule(at, () => tick(at));
    const tick = (t: number): void => {
      // Fast-forwarded (runNetwork): the tick moved on.
      if (t < probe.nextTick) return schedule(probe.nextTick);
      const change = f.untraced(() => sw.beaconTick(t));
      probe.nextTick = t + I;
      if (change !== null) report(net, sw, t, change);
      schedule(t + I);
    };
    schedule(probe.nextTick);
  }
  // R5.5: LBT evaluations every 30 s. With them pending, runNetwork does not fast-forward beacons.
  startLbt(net);
  // R9.9, R8.4: spanning-tree transitions under way, topology-change ends, Linux bridges' hellos
  // (pending too: no fast-forward while any is).
  net.stp?.start();
  // R6.5: LACP negotiations under way (Aggregate_Wait_Time after a link came up).
  net.lacp?.start();
  // R1.7, R9.3: queriers every 125 s; guests that just came up report their groups (igmp-host.ts).
  startIgmp(net);
}

function report(net: Network, sw: VSwitch, t: number, change: BeaconChange & { moved: string[] }): void {
  const name = sw.id.replace(/^\w+:/, '');
  const label = (id: string) => id.replace(/^\w+:/, '');
  for (const u of change.failed) {
    net.events.push({ t, type: 'teaming.beacon-failed', object: u.id, message: `${label(u.id)} missed ${BEACON_MISS_LIMIT} beacons in a row with its link up: ${name} takes it out of service (R5.9)` });
  }
  for (const u of change.restored) net.events.push({ t, type: 'teaming.beacon-restored', object: u.id, message: `${label(u.id)} hears beacons again: back in service on ${name} (R5.9)` });
  if (change.shotgun === true) {
    net.events.push({ t, type: 'teaming.shotgun', object: sw.id, message: `${name}: every uplink misses the others' beacons and none can be singled out — frames go out on all of them ("shotgun", R5.9)` });
  }
  if (change.shotgun === false) net.events.push({ t, type: 'teaming.shotgun-ended', object: sw.id, message: `${name}: beacons tell the uplinks apart again; the shotgun ends (R5.9)` });
  for (const p of change.moved) net.events.push({ t, type: 'teaming.failover', object: p, message: `${label(p)} moved to another uplink after beacon probing on ${name} changed its verdict (R5.9)` });
}

function fingerprint(probes: readonly BeaconProbe[]): string {
  return probes.map((p) => p.state()).join(';');
}

/**
 * Run the network up to `until` (ms), as `nestlab advance` does. Beacon ticks run one by one
 * until they are steady — miss counters and verdicts unchanged over two ticks, nothing but beacon
 * ticks pending, no capture running — then all remaining whole seconds but the last two are
 * fast-forwarded: every port counter grows by what one steady tick added to it, times the
 * seconds skipped, as if they had run. The last two ticks run, refreshing what beacons refresh
 * (physical switches' entries for the uplinks' MACs). A steady network repeats itself exactly:
 * beacons are broadcasts, flooded whatever the tables say, and nothing answers them.
 */
export function runNetwork(net: Network, until: number): void {
  const f = net.fabric;
  const probes = beaconSwitches(net).map((s) => s.beacon!);
  const ports = [...net.ports.values()];
  if (probes.length === 0 || ports.some((p) => p.capture !== null)) {
    f.runUntil(until);
    return;
  }
  const second = () => Math.min(until, (Math.floor(f.now / I) + 1) * I);
  let last = fingerprint(probes);
  let steady = 0;
  while (f.now < until) {
    f.runUntil(second());
    const now = fingerprint(probes);
    steady = now === last ? steady + 1 : 0;
    last = now;
    if (steady < 2 || f.pending !== probes.length || until - f.now < 5 * I) continue;
    // One more tick, measured.
    const before = ports.map((p) => p.counters.slice());
    f.runUntil(second());
    if (fingerprint(probes) !== last || f.pending !== probes.length) {
      steady = 0;
      continue;
    }
    const skip = Math.floor((until - f.now) / I) - 2;
    ports.forEach((p, i) => {
      const b = before[i]!;
      for (let j = 0; j < p.counters.length; j++) p.counters[j] = p.counters[j]! + (p.counters[j]! - b[j]!) * skip;
    });
    for (const probe of probes) probe.nextTick += skip * I;
    f.runUntil(f.now + skip * I); // the stale ticks reschedule themselves at nextTick
  }
}
