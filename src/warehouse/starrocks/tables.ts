import { dimTables } from '../../layers/dim.ts';
import { dwaAdMinute, dwaCellKey, dwaDimensionColumns, dwaTotalsColumns } from '../../layers/dwa.ts';
import { dwdAdEvent, dwdAdEventJoined, dwdEventKey } from '../../layers/dwd.ts';
import { odsTables } from '../../layers/ods.ts';
import type { ColumnDef, TableDef } from '../../layers/table.ts';

/**
 * How a warehouse table of src/layers is laid out in StarRocks: its table type and key, its day partitions, how its
 * rows are spread over buckets. Columns come from src/layers; only the order differs in one way: StarRocks wants a
 * table's key columns first, in key order.
 */
export interface StarRocksTable {
  name: string;
  doc: string;
  /** Primary key (upserts and deletes by key) or duplicate key (every row kept; the key is only the sort order). */
  type: 'PRIMARY' | 'DUPLICATE';
  key: readonly string[];
  columns: readonly ColumnDef[];
  /** The column whose day partitions the table; `retained` when days past the retention are dropped. */
  partition?: { column: string; retained: boolean };
  /** Hash bucketing columns, or random bucketing (duplicate-key tables only). */
  distributedBy: readonly string[] | 'RANDOM';
  /** Why the table has its type: printed with its DDL. */
  why: string;
}

/** A table's columns with its key's first, in key order (StarRocks's rule), the rest in layer order. */
function keyFirst(columns: readonly ColumnDef[], key: readonly string[]): ColumnDef[] {
  const byName = new Map(columns.map((c) => [c.name, c]));
  return [...key.map((k) => byName.get(k)!), ...columns.filter((c) => !key.includes(c.name))];
}

/**
 * A primary-key table partitioned by day: StarRocks wants the partition column in the key too. It adds nothing to
 * what a row is: the time of an event or a cell never changes between the versions of its row.
 */
function primaryByDay(
  t: TableDef,
  name: string,
  key: readonly string[],
  day: string,
  retained: boolean,
  distributedBy: readonly string[],
  why: string,
): StarRocksTable {
  const fullKey = key.includes(day) ? key : [...key, day];
  return {
    name,
    doc: t.doc,
    type: 'PRIMARY',
    key: fullKey,
    columns: keyFirst(t.columns, fullKey),
    partition: { column: day, retained },
    distributedBy,
    why,
  };
}

/** DWD as one table: StarRocks corrects rows in place, so the joined and unmatched parts DuckDB keeps apart are one. */
export const starRocksDwd = primaryByDay(
  dwdAdEventJoined,
  dwdAdEvent.name,
  dwdEventKey,
  'event_time',
  true,
  ['event_id'],
  'primary key, not duplicate key: the Flink job corrects DWD rows (a follow event that came before its request is ' +
    'retracted and written again joined), and a primary-key table applies such upserts and deletes in place',
);

/**
 * DWA's cells: a key column is never NULL in StarRocks, so a cell of follow events without their request has 0 as
 * its ids and '' as its codes (ids are positive and codes non-empty, so neither stands for a real value). Without the
 * user sketch, which the Flink job that loads StarRocks does not compute (see `dwaTotalsColumns`): there distinct
 * users are StarRocks's own to count (its HLL functions over DWD).
 */
export const starRocksDwa: StarRocksTable = {
  ...primaryByDay(
    { ...dwaAdMinute, columns: dwaTotalsColumns },
    dwaAdMinute.name,
    dwaCellKey,
    'minute',
    false,
    dwaDimensionColumns,
    "primary key, not aggregate key: the Flink job writes each cell's running totals and corrects them, so a row " +
      'must replace the one before (an aggregate-key table would add them up); deletes remove cells that emptied',
  ),
  doc: 'minute aggregates: one row per cell, its running totals',
};

/** ODS, dimensions, DWD and DWA in StarRocks (APP datasets are materialized views over DWA: see ddl.ts). */
export const starRocksTables: readonly StarRocksTable[] = [
  ...odsTables.map(
    (t): StarRocksTable => ({
      name: t.name,
      doc: t.doc,
      type: 'DUPLICATE',
      // Sorted by the leading column: the day where there is one.
      key: [t.columns[0]!.name],
      columns: t.columns,
      ...(t.partitionBy ? { partition: { column: t.partitionBy, retained: true } } : {}),
      distributedBy: 'RANDOM',
      why: 'duplicate key: records as received, duplicates included, never updated',
    }),
  ),
  ...dimTables.map(
    (t): StarRocksTable => ({
      name: t.name,
      doc: t.doc,
      type: 'PRIMARY',
      key: t.key,
      columns: keyFirst(t.columns, t.key),
      distributedBy: t.key,
      why: 'primary key: the current row of each id, upserted and deleted as the dimension changes',
    }),
  ),
  starRocksDwd,
  starRocksDwa,
];
