import { dimensionKeys, type InputRecord, requestColumns } from './schema.ts';

/**
 * A validated record as the scale-out engine (Flink) reads it: one flat JSON object per record, with the fields
 * below and nothing else. The embedded engine's ingest stages validate, keep ODS and compute lateness; what they
 * accept goes on in this shape, so both engines start from the same records.
 */
export const streamFields = [
  ['kind', 'VARCHAR', "'request', a follow type, or 'dim'"],
  ['id', 'VARCHAR', 'request_id of a request, event_id of a follow event'],
  ['request_id', 'VARCHAR', 'the request a follow event names (and a request its own id)'],
  ['ts', 'BIGINT', 'event time, ms since the epoch'],
  ['user_id', 'VARCHAR', ''],
  ['os', 'VARCHAR', ''],
  ['device_type', 'VARCHAR', ''],
  ['region', 'VARCHAR', ''],
  ['slot_id', 'INTEGER', ''],
  ['filled', 'BOOLEAN', ''],
  ['ad_id', 'INTEGER', ''],
  ['bid_micros', 'BIGINT', ''],
  ['late', 'BOOLEAN', 'arrived after the allowed lateness (as the embedded watermark saw it)'],
  ['dim_table', 'VARCHAR', 'a dimension change: its table (advertiser, campaign, ad, slot)'],
  ['dim_op', 'VARCHAR', "'upsert' or 'delete'"],
  ['dim_key', 'BIGINT', 'the changed row key'],
  ['dim_row', 'VARCHAR', 'the upserted row, as JSON text'],
] as const;

/** A field of a stream record. */
export type StreamField = (typeof streamFields)[number][0];

/** The stream record of a validated record and its lateness. */
export function streamRecord(
  r: InputRecord,
  late: boolean,
): Partial<Record<StreamField, string | number | boolean | null>> {
  switch (r.kind) {
    case 'request':
      return { kind: 'request', id: r.id, request_id: r.id, ts: r.ts, ...requestColumns(r), late };
    case 'dim':
      return r.op === 'delete'
        ? { kind: 'dim', dim_table: r.table, dim_op: 'delete', dim_key: r.key }
        : {
            kind: 'dim',
            dim_table: r.table,
            dim_op: 'upsert',
            dim_key: (r.row as unknown as Record<string, number>)[dimensionKeys[r.table]] as number,
            dim_row: JSON.stringify(r.row),
          };
    default:
      return { kind: r.kind, id: r.id, request_id: r.requestId, ts: r.ts, late };
  }
}
