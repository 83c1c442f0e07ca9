import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
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
