import { col, type TableDef } from './table.ts';

/**
 * The running counters every checkpoint commits, in column order: the engine's name and the column's.
 * `recordsIn = accepted + deadLettered` always.
 */
export const checkpointCounters = [
  { name: 'recordsIn', column: 'records_in' },
  { name: 'accepted', column: 'accepted' },
  { name: 'deadLettered', column: 'dead_lettered' },
  { name: 'duplicates', column: 'duplicates' },
  { name: 'late', column: 'late' },
] as const;
export type CounterName = (typeof checkpointCounters)[number]['name'];
export type CounterColumn = (typeof checkpointCounters)[number]['column'];
/** The counters' running totals, by engine name. */
export type Counters = Record<CounterName, number>;

/** All counters at zero. */
export function emptyCounters(): Counters {
  return Object.fromEntries(checkpointCounters.map((c) => [c.name, 0])) as Counters;
}

/** The engine's checkpoints: one row per source, rewritten in the same transaction as the data it covers. */
export const checkpointTable: TableDef = {
  name: 'adw_checkpoint',
  layer: 'meta',
  doc: 'last committed checkpoint per source: position, event-time progress and counters',
  key: ['source'],
  columns: [
    col('source', 'VARCHAR'),
    col('epoch', 'BIGINT'),
    col('position', 'VARCHAR', 'source position up to which everything is committed'),
    col('fingerprint', 'VARCHAR', 'identifies the input, to refuse resuming on another one'),
    col('max_event_ms', 'BIGINT', 'highest event time seen: the watermark is derived from it'),
    col(
      'flushed_until_ms',
      'BIGINT',
      'end of input reached here: follow events up to this time stopped waiting for their request',
    ),
    ...checkpointCounters.map((c) => col(c.column, 'BIGINT')),
    col('committed_at', 'TIMESTAMP'),
    col('watermark_ms', 'BIGINT', "event-time watermark at the checkpoint (the slowest split's), restored on restart"),
  ],
};

/**
 * How far back ODS is whole: the first day it still holds every accepted event of. Housekeeping raises it in the
 * transaction that drops the days before it (ODS retention), so readers compare only what ODS still covers.
 */
export const odsCoverageTable: TableDef = {
  name: 'adw_ods_coverage',
  layer: 'meta',
  doc: 'one row: the retention cut-off housekeeping last applied to ODS (every earlier day was dropped)',
  columns: [col('since_day', 'DATE', 'ODS holds every accepted event with an event-time day on or after this one')],
};

/**
 * Up to where APP rows carry their periods' distinct-user sketches (in the datasets that hold users at all). A
 * checkpoint's APP deltas leave them out: a period gets its users from DWA once, when housekeeping finds it settled,
 * and only a late delta into such a period carries its own. Readers take the users of the periods from the mark's on
 * from DWA. Every request's entry copied into ten datasets at each checkpoint had cost 4 - 12% of the process's CPU
 * per event in adw bench (2026-12-07).
 */
export const appSketchMarkTable: TableDef = {
  name: 'adw_app_sketches',
  layer: 'meta',
  doc: 'one row: APP rows carry the user sketches of every period that ended before this event time',
  columns: [col('sketched_until_ms', 'BIGINT')],
};
