import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildApi } from '../../src/api/server.ts';
import { sketchColumn } from '../../src/catalogue/user-sketch.ts';
import { appDatasets } from '../../src/layers/app.ts';
import { dwaAdMinute } from '../../src/layers/dwa.ts';
import { runQuery } from '../../src/query/planner.ts';
import type { QueryRequest } from '../../src/query/request.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { storedTables } from '../../src/warehouse/duckdb/storage.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { queryDb, runFile, scratch } from '../support/pipeline.ts';

const tmp = scratch();
after(tmp.cleanup);

// `adw serve`, `adw query` and `adw reconcile` open a warehouse read-only, so they cannot add a column that a file
// written by an older ADW lacks: every query must still answer, never fail on the missing column.
test('a warehouse file from before the user sketch answers every query read-only, unique users as 0', async () => {
  const input = join(tmp.dir, 'in.ndjson');
  const db = join(tmp.dir, 'old.duckdb');
  await writeSimulation({ seed: 4, events: 5_000 }, input);
  await runFile(input, db);
  const requests = async () =>
    Number((await queryDb(db, 'SELECT sum(requests)::BIGINT AS n FROM dwa_ad_minute'))[0]?.n);
  const total = await requests();
  assert.ok(total > 1000, `a real workload: ${total} requests`);
  // What the older version wrote: the same tables without the sketch column, and none for the later datasets.
  const later = ['app_ad_daily', 'app_ad_hourly', 'app_audience_daily', 'app_audience_hourly'];
  const older = await DuckDbWarehouse.open(db);
  for (const table of [dwaAdMinute.name, ...appDatasets.map((d) => d.table.name)])
    if (later.includes(table)) await older.query(`DROP TABLE ${table}`);
    else await older.query(`ALTER TABLE ${table} DROP COLUMN ${sketchColumn}`);
  await older.close();
  assert.equal(await requests(), total);

  const store = await DuckDbWarehouse.open(db, { readOnly: true });
  try {
    for (const by of [[], ['campaign_id'], ['region'], ['ad_id']]) {
      const r = await runQuery(store, { metrics: ['requests', 'unique_users'], by });
      assert.ok(r.rows.length > 0, `rows by ${by.join(',') || 'nothing'}`);
      const sum = r.rows.reduce((s, row) => s + Number(row.requests), 0);
      assert.equal(sum, total, `requests by ${by.join(',') || 'nothing'}`);
      for (const row of r.rows) assert.equal(row.unique_users, 0, 'no sketch was written: no users counted');
    }
    const api = await buildApi({ store });
    try {
      const res = await api.inject({ method: 'GET', url: '/api/query?metrics=unique_users,clicks&by=campaign_id' });
      assert.equal(res.statusCode, 200, res.body);
    } finally {
      await api.close();
    }
  } finally {
    await store.close();
  }
  // Opened for writing, it gets the sketch column before the later datasets are rolled up from DWA.
  await (await DuckDbWarehouse.open(db)).close();
  const [filled] = await queryDb(db, 'SELECT sum(requests)::BIGINT AS n FROM app_audience_daily');
  assert.equal(Number(filled!.n), total);
});

test('a warehouse file from before a rollup answers from DWA read-only, and gets the rollup filled in once opened for writing', async () => {
  const input = join(tmp.dir, 'in-rollup.ndjson');
  const db = join(tmp.dir, 'old-rollup.duckdb');
  await writeSimulation({ seed: 5, events: 8_000 }, input);
  await runFile(input, db);
  const asked = [
    { metrics: ['requests', 'clicks', 'spend', 'unique_users'], by: ['ad_id'] },
    { metrics: ['requests', 'ctr', 'unique_users'], by: ['region', 'os'], granularity: 'hour' },
  ] as const;
  const answers = async (w: DuckDbWarehouse) =>
    Promise.all(asked.map(async (q) => (await runQuery(w, { ...q, by: [...q.by], limit: 10_000 })).rows));
  const store = await DuckDbWarehouse.open(db, { readOnly: true });
  const expected = await answers(store);
  await store.close();
  assert.ok(expected.every((rows) => rows.length > 1));
  // What the older version wrote: no tables for the datasets added since.
  const older = await DuckDbWarehouse.open(db);
  for (const table of ['app_ad_daily', 'app_ad_hourly', 'app_audience_daily', 'app_audience_hourly'])
    await older.query(`DROP TABLE ${table}`);
  await older.close();

  const readOnly = await DuckDbWarehouse.open(db, { readOnly: true });
  try {
    assert.deepEqual(await answers(readOnly), expected, 'read-only, the missing rollups read as views of DWA');
  } finally {
    await readOnly.close();
  }
  await (await DuckDbWarehouse.open(db)).close();
  const [filled] = await queryDb(db, 'SELECT count(*)::INTEGER AS n FROM app_ad_daily');
  assert.ok(Number(filled!.n) > 0, 'opened for writing, the rollup was filled from DWA');
  const reopened = await DuckDbWarehouse.open(db, { readOnly: true });
  try {
    assert.deepEqual(await answers(reopened), expected, 'the filled rollups answer the same');
  } finally {
    await reopened.close();
  }
});

test('a warehouse file from before os and device type were enumerations answers the same, and has them so once opened for writing', async () => {
  const input = join(tmp.dir, 'in-text.ndjson');
  const db = join(tmp.dir, 'old-text.duckdb');
  await writeSimulation({ seed: 6, events: 8_000 }, input);
  await runFile(input, db);
  const closedColumns = storedTables.flatMap((t) =>
    t.columns.filter((c) => c.values).map((c) => ({ table: t.name, column: c.name })),
  );
  assert.ok(closedColumns.some((c) => c.table === dwaAdMinute.name && c.column === 'os'));
  const typesOf = async () =>
    new Set(
      (
        await queryDb(
          db,
          `SELECT table_name || '.' || column_name AS c, data_type AS t FROM duckdb_columns() WHERE column_name IN ('os', 'device_type')`,
        )
      )
        .filter((r) => closedColumns.some((c) => `${c.table}.${c.column}` === r.c))
        .map((r) => String(r.t).replace(/\(.*/, '')),
    );
  assert.deepEqual(await typesOf(), new Set(['ENUM']), 'a new file keeps them as enumerations');
  // Ordered by the dimensions themselves: an enumeration sorts by its declared order, which must be the text's.
  const asked: QueryRequest[] = [
    { metrics: ['requests', 'clicks', 'spend'], by: ['os', 'device_type'], orderBy: 'os', orderDir: 'asc' },
    { metrics: ['requests', 'exposures'], by: ['device_type'], orderBy: 'device_type', orderDir: 'desc' },
    // Values no enumeration holds (unknown, markup and quotes, the longest text a filter takes) find nothing, as
    // they did in text: they never fail the query.
    {
      metrics: ['requests'],
      by: ['region'],
      filters: { os: ['ios', 'beos', "<b>'x'</b>"], device_type: ['phone', ''.padEnd(256, 'é')] },
    },
  ];
  const answers = async (w: DuckDbWarehouse) =>
    Promise.all(asked.map(async (q) => (await runQuery(w, { ...q, limit: 10_000 })).rows));
  const readAnswers = async () => {
    const w = await DuckDbWarehouse.open(db, { readOnly: true });
    try {
      return await answers(w);
    } finally {
      await w.close();
    }
  };
  const expected = await readAnswers();
  assert.ok(expected.every((rows) => rows.length > 1));
  // Unmatched events have no os or device type: their rows come last whichever the order (DuckDB's NULLS LAST).
  const byText = (rows: Record<string, unknown>[], k: string) => {
    const values = rows.map((r) => r[k]);
    assert.ok(values.indexOf(null) === -1 || values.indexOf(null) === values.length - 1, `${k}: nulls last`);
    return values.filter((v) => v !== null).map(String);
  };
  assert.deepEqual(byText(expected[0]!, 'os'), byText(expected[0]!, 'os').toSorted(), 'os ascending, as text');
  assert.deepEqual(
    byText(expected[1]!, 'device_type'),
    byText(expected[1]!, 'device_type').toSorted().reverse(),
    'device type descending, as text',
  );
  // What the older version wrote: the same columns as text.
  const older = await DuckDbWarehouse.open(db);
  for (const { table, column } of closedColumns)
    await older.query(`ALTER TABLE ${table} ALTER ${column} SET DATA TYPE VARCHAR`);
  await older.close();
  assert.deepEqual(await typesOf(), new Set(['VARCHAR']));
  assert.deepEqual(await readAnswers(), expected, 'read-only, the text columns answer alike');
  await (await DuckDbWarehouse.open(db)).close();
  assert.deepEqual(await typesOf(), new Set(['ENUM']), 'opened for writing, they are enumerations again');
  assert.deepEqual(await readAnswers(), expected, 'and answer the same');
});
