import { additiveColumns, billedColumn, billedSql, countedColumns, countedSql } from '../catalogue/metrics.ts';
import { dwaDimensionColumns } from '../layers/dwa.ts';

/**
 * Offline recomputation of the DWA minute cube from ODS alone (DuckDB SQL), with the same semantics the stream
 * engine implements incrementally: first copy of each id wins, follow events join a request with
 * request time <= event time <= request time + window, enrichment from the dimension tables.
 * `joinWindowMs` = null joins without a window (the "offline truth" for accuracy).
 */
export function offlineDwaSql(joinWindowMs: number | null): string {
  const window =
    joinWindowMs === null ? '' : ` AND f.event_time <= r.ts + to_milliseconds(${Math.trunc(joinWindowMs)})`;
  const dims = dwaDimensionColumns.join(', ');
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
  WHERE q.event_type = 'request'
),
facts AS (
  SELECT ts AS t, ${dims}, 'request' AS event_type, filled, 0::BIGINT AS ${billedColumn}
  FROM req
  UNION ALL
  SELECT f.event_time, ${dwaDimensionColumns.map((c) => `r.${c}`).join(', ')}, f.event_type, r.filled, ${billedSql('f.event_type', 'r.billing', 'r.bid_micros')}
  FROM firsts f
  LEFT JOIN req r ON r.request_id = (f.raw->>'request_id') AND f.event_time >= r.ts${window}
  WHERE f.event_type <> 'request'
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

/** The engine's DWA folded to one row per cell (deltas summed, empty cells dropped), for comparison. */
export function foldedDwaSql(): string {
  const dims = dwaDimensionColumns.join(', ');
  const sums = additiveColumns.map((c) => `sum(${c})::BIGINT AS ${c}`).join(', ');
  const nonZero = additiveColumns.map((c) => `sum(${c}) <> 0`).join(' OR ');
  return `SELECT minute, ${dims}, ${sums} FROM dwa_ad_minute GROUP BY ALL HAVING ${nonZero}`;
}
