import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { metricNames } from '../../src/catalogue/metrics.ts';
import { appDatasets } from '../../src/layers/app.ts';
import { dwaAdMinute } from '../../src/layers/dwa.ts';
import { compile, plan } from '../../src/query/planner.ts';
import { canonicalQuery, type QueryRequest, validateQuery } from '../../src/query/request.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { runFile, scratch } from '../support/pipeline.ts';

const tmp = scratch();
const db = join(tmp.dir, 'w.duckdb');
const DAY = 86_400_000;
const start = Date.UTC(2026, 0, 1);

before(async () => {
  const input = join(tmp.dir, 'in.ndjson');
  // Two days, checkpoints of 2,000 records: each APP row is the sum of many checkpoints' rollups of rollups.
  await writeSimulation({ seed: 16, events: 40_000, spanMs: 2 * DAY, startMs: start }, input);
  await runFile(input, db, { batchSize: 2000, checkpointIntervalMs: 0 });
});
after(() => tmp.cleanup());

/** The rows a query gets from the layer the planner picks, and from DWA's minute rows. */
async function bothWays(w: DuckDbWarehouse, request: QueryRequest) {
  const q = canonicalQuery(validateQuery(request));
  const chosen = plan(q);
  const fromPlan = compile(q, chosen);
  const fromDwa = compile(q, { table: dwaAdMinute.name, timeColumn: 'minute' });
  return {
    source: chosen.table,
    rollup: await w.query(fromPlan.sql, fromPlan.params),
    dwa: await w.query(fromDwa.sql, fromDwa.params),
  };
}

test('every APP dataset answers its own slice exactly as DWA minute rows do, unique users included', async () => {
  const w = await DuckDbWarehouse.open(db, { readOnly: true });
  try {
    for (const ds of appDatasets) {
      const r = await bothWays(w, {
        metrics: [...metricNames],
        by: [...ds.by] as QueryRequest['by'],
        granularity: ds.grain,
        limit: 100_000,
      });
      assert.equal(r.source, ds.table.name, `${ds.name} answers its own slice`);
      assert.ok(r.dwa.length > (ds.grain === 'day' ? 2 : 48), `${ds.name}: ${r.dwa.length} rows`);
      assert.ok(r.dwa.some((row) => Number(row.unique_users) > 0));
      assert.deepEqual(r.rollup, r.dwa, ds.name);
    }
  } finally {
    await w.close();
  }
});

test("a campaign's creatives and the regions of one os for a day come from the new rollups, as from DWA", async () => {
  const w = await DuckDbWarehouse.open(db, { readOnly: true });
  try {
    const [busiest] = await w.query(
      'SELECT campaign_id FROM dwa_ad_minute WHERE campaign_id IS NOT NULL GROUP BY 1 ORDER BY sum(requests) DESC LIMIT 1',
    );
    const day = { from: start + DAY, to: start + 2 * DAY };
    const asked: [QueryRequest, string][] = [
      [
        {
          metrics: ['exposures', 'clicks', 'spend', 'unique_users'],
          by: ['ad_id'],
          filters: { campaign_id: [Number(busiest!.campaign_id)] },
          ...day,
        },
        'app_ad_daily',
      ],
      [
        {
          metrics: ['requests', 'ctr', 'unique_users'],
          by: ['region'],
          filters: { os: ['ios'] },
          granularity: 'hour',
          ...day,
        },
        'app_audience_hourly',
      ],
    ];
    for (const [request, table] of asked) {
      const r = await bothWays(w, request);
      assert.equal(r.source, table);
      assert.ok(r.dwa.length > 1, `${table}: ${r.dwa.length} rows`);
      assert.deepEqual(r.rollup, r.dwa, table);
    }
  } finally {
    await w.close();
  }
});
