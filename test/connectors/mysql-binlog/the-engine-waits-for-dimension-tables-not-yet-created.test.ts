import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection } from 'mysql2/promise';
import { ensureTopic } from '../../../src/connectors/kafka/topic.ts';
import { createDimensionSchema } from '../../../src/connectors/mysql-binlog/schema.ts';
import { freePort } from '../../../src/stack/free-port.ts';
import { adwAsync } from '../../support/cli.ts';
import { EngineChild } from '../../support/engine-child.ts';
import { startTestKafka } from '../../support/kafka.ts';
import { startTestMariaDb } from '../../support/mariadb.ts';
import { queryRow, scratch, writeLines } from '../../support/pipeline.ts';

const tmp = scratch('adw-dims-wait-');
const EVENTS = 2000;
let kafka: Awaited<ReturnType<typeof startTestKafka>>;
let mariadb: Awaited<ReturnType<typeof startTestMariaDb>>;
/** A one-record input for the runs that stop before reading events. */
const oneLine = join(tmp.dir, 'one.ndjson');

before(async () => {
  [kafka, mariadb] = await Promise.all([startTestKafka(tmp.dir), startTestMariaDb(tmp.dir)]);
  await ensureTopic(kafka.brokers, 'events');
  writeLines(oneLine, [
    { type: 'request', request_id: 'r1', ts: '2026-01-01T00:00:00Z', campaign_id: 1, ad_id: 1, slot_id: 1 },
  ]);
});

after(async () => {
  await Promise.all([kafka?.stop(), mariadb?.stop()]);
  tmp.cleanup();
});

test('adw run --kafka --dims-mysql waits for the dimension tables, says so once, and proceeds when they are created', {
  timeout: 60_000,
}, async () => {
  const db = join(tmp.dir, 'w.duckdb');
  const engine = new EngineChild([
    '--kafka',
    kafka.brokers,
    '--topic',
    'events',
    '--db',
    db,
    '--dims-mysql',
    mariadb.url,
    '--checkpoint-interval',
    '100ms',
  ]);
  await engine.until('the waiting message', () => /waiting for tables/.test(engine.stderr), 30_000);
  assert.match(
    engine.stderr,
    /waiting for tables adw_dims\.advertiser, adw_dims\.campaign, adw_dims\.ad, adw_dims\.slot \(create them with adw simulate --dims-mysql URL\)/,
  );
  await sleep(3000);
  assert.equal(engine.child.exitCode, null, `the engine still runs: ${engine.stderr}`);
  const sim = await adwAsync(tmp.dir, [
    'simulate',
    '--seed',
    '5',
    '--events',
    String(EVENTS),
    '--kafka',
    kafka.brokers,
    '--topic',
    'events',
    '--dims-mysql',
    mariadb.url,
  ]);
  assert.equal(sim.status, 0, sim.stderr);
  const dimRows = Number(/wrote (\d+) dimension rows/.exec(sim.stderr)![1]);
  await engine.until('the dimensions and every event', () => engine.recordsIn === dimRows + EVENTS, 30_000);
  assert.equal(await engine.interrupt(), 0, engine.stderr.slice(-2000));
  assert.equal(engine.stderr.match(/waiting for tables/g)!.length, 1, 'the wait is reported once');
  const campaigns = await queryRow(db, 'SELECT count(*)::INT AS n FROM dim_campaign');
  const c = await createConnection(mariadb.url);
  const [[mine]] = (await c.query('SELECT count(*) AS n FROM adw_dims.campaign')) as unknown as [{ n: number }[]];
  await c.end();
  assert.ok(mine, 'a count from MariaDB');
  assert.ok(Number(mine.n) > 0);
  assert.equal(campaigns.n, Number(mine.n), 'the warehouse holds the campaigns MariaDB holds');
});

test('a table emptied (DDL) while the engine takes its first snapshot: the snapshot is taken again, and the run completes', {
  timeout: 60_000,
}, async () => {
  const c = await createConnection(mariadb.url);
  await createDimensionSchema(c, 'churned');
  // TRUNCATE recreates the table: a snapshot begun before it may not read it (ER_TABLE_DEF_CHANGED). Whoever sets the
  // tables up does so for a while after they first exist, then stops.
  let churning = true;
  let truncations = 0;
  const churn = (async () => {
    const until = Date.now() + 4000;
    while (churning && Date.now() < until) {
      await c.query('TRUNCATE TABLE churned.slot');
      truncations++;
    }
  })();
  try {
    const r = await adwAsync(
      tmp.dir,
      [
        'run',
        '--input',
        oneLine,
        '--db',
        join(tmp.dir, 'churned.duckdb'),
        '--until-end',
        '--dims-mysql',
        mariadb.url,
        '--dims-database',
        'churned',
      ],
      45_000,
    );
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Table definition has changed/);
  } finally {
    churning = false;
    await churn;
    await c.end();
  }
  assert.ok(truncations > 10, `the table was recreated ${truncations} times during the run`);
});

/** Runs the engine on a one-line file with these dimension settings; returns its exit status and output. */
async function runWithDims(url: string) {
  return adwAsync(
    tmp.dir,
    ['run', '--input', oneLine, '--db', join(tmp.dir, `x${Date.now()}.duckdb`), '--until-end', '--dims-mysql', url],
    30_000,
  );
}

test('wrong credentials fail at once with one coded line, not an internal error', { timeout: 30_000 }, async () => {
  const r = await runWithDims(mariadb.url.replace('adw:adw@', 'adw:wrong@'));
  assert.notEqual(r.status, 0);
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.match(r.stderr, /^adw: .*access denied.* \[ADW_ERR_\w+\]\n$/i);
  assert.doesNotMatch(r.stderr, /wrong/, 'the password is not printed');
});

test('an unreachable server fails at once with one coded line, not an internal error', {
  timeout: 30_000,
}, async () => {
  const r = await runWithDims(`mysql://adw:adw@127.0.0.1:${await freePort()}`);
  assert.notEqual(r.status, 0);
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.match(r.stderr, /^adw: .*cannot connect.* \[ADW_ERR_\w+\]\n$/i);
});

test('Ctrl-C while waiting for the tables ends the engine with one coded line, nothing checkpointed', {
  timeout: 30_000,
}, async () => {
  const db = join(tmp.dir, 'interrupted.duckdb');
  const engine = new EngineChild([
    '--input',
    oneLine,
    '--db',
    db,
    '--dims-mysql',
    mariadb.url,
    '--dims-database',
    'not_yet',
  ]);
  await engine.until('the waiting message', () => /waiting for tables not_yet\.advertiser/.test(engine.stderr), 20_000);
  assert.equal(await engine.interrupt(), 1);
  assert.match(engine.stderr, /^adw: interrupted while waiting for tables of not_yet \[ADW_ERR_INTERRUPTED\]$/m);
  assert.doesNotMatch(engine.stderr, /internal error|checkpoint \d/);
});
