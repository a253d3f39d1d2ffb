// The ESXi Learnswitch fling (2017, R4b.1): the successor of the MAC Learning dvFilter (§4a),
// filtering "within the outer virtual switch layer itself" of a vDS. Per its feature list:
//   - learning "based on VLAN ID … on uplink and leaf port": a (VLAN, MAC) table fed by the source
//     MACs of frames entering from an uplink or from a leaf port (a vNIC with macLearn:
//     learnswitch — a nested hypervisor's);
//   - "Packet is filtered on uplink and leaf port if the MAC is learned on a different port": a
//     unicast for a MAC learned on a leaf is not sent out of the uplink, and the promiscuous copy
//     a leaf port would get (R2.3) is withheld when the destination is known elsewhere;
//   - "MAC Address table size is 32k per system" (per host, over all its vDS proxy switches);
//   - aging, "default aging time of 5 minutes and configurable" (settings.learnswitch.agingTime);
//   - "Unknown unicast packet is flooded by default and configurable to drop" (unknownUnicast);
//   - "vMotion support: learned MAC table is sent to destination host and RARP packet is sent":
//     leaf entries are saved under the vNIC's id, so they come back wherever the VM's port now is
//     (engine/migrate.ts then sends a RARP for each, R9.7);
//   - promiscuous mode and forged transmits are still required on the outer port group: a leaf
//     port takes part only while it is in promiscuous mode, and the forged-transmit check (R2.5)
//     runs before anything is learned — without them nothing changes against plain ESXi.
// The Learnswitch never delivers a frame by itself: it only withholds copies and uplink sends.
// [L] modelling choices (the fling documents no more): a MAC the vSwitch has registered (R1.1)
// counts as known on its own port; a full table learns nothing new until entries age out; entries
// are aged lazily, when looked up or listed (as R4c.7's).
import { readMacHigh, readMacLow, SRC_OFFSET, DST_OFFSET, macHigh, macLow } from './codec/index.js';
import type { Fabric, Port } from './fabric.js';
import { MacTable, macOfKey, vlanHigh, vlanOfKey } from './mactable.js';

/** "MAC Address table size is 32k per system" (R4b.1). */
export const LEARNSWITCH_TABLE_SIZE = 32 * 1024;
/** "default aging time of 5 minutes" (R4b.1), seconds. */
export const LEARNSWITCH_AGING_S = 300;

export interface LearnswitchSettings {
  agingMs: number;
  /** unknownUnicast: drop — a unicast learned nowhere is not copied to leaf ports */
  dropUnknown: boolean;
}

/** One host's Learnswitch: the per-system table budget its switches' tables share. */
export class LearnswitchSystem {
  count = 0;
  readonly tables: Learnswitch[] = [];

  constructor(
    readonly host: string,
    readonly settings: LearnswitchSettings,
    readonly limit = LEARNSWITCH_TABLE_SIZE,
  ) {}

  /** Room for one more entry; a full system first forgets what has aged out. */
  room(now: number): boolean {
    if (this.count < this.limit) return true;
    for (const t of this.tables) t.age(now);
    return this.count < this.limit;
  }
}

interface Entry {
  port: Port;
  /** learned on a leaf port (else on an uplink) */
  leaf: boolean;
  /** virtual time last seen, ms */
  t: number;
}

export interface LearnswitchEntry {
  vlan: number;
  mac: number;
  port: Port;
  leaf: boolean;
  t: number;
}

/** The Learnswitch table of one vDS proxy switch, keyed by (VLAN, MAC) like a bridge's FDB. */
export class Learnswitch {
  private readonly table = new MacTable<Entry>();

  constructor(
    readonly system: LearnswitchSystem,
    private readonly fabric: Fabric,
  ) {
    system.tables.push(this);
  }

  get settings(): LearnswitchSettings {
    return this.system.settings;
  }

  /**
   * Learn the source MAC of the frame being handled on `port` in `vlan` (a station move re-points
   * it); nothing new once the system's table is full. True when the entry is new or moved.
   */
  learn(vlan: number, frame: Uint8Array, port: Port, leaf: boolean): boolean {
    const high = vlanHigh(vlan, readMacHigh(frame, SRC_OFFSET));
    const low = readMacLow(frame, SRC_OFFSET);
    const t = this.fabric.frameTime;
    const e = this.table.get(high, low);
    if (e !== undefined) {
      const moved = e.port !== port;
      e.port = port;
      e.leaf = leaf;
      e.t = t;
      return moved;
    }
    if (!this.system.room(t)) return false;
    this.table.set(high, low, { port, leaf, t });
    this.system.count++;
    return true;
  }

  /** Where the destination MAC of the frame being handled is learned in `vlan`; an aged entry is forgotten. */
  lookupDst(vlan: number, frame: Uint8Array): Entry | undefined {
    if (this.table.size === 0) return undefined;
    const high = vlanHigh(vlan, readMacHigh(frame, DST_OFFSET));
    const low = readMacLow(frame, DST_OFFSET);
    const e = this.table.get(high, low);
    if (e === undefined) return undefined;
    if (this.fabric.frameTime - e.t > this.system.settings.agingMs) {
      this.table.delete(high, low);
      this.system.count--;
      return undefined;
    }
    return e;
  }

  /** Forget entries unused for the aging time. */
  age(now: number): void {
    for (const [high, low, e] of this.table.entries()) {
      if (now - e.t > this.system.settings.agingMs) {
        this.table.delete(high, low);
        this.system.count--;
      }
    }
  }

  /** Entries in the order learned (ageing not applied). */
  entries(): LearnswitchEntry[] {
    const out: LearnswitchEntry[] = [];
    for (const [high, low, e] of this.table.entries()) out.push({ vlan: vlanOfKey(high), mac: macOfKey(high, low), port: e.port, leaf: e.leaf, t: e.t });
    return out;
  }

  /** An entry as saved (NetState); false when the system's table is full. */
  restore(vlan: number, mac: number, port: Port, leaf: boolean, t: number): boolean {
    const high = vlanHigh(vlan, macHigh(mac));
    const low = macLow(mac);
    if (this.table.get(high, low) === undefined) {
      if (this.system.count >= this.system.limit) return false;
      this.system.count++;
    }
    this.table.set(high, low, { port, leaf, t });
    return true;
  }
}
