import { errors } from '../../errors.ts';
import { type AppDataset, appDatasets } from '../../layers/app.ts';
import { userSketchColumn } from '../../layers/dwa.ts';
import type { ColumnDef, ColumnType } from '../../layers/table.ts';
import { type StarRocksTable, starRocksDwa, starRocksTables } from './tables.ts';

/** What the DDL is for: the database, and how many days of detail (ODS, DWD) it keeps. */
export interface StarRocksDdlOptions {
  database: string;
  retentionDays: number;
}

/** StarRocks's type for each column type. */
const types: Record<Exclude<ColumnType, 'VARCHAR'>, string> = {
  BIGINT: 'BIGINT',
  INTEGER: 'INT',
  BOOLEAN: 'BOOLEAN',
  TIMESTAMP: 'DATETIME',
  DATE: 'DATE',
  DOUBLE: 'DOUBLE',
  'INTEGER[]': 'ARRAY<INT>',
};

/**
 * A string column's type. The length is a limit, not storage (strings take their own length): a key's strings are
 * validated ids and codes (at most 64 characters) or source names, and keys are short by design (a primary key
 * holds at most 128 bytes); other strings take the largest, as payloads and records as received reach 1 MiB.
 */
const varchar = (inKey: boolean) => (inKey ? 'VARCHAR(255)' : 'VARCHAR(1048576)');

/** A quoted identifier. */
const q = (name: string) => `\`${name.replaceAll('`', '``')}\``;
/** A double-quoted string (comments and properties). */
const quoted = (s: string) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;

/** A database name StarRocks accepts, refused otherwise (it goes into DDL and connector options as it is). */
export function starRocksDatabase(name: string, option: string): string {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name))
    throw errors.badOption(option, 'a StarRocks database name is a letter then letters, digits or _ (at most 64)');
  return name;
}

/** A column: a primary key's are NOT NULL (StarRocks's rule). */
function columnSql(t: StarRocksTable, c: ColumnDef): string {
  const inKey = t.key.includes(c.name);
  const type = c.type === 'VARCHAR' ? varchar(inKey) : types[c.type];
  const notNull = inKey && t.type === 'PRIMARY' ? ' NOT NULL' : '';
  return `  ${q(c.name)} ${type}${notNull}${c.doc ? ` COMMENT ${quoted(c.doc)}` : ''}`;
}

/**
 * Day partitions by expression (`date_trunc('day', col)`), not `dynamic_partition.*`: a load creates the partition
 * of any day it brings, where dynamic partitioning only has the days of a window around now and refuses a row of
 * any other, which under exactly-once fails the whole checkpoint and restarts the job on the same rows for ever
 * (late events and replays of older input bring such rows). Retention keeps the newest days that have data
 * (`partition_live_number`).
 */
function tableSql(t: StarRocksTable, o: StarRocksDdlOptions): string {
  const distribution =
    t.distributedBy === 'RANDOM'
      ? 'DISTRIBUTED BY RANDOM'
      : `DISTRIBUTED BY HASH(${t.distributedBy.map(q).join(', ')})`;
  const lines = [
    `-- ${t.name}: ${t.why}`,
    `CREATE TABLE IF NOT EXISTS ${q(o.database)}.${q(t.name)} (`,
    t.columns.map((c) => columnSql(t, c)).join(',\n'),
    `)`,
    `${t.type} KEY (${t.key.map(q).join(', ')})`,
    `COMMENT ${quoted(t.doc)}`,
    ...(t.partition ? [`PARTITION BY date_trunc('day', ${q(t.partition.column)})`] : []),
    distribution,
    ...(t.partition?.retained
      ? [`PROPERTIES (${quoted('partition_live_number')} = ${quoted(String(o.retentionDays))})`]
      : []),
  ];
  return lines.join('\n');
}

/**
 * An APP dataset as an asynchronous materialized view over DWA, refreshed every minute (StarRocks schedules
 * refreshes about that often anyway): DWA's rows are cell totals, so the rollup is a plain SUM ... GROUP BY.
 * Partitioned by day like DWA, so a refresh recomputes only the days whose DWA partitions changed. Without the user
 * sketch, as StarRocks's DWA is (see starRocksDwa).
 */
function materializedViewSql(d: AppDataset, o: StarRocksDdlOptions): string {
  const period = `date_trunc('${d.grain}', ${q('minute')})`;
  const columns = d.table.columns
    .filter((c) => c !== userSketchColumn)
    .map((c) => {
      if (c.name === 'period') return `${period} AS ${q('period')}`;
      return d.by.includes(c.name) ? q(c.name) : `SUM(${q(c.name)}) AS ${q(c.name)}`;
    });
  return [
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(o.database)}.${q(d.table.name)}`,
    `COMMENT ${quoted(d.table.doc)}`,
    `DISTRIBUTED BY HASH(${d.by.map(q).join(', ')})`,
    'REFRESH ASYNC EVERY (INTERVAL 1 MINUTE)',
    `PARTITION BY date_trunc('day', ${q('period')})`,
    `AS SELECT ${columns.join(', ')}`,
    `FROM ${q(o.database)}.${q(starRocksDwa.name)}`,
    `GROUP BY ${[period, ...d.by.map(q)].join(', ')}`,
  ].join('\n');
}

/**
 * The StarRocks DDL of the warehouse, statement by statement, derived from src/layers: the database, ODS, the
 * dimensions, DWD and DWA as tables, the APP datasets as materialized views. No checkpoint table: the Flink job keeps
 * its own checkpoints, and StarRocks commits one table per transaction (before v4.0), so a checkpoint row could not
 * commit with the data it covers as adw_checkpoint does in DuckDB.
 */
export function starRocksDdl(o: StarRocksDdlOptions): string[] {
  starRocksDatabase(o.database, 'database');
  return [
    `CREATE DATABASE IF NOT EXISTS ${q(o.database)}`,
    ...starRocksTables.map((t) => tableSql(t, o)),
    ...appDatasets.map((d) => materializedViewSql(d, o)),
  ];
}
