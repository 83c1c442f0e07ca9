import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SpillIndex } from '../../src/state/spill-index.ts';

/** What the index must answer, kept the plain way: a Map from hash to bucket, and each bucket's hashes. */
class Model {
  readonly bucketOf = new Map<number, number>();
  readonly lists = new Map<number, number[]>();
  count = 0;

  add(h: number, b: number): void {
    this.count++;
    const known = this.bucketOf.get(h);
    this.bucketOf.set(h, known === undefined || known === b ? b : -1);
    this.lists.set(b, [...(this.lists.get(b) ?? []), h]);
  }

  find(h: number): number | null | undefined {
    const b = this.bucketOf.get(h);
    return b === -1 ? null : b;
  }

  /** Its own bucket, or every bucket holding a shared hash, in ascending order. */
  bucketsOf(h: number): number[] {
    const b = this.find(h);
    if (b !== null) return b === undefined ? [] : [b];
    return [...this.lists].filter(([, hs]) => hs.includes(h)).map(([bucket]) => bucket);
  }

  dropThrough(last: number): void {
    for (const [b, hs] of this.lists) {
      if (b > last) continue;
      this.count -= hs.length;
      for (const h of hs) if (this.bucketOf.get(h) === b) this.bucketOf.delete(h);
      this.lists.delete(b);
    }
  }
}

/** Hashes from a few values (repeats, keys shared across buckets) and from all of int32 (collisions in the table). */
const hashArb = fc.oneof(fc.integer({ min: -3, max: 40 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const opArb = fc.oneof(
  {
    weight: 12,
    arbitrary: fc.record({ op: fc.constant('add' as const), h: hashArb, b: fc.integer({ min: 0, max: 20 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), last: fc.integer({ min: -1, max: 21 }) }) },
);

test('any sequence of spills and expiries locates every hash as a Map would, shared ones in every bucket they are in', () => {
  fc.assert(
    fc.property(
      fc.array(opArb, { minLength: 600, maxLength: 1500 }),
      fc.array(hashArb, { maxLength: 50 }),
      (ops, probes) => {
        const index = new SpillIndex(true);
        const model = new Model();
        for (const o of ops) {
          if (o.op === 'add') {
            index.add(o.h, o.b);
            model.add(o.h, o.b);
          } else {
            const before = model.count;
            model.dropThrough(o.last);
            assert.equal(index.dropThrough(o.last), before - model.count, 'keys forgotten');
          }
          assert.equal(index.count, model.count);
        }
        for (const h of [...model.bucketOf.keys(), ...probes, ...ops.flatMap((o) => (o.op === 'add' ? [o.h] : []))]) {
          assert.equal(index.find(h), model.find(h), `hash ${h}`);
          assert.deepEqual(
            index.bucketsOf(h).sort((x, y) => x - y),
            model.bucketsOf(h).sort((x, y) => x - y),
            `buckets of hash ${h}`,
          );
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('200,000 spilled keys through growth, expiry in steps and shrinking: each found in its bucket until it expires', () => {
  const index = new SpillIndex(true);
  const model = new Model();
  // Consecutive hashes and hashes that differ mostly in their high bits (times an odd number: all distinct), both
  // of which must spread over the table.
  const hashOf = (i: number) => (i % 2 === 0 ? i : Math.imul(i, 0x10001));
  for (let i = 0; i < 200_000; i++) {
    index.add(hashOf(i), i % 100);
    model.add(hashOf(i), i % 100);
  }
  for (const last of [-1, 9, 49, 98]) {
    index.dropThrough(last);
    model.dropThrough(last);
    assert.equal(index.count, model.count);
    for (let i = 0; i < 200_000; i += 7) assert.equal(index.find(hashOf(i)), model.find(hashOf(i)), `key ${i}`);
  }
  assert.equal(index.count, 2_000);
  assert.equal(index.find(hashOf(99)), 99);
  assert.equal(index.find(hashOf(98)), undefined);
});

test('a state that does not locate keys only says whether anything was spilled', () => {
  const index = new SpillIndex(false);
  assert.equal(index.find(5), undefined);
  index.add(5, 3);
  assert.equal(index.find(5), null);
  assert.equal(index.find(6), null);
  index.dropThrough(3);
  assert.equal(index.count, 0);
  assert.equal(index.find(5), undefined);
});

test('buckets are kept exactly however large (milliseconds since 1970), before and after the first one', () => {
  const index = new SpillIndex(true);
  const T = 1_767_225_600_000;
  index.add(1, T);
  index.add(2, T - 5_000);
  index.add(3, T + 2 ** 30);
  index.add(1, T + 1);
  assert.equal(index.find(2), T - 5_000);
  assert.equal(index.find(3), T + 2 ** 30);
  assert.equal(index.find(1), null, 'shared across two buckets');
  assert.deepEqual(
    index.bucketsOf(1).sort((x, y) => x - y),
    [T, T + 1],
  );
  index.dropThrough(T - 5_000);
  assert.equal(index.find(2), undefined);
  assert.throws(() => index.add(4, T + 2 ** 32), RangeError);
});

test('its memory follows the keys it holds, up and down', () => {
  const index = new SpillIndex(true);
  const empty = index.bytes;
  for (let i = 0; i < 100_000; i++) index.add(i * 7919, i % 10);
  const full = index.bytes;
  assert.ok(full >= 100_000 * (8 + 4) && full <= 100_000 * 40, `${full} bytes for 100,000 keys`);
  // Expiry a bucket at a time, as the window moves on: the table halves at most once a step.
  for (let b = 0; b < 10; b++) index.dropThrough(b);
  assert.ok(index.bytes < full / 8 && index.bytes >= empty, `${index.bytes} bytes after expiry`);
});
