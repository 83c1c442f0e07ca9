import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { FileSource } from '../../src/connectors/file/source.ts';
import { defaultEngineConfig } from '../../src/engine/config.ts';
import { Job } from '../../src/engine/job.ts';
import { adPipeline } from '../../src/engine/pipeline.ts';
import type { PipelineDefinition } from '../../src/engine/stages.ts';
import { completedCheckpoints, jobStatus, jobsNamed } from '../../src/flink/job-manager.ts';
import { flinkRunName, runOnFlink } from '../../src/flink/run.ts';
import { foldedDwaSql } from '../../src/reconcile/offline.ts';
import { type RunningFlink, startFlink } from '../../src/stack/flink.ts';
import { freePort } from '../../src/stack/free-port.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { adwAsync } from '../support/cli.ts';
import { startTestKafka } from '../support/kafka.ts';
import { assertSameRows, queryDb, scratch } from '../support/pipeline.ts';

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
  const warehouse = await DuckDbWarehouse.open(db);
  const source = new FileSource({ path: input });
  try {
    await new Job(def, source, warehouse, defaultEngineConfig).run({ untilEnd: true });
  } finally {
    await source.close();
    await warehouse.close();
  }
}

/** `adw run --engine flink` over the test's input, as a user runs it. */
function flinkCli(db: string) {
  return adwAsync(
    tmp.dir,
    [
      'run',
      '--engine',
      'flink',
      '--input',
      input,
      '--db',
      db,
      '--until-end',
      '--quiet',
      '--flink',
      flink.gatewayUrl,
      '--flink-rest',
      flink.restUrl,
      '--flink-kafka',
      kafka.brokers,
    ],
    300_000,
  );
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
  // What users see: the same answer from the same command.
  const query = [
    'query',
    '--metrics',
    'requests,fills,exposures,clicks,spend',
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
    await runOnFlink(unbilled, {
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
    });
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

test('a warehouse whose Flink job the cluster has forgotten is refused, not loaded twice', {
  timeout: 360_000,
}, async () => {
  // A restarted JobManager remembers no finished job; the warehouse still holds that job's results.
  await flink.stop();
  flink = await startFlink({
    dir: join(tmp.dir, 'flink-2'),
    restPort: await freePort(),
    gatewayPort: await freePort(),
  });
  const before = await dwdRows(flinkDb);
  const refused = await flinkCli(flinkDb);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /^adw: .*no longer knows.* \[ADW_ERR_FLINK_RUN_UNKNOWN\]$/m);
  assertSameRows(await dwdRows(flinkDb), before, 'DWD after the refused run');
  assert.deepEqual(await jobsNamed(flink.restUrl, `adw ${flinkRunName(flinkDb, `file:${input}`)}`), []);
});
