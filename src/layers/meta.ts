import { col, type TableDef } from './table.ts';

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
    col('records_in', 'BIGINT'),
    col('accepted', 'BIGINT'),
    col('dead_lettered', 'BIGINT'),
    col('duplicates', 'BIGINT'),
    col('late', 'BIGINT'),
    col('committed_at', 'TIMESTAMP'),
    col('watermark_ms', 'BIGINT', "event-time watermark at the checkpoint (the slowest split's), restored on restart"),
  ],
};
