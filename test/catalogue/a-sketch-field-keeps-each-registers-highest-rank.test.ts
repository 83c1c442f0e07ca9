import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { SKETCH_RANK_BITS, sketchField, userSketchEntry } from '../../src/catalogue/user-sketch.ts';

const entry = (register: number, rank: number) => (register << SKETCH_RANK_BITS) | rank;

test('a sketch field lists each register once, with its highest rank, sorted', () => {
  assert.equal(sketchField([]), '');
  assert.equal(sketchField([entry(7, 3)]), `[${entry(7, 3)}]`);
  assert.equal(
    sketchField([entry(9, 1), entry(7, 3), entry(9, 40), entry(7, 2), entry(9, 5)]),
    `[${entry(7, 3)},${entry(9, 40)}]`,
  );
  assert.equal(sketchField([entry(0, 0), entry(0, 0)]), `[${entry(0, 0)}]`);
});

test('entries with repeats write the field that registers kept by their highest rank write', () => {
  const registerArb = fc.integer({ min: 0, max: 2 ** 25 - 1 });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.oneof(registerArb, fc.integer({ min: 0, max: 3 })), fc.integer({ min: 1, max: 40 })), {
        maxLength: 200,
      }),
      (pairs) => {
        const entries = pairs.map(([r, k]) => entry(r, k));
        // Each register with its highest rank, kept apart: the field those entries write, none repeated.
        const registers = new Map<number, number>();
        for (const e of entries) {
          const register = e >> SKETCH_RANK_BITS;
          if (e > (registers.get(register) ?? -1)) registers.set(register, e);
        }
        const expected = [...registers.values()].sort((a, b) => a - b);
        assert.equal(sketchField(entries), expected.length === 0 ? '' : `[${expected.join(',')}]`);
        assert.equal(sketchField([...entries].reverse()), sketchField(entries));
      },
    ),
  );
});

test('the same users give the same field whether each came once or many times', () => {
  const users = Array.from({ length: 500 }, (_, i) => userSketchEntry(`user-${i}`));
  assert.equal(sketchField([...users, ...users.slice(0, 200), ...users]), sketchField(users));
});

/** The entry as the sketch's doc defines it, from node:crypto's MD5 of the id's UTF-8 bytes. */
function referenceEntry(userId: string): number {
  const h = createHash('md5').update(userId, 'utf8').digest();
  const bits = h.readBigUInt64BE(0);
  const rest = bits & ((1n << 39n) - 1n);
  const rank = rest === 0n ? 40 : 40 - rest.toString(2).length;
  return Number(bits >> 39n) * 2 ** SKETCH_RANK_BITS + rank;
}

test("a user's entry is the first 8 bytes of the MD5 of its id's UTF-8, whatever the id holds", () => {
  for (const id of ['u1', 'user-0', '', 'é', '日本語', '😀', 'x'.repeat(64), 'x'.repeat(1000)])
    assert.equal(userSketchEntry(id), referenceEntry(id), JSON.stringify(id));
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (id) => {
      // Lone surrogates are hashed as U+FFFD, as every UTF-8 encoder writes them.
      const wellFormed = Buffer.from(id, 'utf8').toString('utf8');
      assert.equal(userSketchEntry(wellFormed), referenceEntry(wellFormed));
    }),
    { numRuns: 2000 },
  );
});
