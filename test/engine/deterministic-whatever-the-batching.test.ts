import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { JobObserver } from '../../src/engine/job.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { aggregateSnapshot, dwaDifferences, dwdSnapshot, queryRow, runFile, scratch } from '../support/pipeline.ts';

const tmp = scratch();
const input = join(tmp.dir, 'in.ndjson');
let lines = 0;

before(async () => {
  lines = (await writeSimulation({ seed: 11, events: 30_000, spanMs: 2 * 3600_000 }, input)).lines;
});
after(tmp.cleanup);

test('the same input gives the same warehouse whatever the batch sizes and checkpoint timing, equal to the offline recomputation', async () => {
  const a = join(tmp.dir, 'a.duckdb');
  const b = join(tmp.dir, 'b.duckdb');
  const sa = await runFile(input, a, { batchSize: 4096, checkpointIntervalMs: 1000 });
  const sb = await runFile(input, b, { batchSize: 97, checkpointIntervalMs: 0 });
  assert.ok(sb.epoch > 100, `run b checkpointed often (${sb.epoch} epochs)`);
  assert.deepEqual(sa.counters, sb.counters);
  assert.equal(sa.counters.recordsIn, lines);
  assert.equal(sa.counters.recordsIn, sa.counters.accepted + sa.counters.deadLettered);
  assert.ok(
    sa.counters.late > 0 && sa.counters.duplicates > 0 && sa.counters.deadLettered > 0,
    'the workload has late, duplicate and bad records',
  );
  assert.deepEqual(await dwdSnapshot(a), await dwdSnapshot(b));
  assert.deepEqual(await aggregateSnapshot(a), await aggregateSnapshot(b));
  assert.deepEqual(await dwaDifferences(a), []);
  const dl = await queryRow(a, 'SELECT count(*)::INT AS n FROM ods_dead_letter');
  assert.equal(dl.n, sa.counters.deadLettered);
});

test('a state budget far smaller than the window spills to disk and changes nothing', async () => {
  const a = join(tmp.dir, 'full.duckdb');
  const b = join(tmp.dir, 'spilled.duckdb');
  const full = stateWatch();
  // A checkpoint every batch in both runs, so each reports its state along the way, not only once the input ended.
  const often = { checkpointIntervalMs: 0, batchSize: 500 };
  const sa = await runFile(input, a, { ...often, stateMemoryBytes: null }, [full.observer]);
  // 64 KiB: about a hundred requests and three hundred ids, a few minutes of this workload's two hours. What the
  // allowed lateness may still reach stays in memory whatever the budget: it may not be committed yet.
  const small = stateWatch();
  const sb = await runFile(input, b, { ...often, stateMemoryBytes: 64 * 1024 }, [small.observer]);
  assert.equal(full.peak.diskKeys, 0, 'without a budget nothing spills');
  assert.ok(small.peak.diskKeys > 1000, `state spilled (${small.peak.diskKeys} keys at most)`);
  assert.ok(
    small.peak.bytes * 4 < full.peak.bytes,
    `state held at most ${small.peak.bytes} bytes, against ${full.peak.bytes} with the whole window`,
  );
  assert.deepEqual(sa.counters, sb.counters);
  assert.deepEqual(await dwdSnapshot(a), await dwdSnapshot(b));
  assert.deepEqual(await aggregateSnapshot(a), await aggregateSnapshot(b));
  assert.deepEqual(await dwaDifferences(b), []);
});

/** The largest state the operators of a run reported at a commit (each figure its own maximum). */
function stateWatch(): { observer: JobObserver; peak: { bytes: number; diskKeys: number } } {
  const peak = { bytes: 0, diskKeys: 0 };
  const observer: JobObserver = {
    started: () => undefined,
    checkpointFailed: () => undefined,
    committed: (r) => {
      peak.bytes = Math.max(
        peak.bytes,
        r.state.reduce((n, s) => n + s.bytes, 0),
      );
      peak.diskKeys = Math.max(
        peak.diskKeys,
        r.state.reduce((n, s) => n + s.diskKeys, 0),
      );
    },
  };
  return { observer, peak };
}
