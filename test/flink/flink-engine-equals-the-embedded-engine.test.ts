import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { FileSource } from '../../src/connectors/file/source.ts';
import { defaultEngineConfig } from '../../src/engine/config.ts';
import { adPipeline } from '../../src/engine/pipeline.ts';
import type { PipelineDefinition } from '../../src/engine/stages.ts';
import { completedCheckpoints, jobStatus, jobsNamed } from '../../src/flink/job-manager.ts';
import { FlinkRunner, flinkRunName } from '../../src/flink/run.ts';
import { foldedDwaSql } from '../../src/reconcile/offline.ts';
import { type RunningFlink, startFlink } from '../../src/stack/flink.ts';
import { freePort } from '../../src/stack/free-port.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { startAdwServer } from '../support/adw-server.ts';
import { adwAsync } from '../support/cli.ts';
import { startTestKafka } from '../support/kafka.ts';
import { assertSameRows, dwaSketchesSql, queryDb, runDefinition, scratch } from '../support/pipeline.ts';

const tmp = scratch('adw-flink-engine-');
const input = join(tmp.dir, 'traffic.ndjson');
/** The embedded engine's warehouse over the input: what every Flink run must equal. */
const embeddedDb = join(tmp.dir, 'embedded.duckdb');
/** The warehouse `adw run --engine flink` fills from the same input. */
const flinkDb = join(tmp.dir, 'flink.duckdb');
let flink: RunningFlink;
let kafka: Awaited<ReturnType<typeof startTestKafka>>;

before(async () => {
  kafka = await startTestKafka(tmp.dir);
  flink = await startFlink({ dir: join(tmp.dir, 'flink'), restPort: await freePort(), gatewayPort: await freePort() });
  // Six hours of traffic with every kind of disorder the simulator makes: duplicates, late records, lost requests,
  // follow events before their request, malformed lines.
  await writeSimulation({ events: 40_000, seed: 11 }, input);
  await runEmbedded(adPipeline, embeddedDb);
});

after(async () => {
  await flink?.stop();
  await kafka?.stop();
  tmp.cleanup();
});

/** Every DWD row, all columns, in one order: the two engines' DWD must be equal row for row. */
const dwdRows = (db: string) =>
  queryDb(db, 'SELECT * EXCLUDE (event_time), epoch_ms(event_time) AS ms FROM dwd_ad_event ORDER BY ALL');
/** DWA folded to one row per minute and dimension key, every metric. */
const dwaCells = (db: string) => queryDb(db, `SELECT * FROM (${foldedDwaSql()}) ORDER BY ALL`);

/** The embedded engine over the test's input. */
async function runEmbedded(def: PipelineDefinition, db: string): Promise<void> {
  await runDefinition(def, input, db);
}

/** The options that point `adw run --engine flink` at the test's cluster. */
const onTestCluster = () => [
  '--engine',
  'flink',
  '--quiet',
  '--flink',
  flink.gatewayUrl,
  '--flink-rest',
  flink.restUrl,
  '--flink-kafka',
  kafka.brokers,
];

/** `adw run --engine flink --until-end` over the test's input (or another file), as a user runs it. */
function flinkCli(db: string, file = input) {
  return adwAsync(tmp.dir, ['run', '--input', file, '--db', db, '--until-end', ...onTestCluster()], 300_000);
}

/** The same, which must succeed; its summary line. */
async function runFlinkCli(db: string): Promise<string> {
  const r = await flinkCli(db);
  assert.equal(r.status, 0, `adw run --engine flink: status ${r.status}: ${r.stderr}`);
  return r.stdout;
}

test('adw run --engine flink lands the same DWD rows, DWA cells and query answers as the embedded engine', {
  timeout: 360_000,
}, async () => {
  const out = JSON.parse(await runFlinkCli(flinkDb)) as Record<string, unknown>;
  assert.equal(out.engine, 'flink');
  const embedded = await dwdRows(embeddedDb);
  assert.ok(embedded.length > 30_000, `a real workload: ${embedded.length} DWD rows`);
  assertSameRows(await dwdRows(flinkDb), embedded, 'DWD');
  assertSameRows(await dwaCells(flinkDb), await dwaCells(embeddedDb), 'DWA');
  // The same users in every cell: a request Flink joined before its dimension rows and re-enriched in a later
  // checkpoint leaves its old cell's sketch (made again from DWD), which once kept it (a sketch cannot subtract).
  const sketches = (db: string) => queryDb(db, dwaSketchesSql);
  assertSameRows(await sketches(flinkDb), await sketches(embeddedDb), 'DWA user sketches');
  // What users see: the same answer from the same command.
  const query = [
    'query',
    '--metrics',
    'requests,fills,exposures,clicks,spend,unique_users',
    '--by',
    'campaign_id',
    '--limit',
    '500',
  ];
  const answers = await Promise.all(
    [embeddedDb, flinkDb].map((db) => adwAsync(tmp.dir, [...query, '--db', db, '--json'])),
  );
  const rows = answers.map((a) => {
    assert.equal(a.status, 0, a.stderr);
    return (JSON.parse(a.stdout) as { rows: unknown[] }).rows;
  });
  assert.ok((rows[0]?.length ?? 0) > 50, 'one row per campaign');
  assert.deepEqual(rows[1], rows[0]);
});

test('a TaskManager killed mid-job: Flink restores its checkpoint and the warehouse still equals the embedded run', {
  timeout: 360_000,
}, async () => {
  const db = join(tmp.dir, 'killed.duckdb');
  const run = runFlinkCli(db);
  const name = `adw ${flinkRunName(db, `file:${input}`)}`;
  // Once the job has committed a checkpoint and is still running, its only TaskManager dies without warning.
  let killed = false;
  for (let i = 0; i < 1200 && !killed; i++) {
    const [job] = await jobsNamed(flink.restUrl, name);
    if (job && (await jobStatus(flink.restUrl, job.id)) === 'RUNNING') {
      if ((await completedCheckpoints(flink.restUrl, job.id)) >= 1) {
        await flink.killTaskManager();
        killed = true;
        await flink.startTaskManager();
      }
    }
    if (!killed) await sleep(100);
  }
  assert.ok(killed, 'the TaskManager was killed while the job ran');
  await run;
  const [job] = await jobsNamed(flink.restUrl, name);
  const exceptions = (await (await fetch(`${flink.restUrl}/jobs/${job?.id}/exceptions`)).json()) as {
    exceptionHistory: { entries: unknown[] };
  };
  assert.ok(exceptions.exceptionHistory.entries.length > 0, 'the job failed over');
  assertSameRows(await dwdRows(db), await dwdRows(embeddedDb), 'DWD');
  assertSameRows(await dwaCells(db), await dwaCells(embeddedDb), 'DWA');
});

test('both engines follow a stage parameter: without the billing look-up nothing is billed, by either', {
  timeout: 360_000,
}, async () => {
  const unbilled: PipelineDefinition = {
    ...adPipeline,
    stages: adPipeline.stages.map((s) =>
      s.op === 'enrich' ? { ...s, lookups: s.lookups.filter((l) => l.to !== 'billing') } : s,
    ),
  };
  const embedded = join(tmp.dir, 'unbilled-embedded.duckdb');
  await runEmbedded(unbilled, embedded);
  const db = join(tmp.dir, 'unbilled-flink.duckdb');
  const warehouse = await DuckDbWarehouse.open(db);
  const source = new FileSource({ path: input });
  try {
    await new FlinkRunner(unbilled, {
      name: flinkRunName(db, source.id),
      input: source,
      warehouse,
      config: defaultEngineConfig,
      brokers: kafka.brokers,
      cluster: flink,
      dimensions: { from: 'stream' },
      parallelism: 2,
      checkpointIntervalMs: 1000,
      log: () => {},
    }).start({ untilEnd: true });
  } finally {
    await source.close();
    await warehouse.close();
  }
  const totals = (d: string) =>
    queryDb(d, 'SELECT sum(exposures)::BIGINT AS exposures, sum(spend_nanos)::BIGINT AS spend FROM dwa_ad_minute');
  const [e] = await totals(embedded);
  assert.ok(Number(e?.exposures) > 10_000, 'exposures were counted');
  assert.equal(Number(e?.spend), 0, 'the embedded engine billed nothing');
  assert.deepEqual(await totals(db), [e]);
  assertSameRows(await dwaCells(db), await dwaCells(embedded), 'DWA');
  // And the parameter mattered: the full pipeline bills.
  const [full] = await totals(embeddedDb);
  assert.ok(Number(full?.spend) > 0);
});

test('live on Flink: the API answers while the job runs, Ctrl-C stops it with a savepoint, the next run resumes it', {
  timeout: 480_000,
}, async () => {
  const db = join(tmp.dir, 'live.duckdb');
  const growing = join(tmp.dir, 'growing.ndjson');
  const lines = readFileSync(input, 'utf8').split('\n');
  const half = Math.floor(lines.length / 2);
  writeFileSync(growing, `${lines.slice(0, half).join('\n')}\n`);
  const token = 'flink-live-token-0123456789';
  const live = await startAdwServer(
    ['run', '--input', growing, '--db', db, '--api-port', '0', ...onTestCluster()],
    { ADW_API_TOKEN: token },
    60_000,
  );
  let requests = 0;
  try {
    for (let i = 0; i < 600 && requests === 0; i++) {
      const res = await fetch(new URL('/api/query?metrics=requests', live.url), {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 200);
      requests = Number(((await res.json()) as { rows: { requests?: number }[] }).rows[0]?.requests ?? 0);
      if (requests === 0) await sleep(500);
    }
  } finally {
    assert.equal(await live.stop(), 0, `clean exit on Ctrl-C: ${live.output().stderr}`);
  }
  assert.ok(requests > 0, "the live job's results were queryable while it ran");
  assert.match(live.output().stderr, /^Flink job \w+ stopped at \S+/m);
  // The second half comes after the stop: its exposures and clicks join requests held in the savepoint's state.
  appendFileSync(growing, lines.slice(half).join('\n'));
  const resumed = await flinkCli(db, growing);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /^Flink job \w+ submitted .*, resumed from \S+/m);
  assertSameRows(await dwdRows(db), await dwdRows(embeddedDb), 'DWD');
  assertSameRows(await dwaCells(db), await dwaCells(embeddedDb), 'DWA');
});

test('a restarted cluster: the next run resumes from the savepoint in the warehouse; without it, it is refused', {
  timeout: 360_000,
}, async () => {
  // A restarted JobManager remembers no job; the warehouse holds the first cluster's savepoint, still on disk.
  await flink.stop();
  flink = await startFlink({
    dir: join(tmp.dir, 'flink-2'),
    restPort: await freePort(),
    gatewayPort: await freePort(),
  });
  const before = await dwdRows(flinkDb);
  const again = await flinkCli(flinkDb);
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /resumed from \S+/);
  assertSameRows(await dwdRows(flinkDb), before, 'DWD after the resumed run, with nothing new to read');
  // The savepoint that run stopped at is lost: a new job would start empty and write every result again.
  rmSync(join(tmp.dir, 'flink-2', 'savepoints'), { recursive: true, force: true });
  const refused = await flinkCli(flinkDb);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /^adw: .*savepoint .* Flink cannot restore.* \[ADW_ERR_FLINK_RUN_UNKNOWN\]$/m);
  assertSameRows(await dwdRows(flinkDb), before, 'DWD after the refused run');
  const jobs = await jobsNamed(flink.restUrl, `adw ${flinkRunName(flinkDb, `file:${input}`)}`);
  assert.deepEqual(
    jobs.map((j) => j.state),
    ['FAILED', 'FINISHED'],
    'the job submitted from the lost savepoint failed to restore; only the resumed one ran',
  );
});
