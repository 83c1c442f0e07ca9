import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import mysql from 'mysql2/promise';
import { FileSource } from '../../src/connectors/file/source.ts';
import { mysqlConnection } from '../../src/connectors/mysql-binlog/options.ts';
import { additiveColumns } from '../../src/catalogue/metrics.ts';
import { defaultEngineConfig } from '../../src/engine/config.ts';
import { Job } from '../../src/engine/job.ts';
import { adPipeline } from '../../src/engine/pipeline.ts';
import { compileFlinkJob, statementSet } from '../../src/flink/compile.ts';
import { openSession } from '../../src/flink/gateway.ts';
import { waitForJob } from '../../src/flink/job-manager.ts';
import { ingestPipeline } from '../../src/flink/pipelines.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { startFlink } from '../../src/stack/flink.ts';
import { freePort } from '../../src/stack/free-port.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { starRocksDdl } from '../../src/warehouse/starrocks/ddl.ts';
import { startTestKafka } from '../support/kafka.ts';
import { queryDb, runFile, scratch } from '../support/pipeline.ts';

// No StarRocks server can run on the development machines: this runs against one you name, e.g.
// ADW_STARROCKS=mysql://root@127.0.0.1:9030 ADW_STARROCKS_LOAD=127.0.0.1:8030 (the FE's MySQL and HTTP ports).
const target = process.env.ADW_STARROCKS;
const skip = target ? false : 'set ADW_STARROCKS=mysql://user:pass@fe:9030 (and ADW_STARROCKS_LOAD=fe:8030) to run it';

const sums = additiveColumns.map((c) => `CAST(SUM(${c}) AS BIGINT) AS ${c}`).join(', ');

test('the Flink job loads StarRocks through the applied DDL with the embedded engine’s totals', {
  skip,
  timeout: 600_000,
}, async () => {
  const tmp = scratch('adw-starrocks-live-');
  const fe = mysqlConnection(target!);
  const database = `adw_test_${process.pid}`;
  const sql = await mysql.createConnection({ host: fe.host, port: fe.port, user: fe.user, password: fe.password });
  const kafka = await startTestKafka(tmp.dir);
  const flink = await startFlink({
    dir: join(tmp.dir, 'flink'),
    restPort: await freePort(),
    gatewayPort: await freePort(),
  });
  try {
    for (const s of starRocksDdl({ database, retentionDays: 30 })) await sql.query(s);
    const input = join(tmp.dir, 'events.ndjson');
    await writeSimulation({ seed: 11, events: 5_000 }, input);
    // The reference: the embedded engine over the same input.
    const reference = join(tmp.dir, 'reference.duckdb');
    await runFile(input, reference);
    const stream = { brokers: kafka.brokers, topic: 'adw.stream' };
    const ingest = await DuckDbWarehouse.open(join(tmp.dir, 'ingest.duckdb'));
    const source = new FileSource({ path: input });
    try {
      await new Job(ingestPipeline(adPipeline, stream), source, ingest, defaultEngineConfig).run({ untilEnd: true });
    } finally {
      await source.close();
      await ingest.close();
    }

    const job = compileFlinkJob(adPipeline, {
      source: { ...stream, groupId: database, bounded: true },
      dimensions: { from: 'stream' },
      sink: {
        to: 'starrocks',
        jdbcUrl: `jdbc:mysql://${fe.host}:${fe.port}`,
        loadUrl: process.env.ADW_STARROCKS_LOAD ?? `${fe.host}:8030`,
        database,
        user: fe.user,
        password: fe.password,
        labelPrefix: database,
      },
      config: defaultEngineConfig,
    });
    const session = await openSession(flink.gatewayUrl, {
      ...job.settings,
      'execution.checkpointing.interval': '1 s',
      'execution.checkpointing.mode': 'EXACTLY_ONCE',
    });
    for (const s of job.statements) await session.execute(s);
    const { jobId } = await session.execute(statementSet(job));
    assert.ok(jobId);
    await waitForJob(flink.restUrl, jobId, ['FINISHED'], 480_000);
    await session.close();

    const [loaded] = (await sql.query(`SELECT ${sums} FROM \`${database}\`.dwa_ad_minute`)) as [
      Record<string, unknown>[],
      unknown,
    ];
    const [expected] = await queryDb(reference, `SELECT ${sums} FROM dwa_ad_minute`);
    assert.ok(Number(expected!.requests) > 0, 'the input has requests');
    for (const c of additiveColumns) assert.equal(Number(loaded![0]![c]), Number(expected![c]), c);
    const [events] = (await sql.query(`SELECT COUNT(*) AS n FROM \`${database}\`.dwd_ad_event`)) as [
      { n: unknown }[],
      unknown,
    ];
    const [distinct] = await queryDb(reference, 'SELECT COUNT(*) AS n FROM dwd_ad_event');
    assert.equal(Number(events[0]!.n), Number(distinct!.n), 'one DWD row per distinct event');
  } finally {
    await sql.query(`DROP DATABASE IF EXISTS \`${database}\` FORCE`).catch(() => undefined);
    await sql.end();
    await flink.stop();
    await kafka.stop();
    tmp.cleanup();
  }
});
