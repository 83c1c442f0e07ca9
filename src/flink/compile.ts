import { billedColumn, billedSql, countedColumns, countedSql } from '../catalogue/metrics.ts';
import type { EngineConfig } from '../engine/config.ts';
import { granularityMs, type PipelineDefinition, type Stage, type StageDefinition } from '../engine/stages.ts';
import { errors } from '../errors.ts';
import { followTypes } from '../events/schema.ts';
import { streamFields } from '../events/stream-record.ts';
import { dimTables } from '../layers/dim.ts';
import { dwaAdMinute, dwaCellKey, dwaDimensionColumns, dwaTotalsColumns } from '../layers/dwa.ts';
import { dwdAdEvent, dwdAdEventJoined, dwdEventKey, dwdRequestColumns } from '../layers/dwd.ts';
import { flinkTypes, literal, q, str, withOptions } from './sql.ts';
import { notNullDimension, type StarRocksTarget, starRocksSinkTableDdl } from './starrocks.ts';

/** Where the job reads stream records (see src/events/stream-record.ts): a Kafka topic. */
export interface FlinkSource {
  brokers: string;
  topic: string;
  groupId: string;
  /** Read up to the end offsets at start, then finish (a finite input); otherwise follow the topic. */
  bounded: boolean;
}

/** Where enrichment finds dimension rows: the changes in the stream itself, or a MySQL/MariaDB database. */
export type FlinkDimensions = { from: 'stream' } | { from: 'mysql'; jdbcUrl: string; user: string; password: string };

/**
 * Where DWD and DWA go: changelog topics read back into the warehouse, StarRocks primary-key tables, or Flink's
 * print or blackhole sinks.
 */
export type FlinkSink =
  | { to: 'kafka'; brokers: string; topicPrefix: string; transactionalIdPrefix: string }
  | ({ to: 'starrocks' } & StarRocksTarget)
  | { to: 'print' }
  | { to: 'blackhole' };

/** Everything a compiled job depends on besides the pipeline definition. */
export interface FlinkJobOptions {
  source: FlinkSource;
  dimensions: FlinkDimensions;
  sink: FlinkSink;
  config: Pick<EngineConfig, 'attributionWindowMs' | 'allowedLatenessMs'>;
}

/** A Flink SQL job: session settings, then table and view definitions, then the INSERTs of one statement set. */
export interface FlinkJob {
  settings: Record<string, string>;
  statements: string[];
  inserts: string[];
}

/**
 * The job's statement set: run (EXECUTE), or with `planTo` (a file: URL) only planned into a JSON plan (COMPILE PLAN),
 * which validates every INSERT against its sink's columns without reaching any source or sink.
 */
export function statementSet(job: FlinkJob, planTo?: string): string {
  const verb = planTo === undefined ? 'EXECUTE' : `COMPILE PLAN ${literal(planTo)} FOR`;
  return `${verb} STATEMENT SET BEGIN\n${job.inserts.map((i) => `${i};\n`).join('')}END`;
}

/** The job as one SQL script, for `adw flink sql` and Flink's SQL client. */
export function jobScript(job: FlinkJob): string {
  const set = Object.entries(job.settings).map(([k, v]) => `SET ${literal(k)} = ${literal(v)};`);
  return `${[...set, ...job.statements.map((s) => `${s};`), `${statementSet(job)};`].join('\n\n')}\n`;
}

/** The changelogs the job writes, by what they hold: DWD with its columns (both parts), and DWA's totals. */
export const flinkOutputs = {
  dwd: { name: dwdAdEvent.name, columns: dwdAdEventJoined.columns, key: dwdEventKey },
  dwa: { name: dwaAdMinute.name, columns: dwaTotalsColumns, key: dwaCellKey },
} as const;
type FlinkOutput = (typeof flinkOutputs)[keyof typeof flinkOutputs];

/** Flink's name for an output table; its Kafka topic is the sink's prefix, a dot and the table's name. */
const sinkTable = (t: FlinkOutput) => `${t.name}_out`;

/** Event time in ms as a UTC timestamp (the session's time zone is UTC). */
const timestamp = (ms: string) => `CAST(TO_TIMESTAMP_LTZ(${ms}, 3) AS TIMESTAMP(3))`;
const ttl = (ms: number) => `${ms} ms`;

function stage<Op extends StageDefinition['op']>(def: PipelineDefinition, op: Op): Stage<Op> {
  const s = def.stages.find((x): x is Stage<Op> => x.op === op);
  if (s === undefined) throw errors.pipelineInvalid(`the Flink compiler needs a ${op} stage`);
  return s;
}

/**
 * Compiles a pipeline definition into a Flink SQL job with the semantics of docs/domain.md: first copy of each id
 * wins; follow events join their request within the window, and one that came before its request is retracted and
 * joined again when the request comes (a regular join bounded by the window, so late corrections are exact);
 * enrichment by the enrich stage's look-ups as of processing time; minute aggregates updated, not dropped, by late
 * records; state kept for the window plus the allowed lateness (Flink's state TTL, measured in processing time).
 */
export function compileFlinkJob(def: PipelineDefinition, o: FlinkJobOptions): FlinkJob {
  const enrich = stage(def, 'enrich');
  const aggregate = stage(def, 'aggregate');
  stage(def, 'dedup');
  stage(def, 'interval-join');
  // Flink holds every request of the attribution window in its own state (a RocksDB backend where that is large),
  // where the embedded engine keeps the join window hot and finds older requests in the warehouse.
  const horizonMs = o.config.attributionWindowMs + o.config.allowedLatenessMs;
  const statements = [
    sourceTable(o.source),
    ...dimensionTables(enrich, o.dimensions),
    firstCopies('adw_request', "kind = 'request'"),
    firstCopies('adw_follow', `kind IN (${followTypes.map(literal).join(', ')})`),
    enrichedRequests(enrich, o.dimensions, horizonMs),
    detail(o.config.attributionWindowMs),
    sinkTableDdl(flinkOutputs.dwd, o.sink),
    sinkTableDdl(flinkOutputs.dwa, o.sink),
  ];
  const bucket = granularityMs[aggregate.granularity];
  const dwdColumns = flinkOutputs.dwd.columns.map((c) => (c.name === 'event_time' ? timestamp('ts') : q(c.name)));
  const sums = [...countedColumns.map((c) => `CAST(SUM(${countedSql(c)}) AS BIGINT)`), `SUM(${q(billedColumn)})`];
  // The cells' running totals, updated as rows come and go: what a StarRocks primary-key table upserts as it is.
  const dimension = o.sink.to === 'starrocks' ? notNullDimension : q;
  const keys = [timestamp(`ts - MOD(ts, ${bucket})`), ...dwaDimensionColumns.map(dimension)];
  const inserts = [
    `INSERT INTO ${q(sinkTable(flinkOutputs.dwd))} SELECT ${dwdColumns.join(', ')} FROM adw_dwd`,
    `INSERT INTO ${q(sinkTable(flinkOutputs.dwa))} SELECT ${keys.join(', ')}, ${sums.join(', ')} FROM adw_dwd GROUP BY ${keys.join(', ')}`,
  ];
  return {
    settings: {
      'pipeline.name': `adw ${def.name}`,
      'table.local-time-zone': 'UTC',
      'table.exec.state.ttl': ttl(horizonMs),
    },
    statements,
    inserts,
  };
}

function sourceTable(s: FlinkSource): string {
  const columns = streamFields.map(([name, type]) => `  ${q(name)} ${flinkTypes[type]}`);
  return `CREATE TABLE adw_stream (
${columns.join(',\n')},
  proc_time AS PROCTIME()
) ${withOptions({
    connector: 'kafka',
    topic: s.topic,
    'properties.bootstrap.servers': s.brokers,
    'properties.group.id': s.groupId,
    // Only what the ingest committed: it writes transactionally or idempotently, never half a batch.
    'properties.isolation.level': 'read_committed',
    'scan.startup.mode': 'earliest-offset',
    ...(s.bounded ? { 'scan.bounded.mode': 'latest-offset' } : {}),
    format: 'json',
    'json.fail-on-missing-field': 'false',
  })}`;
}

/** The dimension tables the look-ups read: their current rows from the stream's changes, or the database's. */
function dimensionTables(enrich: Stage<'enrich'>, dims: FlinkDimensions): string[] {
  const used = [...new Set(enrich.lookups.map((l) => l.from))];
  return used.map((name) => {
    const table = dimTables.find((d) => d.name === name);
    if (table === undefined) throw errors.pipelineInvalid(`enrich: no dimension table ${name}`);
    const [key] = table.key;
    // Only the key and what is looked up: a database's own column types (DECIMAL prices) need not match ours.
    const wanted = new Set([key, ...enrich.lookups.filter((l) => l.from === name).map((l) => l.to)]);
    const t = { ...table, columns: table.columns.filter((c) => wanted.has(c.name)) };
    if (dims.from === 'mysql') {
      const columns = t.columns.map((c) => `  ${q(c.name)} ${flinkTypes[c.type]}`);
      return `CREATE TABLE ${q(t.name)} (
${columns.join(',\n')},
  PRIMARY KEY (${q(key)}) NOT ENFORCED
) ${withOptions({
        connector: 'jdbc',
        url: dims.jdbcUrl,
        'table-name': t.stream,
        username: dims.user,
        password: dims.password,
        // Named: Flink's MySQL dialect asks for com.mysql.jdbc.Driver by default, which is the MySQL driver of 2019
        // bundled in the StarRocks connector (on the cluster's classpath), not the MariaDB one.
        driver: 'org.mariadb.jdbc.Driver',
      })}`;
    }
    // The last change of each key wins, kept for good (no TTL); LAST_VALUE skips NULLs, so a delete keeps the row's
    // last values but marks it gone.
    const fields = t.columns
      .filter((c) => c.name !== key)
      .map((c) => `JSON_VALUE(row_json, '$.${c.name}' RETURNING ${flinkTypes[c.type]}) AS ${q(c.name)}`);
    return `CREATE TEMPORARY VIEW ${q(t.name)} AS
SELECT CAST(dim_key AS ${flinkTypes[t.columns.find((c) => c.name === key)?.type ?? 'INTEGER']}) AS ${q(key)}, ${fields.join(', ')}
FROM (
  SELECT /*+ STATE_TTL('adw_stream' = '0 ms') */ dim_key, LAST_VALUE(dim_op) AS op, LAST_VALUE(dim_row) AS row_json
  FROM adw_stream WHERE kind = 'dim' AND dim_table = ${literal(t.stream)} GROUP BY dim_key
) WHERE op = 'upsert'`;
  });
}

/** The first copy of each id, in arrival order (Flink's deduplication keeps the first row by processing time). */
function firstCopies(view: string, where: string): string {
  return `CREATE TEMPORARY VIEW ${view} AS
SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY id ORDER BY proc_time ASC) AS copy
  FROM adw_stream WHERE ${where}
) WHERE copy = 1`;
}

/** Requests with their DWD request columns, enriched by the look-ups in order (one join per table and key). */
function enrichedRequests(enrich: Stage<'enrich'>, dims: FlinkDimensions, horizonMs: number): string {
  const typeOf = Object.fromEntries(dwdRequestColumns.map((c) => [c.name, flinkTypes[c.type]]));
  // A column is the request's own (in the stream record), else NULL until a look-up fills it.
  const own = new Set<string>(streamFields.map(([name]) => name));
  const value: Record<string, string> = Object.fromEntries(
    dwdRequestColumns.map((c) => [c.name, own.has(c.name) ? `r.${q(c.name)}` : `CAST(NULL AS ${typeOf[c.name]})`]),
  );
  const joins: string[] = [];
  const aliasOf = new Map<string, string>();
  for (const l of enrich.lookups) {
    const on = `${l.from} ${value[l.key]}`;
    let alias = aliasOf.get(on);
    if (alias === undefined) {
      alias = `l${aliasOf.size}`;
      aliasOf.set(on, alias);
      const t = dimTables.find((d) => d.name === l.from);
      const key = t?.key[0] ?? l.key;
      const version = dims.from === 'mysql' ? ' FOR SYSTEM_TIME AS OF r.proc_time' : '';
      joins.push(`LEFT JOIN ${q(l.from)}${version} AS ${alias} ON ${alias}.${q(key)} = ${value[l.key]}`);
    }
    value[l.to] = `${alias}.${q(l.to)}`;
  }
  const columns = dwdRequestColumns.map((c) => `${value[c.name]} AS ${q(c.name)}`);
  // Requests are held as long as the join holds them; dimension rows as long as their view does (for good).
  const ttls = [`'r' = ${literal(ttl(horizonMs))}`, ...[...aliasOf.values()].map((a) => `'${a}' = '0 ms'`)];
  const hint = dims.from === 'stream' ? `/*+ STATE_TTL(${ttls.join(', ')}) */ ` : '';
  return `CREATE TEMPORARY VIEW adw_request_enriched AS
SELECT ${hint}r.id AS request_id, r.ts, ${columns.join(', ')}, r.late
FROM adw_request AS r
${joins.join('\n')}`;
}

/** DWD: requests, and follow events joined to the request they name within the window (NULLs while unmatched). */
function detail(windowMs: number): string {
  const requestColumns = dwdRequestColumns.map((c) => q(c.name));
  return `CREATE TEMPORARY VIEW adw_dwd AS
SELECT request_id AS event_id, ${str('request')} AS event_type, request_id, ts, ${requestColumns.join(', ')},
  CAST(0 AS BIGINT) AS ${q(billedColumn)}, ${str('request')} AS join_status, CAST(NULL AS BIGINT) AS join_delay_ms,
  late
FROM adw_request_enriched
UNION ALL
SELECT f.id, f.kind, f.request_id, f.ts, ${requestColumns.map((c) => `r.${c}`).join(', ')},
  ${billedSql('f.kind', 'r.billing', 'r.bid_micros')},
  CASE WHEN r.request_id IS NULL THEN ${str('unmatched')} ELSE ${str('matched')} END,
  CASE WHEN r.request_id IS NULL THEN CAST(NULL AS BIGINT) ELSE f.ts - r.ts END,
  f.late
FROM adw_follow AS f
LEFT JOIN adw_request_enriched AS r
  ON r.request_id = f.request_id AND f.ts >= r.ts AND f.ts <= r.ts + ${windowMs}`;
}

function sinkTableDdl(t: FlinkOutput, sink: FlinkSink): string {
  if (sink.to === 'starrocks') return starRocksSinkTableDdl(sinkTable(t), t, sink);
  const columns = t.columns.map((c) => `  ${q(c.name)} ${flinkTypes[c.type]}`);
  const options: Record<string, string> =
    sink.to === 'kafka'
      ? {
          connector: 'kafka',
          topic: `${sink.topicPrefix}.${t.name}`,
          'properties.bootstrap.servers': sink.brokers,
          // Changes of one row share a key, so they stay in order in one partition.
          'key.format': 'json',
          'key.fields': t.key.join(';'),
          'value.format': 'debezium-json',
          'sink.delivery-guarantee': 'exactly-once',
          'sink.transactional-id-prefix': `${sink.transactionalIdPrefix}-${t.name}`,
          // Within the broker's transaction.max.timeout.ms (15 min by default); Flink's default of 1 h is refused.
          'properties.transaction.timeout.ms': '900000',
        }
      : { connector: sink.to };
  return `CREATE TABLE ${q(sinkTable(t))} (
${columns.join(',\n')}
) ${withOptions(options)}`;
}
