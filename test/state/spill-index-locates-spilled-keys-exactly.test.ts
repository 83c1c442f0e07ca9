import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SpillIndex } from '../../src/state/spill-index.ts';

/** What the index must answer, kept the plain way: each bucket's hashes as spilled, and each hash's buckets. */
class Model {
  readonly lists = new Map<number, number[]>();
  readonly bucketsByHash = new Map<number, Set<number>>();
  count = 0;

  add(h: number, b: number): void {
    this.count++;
    this.lists.set(b, [...(this.lists.get(b) ?? []), h]);
    const buckets = this.bucketsByHash.get(h) ?? new Set<number>();
    this.bucketsByHash.set(h, buckets.add(b));
  }

  /** Every bucket holding the hash, in ascending order. */
  bucketsOf(h: number): number[] {
    return [...(this.bucketsByHash.get(h) ?? [])].sort((x, y) => x - y);
  }

  /** Its one bucket; null when several buckets hold it. */
  find(h: number): number | null | undefined {
    const buckets = this.bucketsOf(h);
    return buckets.length === 0 ? undefined : buckets.length === 1 ? buckets[0] : null;
  }

  dropThrough(last: number): void {
    for (const [b, hs] of this.lists) {
      if (b > last) continue;
      this.count -= hs.length;
      this.lists.delete(b);
      for (const h of hs) {
        // A hash spilled twice into the bucket is listed twice.
        const buckets = this.bucketsByHash.get(h);
        buckets?.delete(b);
        if (buckets?.size === 0) this.bucketsByHash.delete(h);
      }
    }
  }
}

/** Hashes from a few values (repeats, keys shared across buckets) and from all of int32 (collisions in the table). */
const hashArb = fc.oneof(fc.integer({ min: -3, max: 40 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
/** Spills into `buckets` (a few keys of one bucket at once, as an expiry spills them) and expiries through any of them. */
function opsOver(buckets: fc.Arbitrary<number>, drops: fc.Arbitrary<number>) {
  return fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({
        op: fc.constant('add' as const),
        hs: fc.array(hashArb, { minLength: 0, maxLength: 6 }),
        b: buckets,
      }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), last: drops }) },
  );
}

/** Runs `ops` on an index and on the model, comparing counts all along and every hash's buckets at the end. */
function agreeWithModel(
  ops: ({ op: 'add'; hs: number[]; b: number } | { op: 'drop'; last: number })[],
  probes: number[],
) {
  const index = new SpillIndex(true);
  const model = new Model();
  for (const o of ops) {
    if (o.op === 'add') {
      index.add(o.b, o.hs);
      for (const h of o.hs) model.add(h, o.b);
    } else {
      const before = model.count;
      model.dropThrough(o.last);
      assert.equal(index.dropThrough(o.last), before - model.count, 'keys forgotten');
    }
    assert.equal(index.count, model.count);
  }
  for (const h of [...model.bucketsByHash.keys(), ...probes, ...ops.flatMap((o) => (o.op === 'add' ? o.hs : []))]) {
    assert.equal(index.find(h), model.find(h), `hash ${h}`);
    assert.deepEqual(
      index.bucketsOf(h).sort((x, y) => x - y),
      model.bucketsOf(h),
      `buckets of hash ${h}`,
    );
  }
}

test('any sequence of spills and expiries locates every hash as a Map would, shared ones in every bucket they are in', () => {
  fc.assert(
    fc.property(
      fc.array(opsOver(fc.integer({ min: 0, max: 20 }), fc.integer({ min: -1, max: 21 })), {
        minLength: 600,
        maxLength: 1500,
      }),
      fc.array(hashArb, { maxLength: 50 }),
      agreeWithModel,
    ),
    { numRuns: 300 },
  );
});

test('buckets spread wider than 16-bit offsets reach (and back) are located alike', () => {
  // Minutes 0 - 9 and about 50 and 100 days later: the cells' offsets widen, and narrow again once the early ones go.
  const far = fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 70_000, max: 70_009 }), fc.constant(144_000));
  const drops = fc.oneof(fc.integer({ min: -1, max: 10 }), fc.integer({ min: 69_999, max: 70_010 }));
  fc.assert(
    fc.property(
      fc.array(opsOver(far, drops), { minLength: 300, maxLength: 900 }),
      fc.array(hashArb, { maxLength: 50 }),
      agreeWithModel,
    ),
    { numRuns: 200 },
  );
});

test('200,000 spilled keys through growth, expiry in steps and shrinking: each found in its bucket until it expires', () => {
  const index = new SpillIndex(true);
  const model = new Model();
  // Consecutive hashes and hashes that differ mostly in their high bits (times an odd number: all distinct), both
  // of which must spread over the table.
  const hashOf = (i: number) => (i % 2 === 0 ? i : Math.imul(i, 0x10001));
  // Each bucket's 2,000 keys at once, as an expiry spills a minute: the table grows for all of them before they go in.
  for (let b = 0; b < 100; b++) {
    const hashes = Array.from({ length: 2_000 }, (_, k) => hashOf(k * 100 + b));
    index.add(b, hashes);
    for (const h of hashes) model.add(h, b);
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
  index.add(3, [5]);
  assert.equal(index.find(5), null);
  assert.equal(index.find(6), null);
  index.dropThrough(3);
  assert.equal(index.count, 0);
  assert.equal(index.find(5), undefined);
});

test('buckets are kept exactly however large (milliseconds since 1970), before and after the first one', () => {
  const index = new SpillIndex(true);
  const T = 1_767_225_600_000;
  index.add(T, [1]);
  index.add(T - 5_000, [2]);
  index.add(T + 2 ** 30, [3]);
  index.add(T + 1, [1]);
  assert.equal(index.find(2), T - 5_000);
  assert.equal(index.find(3), T + 2 ** 30);
  assert.equal(index.find(1), null, 'shared across two buckets');
  assert.deepEqual(
    index.bucketsOf(1).sort((x, y) => x - y),
    [T, T + 1],
  );
  index.dropThrough(T - 5_000);
  assert.equal(index.find(2), undefined);
  assert.throws(() => index.add(T + 2 ** 32, [4]), RangeError);
});

test('its memory follows the keys it holds, up and down', () => {
  const index = new SpillIndex(true);
  const empty = index.bytes;
  for (let i = 0; i < 100_000; i++) index.add(i % 10, [i * 7919]);
  const full = index.bytes;
  assert.ok(full >= 100_000 * (8 + 4) && full <= 100_000 * 40, `${full} bytes for 100,000 keys`);
  // Expiry a bucket at a time, as the window moves on: the table shrinks once it is mostly empty.
  for (let b = 0; b < 10; b++) index.dropThrough(b);
  assert.ok(index.bytes < full / 8 && index.bytes >= empty, `${index.bytes} bytes after expiry`);
});
