import { dwdAdEventJoined } from '../../layers/dwd.ts';
import { allTables, allViews } from '../../layers/index.ts';
import { odsAdEvent } from '../../layers/ods.ts';
import { col, type TableDef } from '../../layers/table.ts';
import { createUnionViewSql } from './ddl.ts';
import { dwdSegmentTable, odsSegmentTable } from './segments.ts';

/**
 * How the embedded warehouse stores the declared tables. DWD's joined part is two tables behind a view of its name:
 * rows written within their event time's allowed lateness, and the few written after it (late records, events
 * corrected when their request came late). Together, a few such rows in every checkpoint widened each row group's
 * event-time range by hours, so a look-up of one minute read hours of DWD.
 */
export const dwdOnTime: TableDef = {
  ...dwdAdEventJoined,
  name: 'dwd_ad_event_ontime',
  doc: 'DWD joined rows written within their allowed lateness',
};
export const dwdLate: TableDef = {
  ...dwdAdEventJoined,
  name: 'dwd_ad_event_late',
  doc: 'DWD joined rows written after their allowed lateness: late records and late corrections',
};

/**
 * Where housekeeping's compaction of DWA and APP deltas has reached, kept with the data it compacted: a restarted
 * process goes on from there instead of compacting the last day again.
 */
export const compactionTable: TableDef = {
  name: 'adw_compaction',
  layer: 'meta',
  doc: 'one row: the event time up to which housekeeping last compacted DWA and APP deltas',
  columns: [col('compacted_until_ms', 'BIGINT')],
};

/** The tables this warehouse creates: ODS events live in segment files, and DWD's joined part in two tables. */
export const storedTables: readonly TableDef[] = [
  ...allTables.filter((t) => t !== odsAdEvent && t !== dwdAdEventJoined),
  dwdOnTime,
  dwdLate,
  odsSegmentTable,
  dwdSegmentTable,
  compactionTable,
];

/** The views over stored tables: DWD's joined part first, as DWD's view reads it. */
export const viewsSql: readonly string[] = [
  createUnionViewSql(dwdAdEventJoined.name, [dwdOnTime, dwdLate]),
  ...allViews.map((v) => createUnionViewSql(v.name, v.unionOf)),
];
