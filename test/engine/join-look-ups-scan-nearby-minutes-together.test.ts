import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byNearbyRanges } from '../../src/engine/operators/interval-join.ts';

const MIN = 60_000;
const minute = (id: string, m: number) => ({ id, range: { from: m * MIN, to: (m + 1) * MIN - 1 } });

test('spilled requests are looked up by runs of nearby minutes, each run scanned once', () => {
  const groups = byNearbyRanges([minute('c', 100), minute('a', 0), minute('b', 3), minute('d', 104), minute('e', 3)]);
  assert.deepEqual(groups, [
    { ids: ['a', 'b', 'e'], range: { from: 0, to: 4 * MIN - 1 } },
    { ids: ['c', 'd'], range: { from: 100 * MIN, to: 105 * MIN - 1 } },
  ]);
});

test('minutes further apart than the gap are separate scans; the gap is inclusive', () => {
  assert.equal(byNearbyRanges([minute('a', 0), minute('b', 7)], 6 * MIN).length, 2);
  assert.equal(byNearbyRanges([minute('a', 0), minute('b', 7)], 6 * MIN + 1).length, 1);
  assert.deepEqual(byNearbyRanges([]), []);
});

test("the caller's ranges are not changed", () => {
  const items = [minute('a', 0), minute('b', 1)];
  byNearbyRanges(items);
  assert.deepEqual(items, [minute('a', 0), minute('b', 1)]);
});
