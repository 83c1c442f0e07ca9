import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createConnection } from 'mysql2/promise';
import { writeSimulation } from '../../../src/simulator/simulate.ts';
import { adwSync, show } from '../../support/cli.ts';
import { EngineChild, killPoints, runEngine } from '../../support/engine-child.ts';
import { startTestMariaDb } from '../../support/mariadb.ts';
import { dwaDifferences, queryDb, queryRow, scratch } from '../../support/pipeline.ts';

const tmp = scratch('adw-binlog-');
const EVENTS = 20_000;
const BIG = 100_000;
let mariadb: Awaited<ReturnType<typeof startTestMariaDb>>;
let events: string;
let db: string;
let dimRows = 0;

async function sql(statement: string): Promise<void> {
  const c = await createConnection(mariadb.url);
  try {
    await c.query(statement);
  } finally {
    await c.end();
  }
}

async function dims(query: string) {
  return queryDb(db, query);
}

before(async () => {
  mariadb = await startTestMariaDb(tmp.dir);
  events = join(tmp.dir, 'events.ndjson');
  db = join(tmp.dir, 'w.duckdb');
  const sim = adwSync(tmp.dir, [
    'simulate',
    '--seed',
    '4',
    '--events',
    String(EVENTS),
    '--out',
    events,
    '--dims-mysql',
    mariadb.url,
  ]);
  assert.equal(sim.status, 0, show(sim));
  dimRows = Number(/wrote (\d+) dimension rows/.exec(sim.stderr)![1]);
});

after(async () => {
  await mariadb?.stop();
  tmp.cleanup();
});

const engineArgs = () => ['--input', events, '--db', db, '--dims-mysql', mariadb.url, '--checkpoint-interval', '100ms'];

test('snapshot, then an insert, an update and a delete in MariaDB reach the warehouse within seconds', {
  timeout: 120_000,
}, async () => {
  const engine = new EngineChild(engineArgs());
  await engine.until('the snapshot and every event', () => engine.recordsIn === dimRows + EVENTS);
  await sql("UPDATE adw_dims.campaign SET name = 'Renamed campaign' WHERE campaign_id = 1");
  await sql("INSERT INTO adw_dims.slot VALUES (999, 'New slot', 'example.org')");
  await sql('DELETE FROM adw_dims.slot WHERE slot_id = 998');
  await sql("INSERT INTO adw_dims.slot VALUES (998, 'Short-lived', 'example.org')");
  await sql('DELETE FROM adw_dims.slot WHERE slot_id = 998');
  await engine.until('the changes', () => engine.recordsIn === dimRows + EVENTS + 4);
  assert.equal(await engine.interrupt(), 0, engine.stderr.slice(-2000));
  assert.deepEqual(
    (await dims('SELECT name FROM dim_campaign WHERE campaign_id = 1')).map((r) => r.name),
    ['Renamed campaign'],
  );
  assert.deepEqual(
    (await dims('SELECT slot_id, name FROM dim_slot WHERE slot_id >= 998')).map((r) => [r.slot_id, r.name]),
    [[999, 'New slot']],
  );
  const changes = await queryRow(db, 'SELECT count(*)::INT AS n FROM ods_dim_change');
  assert.equal(changes.n, dimRows + 4, 'each change landed in ODS once');
});

test('a restart resumes at the stored GTID: changes made while the engine was down arrive once, nothing is re-applied', {
  timeout: 120_000,
}, async () => {
  await sql("UPDATE adw_dims.campaign SET name = 'Renamed while down' WHERE campaign_id = 2");
  assert.equal(await runEngine([...engineArgs(), '--until-end'], null), 'finished');
  assert.deepEqual(
    (await dims('SELECT name FROM dim_campaign WHERE campaign_id = 2')).map((r) => r.name),
    ['Renamed while down'],
  );
  const changes = await queryRow(db, 'SELECT count(*)::INT AS n FROM ods_dim_change');
  assert.equal(changes.n, dimRows + 5);
});

test('MariaDB restarted mid-stream: the engine reconnects and picks up later changes; the warehouse stays exact', {
  timeout: 180_000,
}, async () => {
  const engine = new EngineChild(engineArgs());
  await engine.until('a first checkpoint', () => engine.checkpoints > 0);
  const before = engine.recordsIn;
  await mariadb.restart();
  await sql("UPDATE adw_dims.campaign SET name = 'Renamed after restart' WHERE campaign_id = 3");
  await engine.until('the change after the restart', () => engine.recordsIn === before + 1, 60_000);
  assert.equal(await engine.interrupt(), 0, engine.stderr.slice(-2000));
  assert.deepEqual(
    (await dims('SELECT name FROM dim_campaign WHERE campaign_id = 3')).map((r) => r.name),
    ['Renamed after restart'],
  );
  const changes = await queryRow(db, 'SELECT count(*)::INT AS n FROM ods_dim_change');
  assert.equal(changes.n, dimRows + 6);
  // Only names changed mid-stream, so the offline recomputation (which enriches from the final tables) must agree
  // exactly.
  const diff = await dwaDifferences(db);
  assert.equal(diff.length, 0, JSON.stringify(diff.slice(0, 4)));
  const rows = await queryRow(db, 'SELECT count(*)::INT AS n FROM dim_campaign');
  const c = await createConnection(mariadb.url);
  const [[mine]] = (await c.query('SELECT count(*) AS n FROM adw_dims.campaign')) as unknown as [{ n: number }[]];
  await c.end();
  assert.ok(mine, 'a count from MariaDB');
  assert.equal(rows.n, Number(mine.n), 'the warehouse holds the campaigns MariaDB holds');
});

test('kill -9 of an engine reading events and the binlog, several times: nothing lost, nothing counted twice', {
  timeout: 300_000,
}, async () => {
  const seed = Number(process.env.ADW_KILL_SEED ?? Date.now() % 100_000);
  const next = killPoints(seed, 2, 100);
  const killed = join(tmp.dir, 'killed.duckdb');
  // More traffic of the same seed (the same dimensions), so three kills land before the end on a fast machine.
  const big = join(tmp.dir, 'big.ndjson');
  await writeSimulation({ seed: 4, events: BIG }, big, false);
  const args = [
    '--input',
    big,
    '--db',
    killed,
    '--dims-mysql',
    mariadb.url,
    '--until-end',
    '--checkpoint-interval',
    '50ms',
    '--batch-size',
    '200',
  ];
  let kills = 0;
  while (kills < 3 && (await runEngine(args, next())) === 'killed') kills++;
  if (kills === 3) assert.equal(await runEngine(args, null), 'finished');
  assert.equal(kills, 3, `killed mid-run 3 times (seed ${seed})`);
  const cp = await queryRow(killed, 'SELECT records_in, accepted, dead_lettered FROM adw_checkpoint');
  const changes = await queryRow(killed, 'SELECT count(*)::INT AS n FROM ods_dim_change');
  const c = await createConnection(mariadb.url);
  const [[counts]] = (await c.query(
    'SELECT (SELECT count(*) FROM adw_dims.advertiser) + (SELECT count(*) FROM adw_dims.campaign) + (SELECT count(*) FROM adw_dims.ad) + (SELECT count(*) FROM adw_dims.slot) AS n',
  )) as unknown as [{ n: number }[]];
  await c.end();
  assert.ok(counts, 'a count from MariaDB');
  assert.equal(changes.n, Number(counts.n), `the snapshot landed once (seed ${seed})`);
  assert.equal(Number(cp.records_in), Number(counts.n) + BIG, `every record counted once (seed ${seed})`);
  const diff = await dwaDifferences(killed);
  assert.equal(
    diff.length,
    0,
    `DWA equals the offline recomputation (seed ${seed}): ${JSON.stringify(diff.slice(0, 4))}`,
  );
});
