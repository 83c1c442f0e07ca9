import { deviceTypes, osValues } from '../events/schema.ts';
import { closed, col, raw, type TableDef } from './table.ts';

/** The event's own columns, first in every DWD row. */
const eventColumns = [
  raw(col('event_id', 'VARCHAR')),
  col('event_type', 'VARCHAR'),
  raw(col('request_id', 'VARCHAR')),
  col('event_time', 'TIMESTAMP'),
];

/**
 * The request's attributes, enriched as of processing time: a follow event carries a copy of its request's (empty
 * when unmatched), so DWD answers by any dimension without a join.
 */
export const dwdRequestColumns = [
  raw(col('user_id', 'VARCHAR')),
  closed(col('os', 'VARCHAR'), osValues),
  closed(col('device_type', 'VARCHAR'), deviceTypes),
  col('region', 'VARCHAR'),
  col('slot_id', 'INTEGER'),
  col('ad_id', 'INTEGER'),
  col('campaign_id', 'INTEGER'),
  col('advertiser_id', 'INTEGER'),
  col('billing', 'VARCHAR'),
  col('filled', 'BOOLEAN'),
  col('bid_micros', 'BIGINT'),
] as const;

/** A request attribute column of DWD. */
export type DwdRequestColumn = (typeof dwdRequestColumns)[number]['name'];

/** What the join made of the event, last in every DWD row. */
const outcomeColumns = [
  col('spend_nanos', 'BIGINT', 'amount billed for this event, in 1e-9 currency units'),
  col('join_status', 'VARCHAR', "'request', 'matched' or 'unmatched'"),
  col('join_delay_ms', 'BIGINT', 'event time minus request time, for matched events'),
  col('late', 'BOOLEAN', 'arrived after the allowed lateness'),
];

/** What identifies a DWD row: one row per distinct event, whichever versions the join made of it. */
export const dwdEventKey = ['event_id', 'event_type'] as const;

/** Every DWD column in row order: the event, its request's attributes, the join's outcome. */
const columns = [...eventColumns, ...dwdRequestColumns, ...outcomeColumns];

/** DWD's column declarations by name, for tables that share DWD's columns. */
export const dwdColumnsByName = Object.fromEntries(columns.map((c) => [c.name, c])) as {
  [C in (typeof columns)[number] as C['name']]: C;
};

/**
 * DWD, settled part: requests and the follow events joined to them. Append-only, so it stays cheap to load
 * (and suits a duplicate-key table in StarRocks).
 */
export const dwdAdEventJoined: TableDef = {
  name: 'dwd_ad_event_joined',
  layer: 'dwd',
  doc: 'requests and the follow events joined to them, with the attributes of their request',
  columns,
};

/**
 * DWD, open part: follow events with no request in their window (yet). Small; a row moves to the joined table
 * when its request comes late after all, so corrections never rewrite the large table.
 */
export const dwdAdEventUnmatched: TableDef = {
  name: 'dwd_ad_event_unmatched',
  layer: 'dwd',
  doc: 'follow events without their request (request attributes empty); corrected rows move to the joined table',
  columns,
};

/** DWD as readers see it: one row per distinct event, the union of the two parts. */
export const dwdAdEvent = { name: 'dwd_ad_event', unionOf: [dwdAdEventJoined, dwdAdEventUnmatched] } as const;
