import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { appDatasets } from '../../src/layers/app.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { compactionSlices, DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { aggregateSnapshot, copyWarehouse, queryRow, runFile, scratch } from '../support/pipeline.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const tmp = scratch();
after(tmp.cleanup);

/** A warehouse of 20,000 events simulated over `spanMs`, a checkpoint every 500 records: many deltas per cell. */
async function deltaWarehouse(name: string, seed: number, spanMs: number): Promise<{ db: string; maxMs: number }> {
  const input = join(tmp.dir, `${name}.ndjson`);
  const db = join(tmp.dir, `${name}.duckdb`);
  await writeSimulation({ seed, events: 20_000, spanMs }, input);
  await runFile(input, db, { batchSize: 500, checkpointIntervalMs: 0 });
  const maxMs = Number((await queryRow(db, 'SELECT max(max_event_ms) AS n FROM adw_checkpoint')).n);
  return { db, maxMs };
}

/** DWA and every APP dataset: name, cell columns. */
const foldedTables = [
  { name: 'dwa_ad_minute', keys: 'minute, advertiser_id, campaign_id, ad_id, slot_id, os, device_type, region' },
  ...appDatasets.map((ds) => ({ name: ds.table.name, keys: ['period', ...ds.by].join(', ') })),
];
/** Per table, how many of its cells are not folded: split over more than one row in a period. */
async function splitCells(db: string): Promise<Record<string, number>> {
  const split: Record<string, number> = {};
  for (const t of foldedTables)
    split[t.name] = Number(
      (
        await queryRow(
          db,
          `SELECT count(*) AS n FROM (SELECT ${t.keys} FROM ${t.name} GROUP BY ALL HAVING count(*) > 1)`,
        )
      ).n,
    );
  return split;
}

test('housekeeping folds DWA and APP deltas and drops expired ODS days without changing any answer', async () => {
  const input = join(tmp.dir, 'in.ndjson');
  const db = join(tmp.dir, 'w.duckdb');
  await writeSimulation({ seed: 4, events: 20_000, spanMs: 3 * 86_400_000 }, input);
  // Checkpoint every batch: many small deltas per DWA cell.
  await runFile(input, db, { batchSize: 500, checkpointIntervalMs: 0 });
  const before = await aggregateSnapshot(db);
  const count = async (sql: string) => Number((await queryRow(db, sql)).n);
  const dwaRows = await count('SELECT count(*) AS n FROM dwa_ad_minute');
  const odsDays = await count('SELECT count(DISTINCT day) AS n FROM ods_ad_event');
  const maxMs = await count('SELECT max(max_event_ms) AS n FROM adw_checkpoint');
  assert.ok(odsDays >= 3);

  const minMs = await count('SELECT min(epoch_ms(minute)) AS n FROM dwa_ad_minute');
  const w = await DuckDbWarehouse.open(db);
  // As the engine runs it: every so often, each run compacting what settled since the one before.
  for (let settled = minMs + 6 * HOUR; settled < maxMs + DAY; settled += 6 * HOUR) await w.maintain(settled, 1);
  await w.maintain(maxMs + DAY, 1);
  await w.close();

  assert.deepEqual(await aggregateSnapshot(db), before, 'every DWA and APP cell sums to the same values');
  const split = await splitCells(db);
  assert.deepEqual(
    split,
    Object.fromEntries(Object.keys(split).map((t) => [t, 0])),
    'one row per DWA and APP cell after compaction',
  );
  assert.ok((await count('SELECT count(*) AS n FROM dwa_ad_minute')) < dwaRows);
  const daysLeft = await count('SELECT count(DISTINCT day) AS n FROM ods_ad_event');
  assert.ok(daysLeft < odsDays && daysLeft >= 1, `ODS kept the last day(s) only (${odsDays} -> ${daysLeft})`);
  const oldest = await queryRow(db, 'SELECT min(day) AS d FROM ods_ad_event');
  assert.ok(Date.parse(String(oldest.d)) >= maxMs + 86_400_000 - 2 * 86_400_000);
});

test('one housekeeping run compacts at most the last day: its work does not grow with the warehouse', async () => {
  const { db, maxMs } = await deltaWarehouse('w2', 4, 3 * DAY);
  const before = await aggregateSnapshot(db);
  const settled = maxMs - 6 * HOUR;
  const w = await DuckDbWarehouse.open(db);
  await w.maintain(settled, 30);
  await w.close();
  const folds = async (where: string) =>
    Number(
      (
        await queryRow(
          db,
          `SELECT count(*) AS n FROM (SELECT minute, advertiser_id, campaign_id, ad_id, slot_id, os, device_type, region FROM dwa_ad_minute WHERE ${where} GROUP BY ALL HAVING count(*) > 1)`,
        )
      ).n,
    );
  const at = (ms: number) => `epoch_ms(${ms})`;
  assert.equal(await folds(`minute >= ${at(settled - DAY)} AND minute < ${at(settled)}`), 0, 'the last day folded');
  assert.ok((await folds(`minute < ${at(settled - DAY)}`)) > 0, 'older days left as they were');
  assert.ok((await folds(`minute >= ${at(settled)}`)) > 0, 'what has not settled left as it was');
  assert.deepEqual(await aggregateSnapshot(db), before);
});

test('a compaction is cut into slices of whole periods, and a period too heavy alone is split by cell', () => {
  const M = 60_000;
  const minutes = [
    { startMs: 0, weight: 30 },
    { startMs: M, weight: 50 },
    { startMs: 3 * M, weight: 40 },
    { startMs: 4 * M, weight: 250 },
    { startMs: 6 * M, weight: 100 },
  ];
  assert.deepEqual(compactionSlices(minutes, 9 * M, 100), [
    { fromMs: 0, toMs: 3 * M, parts: 1, part: 0 },
    { fromMs: 3 * M, toMs: 4 * M, parts: 1, part: 0 },
    { fromMs: 4 * M, toMs: 6 * M, parts: 3, part: 0 },
    { fromMs: 4 * M, toMs: 6 * M, parts: 3, part: 1 },
    { fromMs: 4 * M, toMs: 6 * M, parts: 3, part: 2 },
    { fromMs: 6 * M, toMs: 9 * M, parts: 1, part: 0 },
  ]);
  assert.deepEqual(compactionSlices([], 9 * M, 100), [], 'nothing to compact, no slice');
  assert.deepEqual(compactionSlices([{ startMs: 0, weight: 1 }], M, 100), [{ fromMs: 0, toMs: M, parts: 1, part: 0 }]);
});

test('housekeeping compacts hundreds of thousands of DWA rows within a small DuckDB pool', {
  timeout: 180_000,
}, async () => {
  const input = join(tmp.dir, 'in3.ndjson');
  const db = join(tmp.dir, 'w3.duckdb');
  // About 130,000 DWA rows, many cells split over several checkpoints; the run itself does no housekeeping.
  await writeSimulation({ seed: 6, events: 300_000, spanMs: 2 * HOUR }, input);
  await runFile(input, db, { checkpointIntervalMs: 100 });
  const before = await aggregateSnapshot(db);
  const maxMs = Number((await queryRow(db, 'SELECT max(max_event_ms) AS n FROM adw_checkpoint')).n);
  const split = async () =>
    Number(
      (
        await queryRow(
          db,
          'SELECT count(*) AS n FROM (SELECT minute, advertiser_id, campaign_id, ad_id, slot_id, os, device_type, region FROM dwa_ad_minute GROUP BY ALL HAVING count(*) > 1)',
        )
      ).n,
    );
  assert.ok((await split()) > 1000, 'cells split over checkpoints, to be folded');
  // In one statement, folding every row's sketch at once needed more than this pool (out of memory).
  const w = await DuckDbWarehouse.open(db, { memoryLimit: '32MiB' });
  try {
    await w.maintain(maxMs + HOUR, 30);
  } finally {
    await w.close();
  }
  assert.equal(await split(), 0, 'one row per DWA cell after compaction');
  assert.deepEqual(await aggregateSnapshot(db), before, 'every DWA and APP cell sums to the same values');
});

test('housekeeping folds a period too heavy for one statement in parts by cell, DWA and APP alike', async () => {
  const { db, maxMs } = await deltaWarehouse('w5', 8, 2 * HOUR);
  const before = await aggregateSnapshot(db);
  for (const [t, n] of Object.entries(await splitCells(db)))
    assert.ok(n > 0, `${t}: cells split over checkpoints, to fold`);
  // A daily dataset's one day weighs thousands of rows and sketch entries: with 500 a statement, it is folded in parts.
  const w = await DuckDbWarehouse.open(db, { compactionSliceWeight: 500 });
  await w.maintain(maxMs + HOUR, 30);
  await w.close();
  // The day still open there is folded too.
  const split = await splitCells(db);
  assert.deepEqual(split, Object.fromEntries(Object.keys(split).map((t) => [t, 0])), 'every cell folded');
  for (const bad of [0, -1, 0.5, Number.NaN])
    await assert.rejects(DuckDbWarehouse.open(db, { compactionSliceWeight: bad }), /positive integer/);
  assert.deepEqual(await aggregateSnapshot(db), before, 'every DWA and APP cell sums to the same values');
});

test('a restarted process compacts from where housekeeping last stopped, not the whole last day again', async () => {
  const { db, maxMs } = await deltaWarehouse('w4', 7, 6 * HOUR);
  const settled = maxMs - HOUR;
  const first = await DuckDbWarehouse.open(db);
  await first.maintain(settled, 30);
  // A late delta into a cell compacted already, as a late record's checkpoint writes one.
  await first.query(
    `INSERT INTO dwa_ad_minute SELECT * FROM dwa_ad_minute WHERE minute < epoch_ms(${settled - HOUR}) ORDER BY ALL LIMIT 1`,
  );
  await first.close();
  const forgetful = join(tmp.dir, 'w4-forgetful.duckdb');
  copyWarehouse(db, forgetful);
  const split = async (file: string) =>
    Number(
      (
        await queryRow(
          file,
          'SELECT count(*) AS n FROM (SELECT minute, advertiser_id, campaign_id, ad_id, slot_id, os, device_type, region FROM dwa_ad_minute GROUP BY ALL HAVING count(*) > 1)',
        )
      ).n,
    );
  assert.equal(await split(db), 1, 'the late delta splits one cell');

  // Without the stored mark, a process starts as far back as it may: the last day.
  const erase = await DuckDbWarehouse.open(forgetful);
  await erase.query('DELETE FROM adw_compaction');
  await erase.close();
  for (const file of [db, forgetful]) {
    const w = await DuckDbWarehouse.open(file);
    await w.maintain(maxMs + HOUR, 30);
    await w.close();
  }
  assert.equal(await split(db), 1, 'the restarted process went on from the stored mark and left that cell alone');
  assert.equal(await split(forgetful), 0, 'without the mark the whole last day was compacted again');
});
