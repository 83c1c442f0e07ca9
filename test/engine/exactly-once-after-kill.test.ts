import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { killPoints, runEngine, type KillPoint } from '../support/engine-child.ts';
import { aggregateSnapshot, dwaDifferences, dwdSnapshot, queryDb, runFile, scratch } from '../support/pipeline.ts';

const tmp = scratch();
const input = join(tmp.dir, 'in.ndjson');
let lines = 0;

before(async () => {
  lines = (await writeSimulation({ seed: 5, events: 200_000, spanMs: 3 * 3600_000 }, input)).lines;
});
after(tmp.cleanup);

const runChild = (db: string, kill: KillPoint | null) =>
  runEngine(['--input', input, '--db', db, '--until-end', '--batch-size', '500', '--checkpoint-interval', '50ms'], kill);

test('kill -9 at random instants, then restart: nothing lost, nothing counted twice', { timeout: 300_000 }, async () => {
  const seed = Number(process.env.ADW_KILL_SEED ?? Date.now() % 100_000);
  const next = killPoints(seed);
  const db = join(tmp.dir, 'killed.duckdb');
  let kills = 0;
  while (kills < 5 && (await runChild(db, next())) === 'killed') kills++;
  if (kills === 5) assert.equal(await runChild(db, null), 'finished');
  assert.equal(kills, 5, `the run was killed mid-way 5 times (seed ${seed})`);

  const reference = join(tmp.dir, 'reference.duckdb');
  await runFile(input, reference);

  const cp = await queryDb(db, 'SELECT records_in, accepted, dead_lettered, duplicates FROM adw_checkpoint');
  assert.equal(cp[0].records_in, lines, `every input line counted once (seed ${seed})`);
  assert.equal(Number(cp[0].accepted) + Number(cp[0].dead_lettered), lines);
  const ods = await queryDb(db, 'SELECT count(*)::INT AS n FROM ods_ad_event');
  const dl = await queryDb(db, 'SELECT count(*)::INT AS n FROM ods_dead_letter');
  const dims = await queryDb(db, 'SELECT count(*)::INT AS n FROM ods_dim_change');
  assert.equal(Number(ods[0].n) + Number(dims[0].n), cp[0].accepted, 'ODS holds each accepted record exactly once');
  assert.equal(dl[0].n, cp[0].dead_lettered, 'each bad record dead-lettered exactly once');
  assert.deepEqual(await dwaDifferences(db), [], `DWA equals the offline recomputation from ODS (seed ${seed})`);
  assert.deepEqual(await dwdSnapshot(db), await dwdSnapshot(reference), 'DWD equals an uninterrupted run');
  assert.deepEqual(await aggregateSnapshot(db), await aggregateSnapshot(reference), 'DWA and APP equal an uninterrupted run');
});
