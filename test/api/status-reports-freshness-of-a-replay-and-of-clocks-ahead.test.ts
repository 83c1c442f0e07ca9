import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiOverRecords, apiOverSimulation, type TestApi } from '../support/api.ts';
import { unfilledRequest } from '../support/records.ts';

// Freshness through the API on warehouses the engine built: a replay far in the past, and live traffic mixed with a
// client whose clock runs hours ahead. Wall-clock figures are checked against the clock read around each request.
const DAY = 86_400_000;
const HOUR = 3_600_000;

async function get(api: TestApi, url: string): Promise<{ body: Record<string, any>; before: number; after: number }> {
  const before = Date.now();
  const res = await api.app.inject({ method: 'GET', url });
  const after = Date.now();
  assert.equal(res.statusCode, 200, res.body);
  return { body: res.json(), before, after };
}

/** Asserts that `ms` is the wall-clock time since `since`, as measured by a request between `before` and `after`. */
function assertAgeOf(ms: number, since: number, r: { before: number; after: number }, what: string): void {
  assert.ok(
    ms >= Math.max(0, r.before - since) && ms <= r.after - since,
    `${what}: ${ms} ms is not the wall-clock time since ${new Date(since).toISOString()}`,
  );
}

describe('a replay of traffic 200 days old', () => {
  let api: TestApi;
  const start = Date.now() - 200 * DAY;
  before(async () => {
    api = await apiOverSimulation({ seed: 5, events: 5_000, spanMs: HOUR, startMs: start });
  });
  after(() => api.close());

  test('is reported fresh by the wall clock, with its age as event-time lag, and nothing still filling', async () => {
    const r = await get(api, '/api/status');
    const f = r.body.freshness;
    const committed = Date.parse(f.committed_at);
    const asOf = Date.parse(f.as_of);
    assert.equal(f.as_of, f.newest_event_time, 'no clock ran ahead');
    assert.ok(asOf >= start && asOf < start + 2 * DAY, `as_of ${f.as_of} lies in the replayed traffic`);
    assertAgeOf(f.lag_ms, committed, r, 'data freshness');
    assertAgeOf(f.event_lag_ms, asOf, r, 'event-time lag');
    assert.ok(f.event_lag_ms > 190 * DAY, 'the replay is months behind in event time');
    assert.ok(f.lag_ms < f.event_lag_ms, 'and that is not reported as its data freshness');
    assert.equal(f.clock_ahead_ms, 0);
    assert.equal(f.filling_from, null, 'the run read its input to the end: nothing more will come');
    const q = await get(api, '/api/query?metrics=requests');
    assert.equal(q.body.freshness.as_of, f.as_of, 'every answer carries the same freshness');
    const pacing = await get(api, '/api/pacing?limit=1');
    assert.equal(pacing.body.day, f.as_of.slice(0, 10), "pacing's today is the replay's own day");
  });
});

describe('live traffic with a client whose clock runs three hours ahead', () => {
  let api: TestApi;
  const now = Date.now();
  const request = (id: string, ts: number) => ({ ...unfilledRequest, request_id: id, ts, user_id: `u-${id}` });
  const live = Array.from({ length: 40 }, (_, i) => request(`live-${i}`, now - 30 * 60_000 + i * 30_000));
  const ahead = Array.from({ length: 5 }, (_, i) => request(`ahead-${i}`, now + 3 * HOUR + i * 1000));
  before(async () => {
    api = await apiOverRecords([...live.slice(0, 20), ...ahead, ...live.slice(20)]);
  });
  after(() => api.close());

  test('reports nothing negative: as_of stays at the commit, the clocks ahead are reported as such', async () => {
    const r = await get(api, '/api/status');
    const f = r.body.freshness;
    const committed = Date.parse(f.committed_at);
    assert.equal(Date.parse(f.newest_event_time), now + 3 * HOUR + 4000, 'the stamped time is still shown');
    assert.equal(f.as_of, f.committed_at, 'no event happened after the commit that made it queryable');
    assertAgeOf(f.lag_ms, committed, r, 'data freshness');
    assert.equal(f.event_lag_ms, f.lag_ms, 'event time is as far behind as the commit, never ahead');
    assert.equal(f.clock_ahead_ms, now + 3 * HOUR + 4000 - committed);
    assert.ok(f.clock_ahead_ms > 2 * HOUR);
  });

  test("the hour before as_of, the dashboard's last hour, holds the live traffic; all of it adds the clock ahead", async () => {
    const f = (await get(api, '/api/status')).body.freshness;
    const to = (Math.floor(Date.parse(f.as_of) / 60_000) + 1) * 60_000;
    const from = new Date(to - HOUR).toISOString();
    const hour = await get(api, `/api/query?metrics=requests&from=${from}&to=${new Date(to).toISOString()}`);
    assert.equal(hour.body.rows[0].requests, live.length);
    const all = await get(api, '/api/query?metrics=requests');
    assert.equal(all.body.rows[0].requests, live.length + ahead.length);
    const pacing = await get(api, '/api/pacing?limit=1');
    assert.equal(pacing.body.day, f.as_of.slice(0, 10), "pacing's today is the wall clock's, not the clock ahead's");
  });
});
