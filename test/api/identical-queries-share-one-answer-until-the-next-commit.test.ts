import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildApi } from '../../src/api/server.ts';
import { additiveColumns } from '../../src/catalogue/metrics.ts';
import { apiMetricNames } from '../../src/metrics/api-metrics.ts';
import { sketchField } from '../../src/catalogue/user-sketch.ts';
import { AnswerCache } from '../../src/query/answer-cache.ts';
import { emptyWrites } from '../../src/warehouse/checkpoint-writes.ts';
import { FIELD_SEPARATOR as S } from '../../src/warehouse/csv.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import type { QueryStore } from '../../src/warehouse/warehouse.ts';
import { scratch } from '../support/pipeline.ts';

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);
const RANGE = `from=${START}&to=${START + HOUR}`;

let tmp: ReturnType<typeof scratch>;
let warehouse: DuckDbWarehouse;
let epoch = 0;
/** Every read the API sends to the warehouse, as SQL. */
const reads: string[] = [];
let registry: Registry;
let app: FastifyInstance;

/** Commits one checkpoint adding `requests` requests to campaign `campaign` (advertiser 1) in the first hour. */
async function commitRequests(campaign: number, requests: number): Promise<void> {
  epoch++;
  const w = emptyWrites(epoch, 'shared-answers');
  const dims = [1, campaign, campaign * 10, 1, 'ios', 'phone', 'US'];
  w.dwa.push(
    [
      START + epoch * 60_000,
      ...dims,
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
  const counting: QueryStore = {
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

  test('a commit between two identical queries: the second sees the new data', async () => {
    const url = `/api/query?metrics=requests&${RANGE}`;
    const first = await requestsOf(url);
    await commitRequests(1, 5);
    assert.equal(await requestsOf(url), first + 5);
    const status = (await app.inject({ method: 'GET', url: '/api/status' })).json();
    assert.equal(status.checkpoint.epoch, epoch, "the status route's checkpoint is the one just committed");
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
    for (const result of ['hit', 'joined', 'miss']) {
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

describe('the answer cache', () => {
  test('an answer computed while the version changed serves its waiters but is not kept', async () => {
    let version = 1;
    let computed = 0;
    const cache = new AnswerCache<number>({ version: () => version, maxEntries: 10, maxWeight: 10, weigh: () => 1 });
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
    const cache = new AnswerCache<number>({ version: () => 1, maxEntries: 2, maxWeight: 5, weigh: (n) => n });
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
    const cache = new AnswerCache<number>({ version: () => 1, maxEntries: 2, maxWeight: 5, weigh: () => 1 });
    await assert.rejects(cache.get('x', async () => Promise.reject(new Error('boom'))));
    assert.equal(await cache.get('x', async () => 3), 3);
  });
});
