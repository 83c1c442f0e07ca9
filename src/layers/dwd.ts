import { col, raw, type TableDef } from './table.ts';

/** DWD: deduplicated, joined and enriched detail, one row per distinct event. */
export const dwdAdEvent: TableDef = {
  name: 'dwd_ad_event',
  layer: 'dwd',
  doc: 'one row per distinct event; follow events carry the attributes of the request they joined',
  columns: [
    raw(col('event_id', 'VARCHAR')),
    col('event_type', 'VARCHAR'),
    raw(col('request_id', 'VARCHAR')),
    col('event_time', 'TIMESTAMP'),
    raw(col('user_id', 'VARCHAR')),
    col('os', 'VARCHAR'),
    col('device_type', 'VARCHAR'),
    col('region', 'VARCHAR'),
    col('slot_id', 'INTEGER'),
    col('ad_id', 'INTEGER'),
    col('campaign_id', 'INTEGER'),
    col('advertiser_id', 'INTEGER'),
    col('billing', 'VARCHAR'),
    col('filled', 'BOOLEAN'),
    col('bid_micros', 'BIGINT'),
    col('spend_nanos', 'BIGINT', 'amount billed for this event, in 1e-9 currency units'),
    col('join_status', 'VARCHAR', "'request', 'matched' or 'unmatched'"),
    col('join_delay_ms', 'BIGINT', 'event time minus request time, for matched events'),
    col('late', 'BOOLEAN', 'arrived after the allowed lateness'),
  ],
};

/** The DWD columns in CSV order, as the engine writes them (event_time travels as epoch ms). */
export const dwdColumns = dwdAdEvent.columns.map((c) => c.name);
