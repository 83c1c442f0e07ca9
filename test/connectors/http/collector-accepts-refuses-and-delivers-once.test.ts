import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Consumer } from '@platformatic/kafka';
import type { FastifyInstance } from 'fastify';
import { buildCollector } from '../../../src/connectors/http/collector.ts';
import { KafkaSink } from '../../../src/connectors/kafka/sink.ts';
import { createMetricsRegistry } from '../../../src/http/metrics-registry.ts';
import { adwAsync } from '../../support/cli.ts';
import { runEngine } from '../../support/engine-child.ts';
import { startTestKafka } from '../../support/kafka.ts';
import { queryDb, queryRow, scratch } from '../../support/pipeline.ts';

const tmp = scratch('adw-collector-');
let kafka: Awaited<ReturnType<typeof startTestKafka>>;
let app: FastifyInstance;
let url: string;
let sinks: [events: KafkaSink, deadLetters: KafkaSink];
const TOPIC = 'beacons';
const T0 = Date.UTC(2026, 0, 1, 12);
/** The event id of a "type:id" string. */
const eventIdOf = (typed: string) => typed.slice(typed.indexOf(':') + 1);

before(async () => {
  kafka = await startTestKafka(tmp.dir);
  sinks = [
    new KafkaSink({ brokers: kafka.brokers, topic: TOPIC }),
    new KafkaSink({ brokers: kafka.brokers, topic: `${TOPIC}.dead-letter` }),
  ];
  app = await buildCollector({
    sink: sinks[0],
    deadLetters: sinks[1],
    registry: createMetricsRegistry(),
    maxBatch: 50,
    maxBodyBytes: 64 * 1024,
    rateLimit: 50,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});

after(async () => {
  await app?.close();
  for (const s of sinks ?? []) await s.close();
  await kafka?.stop();
  tmp.cleanup();
});

const request = (i: number) => ({
  type: 'request',
  request_id: `q${i}`,
  ts: T0 + i * 1000,
  user_id: `u${i % 7}`,
  os: 'ios',
  device_type: 'phone',
  region: 'US',
  slot_id: 3,
  filled: false,
});

test('a valid pixel beacon gets the 1x1 GIF; a bad one too, with the reason in a header', async () => {
  const ok = await fetch(
    `${url}/v1/pixel?type=request&request_id=px1&ts=${T0}&user_id=u1&os=android&device_type=phone&region=DE&slot_id=2&filled=false`,
  );
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'image/gif');
  assert.equal((await ok.arrayBuffer()).byteLength, 42);
  const stamped = await fetch(`${url}/v1/pixel?type=exposure&event_id=px1-x&request_id=px1`);
  assert.equal(stamped.status, 200, 'a beacon without ts is stamped with the receive time');
  const bad = await fetch(`${url}/v1/pixel?type=click&event_id=px1-c`);
  assert.equal(bad.status, 200, "a broken image would show on the publisher's page");
  assert.equal(bad.headers.get('content-type'), 'image/gif');
  assert.equal(bad.headers.get('x-adw-rejected'), 'missing_field');
});

test('a POST batch: valid records produced, bad ones listed by index with their reason', async () => {
  const lines = [
    JSON.stringify(request(1)),
    '{broken',
    JSON.stringify({ ...request(2), os: 'beos' }),
    JSON.stringify(request(3)),
  ];
  const r = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: lines.join('\n'),
  });
  assert.equal(r.status, 200);
  const body = (await r.json()) as { accepted: number; rejected: { index: number; reason: string }[] };
  assert.equal(body.accepted, 2);
  assert.deepEqual(
    body.rejected.map((x) => [x.index, x.reason]),
    [
      [1, 'bad_json'],
      [2, 'bad_field'],
    ],
  );
  const json = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([request(4), request(5)]),
  });
  assert.equal(((await json.json()) as { accepted: number }).accepted, 2, 'a JSON array is a batch too');
});

test('oversized bodies, oversized batches and empty or all-bad batches are refused with clear statuses', async () => {
  const post = (body: string) =>
    fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body });
  assert.equal((await post('x'.repeat(100 * 1024))).status, 413);
  const many = Array.from({ length: 51 }, (_, i) => JSON.stringify(request(100 + i))).join('\n');
  const tooMany = await post(many);
  assert.equal(tooMany.status, 413);
  assert.equal(((await tooMany.json()) as { error: { code: string } }).error.code, 'ADW_ERR_BATCH_TOO_LARGE');
  assert.equal((await post('')).status, 400);
  assert.equal((await post('{nope\n[1]')).status, 400);
});

test('a client over its rate limit gets 429 and the collector keeps serving', async () => {
  // 150 at once: even if a one-second window turns over mid-burst, at most 100 pass. (A throttled pixel gets the GIF
  // instead: see pixel-beacons-always-get-the-gif-and-head-records-nothing.)
  const post = () =>
    fetch(`${url}/v1/events`, {
      method: 'POST',
      body: '{"type":"nothing"}',
      headers: { 'content-type': 'application/x-ndjson' },
    });
  const statuses = await Promise.all(Array.from({ length: 150 }, () => post().then((r) => r.status)));
  assert.ok(statuses.includes(429), 'some requests were throttled');
  assert.ok(statuses.includes(400), 'the others were answered (their record refused)');
  assert.deepEqual(
    statuses.filter((x) => x !== 429 && x !== 400),
    [],
  );
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal((await fetch(`${url}/metrics`)).status, 200);
});

test('what the collector accepted reaches the warehouse exactly once; what it refused is kept on the dead-letter topic', {
  timeout: 180_000,
}, async () => {
  const db = join(tmp.dir, 'w.duckdb');
  assert.equal(
    await runEngine(['--kafka', kafka.brokers, '--topic', TOPIC, '--db', db, '--until-end'], null),
    'finished',
  );
  const rows = await queryDb(db, 'SELECT event_type, event_id FROM ods_ad_event ORDER BY event_id');
  assert.deepEqual(
    rows.map((r) => `${r.event_type}:${r.event_id}`),
    ['request:px1', 'exposure:px1-x', 'request:q1', 'request:q3', 'request:q4', 'request:q5'].sort((a, b) =>
      eventIdOf(a).localeCompare(eventIdOf(b)),
    ),
  );
  const cp = await queryRow(db, 'SELECT records_in, dead_lettered FROM adw_checkpoint');
  assert.equal(Number(cp.records_in), 6);
  assert.equal(Number(cp.dead_lettered), 0, 'only valid records were produced to the events topic');

  const consumer = new Consumer({ groupId: 'test-dead-letters', clientId: 'test', bootstrapBrokers: [kafka.brokers] });
  try {
    const stream = await consumer.consume({
      topics: [`${TOPIC}.dead-letter`],
      mode: 'earliest',
      autocommit: false,
      maxWaitTime: 200,
    });
    const kept: { reason: string; payload: string }[] = [];
    stream.on('data', (m) => kept.push(JSON.parse(m.value.toString()) as { reason: string; payload: string }));
    // Every refusal above is kept: the pixel without ts, the two bad records of the batch, the all-bad batch, the
    // throttle test's unknown types.
    for (
      let i = 0;
      i < 100 &&
      !['missing_field', 'bad_json', 'bad_field', 'not_an_object', 'unknown_type'].every((r) =>
        kept.some((k) => k.reason === r),
      );
      i++
    ) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await stream.close();
    const reasons = new Set(kept.map((k) => k.reason));
    assert.deepEqual([...reasons].sort(), ['bad_field', 'bad_json', 'missing_field', 'not_an_object', 'unknown_type']);
    assert.ok(
      kept.some((k) => k.payload === '{broken'),
      'the raw payload is kept',
    );
  } finally {
    await consumer.close(true);
  }
});

test('adw simulate --collector drives the collector; what it accepted is what the engine then reads', {
  timeout: 180_000,
}, async () => {
  // Asynchronously: the collector answering it runs in this very process.
  const r = await adwAsync(tmp.dir, [
    'simulate',
    '--seed',
    '8',
    '--events',
    '3000',
    '--collector',
    url,
    '--batch',
    '40',
    '--rate',
    '4000',
    '--malformed-rate',
    '0.01',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const m = /posted (\d+) lines to \S+: (\d+) accepted, (\d+) refused/.exec(r.stderr);
  assert.ok(m, r.stderr);
  const [posted, accepted, refused] = [Number(m[1]), Number(m[2]), Number(m[3])];
  assert.equal(posted, 3000);
  assert.equal(accepted + refused, posted);
  assert.ok(refused > 0, "the simulator's malformed lines were refused");
  const db = join(tmp.dir, 'w.duckdb');
  const before = await queryRow(db, 'SELECT records_in FROM adw_checkpoint');
  assert.equal(
    await runEngine(['--kafka', kafka.brokers, '--topic', TOPIC, '--db', db, '--until-end'], null),
    'finished',
  );
  const after = await queryRow(db, 'SELECT records_in, dead_lettered FROM adw_checkpoint');
  assert.equal(
    Number(after.records_in) - Number(before.records_in),
    accepted,
    'the engine read exactly what the collector accepted',
  );
  assert.equal(Number(after.dead_lettered), 0);
});
