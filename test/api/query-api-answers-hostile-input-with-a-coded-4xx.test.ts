import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { dimensionNames } from '../../src/catalogue/dimensions.ts';
import { metricNames } from '../../src/catalogue/metrics.ts';
import { queryFields } from '../../src/query/request.ts';
import { apiOverRecords, apiOverSimulation } from '../support/api.ts';

let app: FastifyInstance;
let close: () => Promise<void>;

before(async () => {
  ({ app, close } = await apiOverSimulation({ seed: 4, events: 5_000, spanMs: 3600_000 }));
});
after(() => close());

async function get(url: string) {
  const res = await app.inject({ method: 'GET', url });
  return {
    status: res.statusCode,
    body: res.headers['content-type']?.startsWith('application/json') ? res.json() : res.body,
  };
}

/** A client mistake: a 4xx whose body is `{ error: { code: "ADW_ERR_...", message } }`. */
function assertCoded4xx(status: number, body: unknown, what: string, code?: string): void {
  assert.ok(status >= 400 && status < 500, `${what}: status ${status} ${JSON.stringify(body)}`);
  const error = (body as { error?: { code?: unknown; message?: unknown } }).error;
  assert.match(String(error?.code), /^ADW_ERR_[A-Z_]+$/, `${what}: ${JSON.stringify(body)}`);
  assert.equal(typeof error?.message, 'string', what);
  if (code) assert.equal(error?.code, code, `${what}: ${JSON.stringify(body)}`);
}

describe('filters are typed by the catalogue', () => {
  const badIds = ['abc', '99999999999999999999', '2147483648', '1.5', '-3', '1e3', '0x10', '7 8', '+7'];
  for (const path of ['/api/query?metrics=requests,spend', '/api/datasets/campaign_daily?limit=5']) {
    for (const v of badIds) {
      test(`${path.split('?')[0]} refuses filter.campaign_id=${JSON.stringify(v)} with 400, never a 500 or a rounded id`, async () => {
        const r = await get(`${path}&filter.campaign_id=${encodeURIComponent(v)}`);
        assertCoded4xx(r.status, r.body, v, 'ADW_ERR_BAD_QUERY');
        assert.match(r.body.error.message, /campaign_id/);
      });
    }
  }

  test('the same mistakes in a POSTed query get the same answer', async () => {
    for (const v of ['abc', 1.5, -1, 2 ** 40, null, { a: 1 }, [1], true]) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/query',
        payload: { metrics: ['requests'], filters: { campaign_id: [v] } },
      });
      assertCoded4xx(res.statusCode, res.json(), JSON.stringify(v), 'ADW_ERR_BAD_QUERY');
    }
  });

  test('a valid id filters exactly: two campaigns add up to their total', async () => {
    const all = await get('/api/query?metrics=requests&by=campaign_id&limit=1000');
    const [a, b] = all.body.rows.filter((r: { campaign_id: number | null }) => r.campaign_id !== null);
    const both = await get(`/api/query?metrics=requests&filter.campaign_id=${a.campaign_id},${b.campaign_id}`);
    assert.equal(both.status, 200);
    assert.equal(both.body.rows[0].requests, a.requests + b.requests);
    const viaRepeat = await get(
      `/api/query?metrics=requests&filter.campaign_id=${a.campaign_id}&filter.campaign_id=${b.campaign_id}`,
    );
    assert.equal(
      viaRepeat.body.rows[0].requests,
      a.requests + b.requests,
      'a repeated parameter means the union of its values',
    );
  });
});

describe('answers a user can rely on', () => {
  test('a filter that matches nothing gives 0 for additive metrics and null for undefined ratios', async () => {
    const r = await get('/api/query?metrics=requests,exposures,clicks,spend,ctr,unique_users&filter.region=ZZ');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.rows, [{ requests: 0, exposures: 0, clicks: 0, spend: 0, ctr: null, unique_users: 0 }]);
  });

  test('an unknown format, unknown parameter or bad flag is refused rather than ignored', async () => {
    for (const url of [
      '/api/query?metrics=requests&format=xml',
      '/api/pacing?format=xml',
      '/api/datasets/campaign_daily?format=xml',
      '/api/query?metrics=requests&metric=clicks',
      '/api/query?metrics=requests&order_dir=sideways',
      '/api/query?metrics=requests&names=maybe',
      '/api/pacing?campaign=3',
    ]) {
      const r = await get(url);
      assertCoded4xx(r.status, r.body, url, 'ADW_ERR_BAD_QUERY');
    }
    const csv = await get('/api/query?metrics=requests&format=csv');
    assert.equal(csv.status, 200);
    assert.match(String(csv.body), /^requests\r\n\d+\r\n$/);
  });

  test('a bad order is named as the request spelled it: order_by and order_dir in a URL, orderBy and orderDir in JSON', async () => {
    const said = async (url: string) => {
      const r = await get(url);
      assertCoded4xx(r.status, r.body, url, 'ADW_ERR_BAD_QUERY');
      return String(r.body.error.message);
    };
    assert.match(
      await said('/api/query?metrics=requests&order_dir=sideways'),
      /^bad query: order_dir must be asc or desc$/,
    );
    assert.match(
      await said('/api/query?metrics=requests&order_by=clicks'),
      /^bad query: order_by must be one of time, requests$/,
    );
    assert.match(await said('/api/datasets/campaign_daily?order_dir=up'), /^bad query: order_dir must be asc or desc$/);
    assert.match(
      await said('/api/datasets/campaign_daily?order_by=%3Cb%3E'),
      /^bad query: order_by must be one of time/,
    );
    for (const [payload, message] of [
      [{ metrics: ['requests'], orderDir: 'sideways' }, /^bad query: orderDir must be asc or desc$/],
      [{ metrics: ['requests'], orderBy: 'clicks' }, /^bad query: orderBy must be one of time, requests$/],
    ] as const) {
      const res = await app.inject({ method: 'POST', url: '/api/query', payload });
      assertCoded4xx(res.statusCode, res.json(), JSON.stringify(payload), 'ADW_ERR_BAD_QUERY');
      assert.match(res.json().error.message, message);
    }
  });

  test('times outside what a date can hold are a bad range, not a crash', async () => {
    for (const url of [
      '/api/query?metrics=requests&from=99999999999999999999',
      '/api/query?metrics=requests&to=8640000000000001',
      '/api/query?metrics=requests&from=-5',
      '/api/pacing?day=99999999999999999',
      '/api/pacing?day=275760-09-14',
      '/api/query?metrics=requests&from=x%201',
      '/api/query?metrics=requests&from=Tuesday',
      '/api/pacing?day=2026-13-45',
      '/api/pacing?day=2026-02-30',
    ]) {
      const r = await get(url);
      assertCoded4xx(r.status, r.body, url, 'ADW_ERR_BAD_RANGE');
    }
    const res = await app.inject({
      method: 'POST',
      url: '/api/query',
      payload: { metrics: ['requests'], from: 1e300 },
    });
    assertCoded4xx(res.statusCode, res.json(), 'POST from=1e300', 'ADW_ERR_BAD_RANGE');
  });

  test('a POSTed body that is not a query object is refused', async () => {
    for (const payload of [
      'null',
      '[]',
      '"requests"',
      '42',
      '{"metrics":"requests"}',
      '{"metrics":["requests"],"by":"region"}',
      '{"metrics":["requests"],"filters":[]}',
      '{"metrics":["requests"],"sql":"DROP TABLE dwa_ad_minute"}',
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/query',
        payload,
        headers: { 'content-type': 'application/json' },
      });
      assertCoded4xx(res.statusCode, res.json(), payload);
    }
  });
});

describe('fuzzing: any request gets a 2xx or a coded 4xx, never a 500', () => {
  const word = fc.oneof(
    fc.constantFrom(
      ...metricNames,
      ...dimensionNames,
      'time',
      'minute',
      'hour',
      'day',
      'csv',
      'json',
      'asc',
      'desc',
      '1',
      '0',
      'true',
    ),
    fc.string({ maxLength: 12 }),
    fc.integer().map(String),
    fc.double().map(String),
    fc.constantFrom(
      '<script>',
      "'; DROP TABLE x; --",
      '%00',
      '\u0000',
      '\uffff',
      '😀',
      '2026-01-01T00:00:00Z',
      '99999999999999999999',
      '-1',
      '1e308',
      'NaN',
    ),
  );
  const value = fc.oneof(
    word,
    fc.array(word, { maxLength: 4 }).map((a) => a.join(',')),
  );
  const key = fc.oneof(
    fc.constantFrom(
      'metrics',
      'by',
      'granularity',
      'from',
      'to',
      'order_by',
      'order_dir',
      'limit',
      'names',
      'format',
      'day',
    ),
    fc.constantFrom(...dimensionNames, 'planet', '__proto__', 'constructor').map((d) => `filter.${d}`),
    fc.string({ maxLength: 8 }),
  );
  const params = fc.array(fc.tuple(key, value), { maxLength: 6 });
  const path = fc.constantFrom(
    '/api/query',
    '/api/pacing',
    '/api/datasets/campaign_hourly',
    '/api/datasets/slot_daily',
  );

  test('GET with arbitrary parameters', async () => {
    await fc.assert(
      fc.asyncProperty(path, params, async (p, ps) => {
        const qs = ps.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
        const url = `${p}?${qs}`;
        const r = await get(url);
        if (r.status >= 200 && r.status < 300) return;
        assertCoded4xx(r.status, r.body, url);
      }),
      { numRuns: 400 },
    );
  });

  test('POST with arbitrary JSON bodies', async () => {
    const field = fc.constantFrom(...queryFields);
    const anyValue = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.array(fc.constantFrom(...metricNames, ...dimensionNames), { maxLength: 3 }),
      fc.dictionary(
        fc.constantFrom(...dimensionNames, 'planet'),
        fc.array(fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 6 })), { maxLength: 3 }),
      ),
    );
    const body = fc.oneof(fc.dictionary(field, anyValue, { maxKeys: 6 }), fc.jsonValue({ maxDepth: 2 }));
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const res = await app.inject({
          method: 'POST',
          url: '/api/query',
          payload: JSON.stringify(b),
          headers: { 'content-type': 'application/json' },
        });
        if (res.statusCode >= 200 && res.statusCode < 300) return;
        assertCoded4xx(res.statusCode, res.json(), JSON.stringify(b));
      }),
      { numRuns: 400 },
    );
  });
});

describe('CSV exports of hostile names', () => {
  test('a name that a spreadsheet would run as a formula is exported as text', async () => {
    const ts = Date.now() - 3_600_000;
    const formulas = ['=HYPERLINK("http://evil.example","x")', '+1+1', '@SUM(A1)', '-2+3'];
    const hostile = await apiOverRecords([
      { type: 'dim', table: 'advertiser', op: 'upsert', row: { advertiser_id: 1, name: formulas[0] } },
      {
        type: 'dim',
        table: 'campaign',
        op: 'upsert',
        row: { campaign_id: 1, advertiser_id: 1, name: formulas[1], billing: 'CPM', price: 2, budget: 100 },
      },
      { type: 'dim', table: 'ad', op: 'upsert', row: { ad_id: 1, campaign_id: 1, name: formulas[2] } },
      { type: 'dim', table: 'slot', op: 'upsert', row: { slot_id: 1, name: formulas[3], site: 'x' } },
      {
        type: 'request',
        request_id: 'r1',
        ts,
        user_id: 'u1',
        os: 'ios',
        device_type: 'phone',
        region: 'US',
        slot_id: 1,
        filled: true,
        ad_id: 1,
        bid_price: 2,
      },
    ]);
    try {
      const csv = (
        await hostile.app.inject({
          method: 'GET',
          url: '/api/query?metrics=requests,spend&by=advertiser_id,campaign_id,ad_id,slot_id&names=1&format=csv',
        })
      ).body;
      const [header, row] = parse(csv) as string[][];
      const cell = (c: string) => row![header!.indexOf(c)];
      assert.equal(cell('advertiser_name'), `'${formulas[0]}`);
      assert.equal(cell('campaign_name'), `'${formulas[1]}`);
      assert.equal(cell('ad_name'), `'${formulas[2]}`);
      assert.equal(cell('slot_name'), `'${formulas[3]}`);
      assert.equal(cell('requests'), '1', 'numbers are left as they are');
      const pacing = parse(
        (await hostile.app.inject({ method: 'GET', url: '/api/pacing?format=csv' })).body,
      ) as string[][];
      assert.equal(pacing[1]![pacing[0]!.indexOf('campaign_name')], `'${formulas[1]}`);
    } finally {
      await hostile.close();
    }
  });
});
