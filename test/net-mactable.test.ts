// The data plane's MAC-keyed table (src/net/mactable.ts) against a Map keyed by MAC number: same
// answers and the same iteration order (tables are saved and listed in it) under random
// sequences of set / delete / lookups, across growth and compaction; and the MAC halves the
// forwarding path reads from frame bytes agree with the MAC numbers the rest of nestlab uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MacTable } from '../src/net/mactable.js';
import { MacAddress, isMulticastAt, isMulticastMac, macFromHalves, macHigh, macLow, readMac, readMacHigh, readMacLow, writeMac } from '../src/net/codec/index.js';

const SEED = 20261121;
const mac48 = fc.integer({ min: 0, max: 0xffff_ffff_ffff });
// Few distinct MACs, so sequences update, delete and re-add the same keys; some share their low
// half (same bucket chain), some have the top bit of the low half set (a negative int32).
const pooled = fc.constantFrom(0x005056000001, 0x005056000002, 0x015056000001, 0xffff_ffff_ffff, 0x0000_8000_0000, 0x0001_8000_0000, 0x02000000ffff, 0);

test('MAC halves: read from bytes, from numbers and back agree, for every 48-bit MAC', () => {
  fc.assert(fc.property(mac48, fc.integer({ min: 0, max: 8 }), (mac, off) => {
    const buf = new Uint8Array(16);
    writeMac(buf, off, mac);
    assert.equal(readMacHigh(buf, off), macHigh(mac));
    assert.equal(readMacLow(buf, off), macLow(mac));
    assert.equal(macFromHalves(macHigh(mac), macLow(mac)), mac);
    assert.equal(readMac(buf, off), mac);
    assert.equal(isMulticastAt(buf, off), isMulticastMac(mac));
    assert.ok(new MacAddress(mac).isAt(buf, off));
    assert.equal(new MacAddress(mac ^ 1).isAt(buf, off), false);
  }), { seed: SEED, numRuns: 2000 });
});

type Op = { kind: 'set'; mac: number; value: number } | { kind: 'delete'; mac: number } | { kind: 'get'; mac: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), mac: fc.oneof(pooled, mac48), value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), mac: fc.oneof(pooled, mac48) }),
  fc.record({ kind: fc.constant('get' as const), mac: fc.oneof(pooled, mac48) }),
);

test('MacTable behaves as a Map keyed by MAC: values, size and insertion order, across growth and compaction', () => {
  fc.assert(fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
    const table = new MacTable<number>();
    const model = new Map<number, number>();
    const buf = new Uint8Array(12);
    for (const o of ops) {
      if (o.kind === 'set') {
        table.setMac(o.mac, o.value);
        model.set(o.mac, o.value);
      } else if (o.kind === 'delete') {
        assert.equal(table.delete(macHigh(o.mac), macLow(o.mac)), model.delete(o.mac));
      } else {
        writeMac(buf, 6, o.mac);
        assert.equal(table.getAt(buf, 6), model.get(o.mac));
        assert.equal(table.hasAt(buf, 6), model.has(o.mac));
      }
      assert.equal(table.size, model.size);
    }
    assert.deepEqual([...table], [...model]);
  }), { seed: SEED, numRuns: 500 });
});

test('MacTable: many keys (growth), a third deleted, others added — some sharing their low half — keep Map order', () => {
  const table = new MacTable<number>();
  const model = new Map<number, number>();
  const put = (mac: number, v: number) => { table.setMac(mac, v); model.set(mac, v); };
  for (let i = 0; i < 5000; i++) put(0x005056000000 + i * 7919, i);
  for (let i = 0; i < 5000; i += 3) {
    const mac = 0x005056000000 + i * 7919;
    table.delete(macHigh(mac), macLow(mac));
    model.delete(mac);
  }
  for (let i = 0; i < 3000; i++) put(0x020000000000 + i, -i);
  for (let high = 0; high < 600; high++) put(high * 0x1_0000_0000 + 0x9234_5678, high); // one low half: chains hold several highs
  put(0x005056000000, 42); // deleted above (i = 0): re-added last
  assert.equal(table.size, model.size);
  assert.deepEqual([...table], [...model]);
});
