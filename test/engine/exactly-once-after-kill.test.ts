import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { killPoints, killRepeatedly } from '../support/engine-child.ts';
import { aggregateSnapshot, dwaDifferences, dwdSnapshot, ledger, runFile, scratch } from '../support/pipeline.ts';

const tmp = scratch();
const input = join(tmp.dir, 'in.ndjson');
let lines = 0;

before(async () => {
  lines = (await writeSimulation({ seed: 5, events: 200_000, spanMs: 3 * 3600_000 }, input)).lines;
});
after(tmp.cleanup);

const engineArgs = (db: string) => [
  '--input',
  input,
  '--db',
  db,
  '--until-end',
  '--batch-size',
  '500',
  '--checkpoint-interval',
  '50ms',
  // Disk state with a budget of minutes of this workload: restarts restore part of the window, look-ups find the rest.
  '--state',
  'disk',
  '--state-memory',
  '1MB',
];

test('kill -9 at random instants, then restart: nothing lost, nothing counted twice', {
  timeout: 300_000,
}, async () => {
  const seed = Number(process.env.ADW_KILL_SEED ?? Date.now() % 100_000);
  const db = join(tmp.dir, 'killed.duckdb');
  assert.equal(
    await killRepeatedly(engineArgs(db), killPoints(seed), 5),
    5,
    `the run was killed mid-way 5 times (seed ${seed})`,
  );

  const reference = join(tmp.dir, 'reference.duckdb');
  await runFile(input, reference, { stateMemoryBytes: null });

  const l = await ledger(db);
  assert.equal(l.recordsIn, lines, `every input line counted once (seed ${seed})`);
  assert.equal(l.accepted + l.deadLettered, lines);
  assert.equal(l.odsRows, l.accepted, 'ODS holds each accepted record exactly once');
  assert.equal(l.deadLetterRows, l.deadLettered, 'each bad record dead-lettered exactly once');
  assert.deepEqual(await dwaDifferences(db), [], `DWA equals the offline recomputation from ODS (seed ${seed})`);
  assert.deepEqual(
    await dwdSnapshot(db),
    await dwdSnapshot(reference),
    'DWD equals an uninterrupted run with the whole window in memory',
  );
  assert.deepEqual(
    await aggregateSnapshot(db),
    await aggregateSnapshot(reference),
    'DWA and APP equal an uninterrupted run',
  );
});
