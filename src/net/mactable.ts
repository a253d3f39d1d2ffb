// A hash table keyed by MAC address — a vSwitch's registered and learned MACs, a dvFilter's list,
// a learning bridge's forwarding database — that the forwarding path can use without allocating.
// A key is the address as its two int32 halves (codec/mac.ts); a forwarding database puts the
// VLAN above the 16 bits of the high half (vlanHigh). A Map<number, …> keyed by the 48-bit number would box
// it into a heap double on every get. Iteration follows insertion order, as a Map's does (tables
// are saved and listed in that order); updating a key keeps its place, deleting and re-adding
// moves it last. Do not add keys while iterating (deleting is fine).
import { macFromHalves, macHigh, macLow, readMacHigh, readMacLow } from './codec/index.js';

const NONE = -1;

/** A (VLAN, MAC) key's high half, as forwarding databases key their tables: the VLAN (12 bits) above the MAC's high 16 bits. */
export function vlanHigh(vlan: number, high: number): number {
  return (vlan << 16) | high;
}

/** The VLAN and MAC number of a (VLAN, MAC) key (vlanHigh), for listing a table. */
export function vlanOfKey(high: number): number {
  return high >>> 16;
}

export function macOfKey(high: number, low: number): number {
  return macFromHalves(high & 0xffff, low);
}

export class MacTable<V> {
  /** bucket → its most recent entry, or NONE */
  private heads = new Int32Array(0);
  /** per entry, in insertion order: key halves, the next entry of its bucket, the value, live or deleted */
  private highs = new Int32Array(0);
  private lows = new Int32Array(0);
  private chain = new Int32Array(0);
  private values: Array<V | undefined> = [];
  private live = new Uint8Array(0);
  /** entries used so far (deleted ones included, until the next rebuild) */
  private used = 0;
  private count = 0;

  /** `capacity`: a power of two; the table doubles when full */
  constructor(capacity = 8) {
    this.rebuild(capacity);
  }

  get size(): number {
    return this.count;
  }

  get(high: number, low: number): V | undefined {
    const i = this.find(high, low);
    return i === NONE ? undefined : this.values[i];
  }

  has(high: number, low: number): boolean {
    return this.find(high, low) !== NONE;
  }

  /** The value of the MAC at buf[off..off+6) (a frame's DST_OFFSET or SRC_OFFSET). */
  getAt(buf: Uint8Array, off: number): V | undefined {
    return this.get(readMacHigh(buf, off), readMacLow(buf, off));
  }

  hasAt(buf: Uint8Array, off: number): boolean {
    return this.has(readMacHigh(buf, off), readMacLow(buf, off));
  }

  set(high: number, low: number, value: V): void {
    const found = this.find(high, low);
    if (found !== NONE) {
      this.values[found] = value;
      return;
    }
    if (this.used === this.highs.length) this.rebuild(this.count * 2 > this.highs.length ? this.highs.length * 2 : this.highs.length);
    const i = this.used++;
    const b = this.bucket(high, low);
    this.highs[i] = high;
    this.lows[i] = low;
    this.values[i] = value;
    this.live[i] = 1;
    this.chain[i] = this.heads[b]!;
    this.heads[b] = i;
    this.count++;
  }

  setAt(buf: Uint8Array, off: number, value: V): void {
    this.set(readMacHigh(buf, off), readMacLow(buf, off), value);
  }

  delete(high: number, low: number): boolean {
    const b = this.bucket(high, low);
    for (let i = this.heads[b]!, prev = NONE; i !== NONE; prev = i, i = this.chain[i]!) {
      if (this.highs[i] !== high || this.lows[i] !== low) continue;
      if (prev === NONE) this.heads[b] = this.chain[i]!;
      else this.chain[prev] = this.chain[i]!;
      this.live[i] = 0;
      this.values[i] = undefined;
      this.count--;
      return true;
    }
    return false;
  }

  // Keyed by MAC number, for code off the forwarding path (saved state, configuration).
  getMac(mac: number): V | undefined {
    return this.get(macHigh(mac), macLow(mac));
  }

  setMac(mac: number, value: V): void {
    this.set(macHigh(mac), macLow(mac), value);
  }

  /** [high, low, value] in insertion order. */
  *entries(): Generator<[high: number, low: number, value: V]> {
    for (let i = 0; i < this.used; i++) if (this.live[i] === 1) yield [this.highs[i]!, this.lows[i]!, this.values[i]!];
  }

  /** [MAC number, value] in insertion order (for tables keyed by MAC alone). */
  *[Symbol.iterator](): Generator<[mac: number, value: V]> {
    for (const [high, low, value] of this.entries()) yield [macFromHalves(high, low), value];
  }

  /** MAC numbers in insertion order (for tables keyed by MAC alone). */
  *keys(): Generator<number> {
    for (const [mac] of this) yield mac;
  }

  private find(high: number, low: number): number {
    for (let i = this.heads[this.bucket(high, low)]!; i !== NONE; i = this.chain[i]!) if (this.highs[i] === high && this.lows[i] === low) return i;
    return NONE;
  }

  private bucket(high: number, low: number): number {
    const h = Math.imul(low ^ Math.imul(high, 0x27d4eb2d), 0x9e3779b1);
    return (h ^ (h >>> 16)) & (this.heads.length - 1);
  }

  /** Re-index the live entries, in order, into `capacity` (a power of two) slots. */
  private rebuild(capacity: number): void {
    const { highs, lows, values, live, used } = this;
    this.heads = new Int32Array(capacity).fill(NONE);
    this.highs = new Int32Array(capacity);
    this.lows = new Int32Array(capacity);
    this.chain = new Int32Array(capacity);
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    this.live = new Uint8Array(capacity);
    this.used = 0;
    this.count = 0;
    for (let i = 0; i < used; i++) if (live[i] === 1) this.set(highs[i]!, lows[i]!, values[i]!);
  }
}
