import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { userSketchEntry } from '../../src/catalogue/user-sketch.ts';
import { appDatasets, usersDataset } from '../../src/layers/app.ts';
import { dwaAdMinute } from '../../src/layers/dwa.ts';
import { appSketchMarkTable } from '../../src/layers/meta.ts';
import { compile, plan } from '../../src/query/planner.ts';
import { canonicalQuery, validateQuery } from '../../src/query/request.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { queryDb, queryRow, runFile, scratch } from '../support/pipeline.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const start = Date.UTC(2026, 0, 1);
const tmp = scratch();
after(tmp.cleanup);
const input = join(tmp.dir, 'in.ndjson');
const db = join(tmp.dir, 'w.duckdb');
// Housekeeping only when a test calls it.
const config = { batchSize: 1000, checkpointIntervalMs: 0, maintenanceIntervalMs: 10 * DAY };

/** Fails unless every dataset counts each of its cells' distinct users as DWA's minute rows do. */
async function usersAsDwaCountsThem(): Promise<void> {
  const w = await DuckDbWarehouse.open(db, { readOnly: true });
  try {
    for (const ds of appDatasets) {
      const q = canonicalQuery(
        validateQuery({ metrics: ['requests', 'unique_users'], by: ds.by, granularity: ds.grain, limit: 100_000 }),
      );
      const chosen = plan(q);
      assert.equal(chosen.table, ds.table.name);
      const fromApp = compile(q, chosen);
      const fromDwa = compile(q, { table: dwaAdMinute.name, timeColumn: 'minute' });
      const dwa = await w.query(fromDwa.sql, fromDwa.params);
      assert.ok(dwa.filter((r) => Number(r.unique_users) > 1).length > 1, `${ds.name}: users to count`);
      assert.deepEqual(await w.query(fromApp.sql, fromApp.params), dwa, ds.name);
    }
  } finally {
    await w.close();
  }
}

/** Per dataset, its rows with users in their sketch, before and from `ms`'s period. */
async function sketchedRows(ms: number): Promise<Record<string, { before: number; from: number }>> {
  const out: Record<string, { before: number; from: number }> = {};
  for (const ds of appDatasets) {
    const at = `date_trunc('${ds.grain}', epoch_ms(${ms}))`;
    const r = await queryRow(
      db,
      `SELECT count(*) FILTER (WHERE period < ${at}) AS before, count(*) FILTER (WHERE period >= ${at}) AS "from" FROM ${ds.table.name} WHERE len(user_sketch) > 0`,
    );
    out[ds.name] = { before: Number(r.before), from: Number(r.from) };
  }
  return out;
}

test("a checkpoint's APP rows leave their periods' users to DWA, and readers count them from there", async () => {
  await writeSimulation({ seed: 21, events: 20_000, spanMs: 2 * DAY, startMs: start }, input);
  await runFile(input, db, config);
  assert.equal(Number((await queryRow(db, `SELECT * FROM ${appSketchMarkTable.name}`)).sketched_until_ms), 0);
  for (const [name, n] of Object.entries(await sketchedRows(start)))
    assert.deepEqual(n, { before: 0, from: 0 }, `${name}: no period sketched yet`);
  await usersAsDwaCountsThem();
});

test('housekeeping gives settled periods their users from DWA once, and a late record into one brings its own', async () => {
  const settled = start + DAY + 2 * HOUR;
  const w = await DuckDbWarehouse.open(db);
  try {
    await w.maintain(settled, 30);
  } finally {
    await w.close();
  }
  assert.equal(Number((await queryRow(db, `SELECT * FROM ${appSketchMarkTable.name}`)).sketched_until_ms), settled);
  const sketched = await sketchedRows(settled);
  for (const ds of appDatasets) {
    const n = sketched[ds.name]!;
    if (usersDataset(ds) === ds) assert.ok(n.before > 0, `${ds.name}: settled periods sketched`);
    else assert.equal(n.before, 0, `${ds.name}: its users are ${usersDataset(ds).name}'s`);
    assert.equal(n.from, 0, `${ds.name}: later periods left to DWA`);
  }
  await usersAsDwaCountsThem();

  // A user never seen, in a period both grains have sketched: its checkpoint's deltas must carry it.
  const [ad] = await queryDb(db, 'SELECT ad_id FROM dim_ad ORDER BY ad_id LIMIT 1');
  const late = {
    type: 'request',
    request_id: 'late-request-1',
    ts: start + 3 * HOUR + 60_000,
    user_id: 'a-user-no-one-saw-before',
    os: 'ios',
    device_type: 'phone',
    region: 'FR',
    slot_id: 1,
    filled: true,
    ad_id: Number(ad!.ad_id),
    bid_price: 1.5,
  };
  appendFileSync(input, `${JSON.stringify(late)}\n`);
  await runFile(input, db, config);
  // In every dataset that holds users, that checkpoint's delta (its one request) carries the user, and no other row.
  const entry = userSketchEntry(late.user_id);
  for (const ds of appDatasets) {
    const r = await queryRow(
      db,
      `SELECT count(*) FILTER (WHERE requests = 1) AS delta, count(*) AS n FROM ${ds.table.name} WHERE list_contains(user_sketch, ${entry})`,
    );
    const held = usersDataset(ds) === ds ? 1 : 0;
    assert.deepEqual([Number(r.delta), Number(r.n)], [held, held], `${ds.name}: the late record's delta`);
  }
  await usersAsDwaCountsThem();
});

test('a housekeeping run that fails half-way leaves the periods it did not finish to the next one', async () => {
  const w = await DuckDbWarehouse.open(db);
  try {
    // One slice of the run fails (as a full disk would), after others have committed.
    const fallible = w as unknown as { transaction: (statements: string[]) => Promise<void> };
    const transaction = fallible.transaction.bind(w);
    let failed = false;
    fallible.transaction = async (statements) => {
      if (!failed && statements[0]?.startsWith('INSERT INTO app_slot_hourly')) {
        failed = true;
        throw new Error('injected failure');
      }
      return transaction(statements);
    };
    await assert.rejects(w.maintain(start + 2 * DAY, 30), /injected failure/);
    assert.ok(failed);
    await w.maintain(start + 2 * DAY, 30);
  } finally {
    await w.close();
  }
  assert.equal(
    Number((await queryRow(db, `SELECT * FROM ${appSketchMarkTable.name}`)).sketched_until_ms),
    start + 2 * DAY,
  );
  await usersAsDwaCountsThem();
});
