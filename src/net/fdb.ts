// A learning bridge's forwarding database: (VLAN, MAC) → port, with ageing (R8.2, R9.1, R9.2).
// Physical switches and Linux bridges share it; ESXi vSwitches never learn (R1.1). The data plane
// learns and looks up the MACs of the frame it handles, in place in its bytes, at the fabric's
// frame time: nothing is allocated per frame once a station is known.
import { isMulticastAt, macHigh, macLow, readMacHigh, readMacLow } from './codec/index.js';
import type { Fabric, Port } from './fabric.js';
import { MacTable, macOfKey, vlanHigh, vlanOfKey } from './mactable.js';

export interface FdbEntry {
  port: Port;
  /** virtual time last seen, ms */
  t: number;
  static?: boolean;
}

export class Fdb {
  /** keyed by the MAC's halves, the VLAN above the high half's 16 bits (vlanHigh) */
  private readonly table = new MacTable<FdbEntry>();

  constructor(
    /** ageing time in ms; 0 disables ageing (R9.2) */
    public agingMs: number,
    private readonly fabric: Fabric,
  ) {}

  /**
   * Learn the source MAC of the frame being handled (at frame[srcOffset..]) on `port` in `vlan`,
   * at the frame's time (a station move re-points the entry, R9.1). Group sources are not learned.
   * Returns true when new or moved.
   */
  learnSource(vlan: number, frame: Uint8Array, srcOffset: number, port: Port): boolean {
    if (isMulticastAt(frame, srcOffset)) return false;
    const high = vlanHigh(vlan, readMacHigh(frame, srcOffset));
    const low = readMacLow(frame, srcOffset);
    const e = this.table.get(high, low);
    if (e === undefined) {
      this.table.set(high, low, { port, t: this.fabric.frameTime });
      return true;
    }
    if (e.static) return false;
    const moved = e.port !== port;
    e.port = port;
    e.t = this.fabric.frameTime;
    return moved;
  }

  /** The port the MAC at frame[dstOffset..] was learned on in `vlan`, unless the entry aged out (then it is removed). */
  lookupAt(vlan: number, frame: Uint8Array, dstOffset: number): Port | null {
    const high = vlanHigh(vlan, readMacHigh(frame, dstOffset));
    const low = readMacLow(frame, dstOffset);
    const e = this.table.get(high, low);
    if (e === undefined) return null;
    if (!e.static && this.agingMs > 0 && this.fabric.frameTime - e.t > this.agingMs) {
      this.table.delete(high, low);
      return null;
    }
    return e.port;
  }

  /** An entry as saved (state.ts): `mac` on `port` in `vlan`, last seen at `t`. */
  restore(vlan: number, mac: number, port: Port, t: number): void {
    this.table.set(vlanHigh(vlan, macHigh(mac)), macLow(mac), { port, t });
  }

  /** Where `mac` is learned in `vlan`, ageing aside (for tools and tests). */
  portOf(vlan: number, mac: number): Port | null {
    return this.table.get(vlanHigh(vlan, macHigh(mac)), macLow(mac))?.port ?? null;
  }

  /** Remove entries older than the ageing time. */
  age(t: number): void {
    if (this.agingMs <= 0) return;
    for (const [high, low, e] of this.table.entries()) if (!e.static && t - e.t > this.agingMs) this.table.delete(high, low);
  }

  flushPort(port: Port): void {
    for (const [high, low, e] of this.table.entries()) if (e.port === port) this.table.delete(high, low);
  }

  /** Entries by VLAN, each VLAN's in the order learned. */
  entries(): Array<{ vlan: number; mac: number; port: Port; t: number }> {
    const out: Array<{ vlan: number; mac: number; port: Port; t: number }> = [];
    for (const [high, low, e] of this.table.entries()) out.push({ vlan: vlanOfKey(high), mac: macOfKey(high, low), port: e.port, t: e.t });
    return out.sort((a, b) => a.vlan - b.vlan);
  }
}
