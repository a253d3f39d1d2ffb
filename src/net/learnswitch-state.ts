// The Learnswitch fling (R4b.1, learnswitch.ts) in a built network: which vDS proxy switches run
// it, what of its tables persists between commands, and the MACs a vNIC's table carries along on
// vMotion. Leaf entries are saved under the vNIC's id (`vnic:l1/0`), not the switch port's: a
// rebuild puts them back on whatever port that vNIC has now — on another host after vMotion
// ("learned MAC table is sent to destination host"). Uplink entries stay with the host's NIC.
import type { Settings } from '../spec/schema.js';
import type { Fabric, Port } from './fabric.js';
import { Learnswitch, LearnswitchSystem, LEARNSWITCH_AGING_S } from './learnswitch.js';
import type { Network } from './topology.js';
import { VSwitch, type VPort } from './vswitch.js';

/** Saved entries: [vlan, mac, last seen (ms)], by vNIC id (leaf ports) and by uplink NIC id. */
export interface LearnswitchState {
  leaf: Record<string, Array<[vlan: number, mac: number, t: number]>>;
  uplink: Record<string, Array<[vlan: number, mac: number, t: number]>>;
}

/** Each network's Learnswitch systems, by host ("32k per system"). */
const systems = new WeakMap<Fabric, Map<string, LearnswitchSystem>>();

/**
 * Make `vp` (a vNIC with macLearn: learnswitch) a leaf port of the Learnswitch on its vDS proxy
 * switch `sw` of host `host`, starting the host's Learnswitch if needed (R4b.1).
 */
export function attachLearnswitch(sw: VSwitch, vp: VPort, host: string, settings: Settings): void {
  if (sw.kind !== 'dvswitch') return; // "requires a VDS" (the resolver refuses the rest)
  let byHost = systems.get(sw.fabric);
  if (!byHost) systems.set(sw.fabric, (byHost = new Map()));
  let system = byHost.get(host);
  if (!system) {
    const s = settings.learnswitch;
    system = new LearnswitchSystem(host, { agingMs: (s?.agingTime ?? LEARNSWITCH_AGING_S) * 1000, dropUnknown: s?.unknownUnicast === 'drop' });
    byHost.set(host, system);
  }
  sw.learnswitch ??= new Learnswitch(system, sw.fabric);
  vp.learnswitch = true;
}

/** The vNIC (or vmknic) id behind a vSwitch port id `${switch}[${nicId}]`. */
function nicIdOf(portId: string): string | undefined {
  const i = portId.lastIndexOf('[');
  return i > 0 && portId.endsWith(']') ? portId.slice(i + 1, -1) : undefined;
}

function learnswitches(net: Network): VSwitch[] {
  const out: VSwitch[] = [];
  for (const sw of net.switches.values()) if (sw instanceof VSwitch && sw.learnswitch !== null) out.push(sw);
  return out;
}

/** What NetState keeps of every Learnswitch table; undefined when the lab runs none. */
export function snapshotLearnswitch(net: Network): LearnswitchState | undefined {
  const switches = learnswitches(net);
  if (switches.length === 0) return undefined;
  const s: LearnswitchState = { leaf: {}, uplink: {} };
  for (const sw of switches) {
    for (const e of sw.learnswitch!.entries()) {
      const key = e.leaf ? nicIdOf(e.port.id) : e.port.id;
      if (key === undefined) continue;
      ((e.leaf ? s.leaf : s.uplink)[key] ??= []).push([e.vlan, e.mac, e.t]);
    }
  }
  return s;
}

/** Put saved entries back on the ports their vNICs and NICs have in this network. */
export function restoreLearnswitch(net: Network, s: LearnswitchState | undefined): void {
  if (s === undefined) return;
  const leaves = new Map<string, { sw: VSwitch; port: Port }>();
  const uplinks = new Map<string, { sw: VSwitch; port: Port }>();
  for (const sw of learnswitches(net)) {
    for (const vp of sw.vports) {
      const id = vp.learnswitch ? nicIdOf(vp.port.id) : undefined;
      if (id !== undefined) leaves.set(id, { sw, port: vp.port });
    }
    for (const port of sw.uplinks) uplinks.set(port.id, { sw, port });
  }
  const put = (saved: LearnswitchState['leaf'], at: Map<string, { sw: VSwitch; port: Port }>, leaf: boolean): void => {
    for (const [id, entries] of Object.entries(saved)) {
      const where = at.get(id);
      if (where) for (const [vlan, mac, t] of entries) where.sw.learnswitch!.restore(vlan, mac, where.port, leaf, t);
    }
  };
  put(s.leaf, leaves, true);
  put(s.uplink, uplinks, false);
}

/**
 * The MACs the Learnswitch has learned behind a vNIC (by id), with their VLAN, not yet aged out at
 * `now`: what a destination host announces with RARP after vMotion (R4b.1, R9.7).
 */
export function learnedBehind(net: Network, nicId: string, now: number): Array<{ vlan: number; mac: number; port: VPort }> {
  const out: Array<{ vlan: number; mac: number; port: VPort }> = [];
  for (const sw of learnswitches(net)) {
    const ls = sw.learnswitch!;
    for (const e of ls.entries()) {
      if (!e.leaf || now - e.t > ls.settings.agingMs) continue;
      const vp = sw.portFor(e.port);
      if (vp !== undefined && vp.learnswitch && nicIdOf(vp.port.id) === nicId) out.push({ vlan: e.vlan, mac: e.mac, port: vp });
    }
  }
  return out;
}
