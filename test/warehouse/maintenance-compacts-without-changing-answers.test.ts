import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { appDatasets } from '../../src/layers/app.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { compactionSlices, DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { aggregateSnapshot, copyWarehouse, queryDb, queryRow, runFile, scratch } from '../support/pipeline.ts';

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

/** DWA and every APP dataset: name, cell columns, period grain. */
const foldedTables = [
  {
    name: 'dwa_ad_minute',
    keys: 'minute, advertiser_id, campaign_id, ad_id, slot_id, os, device_type, region',
    time: 'minute',
    grain: 'minute',
  },
  ...appDatasets.map((ds) => ({
    name: ds.table.name,
    keys: ['period', ...ds.by].join(', '),
    time: 'period',
    grain: ds.grain,
  })),
];
/** A row's weight in housekeeping's terms: one, plus its sketch's entries. */
const WEIGHT = '1 + coalesce(len(user_sketch), 0)';

/**
 * Per table, how many of its cells are not folded: split over more than one row in a period that has ended, or, in
 * the period still open at `openAtMs` (none by default), holding a row that does not outweigh all its lighter rows
 * together (the size-tiered form a run leaves there).
 */
async function splitCells(db: string, openAtMs = Number.NEGATIVE_INFINITY): Promise<Record<string, number>> {
  const split: Record<string, number> = {};
  const openAt = Number.isFinite(openAtMs) ? `epoch_ms(${openAtMs})` : `'-infinity'::TIMESTAMP`;
  for (const t of foldedTables)
    split[t.name] = Number(
      (
        await queryRow(
          db,
          `SELECT count(*) AS n FROM (
             SELECT ${t.keys}, count(*) AS rows, bool_and(w > lighter) AS tiered FROM (
               SELECT ${t.keys}, ${WEIGHT} AS w,
                      coalesce(sum(${WEIGHT}) OVER (PARTITION BY ${t.keys} ORDER BY ${WEIGHT} DESC, rowid ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING), 0) AS lighter
               FROM ${t.name})
             GROUP BY ALL)
           WHERE rows > 1 AND (${t.time} < date_trunc('${t.grain}', ${openAt}) OR NOT tiered)`,
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
  // The day is still open there: its cells are left size-tiered, every ended period with one row per cell.
  const split = await splitCells(db, maxMs + HOUR);
  assert.deepEqual(split, Object.fromEntries(Object.keys(split).map((t) => [t, 0])), 'every cell folded');
  for (const bad of [0, -1, 0.5, Number.NaN])
    await assert.rejects(DuckDbWarehouse.open(db, { compactionSliceWeight: bad }), /positive integer/);
  assert.deepEqual(await aggregateSnapshot(db), before, 'every DWA and APP cell sums to the same values');
});

test("a run leaves the open day's heavy rows as they are and folds only the lighter rest", async () => {
  const { db, maxMs } = await deltaWarehouse('w6', 9, 6 * HOUR);
  const day = appDatasets.find((ds) => ds.grain === 'day')!;
  const keys = ['period', ...day.by].join(', ');
  const cellOf = (r: Record<string, unknown>) => JSON.stringify(day.by.map((c) => r[c]));
  const rowsByCell = async () =>
    new Map(
      (await queryDb(db, `SELECT ${keys}, count(*)::INT AS n FROM ${day.table.name} GROUP BY ALL`)).map((r) => [
        cellOf(r),
        r.n as number,
      ]),
    );
  /** Each cell's heaviest row, whole. */
  const heaviest = async () =>
    (
      await queryDb(
        db,
        `SELECT * FROM ${day.table.name} QUALIFY row_number() OVER (PARTITION BY ${keys} ORDER BY ${WEIGHT} DESC) = 1`,
      )
    ).map((r) => JSON.stringify(r));
  const w = await DuckDbWarehouse.open(db);
  try {
    await w.maintain(maxMs + HOUR, 30);
    // Two small deltas into every cell of the open day, as later checkpoints add: one user each.
    for (let i = 0; i < 2; i++)
      await w.query(
        `INSERT INTO ${day.table.name} SELECT * REPLACE (user_sketch[1:1] AS user_sketch) FROM ${day.table.name} QUALIFY row_number() OVER (PARTITION BY ${keys} ORDER BY ${WEIGHT} DESC) = 1`,
      );
    const before = await aggregateSnapshot(db);
    const heavy = new Set(await heaviest());
    const rows = await rowsByCell();
    await w.maintain(maxMs + 2 * HOUR, 30);
    const after = await rowsByCell();
    // Folding the open day whole would have rewritten every cell's heavy row (each got new deltas).
    const untouched = (await heaviest()).filter((r) => heavy.has(r));
    const foldedAround = untouched.filter((r) => {
      const cell = cellOf(JSON.parse(r) as Record<string, unknown>);
      return after.get(cell)! < rows.get(cell)!;
    });
    assert.ok(foldedAround.length > 0, `${day.table.name}: heavy rows left as they were while lighter ones folded`);
    assert.deepEqual(await aggregateSnapshot(db), before, 'every DWA and APP cell sums to the same values');
  } finally {
    await w.close();
  }
  assert.deepEqual(await splitCells(db, maxMs + 2 * HOUR), Object.fromEntries(foldedTables.map((t) => [t.name, 0])));
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
