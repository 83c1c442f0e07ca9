import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { adPipeline } from '../../src/engine/pipeline.ts';
import { errors, isAdwError } from '../../src/errors.ts';
import { compileFlinkJob, type FlinkJob, type FlinkSink, flinkOutputs, statementSet } from '../../src/flink/compile.ts';
import { type GatewaySession, openSession } from '../../src/flink/gateway.ts';
import { mysqlDimensions } from '../../src/flink/options.ts';
import { starRocksSinkTableDdl } from '../../src/flink/starrocks.ts';
import { type RunningFlink, startFlink } from '../../src/stack/flink.ts';
import { freePort } from '../../src/stack/free-port.ts';
import { starRocksDwa, starRocksDwd } from '../../src/warehouse/starrocks/tables.ts';
import { scratch } from '../support/pipeline.ts';

const tmp = scratch('adw-flink-starrocks-');
let flink: RunningFlink;
let session: GatewaySession;

// Nothing listens on these: planning must not need the FE, and the dimension table's driver shows in its failure.
const sink: FlinkSink = {
  to: 'starrocks',
  jdbcUrl: 'jdbc:mysql://127.0.0.1:1',
  loadUrl: '127.0.0.1:1',
  database: 'adw',
  user: 'root',
  password: '',
  labelPrefix: 'adw-plan-test',
};
const job = (dimensions = { from: 'stream' } as Parameters<typeof compileFlinkJob>[1]['dimensions']): FlinkJob =>
  compileFlinkJob(adPipeline, {
    source: { brokers: '127.0.0.1:1', topic: 'adw.stream', groupId: 'adw-flink', bounded: true },
    dimensions,
    sink,
    config: { attributionWindowMs: 24 * 3600_000, allowedLatenessMs: 300_000 },
  });

before(async () => {
  flink = await startFlink({
    dir: join(tmp.dir, 'cluster'),
    restPort: await freePort(),
    gatewayPort: await freePort(),
  });
  session = await openSession(flink.gatewayUrl, job().settings);
  for (const s of job().statements) await session.execute(s);
});

after(async () => {
  await session?.close().catch(() => undefined);
  await flink?.stop();
  tmp.cleanup();
});

interface PlanTable {
  identifier: string;
  resolvedTable: {
    schema: { columns: { name: string }[]; primaryKey?: { columns: string[] } };
    options: Record<string, string>;
  };
}

/** The sink tables of a compiled plan, by name (`default_catalog`.`default_database`.`<name>`). */
function planSinks(plan: string): Map<string, PlanTable> {
  const nodes = (JSON.parse(plan) as { nodes: { type: string; dynamicTableSink?: { table: PlanTable } }[] }).nodes;
  const sinks = nodes.flatMap((n) => (n.dynamicTableSink ? [n.dynamicTableSink.table] : []));
  return new Map(sinks.map((t) => [t.identifier.split('.').at(-1)!.replaceAll('`', ''), t]));
}

test('the planner compiles the job with StarRocks sinks: exactly-once, CSV, the label prefix, the tables’ keys', {
  timeout: 120_000,
}, async () => {
  const planFile = join(tmp.dir, 'plan.json');
  await session.execute(statementSet(job(), `file://${planFile}`));
  const sinks = planSinks(readFileSync(planFile, 'utf8'));
  for (const [output, table] of [
    [flinkOutputs.dwd, starRocksDwd],
    [flinkOutputs.dwa, starRocksDwa],
  ] as const) {
    const planned = sinks.get(`${output.name}_out`);
    assert.ok(planned, `the plan writes ${output.name}: ${[...sinks.keys()].join(', ')}`);
    const o = planned.resolvedTable.options;
    assert.equal(o.connector, 'starrocks');
    assert.equal(o['table-name'], table.name);
    assert.equal(o['sink.semantic'], 'exactly-once');
    assert.equal(o['sink.label-prefix'], sink.labelPrefix);
    assert.equal(o['sink.properties.format'], 'csv');
    assert.equal(o['sink.properties.column_separator'], '\\x01');
    assert.equal(o['sink.properties.row_delimiter'], '\\x02');
    assert.equal(o['sink.properties.partial_update'], 'false');
    assert.deepEqual(planned.resolvedTable.schema.primaryKey?.columns, table.key);
    assert.deepEqual(
      planned.resolvedTable.schema.columns.map((c) => c.name),
      output.columns.map((c) => c.name),
    );
  }
});

test('a StarRocks sink table missing a column is refused by the planner with the coded Flink error', {
  timeout: 120_000,
}, async () => {
  const broken = { ...flinkOutputs.dwa, columns: flinkOutputs.dwa.columns.slice(0, -1) };
  await session.execute(`DROP TABLE \`${broken.name}_out\``);
  await session.execute(starRocksSinkTableDdl(`${broken.name}_out`, broken, sink));
  try {
    await assert.rejects(session.execute(statementSet(job(), `file://${join(tmp.dir, 'broken.json')}`)), (e) => {
      assert.ok(isAdwError(e));
      assert.equal(e.code, errors.flinkRejected.code);
      assert.match(e.message, /dwa_ad_minute_out/);
      assert.match(e.message, /do not match|Different number of columns/i);
      return true;
    });
  } finally {
    const dwa = job().statements.find((s) => s.startsWith(`CREATE TABLE \`${broken.name}_out\``))!;
    await session.execute(`DROP TABLE \`${broken.name}_out\``);
    await session.execute(dwa);
  }
});

test('with the StarRocks connector’s MySQL driver on the classpath, a dimension table still connects with MariaDB’s', {
  timeout: 120_000,
}, async () => {
  const dims = job(mysqlDimensions('mysql://adw:secret@127.0.0.1:1', 'adw_dims'));
  const campaigns = dims.statements.find((s) => s.startsWith('CREATE TABLE `dim_campaign`'));
  assert.ok(campaigns, 'the job declares the campaign table in the database');
  const own = await openSession(flink.gatewayUrl, { 'restart-strategy.type': 'none' });
  try {
    await own.execute(campaigns);
    await own.execute("CREATE TABLE nowhere (campaign_id INT) WITH ('connector' = 'blackhole')");
    const { jobId } = await own.execute('INSERT INTO nowhere SELECT campaign_id FROM dim_campaign');
    assert.ok(jobId);
    let trace = '';
    while (trace === '') {
      const r = (await (await fetch(`${flink.restUrl}/jobs/${jobId}/exceptions`)).json()) as {
        exceptionHistory: { entries: { stacktrace: string }[] };
      };
      trace = r.exceptionHistory.entries.map((x) => x.stacktrace).join('\n');
      if (trace === '') await sleep(250);
    }
    assert.match(trace, /org\.mariadb\.jdbc\./, 'MariaDB’s driver made the connection');
    assert.doesNotMatch(trace, /com\.mysql\.jdbc\./, 'not the MySQL driver bundled in the StarRocks connector');
  } finally {
    await own.close();
  }
});
