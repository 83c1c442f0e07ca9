import { additiveColumns, billedColumn, billedSql, countedColumns, countedSql } from '../catalogue/metrics.ts';
import { dwaAdMinute, dwaDimensionColumns } from '../layers/dwa.ts';
import { dwdAdEventJoined } from '../layers/dwd.ts';
import { odsCoverageTable } from '../layers/meta.ts';
import { odsAdEvent } from '../layers/ods.ts';

/**
 * Offline recomputation of the DWA minute cube from ODS alone (DuckDB SQL), with the same semantics the stream
 * engine implements incrementally: first copy of each id wins, follow events join a request with
 * request time <= event time <= request time + window, enrichment from the dimension tables.
 * `joinWindowMs` = null joins without a window (the "offline truth" for accuracy).
 * `since` (a SQL TIMESTAMP expression, never NULL; null for no bound) limits the cube to events at or after it:
 * what ODS still holds whole (`odsCoveredSinceSql`). A follow event there may belong to a request from before it,
 * which ODS no longer holds: such requests, and only those, are read from DWD, where the engine keeps every request
 * with its attributes.
 */
export function offlineDwaSql(joinWindowMs: number | null, since: string | null = null): string {
  const window =
    joinWindowMs === null ? '' : ` AND f.event_time <= r.ts + to_milliseconds(${Math.trunc(joinWindowMs)})`;
  const dims = dwaDimensionColumns.join(', ');
  // What facts read from a request besides its dimensions (DWD's names for them).
  const requestFactColumns = ['filled', 'billing', 'bid_micros'];
  const inPeriod = (t: string) => (since === null ? 'TRUE' : `${t} >= ${since}`);
  const beforePeriod = since === null ? 'FALSE' : `event_time < ${since}`;
  // Facts are shaped like DWD (one row per event with its type, its request's `filled`, what it bills), summed as DWD
  // is.
  const sums = [
    ...countedColumns.map((c) => `sum(${countedSql(c)})::BIGINT AS ${c.column}`),
    `sum(${billedColumn})::BIGINT AS ${billedColumn}`,
  ].join(', ');
  return `
WITH ${firstsCte()},
req AS (
  SELECT q.event_id AS request_id, q.event_time AS ts,
    q.raw->>'os' AS os, q.raw->>'device_type' AS device_type, q.raw->>'region' AS region,
    CAST(q.raw->>'slot_id' AS INTEGER) AS slot_id, CAST(q.raw->>'filled' AS BOOLEAN) AS filled,
    CAST(q.raw->>'ad_id' AS INTEGER) AS ad_id,
    CAST(round(coalesce(CAST(q.raw->>'bid_price' AS DOUBLE), 0) * 1e6) AS BIGINT) AS bid_micros,
    a.campaign_id, c.advertiser_id, c.billing
  FROM firsts q
  LEFT JOIN dim_ad a ON a.ad_id = CAST(q.raw->>'ad_id' AS INTEGER)
  LEFT JOIN dim_campaign c ON c.campaign_id = a.campaign_id
  WHERE q.event_type = 'request' AND ${inPeriod('q.event_time')}
  UNION ALL BY NAME
  SELECT request_id, event_time AS ts, ${[...dwaDimensionColumns, ...requestFactColumns].join(', ')}
  FROM ${dwdAdEventJoined.name} WHERE event_type = 'request' AND ${beforePeriod}
    AND request_id IN (SELECT raw->>'request_id' FROM firsts WHERE event_type <> 'request' AND ${inPeriod('event_time')})
),
facts AS (
  SELECT ts AS t, ${dims}, 'request' AS event_type, filled, 0::BIGINT AS ${billedColumn}
  FROM req WHERE ${inPeriod('ts')}
  UNION ALL
  SELECT f.event_time, ${dwaDimensionColumns.map((c) => `r.${c}`).join(', ')}, f.event_type, r.filled, ${billedSql('f.event_type', 'r.billing', 'r.bid_micros')}
  FROM firsts f
  LEFT JOIN req r ON r.request_id = (f.raw->>'request_id') AND f.event_time >= r.ts${window}
  WHERE f.event_type <> 'request' AND ${inPeriod('f.event_time')}
)
SELECT date_trunc('minute', t) AS minute, ${dims}, ${sums}
FROM facts GROUP BY ALL`;
}

/** `firsts`: ODS with duplicates folded (the first copy of each id wins), as the engine's dedup does. */
export function firstsCte(): string {
  return `firsts AS (
  SELECT * FROM ods_ad_event
  QUALIFY row_number() OVER (PARTITION BY event_type = 'request', event_id ORDER BY source, seq) = 1
)`;
}

/**
 * The engine's DWA folded to one row per cell (deltas summed, empty cells dropped), for comparison; from `since` on
 * when given (a SQL TIMESTAMP expression, as for `offlineDwaSql`).
 */
export function foldedDwaSql(since: string | null = null): string {
  const dims = dwaDimensionColumns.join(', ');
  const sums = additiveColumns.map((c) => `sum(${c})::BIGINT AS ${c}`).join(', ');
  const nonZero = additiveColumns.map((c) => `sum(${c}) <> 0`).join(' OR ');
  const where = since === null ? '' : ` WHERE minute >= ${since}`;
  return `SELECT minute, ${dims}, ${sums} FROM ${dwaAdMinute.name}${where} GROUP BY ALL HAVING ${nonZero}`;
}

/**
 * The first moment ODS still holds whole, as one SQL TIMESTAMP (-infinity: ODS is empty and never lost a day). It is
 * the retention cut-off housekeeping last applied, where ODS lost every earlier day; or ODS's first day when that is
 * later (days without traffic lose nothing) or when no cut-off was recorded (warehouses older than the record). The
 * first day alone would not do: a record arriving late, after its day was dropped, brings that day back in part.
 */
export const odsCoveredSinceSql = `(SELECT coalesce(greatest((SELECT max(since_day) FROM ${odsCoverageTable.name}), (SELECT min(day) FROM ${odsAdEvent.name}))::TIMESTAMP, '-infinity'::TIMESTAMP))`;
