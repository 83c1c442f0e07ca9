import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FreshnessTracker } from '../../src/engine/freshness.ts';

/** The p-th percentile of the records themselves: each sample's freshness repeated once per record it carried. */
function reference(kept: { ms: number; n: number }[], p: number): number {
  const records = kept.flatMap((s) => Array.from({ length: s.n }, () => s.ms)).sort((a, b) => a - b);
  if (records.length === 0) return 0;
  return records[Math.min(records.length - 1, Math.max(0, Math.ceil((p / 100) * records.length) - 1))]!;
}

// Percentiles asked between records (as every viewer's /api/status does) see every record before them, none lost to
// an answer kept from earlier.
test('freshness percentiles follow every record, however often they are asked between records', () => {
  const capacity = 8;
  const sample = fc.record({ ms: fc.integer({ min: 0, max: 5000 }), n: fc.integer({ min: 1, max: 50 }) });
  const step = fc.oneof(fc.record({ record: sample }), fc.record({ ask: fc.constantFrom(0, 1, 50, 90, 99, 100) }));
  fc.assert(
    fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
      const tracker = new FreshnessTracker(capacity);
      let kept: { ms: number; n: number }[] = [];
      for (const s of steps) {
        if ('record' in s) {
          tracker.record(s.record.ms, s.record.n);
          kept.push(s.record);
          // The tracker keeps its newest half once over capacity.
          if (kept.length > capacity) kept = kept.slice(-capacity / 2);
        } else assert.equal(tracker.percentile(s.ask), reference(kept, s.ask), JSON.stringify({ kept, p: s.ask }));
      }
    }),
  );
});
