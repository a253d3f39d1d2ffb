// A learning bridge's forwarding database: (VLAN, MAC) → port, with ageing (R8.2, R9.1, R9.2).
// Physical switches and Linux bridges share it; ESXi vSwitches never learn (R1.1).
import type { Port } from './fabric.js';

export interface FdbEntry {
  port: Port;
  /** virtual time last seen, ms */
  t: number;
  static?: boolean;
}

export class Fdb {
  private readonly byVlan = new Map<number, Map<number, FdbEntry>>();

  constructor(
    /** ageing time in ms; 0 disables ageing (R9.2) */
    public agingMs: number,
  ) {}

  /** Learn `mac` on `port` in `vlan` (a station move re-points the entry, R9.1). Returns true when new or moved. */
  learn(vlan: number, mac: number, port: Port, t: number): boolean {
    let table = this.byVlan.get(vlan);
    if (table === undefined) this.byVlan.set(vlan, (table = new Map()));
    const e = table.get(mac);
    if (e !== undefined && !e.static) {
      const moved = e.port !== port;
      e.port = port;
      e.t = t;
      return moved;
    }
    if (e === undefined) table.set(mac, { port, t });
    return e === undefined;
  }

  /** The port `mac` was learned on in `vlan`, unless the entry aged out (then it is removed). */
  lookup(vlan: number, mac: number, t: number): Port | null {
    const table = this.byVlan.get(vlan);
    const e = table?.get(mac);
    if (e === undefined) return null;
    if (!e.static && this.agingMs > 0 && t - e.t > this.agingMs) {
      table!.delete(mac);
      return null;
    }
    return e.port;
  }

  /** Remove entries older than the ageing time. */
  age(t: number): void {
    if (this.agingMs <= 0) return;
    for (const table of this.byVlan.values()) for (const [mac, e] of table) if (!e.static && t - e.t > this.agingMs) table.delete(mac);
  }

  flushPort(port: Port): void {
    for (const table of this.byVlan.values()) for (const [mac, e] of table) if (e.port === port) table.delete(mac);
  }

  entries(): Array<{ vlan: number; mac: number; port: Port; t: number }> {
    const out: Array<{ vlan: number; mac: number; port: Port; t: number }> = [];
    for (const [vlan, table] of [...this.byVlan].sort((a, b) => a[0] - b[0])) for (const [mac, e] of table) out.push({ vlan, mac, port: e.port, t: e.t });
    return out;
  }
}
