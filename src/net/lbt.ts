// Load-based teaming, "Route based on physical NIC load" (spec/network.md R5.5; vDS only, R5.1
// item 4): "If an uplink remains busy at 75% or higher for 30 seconds, the host proxy switch moves
// a part of the virtual machine traffic to a physical adapter that has free capacity."
//
// The traffic model. A VM's workload declares what it sends and receives over the physical
// network (`workload: { network: 800Mbps }` or `{ tx, rx }`), split evenly over its connected
// vNICs [L]. A nested hypervisor's vmnic carries, on top of its VM's own rate, what its nested
// switch sends through that vmnic — the rates of the nested ports teamed onto it — so load adds
// up through nesting levels. A port's traffic crosses the uplink its teaming selects (R1.5, R1.13;
// inbound too, since physical switches learned its MAC there, R9.7). The load of an uplink is the
// sum of the rates of the ports teamed onto it, in each direction, ÷ its NIC's speed. Rates are
// steady between events (power on/off, vMotion, link changes, moves), so a window's mean
// utilisation is the current one while nothing changes.
//
// The evaluation. Every 30 s of virtual time (on whole multiples of 30 s) each vDS proxy switch
// with load-based ports samples its uplinks. An uplink at ≥ 75% of its speed, sending or receiving,
// at this sample and at every sample since one 30 s back ("busy for 30 seconds": it was busy when
// the previous sample — or an earlier command's look at the network — saw it, and still is) moves
// load-based ports, largest first, until it is under 75%; each goes to the least-loaded usable
// *active* uplink of its team that stays under 75% with it — never a standby or unused one (R5.7),
// never a port of another teaming policy. [L]: VMware documents the 75% / 30 s trigger and "a part
// of the traffic" to an adapter "that has free capacity", not the choice; largest-first moves the
// fewest ports, and requiring the target to stay under 75% is what "free capacity" means here — it
// also keeps LBT from swapping a load back and forth every 30 s when no placement is under 75%.
// A move announces the port's MAC with RARP on its new uplink when notify switches is on (R5.10:
// "when traffic is rerouted to a different physical NIC in the team") and is logged as a
// `teaming.lbt-move` event. The choice persists between commands (NetState) and survives link
// changes: a port whose LBT uplink fails is redistributed by port id among the survivors (R5.7)
// and returns to it on recovery with failback (R5.11) — vswitch.ts `pick`.
import type { Vm } from '../model/inventory.js';
import type { Port } from './fabric.js';
import type { Network } from './topology.js';
import { VSwitch, type VPort } from './vswitch.js';

/** R5.5: how often, and for how long an uplink must stay busy. */
export const LBT_INTERVAL_MS = 30_000;
/** R5.5: "busy at 75% or higher". */
export const LBT_THRESHOLD = 0.75;

export interface Rate {
  txMbps: number;
  rxMbps: number;
}

/** What persists between commands (NetState.lbt). */
export interface LbtState {
  /** per vSwitch / proxy switch with traffic: the last evaluation (ms, -1: none) and per uplink port id [txMbps, rxMbps, busySince ms (-1: not busy)] */
  switches: Record<string, { t: number; uplinks: Record<string, [tx: number, rx: number, busySince: number]> }>;
  /** ports LBT moved: switch-side port id → uplink port id */
  moved: Record<string, string>;
}

/** A proxy switch's evaluation state: when it last evaluated, and since when each busy uplink has been busy. */
interface SwitchLbt {
  lastEval: number;
  busySince: Map<Port, number>;
}

const runtime = new WeakMap<VSwitch, SwitchLbt>();

function stateOf(sw: VSwitch): SwitchLbt {
  let st = runtime.get(sw);
  if (st === undefined) runtime.set(sw, (st = { lastEval: -1, busySince: new Map() }));
  return st;
}

/** The rate of each of a VM's vNIC ports: its workload's network rate split over its connected NICs [L]; null: none. */
export function vnicRate(vm: Vm): Rate | null {
  const n = vm.workload.network;
  const nics = vm.nics.filter((x) => x.connected).length;
  if (n === undefined || nics === 0 || (n.txMbps === 0 && n.rxMbps === 0)) return null;
  return { txMbps: n.txMbps / nics, rxMbps: n.rxMbps / nics };
}

/**
 * What crosses a switch port: its guest's own rate, plus — for a nested hypervisor's vmnic — what
 * the nested switch sends through that vmnic (its ports teamed onto it), level by level.
 */
function portRate(vp: VPort, depth = 0): Rate {
  let tx = vp.rate?.txMbps ?? 0;
  let rx = vp.rate?.rxMbps ?? 0;
  const inner = vp.port.peer;
  if (inner !== null && depth < 32 && inner.device instanceof VSwitch && inner.device.uplinks.includes(inner)) {
    const nested = inner.device;
    for (const v of nested.vports) {
      if (nested.selectUplink(v) !== inner) continue;
      const r = portRate(v, depth + 1);
      tx += r.txMbps;
      rx += r.rxMbps;
    }
  }
  return { txMbps: tx, rxMbps: rx };
}

/** Each uplink's load: the rates of the ports teamed onto it (R1.13), in uplink order. */
export function uplinkLoads(sw: VSwitch): Map<Port, Rate> {
  const loads = new Map<Port, Rate>(sw.uplinks.map((u) => [u, { txMbps: 0, rxMbps: 0 }]));
  for (const vp of sw.vports) {
    const r = portRate(vp);
    if (r.txMbps === 0 && r.rxMbps === 0) continue;
    const u = sw.selectUplink(vp);
    const l = u === null ? undefined : loads.get(u);
    if (l === undefined) continue;
    l.txMbps += r.txMbps;
    l.rxMbps += r.rxMbps;
  }
  return loads;
}

const limit = (u: Port) => LBT_THRESHOLD * u.speedMbps;
const busy = (u: Port, l: Rate) => l.txMbps >= limit(u) || l.rxMbps >= limit(u);
/** Mb/s as a percentage of `speedMbps`, one decimal. */
const pct = (mbps: number, speedMbps: number) => Math.round((mbps / speedMbps) * 1000) / 10;

/** A vDS proxy switch with load-based ports: LBT exists on distributed switches only (R5.1). */
function isLoadBased(sw: VSwitch): boolean {
  return sw.kind === 'dvswitch' && sw.vports.some((vp) => vp.policy.teaming === 'load-based');
}

function hasTraffic(net: Network): boolean {
  for (const sw of net.switches.values()) if (sw instanceof VSwitch && sw.vports.some((vp) => vp.rate !== null)) return true;
  return false;
}

/** Note which uplinks are busy now: a busy run starts at its first sighting and ends at a sample under 75%. */
function observe(st: SwitchLbt, loads: Map<Port, Rate>, t: number): void {
  for (const [u, l] of loads) {
    if (!busy(u, l)) st.busySince.delete(u);
    else if (!st.busySince.has(u)) st.busySince.set(u, t);
  }
}

/**
 * Start LBT on every vDS proxy switch with load-based ports, when anything in the network has a
 * rate (a lab without traffic has nothing to balance, and no timer): look at the uplinks now, then
 * evaluate on whole multiples of 30 s, carrying on after an earlier command's last evaluation.
 * Call once per built network, after `restore`, with `fabric.now` set (periodic.ts).
 */
export function startLbt(net: Network): void {
  if (!hasTraffic(net)) return;
  const f = net.fabric;
  const I = LBT_INTERVAL_MS;
  for (const sw of net.switches.values()) {
    if (!(sw instanceof VSwitch) || !isLoadBased(sw)) continue;
    const st = stateOf(sw);
    observe(st, uplinkLoads(sw), f.now);
    const tick = (t: number): void => {
      f.untraced(() => evaluate(net, sw, st, t));
      st.lastEval = t;
      f.schedule(t + I, () => tick(t + I));
    };
    const first = Math.max(Math.ceil(f.now / I) * I, st.lastEval >= 0 ? st.lastEval + I : 0);
    f.schedule(first, () => tick(first));
  }
}

/** One LBT evaluation of a proxy switch at time `t` (R5.5). */
function evaluate(net: Network, sw: VSwitch, st: SwitchLbt, t: number): void {
  const loads = uplinkLoads(sw);
  observe(st, loads, t);
  for (const u of sw.uplinks) {
    const since = st.busySince.get(u);
    if (since === undefined || t - since < LBT_INTERVAL_MS) continue;
    const l = loads.get(u)!;
    const txBusy = l.txMbps >= limit(u);
    const rxBusy = l.rxMbps >= limit(u);
    // Largest first (in the busy direction), then by port id: the fewest moves [L].
    const size = (r: Rate) => Math.max(txBusy ? r.txMbps : 0, rxBusy ? r.rxMbps : 0);
    const candidates = sw.vports
      .filter((vp) => vp.policy.teaming === 'load-based' && sw.selectUplink(vp) === u)
      .map((vp) => ({ vp, r: portRate(vp) }))
      .filter((c) => size(c.r) > 0)
      .sort((a, b) => size(b.r) - size(a.r) || a.vp.index - b.vp.index);
    for (const { vp, r } of candidates) {
      if (!busy(u, l)) break;
      // The least-loaded usable active uplink that stays under 75% with this port ("free capacity").
      let target: Port | null = null;
      let best = Infinity;
      for (const c of sw.usableActive(vp)) {
        if (c === u) continue;
        const lc = loads.get(c)!;
        if (lc.txMbps + r.txMbps >= limit(c) || lc.rxMbps + r.rxMbps >= limit(c)) continue;
        const used = Math.max(lc.txMbps, lc.rxMbps) / c.speedMbps;
        if (used < best) {
          best = used;
          target = c;
        }
      }
      if (target === null) continue;
      const lt = loads.get(target)!;
      const before = { tx: pct(l.txMbps, u.speedMbps), rx: pct(l.rxMbps, u.speedMbps) };
      sw.moveLoadBased(vp, target, t);
      l.txMbps -= r.txMbps;
      l.rxMbps -= r.rxMbps;
      lt.txMbps += r.txMbps;
      lt.rxMbps += r.rxMbps;
      logMove(net, sw, vp, u, target, r, before, { tx: pct(lt.txMbps, target.speedMbps), rx: pct(lt.rxMbps, target.speedMbps) }, t);
    }
    if (!busy(u, l)) st.busySince.delete(u);
  }
}

type Percent = { tx: number; rx: number };

function logMove(net: Network, sw: VSwitch, vp: VPort, from: Port, to: Port, r: Rate, before: Percent, after: Percent, t: number): void {
  const name = sw.id.replace(/^\w+:/, '');
  const uplink = (u: Port) => `${sw.uplinkName(u) ?? u.id} (${nicName(u)})`;
  const t75 = LBT_THRESHOLD * 100;
  const dir = [before.tx >= t75 ? `sending at ${before.tx}%` : '', before.rx >= t75 ? `receiving at ${before.rx}%` : ''].filter(Boolean).join(' and ');
  net.events.push({
    t, type: 'teaming.lbt-move', object: vp.port.id,
    message: `${portLabel(vp)} moved from ${uplink(from)} to ${uplink(to)} on ${name}: ${nicName(from)} had been ${dir} of ${from.speedMbps} Mb/s for 30 s or more (load-based teaming, R5.5)`,
    data: {
      switch: sw.id, from: from.id, to: to.id, txMbps: round(r.txMbps), rxMbps: round(r.rxMbps),
      fromPercentBefore: before, toPercentAfter: after,
    },
  });
}

/** `web/nic0` for a VM's port, else the port id without its kind. */
function portLabel(vp: VPort): string {
  const m = /\[vnic:(.+)\/(\d+)\]$/.exec(vp.port.id);
  return m ? `${m[1]}/nic${m[2]}` : vp.port.id.replace(/^\w+:/, '');
}

function nicName(u: Port): string {
  return u.id.replace(/^nic:[^/]*\//, '');
}

const round = (x: number) => Math.round(x * 1000) / 1000;

// ---- persistence (state.ts) -----------------------------------------------------------------

/** LBT's choices and every loaded switch's uplink loads, for NetState; undefined: nothing to keep. */
export function snapshotLbt(net: Network): LbtState | undefined {
  const s: LbtState = { switches: {}, moved: {} };
  let any = false;
  const traffic = hasTraffic(net); // most labs: no rates, no loads to compute
  for (const [id, sw] of net.switches) {
    if (!(sw instanceof VSwitch)) continue;
    for (const vp of sw.vports) {
      if (vp.lbtUplink === null) continue;
      s.moved[vp.port.id] = vp.lbtUplink.id;
      any = true;
    }
    const st = runtime.get(sw);
    if (!traffic && st === undefined) continue;
    const loads = uplinkLoads(sw);
    if (st === undefined && ![...loads.values()].some((l) => l.txMbps > 0 || l.rxMbps > 0)) continue;
    const uplinks: LbtState['switches'][string]['uplinks'] = {};
    for (const [u, l] of loads) uplinks[u.id] = [round(l.txMbps), round(l.rxMbps), st?.busySince.get(u) ?? -1];
    s.switches[id] = { t: st?.lastEval ?? -1, uplinks };
    any = true;
  }
  return any ? s : undefined;
}

/** Put LBT's choices and evaluation state back (after the ports' selected uplinks are restored). */
export function restoreLbt(net: Network, s: LbtState | undefined): void {
  if (s === undefined) return;
  for (const [portId, uplinkId] of Object.entries(s.moved)) {
    const port = net.ports.get(portId);
    const uplink = net.ports.get(uplinkId);
    const sw = port?.device;
    const vp = sw instanceof VSwitch ? sw.portFor(port!) : undefined;
    if (vp && uplink && (sw as VSwitch).uplinks.includes(uplink)) vp.lbtUplink = uplink;
  }
  for (const [id, saved] of Object.entries(s.switches)) {
    const sw = net.switches.get(id);
    if (!(sw instanceof VSwitch) || !isLoadBased(sw)) continue;
    const st = stateOf(sw);
    st.lastEval = saved.t;
    for (const [uplinkId, [, , since]] of Object.entries(saved.uplinks)) {
      const u = net.ports.get(uplinkId);
      if (u && since >= 0) st.busySince.set(u, since);
    }
  }
}

// ---- surfaces -------------------------------------------------------------------------------

/** A NIC's utilisation as the last command that ran the network left it (`nestlab show HOST`), or undefined. */
export function uplinkLoadView(s: LbtState | undefined, nicId: string, speedMbps: number):
  { switch: string; txMbps: number; rxMbps: number; txPercent: number; rxPercent: number; busySinceS?: number } | undefined {
  for (const [id, sw] of Object.entries(s?.switches ?? {})) {
    const e = sw.uplinks[nicId];
    if (e === undefined) continue;
    const [tx, rx, since] = e;
    return { switch: id.replace(/^\w+:/, ''), txMbps: tx, rxMbps: rx, txPercent: pct(tx, speedMbps), rxPercent: pct(rx, speedMbps), ...(since >= 0 ? { busySinceS: since / 1000 } : {}) };
  }
  return undefined;
}

/**
 * Does a stored lab (its spec as JSON) need the network running while time passes for LBT — a
 * load-based policy on a distributed switch, and a VM with a network rate (engine/network.ts)?
 */
export function hasLoadBasedWork(specJson: string): boolean {
  if (!specJson.includes('"load-based"')) return false;
  type Teamed = { teaming?: { policy?: string } };
  // A workload preset (a string) has no `network`: reading it gives undefined.
  type Workload = { network?: { tx?: number; rx?: number } };
  const spec = JSON.parse(specJson) as { distributedSwitches?: Array<Teamed & { portgroups?: Teamed[] }>; vms?: Array<{ workload?: Workload }> };
  const lbt = (spec.distributedSwitches ?? []).some((d) => d.teaming?.policy === 'load-based' || (d.portgroups ?? []).some((pg) => pg.teaming?.policy === 'load-based'));
  const traffic = (spec.vms ?? []).some((v) => (v.workload?.network?.tx ?? 0) > 0 || (v.workload?.network?.rx ?? 0) > 0);
  return lbt && traffic;
}
