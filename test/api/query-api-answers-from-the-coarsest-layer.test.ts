import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { apiOverSimulation } from '../support/api.ts';

let app: FastifyInstance;
let close: () => Promise<void>;

before(async () => {
  ({ app, close } = await apiOverSimulation({ seed: 21, events: 20_000, spanMs: 3 * 3600_000 }));
});
after(() => close());

async function get(url: string) {
  const res = await app.inject({ method: 'GET', url });
  return { status: res.statusCode, body: res.json() };
}

describe('query API', () => {
  test('totals agree across layers: APP and DWA give the same additive metrics, unique users too', async () => {
    const metrics = 'requests,fills,exposures,viewable_exposures,clicks,spend';
    const byCampaign = await get(`/api/query?metrics=${metrics}&by=campaign_id&granularity=day&limit=1000`);
    const byRegion = await get(`/api/query?metrics=${metrics}&by=region&limit=1000`);
    // No rollup keeps slots with regions: DWA's minute cells answer.
    const bySlotAndRegion = await get(`/api/query?metrics=${metrics}&by=slot_id,region&limit=10000`);
    const withUsers = await get(`/api/query?metrics=${metrics},unique_users`);
    assert.equal(byCampaign.status, 200);
    assert.equal(byCampaign.body.source, 'app_campaign_daily');
    assert.equal(byRegion.body.source, 'app_audience_daily');
    assert.equal(bySlotAndRegion.body.source, 'dwa_ad_minute');
    // User sketches are in APP too: no need for DWD's detail.
    assert.equal(withUsers.body.source, 'app_slot_daily');
    const total = (rows: Record<string, number>[], m: string) => rows.reduce((s, r) => s + (r[m] ?? 0), 0);
    for (const m of metrics.split(',')) {
      const dwd = withUsers.body.rows[0][m];
      assert.ok(dwd > 0, `${m} is non-zero`);
      assert.ok(
        Math.abs(total(byCampaign.body.rows, m) - dwd) < 1e-6,
        `${m}: APP ${total(byCampaign.body.rows, m)} vs ${dwd} in total`,
      );
      assert.ok(
        Math.abs(total(byRegion.body.rows, m) - dwd) < 1e-6,
        `${m}: APP by region ${total(byRegion.body.rows, m)} vs ${dwd} in total`,
      );
      assert.ok(
        Math.abs(total(bySlotAndRegion.body.rows, m) - dwd) < 1e-6,
        `${m}: DWA ${total(bySlotAndRegion.body.rows, m)} vs ${dwd} in total`,
      );
    }
    assert.ok(withUsers.body.rows[0].unique_users > 0);
  });

  test('ratios are computed from sums, and every answer carries the freshness', async () => {
    const r = await get('/api/query?metrics=exposures,clicks,ctr,spend,ecpm&by=advertiser_id&names=1&order_by=spend');
    assert.equal(r.status, 200);
    for (const row of r.body.rows) {
      if (row.exposures > 0) assert.ok(Math.abs(row.ctr - row.clicks / row.exposures) < 1e-12);
      if (row.exposures > 0) assert.ok(Math.abs(row.ecpm - (row.spend * 1000) / row.exposures) < 1e-9);
      if (row.advertiser_id !== null) assert.equal(typeof row.advertiser_name, 'string');
    }
    const spends = r.body.rows.map((x: { spend: number }) => x.spend);
    assert.deepEqual(
      spends,
      [...spends].sort((a, b) => b - a),
      'sorted by spend, descending',
    );
    assert.match(r.body.freshness.newest_event_time, /^2026-01-01T/);
  });

  test('time range and filters narrow the answer', async () => {
    const all = await get('/api/query?metrics=requests&by=slot_id&limit=1000');
    const slot = all.body.rows.find((x: { slot_id: number | null }) => x.slot_id !== null).slot_id;
    const one = await get(`/api/query?metrics=requests&filter.slot_id=${slot}`);
    assert.equal(
      one.body.rows[0].requests,
      all.body.rows.find((x: { slot_id: number }) => x.slot_id === slot).requests,
    );
    const hour = await get('/api/query?metrics=requests&from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z');
    const minutes = await get(
      '/api/query?metrics=requests&granularity=minute&from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z&limit=1000',
    );
    assert.ok(minutes.body.rows.length <= 60 && minutes.body.rows.length > 30);
    assert.equal(
      hour.body.rows[0].requests,
      minutes.body.rows.reduce((s: number, x: { requests: number }) => s + x.requests, 0),
    );
  });

  test('the APP datasets are listed and served by name', async () => {
    const list = await get('/api/datasets');
    assert.deepEqual(list.body.datasets.map((d: { name: string }) => d.name).sort(), [
      'ad_daily',
      'ad_hourly',
      'advertiser_daily',
      'advertiser_hourly',
      'audience_daily',
      'audience_hourly',
      'campaign_daily',
      'campaign_hourly',
      'slot_daily',
      'slot_hourly',
    ]);
    const ds = await get('/api/datasets/campaign_hourly?limit=5');
    assert.equal(ds.body.source, 'app_campaign_hourly');
    assert.ok(ds.body.rows.length > 0 && 'campaign_name' in ds.body.rows[0] && 'ctr' in ds.body.rows[0]);
  });

  test('mistakes get a clear 4xx with a stable code', async () => {
    const cases: [string, number, string][] = [
      ['/api/query?metrics=bogus', 400, 'ADW_ERR_UNKNOWN_METRIC'],
      ['/api/query?metrics=requests&by=planet', 400, 'ADW_ERR_UNKNOWN_DIMENSION'],
      ['/api/query?metrics=requests&filter.planet=1', 400, 'ADW_ERR_UNKNOWN_DIMENSION'],
      ['/api/query?metrics=', 400, 'ADW_ERR_BAD_QUERY'],
      ['/api/query?metrics=requests&granularity=week', 400, 'ADW_ERR_BAD_QUERY'],
      ['/api/query?metrics=requests&from=yesterday', 400, 'ADW_ERR_BAD_RANGE'],
      ['/api/query?metrics=requests&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 400, 'ADW_ERR_BAD_RANGE'],
      ['/api/query?metrics=requests&limit=10000000', 413, 'ADW_ERR_QUERY_TOO_LARGE'],
      ['/api/query?metrics=requests&order_by=nope', 400, 'ADW_ERR_BAD_QUERY'],
      ['/api/datasets/nope', 404, 'ADW_ERR_UNKNOWN_DATASET'],
      ['/api/pacing?filter.region=EU', 400, 'ADW_ERR_BAD_QUERY'],
      ['/api/pacing?filter.campaign_id=abc', 400, 'ADW_ERR_BAD_QUERY'],
      ['/api/pacing?day=someday', 400, 'ADW_ERR_BAD_RANGE'],
      ['/api/pacing?limit=0', 400, 'ADW_ERR_BAD_QUERY'],
    ];
    for (const [url, status, code] of cases) {
      const r = await get(url);
      assert.equal(r.status, status, url);
      assert.equal(r.body.error.code, code, url);
    }
    const post = await app.inject({
      method: 'POST',
      url: '/api/query',
      payload: { metrics: ['requests'], by: ['region; DROP TABLE x'] },
    });
    assert.equal(post.statusCode, 400);
  });
});
