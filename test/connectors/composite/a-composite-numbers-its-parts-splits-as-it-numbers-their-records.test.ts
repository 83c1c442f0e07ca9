import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompositeSource } from '../../../src/connectors/composite/source.ts';
import { lineRecord, type Source, type SourceRecord } from '../../../src/connectors/source.ts';

/** A source of fixed records that says which splits it has records in. */
function part(id: string, records: SourceRecord[], splits?: number[]): Source {
  let done = false;
  return {
    id,
    async open() {},
    async poll() {
      const out = done ? [] : records;
      done = true;
      return { records: out, end: true };
    },
    position: () => (done ? 'end' : 'start'),
    fingerprint: () => id,
    ...(splits ? { splits: () => splits } : {}),
    async close() {},
  };
}

test("the splits a composite names are its records' splits: each part's apart from the others'", async () => {
  const composite = new CompositeSource([
    part('dims', [lineRecord('{}', 1)]),
    part(
      'events',
      [0, 1, 2].map((p) => ({ ...lineRecord('{}', 10 + p), split: p })),
      [0, 2],
    ),
  ]);
  await composite.open(null, null);
  const { records } = await composite.poll(100);
  const splitOfPartition = new Map(records.slice(1).map((r, p) => [p, r.split]));
  assert.deepEqual(composite.splits(), [splitOfPartition.get(0), splitOfPartition.get(2)]);
  assert.equal(new Set(records.map((r) => r.split)).size, 4, 'the parts do not share a split');
});
