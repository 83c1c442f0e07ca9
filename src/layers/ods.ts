import { col, raw, type TableDef } from './table.ts';

/** ODS: records exactly as received, day-partitioned by event time, kept for a retention period. */
export const odsAdEvent: TableDef = {
  name: 'ods_ad_event',
  layer: 'ods',
  doc: 'accepted ad events as received (duplicates included), with their source position',
  partitionBy: 'day',
  columns: [
    col('day', 'DATE', 'event-time day (UTC): the partition'),
    col('source', 'VARCHAR', 'where the record came from'),
    col('seq', 'BIGINT', 'source position of the record (byte offset or offset)'),
    col('event_type', 'VARCHAR'),
    raw(col('event_id', 'VARCHAR', 'request_id for requests, event_id otherwise')),
    col('event_time', 'TIMESTAMP'),
    raw(col('raw', 'VARCHAR', 'the record as received (JSON)')),
  ],
};

/** ODS: dimension changes as received (snapshot rows and later changes). */
export const odsDimChange: TableDef = {
  name: 'ods_dim_change',
  layer: 'ods',
  doc: 'dimension changes as received',
  columns: [
    col('source', 'VARCHAR'),
    col('seq', 'BIGINT'),
    col('table_name', 'VARCHAR'),
    col('op', 'VARCHAR'),
    col('key', 'BIGINT'),
    col('raw', 'VARCHAR'),
  ],
};

/** Dead letters: every rejected record, with why, and its payload. */
export const odsDeadLetter: TableDef = {
  name: 'ods_dead_letter',
  layer: 'ods',
  doc: 'records that failed validation, kept with the reason',
  columns: [
    col('source', 'VARCHAR'),
    col('seq', 'BIGINT'),
    col('reason', 'VARCHAR', 'stable reason code (see deadLetterReasons)'),
    col('error', 'VARCHAR'),
    col('payload', 'VARCHAR', 'the record as received, cut at 1 MiB'),
    col('payload_bytes', 'BIGINT', 'full size of the record'),
  ],
};

export const odsTables = [odsAdEvent, odsDimChange, odsDeadLetter] as const;
