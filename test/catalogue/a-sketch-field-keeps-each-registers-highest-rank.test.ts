import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addUser, SKETCH_RANK_BITS, sketchField, userSketchEntry } from '../../src/catalogue/user-sketch.ts';

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
        const registers = new Map<number, number>();
        for (const e of entries) addUser(registers, e);
        assert.equal(sketchField(entries), sketchField(registers.values()));
        assert.equal(sketchField([...entries].reverse()), sketchField(entries));
      },
    ),
  );
});

test('the same users give the same field whether each came once or many times', () => {
  const users = Array.from({ length: 500 }, (_, i) => userSketchEntry(`user-${i}`));
  assert.equal(sketchField([...users, ...users.slice(0, 200), ...users]), sketchField(users));
});
