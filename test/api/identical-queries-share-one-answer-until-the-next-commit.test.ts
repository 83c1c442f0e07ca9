import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildApi } from '../../src/api/server.ts';
import { additiveColumns } from '../../src/catalogue/metrics.ts';
import { apiMetricNames } from '../../src/metrics/api-metrics.ts';
import { sketchField } from '../../src/catalogue/user-sketch.ts';
import { dwaAdMinute } from '../../src/layers/dwa.ts';
import { AnswerCache, type CacheOutcome } from '../../src/query/answer-cache.ts';
import { SharedReads } from '../../src/query/shared-reads.ts';
import { emptyWrites } from '../../src/warehouse/checkpoint-writes.ts';
import { FIELD_SEPARATOR as S } from '../../src/warehouse/csv.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import type { QueryStore } from '../../src/warehouse/warehouse.ts';
import { scratch } from '../support/pipeline.ts';
import { dwaStagedDimensions } from '../../src/layers/dwa.ts';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);
const RANGE = `from=${START}&to=${START + HOUR}`;

let tmp: ReturnType<typeof scratch>;
let warehouse: DuckDbWarehouse;
let epoch = 0;
/** Every read the API sends to the warehouse, as SQL. */
const reads: string[] = [];
let registry: Registry;
let counting: QueryStore;
let app: FastifyInstance;

/** Commits one checkpoint adding `requests` requests to campaign `campaign` (advertiser 1) in the first hour. */
async function commitRequests(campaign: number, requests: number): Promise<void> {
  epoch++;
  const w = emptyWrites(epoch, 'shared-answers');
  const dims = {
    advertiser_id: 1,
    campaign_id: campaign,
    ad_id: campaign * 10,
    slot_id: 1,
    os: 'ios',
    device_type: 'phone',
    region: 'US',
  };
  w.dwa.push(
    [
      START + epoch * 60_000,
      ...dwaStagedDimensions.map((d) => dims[d]),
      ...additiveColumns.map((c) => (c === 'requests' ? requests : 0)),
      sketchField([]),
    ].join(S),
  );
  w.maxEventMs = START + epoch * 60_000;
  w.position = String(epoch);
  await warehouse.commit(w);
}

async function requestsOf(url: string): Promise<number> {
  const res = await app.inject({ method: 'GET', url });
  assert.equal(res.statusCode, 200, res.body);
  return Number(res.json().rows[0]?.requests ?? 0);
}

before(async () => {
  tmp = scratch();
  warehouse = await DuckDbWarehouse.open(join(tmp.dir, 'w.duckdb'));
  // Without onCommit: the API's answers follow commits as it is asked (the warehouse's own onCommit is tested below).
  counting = {
    query: (sql, params) => {
      reads.push(sql);
      return warehouse.query(sql, params);
    },
    committedVersion: () => warehouse.committedVersion(),
  };
  registry = new Registry();
  app = await buildApi({ store: counting, metrics: registry });
  await commitRequests(1, 100);
  await commitRequests(2, 7);
});
after(async () => {
  await app.close();
  await warehouse.close();
  tmp.cleanup();
});

describe('answers shared between viewers', () => {
  test('two concurrent identical queries cause one warehouse read of each statement', async () => {
    const url = `/api/query?metrics=requests&${RANGE}`;
    const before = reads.length;
    const answers = await Promise.all([requestsOf(url), requestsOf(url), requestsOf(url)]);
    assert.deepEqual(answers, [107, 107, 107]);
    const sent = reads.slice(before);
    assert.equal(new Set(sent).size, sent.length, `a statement was read twice: ${sent.join('\n')}`);
    assert.ok(sent.length >= 1);
    // Asked again before any commit: nothing reaches the warehouse.
    assert.equal(await requestsOf(url), 107);
    assert.equal(reads.length, before + sent.length);
  });

  test('a commit between two identical queries: each answer matches its freshness, and the new data follows', async () => {
    const url = `/api/query?metrics=requests&${RANGE}`;
    const answerOf = async () => {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      return { requests: Number(body.rows[0]?.requests ?? 0), committedAt: body.freshness.committed_at as string };
    };
    const first = await answerOf();
    await commitRequests(1, 5);
    // Until the commit's answers are read ahead, an answer may be the commit before's, named so by its freshness.
    let now = await answerOf();
    for (let i = 0; i < 200 && now.requests === first.requests; i++) {
      assert.deepEqual(now, first, 'an answer from before the commit carries the freshness from before it');
      await sleep(5);
      now = await answerOf();
    }
    assert.equal(now.requests, first.requests + 5);
    assert.ok(now.committedAt > first.committedAt, `${now.committedAt} after ${first.committedAt}`);
    const status = (await app.inject({ method: 'GET', url: '/api/status' })).json();
    assert.equal(status.checkpoint.epoch, epoch, "the status route's checkpoint is the one just committed");
  });

  test("a commit reads ahead what was asked, before anyone asks again; the answers are the new commit's", async () => {
    const store = new SharedReads({ ...counting, onCommit: (l) => warehouse.onCommit(l) });
    const sql = `SELECT sum(requests) AS requests FROM ${dwaAdMinute.name} WHERE campaign_id = ?`;
    const ask = async () => Number((await store.forAnswer().query(sql, [1]))[0]?.requests);
    const first = await ask();
    const before = reads.length;
    await commitRequests(1, 3);
    for (let i = 0; i < 200 && !reads.slice(before).includes(sql); i++) await sleep(5);
    assert.ok(reads.slice(before).includes(sql), 'read again after the commit with nobody asking');
    let now = await ask();
    for (let i = 0; i < 200 && now === first; i++) {
      await sleep(5);
      now = await ask();
    }
    assert.equal(now, first + 3);
    assert.equal(reads.slice(before).filter((r) => r === sql).length, 1, 'answered from what was read ahead');
  });

  test('different filters never share an answer; the same filter in other words does', async () => {
    const one = `/api/query?metrics=requests&${RANGE}&filter.campaign_id=`;
    const [c1, c2, both] = await Promise.all([requestsOf(`${one}1`), requestsOf(`${one}2`), requestsOf(`${one}1,2`)]);
    assert.equal(c2, 7);
    assert.equal(both, c1 + c2);
    assert.ok(c1 > 100);
    const before = reads.length;
    assert.equal(await requestsOf(`${one}2,1,2`), both, 'the same set of campaigns, listed otherwise');
    assert.equal(reads.length, before, 'answered from the shared answer');
  });

  test('pacing is shared too and follows commits', async () => {
    const url = `/api/pacing?day=2026-01-01&filter.campaign_id=2`;
    const spendOf = async () => (await app.inject({ method: 'GET', url })).json().rows;
    const first = await spendOf();
    const before = reads.length;
    assert.deepEqual(await spendOf(), first);
    assert.equal(reads.length, before);
    await commitRequests(2, 1);
    await spendOf();
    assert.ok(reads.length > before, 'read again after the commit');
  });

  test('hits, joins and misses are Prometheus counters', async () => {
    const text = await registry.metrics();
    for (const result of ['hit', 'joined', 'miss', 'previous', 'refresh']) {
      const line = new RegExp(`^${apiMetricNames.answerLookups}\\{result="${result}"\\} (\\d+)$`, 'm').exec(text);
      assert.ok(line && Number(line[1]) > 0, `${result} in\n${text}`);
    }
  });

  test('hostile input is still a coded 4xx, never cached as an answer', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ method: 'GET', url: `/api/query?metrics=requests&filter.campaign_id=abc` });
      assert.equal(res.statusCode, 400);
      assert.equal(res.json().error.code, 'ADW_ERR_BAD_QUERY');
    }
  });
});

/** Nothing read ahead: the cache as it behaves between two commits. */
const noReadAhead = { readAheadMs: 0, maxReadAhead: 0, maxBehindMs: 0 };

/** A cache whose reads the test completes by hand: `done(key, version, answer)`; `started` lists `key@version`. */
function handCache(o: { readAheadMs?: number; maxReadAhead?: number } = {}) {
  const clock = { version: 1, now: 0 };
  const outcomes: CacheOutcome[] = [];
  const reads = new Map<string, (answer: string) => void>();
  const cache = new AnswerCache<string>({
    version: () => clock.version,
    now: () => clock.now,
    readAheadMs: o.readAheadMs ?? 10_000,
    maxReadAhead: o.maxReadAhead ?? 10,
    maxBehindMs: 2_000,
    maxEntries: 10,
    maxWeight: 10,
    weigh: () => 1,
    onLookup: (outcome) => outcomes.push(outcome),
  });
  const compute = (key: string) => () =>
    new Promise<string>((resolve) => reads.set(`${key}@${clock.version}`, resolve));
  const ask = (key: string, view = cache.view()) => cache.get(key, compute(key), view);
  const done = async (key: string, version: number, answer: string) => {
    const resolve = reads.get(`${key}@${version}`);
    assert.ok(resolve, `${key} was read at version ${version}`);
    resolve(answer);
    await sleep(0);
  };
  /** Asks `key` and answers it at the current version. */
  const answered = async (key: string, answer: string) => {
    const asked = ask(key);
    await done(key, clock.version, answer);
    return asked;
  };
  /** Moves to the next version, as a commit does. */
  const commit = () => {
    clock.version++;
    cache.sync();
  };
  const started = (version: number) => [...reads.keys()].filter((k) => k.endsWith(`@${version}`)).sort();
  return { cache, clock, outcomes, ask, done, answered, commit, started };
}

describe('the answer cache', () => {
  test('at a commit the keys asked lately are read ahead; views keep to the answers before until all are in', async () => {
    const c = handCache();
    assert.deepEqual([await c.answered('a', 'a1'), await c.answered('b', 'b1')], ['a1', 'b1']);
    c.commit();
    assert.deepEqual(c.started(2), ['a@2', 'b@2'], 'both read ahead at the commit, nobody asking');
    c.outcomes.length = 0;
    const view = c.cache.view();
    assert.equal(await c.ask('a', view), 'a1');
    await c.done('a', 2, 'a2');
    assert.equal(await c.ask('a'), 'a1', 'b is still being read: the new version is not whole');
    await c.done('b', 2, 'b2');
    assert.equal(await c.ask('a'), 'a2', 'whole: the new answers');
    assert.equal(await c.ask('b', view), 'b2', 'newer than what the view read before: allowed');
    assert.deepEqual(c.outcomes, ['previous', 'previous', 'hit', 'hit']);
    assert.deepEqual(c.started(2), ['a@2', 'b@2'], 'no view read anything itself');
  });

  test('a view that has read the new version is never served the version before', async () => {
    const c = handCache();
    await c.answered('a', 'a1');
    c.commit();
    c.outcomes.length = 0;
    const view = c.cache.view();
    const n = c.ask('n', view);
    const again = c.ask('a', view);
    await c.done('n', 2, 'n2');
    await c.done('a', 2, 'a2');
    assert.deepEqual([await n, await again], ['n2', 'a2'], 'a joined its read ahead instead of taking a1');
    assert.deepEqual(c.outcomes, ['miss', 'joined']);
  });

  test('a commit during the read ahead: the last whole answers are served, for at most maxBehindMs', async () => {
    const c = handCache();
    await c.answered('a', 'a1');
    c.commit();
    c.clock.now = 100;
    c.commit();
    assert.equal(await c.ask('a'), 'a1', 'version 2 never became whole: version 1 is still the newest');
    await c.done('a', 2, 'a2');
    assert.equal(await c.ask('a'), 'a1', 'read at version 2, answered at 3: not kept');
    c.clock.now = 2_001;
    const late = c.ask('a');
    await c.done('a', 3, 'a3');
    assert.equal(await late, 'a3', 'version 1 superseded more than 2 s ago: not served any more');
  });

  test('an answer too heavy to keep, or a failed read, is not read ahead', async () => {
    const c = handCache();
    // handCache keeps a weight of 10; this one weighs more.
    const heavy = new AnswerCache<number>({
      version: () => c.clock.version,
      readAheadMs: 10_000,
      maxReadAhead: 10,
      maxBehindMs: 2_000,
      maxEntries: 10,
      maxWeight: 10,
      weigh: (n) => n,
    });
    let reads = 0;
    const read = (n: number) => async () => {
      reads++;
      return n;
    };
    await heavy.get('big', read(11));
    await heavy.get('small', read(1));
    await assert.rejects(heavy.get('failing', async () => Promise.reject(new Error('boom'))));
    c.clock.version++;
    reads = 0;
    heavy.sync();
    assert.equal(reads, 1, 'only the small answer was read again');
  });

  test('only keys asked within readAheadMs are read ahead, the most recently asked first, at most maxReadAhead', async () => {
    const c = handCache({ readAheadMs: 10_000, maxReadAhead: 2 });
    for (const [key, at] of [
      ['old', 0],
      ['b', 5_000],
      ['c', 6_000],
      ['d', 7_000],
      ['b', 7_500],
    ] as const) {
      c.clock.now = at;
      const answer = c.ask(key);
      if (key !== 'b' || at === 5_000) await c.done(key, 1, `${key}1`);
      await answer;
    }
    c.clock.now = 12_000;
    c.commit();
    assert.deepEqual(c.started(2), ['b@2', 'd@2'], 'old: asked 12 s ago; c: third most recent');
  });

  test('an answer computed while the version changed serves its waiters but is not kept', async () => {
    let version = 1;
    let computed = 0;
    const cache = new AnswerCache<number>({
      version: () => version,
      ...noReadAhead,
      maxEntries: 10,
      maxWeight: 10,
      weigh: () => 1,
    });
    // A commit lands while the read runs.
    const compute = async () => {
      computed++;
      await null;
      version++;
      return computed;
    };
    const [a, b] = await Promise.all([cache.get('k', compute), cache.get('k', compute)]);
    assert.deepEqual([a, b, computed], [1, 1, 1], 'the second waited for the first');
    assert.equal(cache.size, 0);
    assert.equal(await cache.get('k', async () => 42), 42);
  });

  test('it keeps at most its entries and its weight, dropping the least recently used', async () => {
    const cache = new AnswerCache<number>({
      version: () => 1,
      ...noReadAhead,
      maxEntries: 2,
      maxWeight: 5,
      weigh: (n) => n,
    });
    await cache.get('a', async () => 1);
    await cache.get('b', async () => 1);
    await cache.get('a', async () => 99);
    await cache.get('c', async () => 1);
    assert.equal(await cache.get('a', async () => 99), 1, 'a was used last: kept');
    assert.equal(await cache.get('b', async () => 2), 2, 'b was dropped');
    await cache.get('big', async () => 6);
    assert.equal(await cache.get('big', async () => 7), 7, 'heavier than the whole budget: never kept');
    assert.ok(cache.size <= 2);
  });

  test('a failed read is not kept', async () => {
    const cache = new AnswerCache<number>({
      version: () => 1,
      ...noReadAhead,
      maxEntries: 2,
      maxWeight: 5,
      weigh: () => 1,
    });
    await assert.rejects(cache.get('x', async () => Promise.reject(new Error('boom'))));
    assert.equal(await cache.get('x', async () => 3), 3);
  });
});
