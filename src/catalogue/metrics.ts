import type { BillingType, EventType } from '../events/schema.ts';

/**
 * The metric catalogue, written once. Additive metrics are stored as columns in DWA and APP;
 * ratios are derived from additive ones at query time; `unique_users` is estimated from the user sketches DWA and APP
 * carry (src/catalogue/user-sketch.ts).
 * `sql` is an expression over summed columns (aliased by their own names) in the query layer.
 */

/** The additive columns that count DWD events: of one event type each (fills: only requests that were filled). */
export const countedColumns = [
  { column: 'requests', eventType: 'request', filledOnly: false },
  { column: 'fills', eventType: 'request', filledOnly: true },
  { column: 'exposures', eventType: 'exposure', filledOnly: false },
  { column: 'viewable_exposures', eventType: 'viewable', filledOnly: false },
  { column: 'clicks', eventType: 'click', filledOnly: false },
] as const satisfies readonly { column: string; eventType: EventType; filledOnly: boolean }[];
export type CountedColumn = (typeof countedColumns)[number]['column'];

/** SQL that is 1 where a row shaped like DWD (`event_type`, `filled`) counts towards a counted column, else 0. */
export function countedSql(c: (typeof countedColumns)[number]): string {
  return `CASE WHEN event_type = '${c.eventType}'${c.filledOnly ? ' AND filled' : ''} THEN 1 ELSE 0 END`;
}

/** The additive column that sums what follow events bill (see `billing`), in 1e-9 currency units. */
export const billedColumn = 'spend_nanos';

/**
 * What each billing type pays for: CPM campaigns per exposure, CPC campaigns per click, at the price fixed when
 * the ad was served (in micros; CPM per 1000 exposures, so micros per 1000 are nanos per exposure).
 */
export const billing = {
  CPM: { eventType: 'exposure', nanosPerBidMicro: 1 },
  CPC: { eventType: 'click', nanosPerBidMicro: 1000 },
} as const satisfies Record<BillingType, { eventType: EventType; nanosPerBidMicro: number }>;

/** SQL for what a follow event bills under `billing`, from the columns named (0 when nothing). */
export function billedSql(eventType: string, billingType: string, bidMicros: string): string {
  const cases = Object.entries(billing).map(
    ([type, b]) =>
      `WHEN ${eventType} = '${b.eventType}' AND ${billingType} = '${type}' THEN ${bidMicros} * ${b.nanosPerBidMicro}`,
  );
  return `CASE ${cases.join(' ')} ELSE 0 END`;
}

/** Every additive column, in the order DWA and APP store them. */
export const additiveColumns: readonly AdditiveColumn[] = [...countedColumns.map((c) => c.column), billedColumn];
export type AdditiveColumn = CountedColumn | typeof billedColumn;

/** Where an event of `type` counts among `additiveColumns` (a request's `filled` decides whether fills count it). */
export function countedIndexes(type: EventType, filled: boolean): number[] {
  return countedColumns.flatMap((c) =>
    c.eventType === type && (filled || !c.filledOnly) ? [additiveColumns.indexOf(c.column)] : [],
  );
}

export const metrics = [
  {
    name: 'requests',
    label: 'Requests',
    kind: 'additive',
    sql: 'requests',
    format: 'int',
    doc: 'ad requests received (deduplicated)',
  },
  { name: 'fills', label: 'Fills', kind: 'additive', sql: 'fills', format: 'int', doc: 'requests answered with an ad' },
  {
    name: 'fill_rate',
    label: 'Fill rate',
    kind: 'ratio',
    sql: 'fills / nullif(requests, 0)',
    format: 'pct',
    doc: 'fills / requests',
  },
  {
    name: 'exposures',
    label: 'Exposures',
    kind: 'additive',
    sql: 'exposures',
    format: 'int',
    doc: 'impressions rendered (deduplicated)',
  },
  {
    name: 'viewable_exposures',
    label: 'Viewable exposures',
    kind: 'additive',
    sql: 'viewable_exposures',
    format: 'int',
    doc: 'MRC viewable: at least 50% of pixels in view for at least 1 s',
  },
  {
    name: 'viewability_rate',
    label: 'Viewability',
    kind: 'ratio',
    sql: 'viewable_exposures / nullif(exposures, 0)',
    format: 'pct',
    doc: 'viewable exposures / exposures',
  },
  { name: 'clicks', label: 'Clicks', kind: 'additive', sql: 'clicks', format: 'int', doc: 'clicks (deduplicated)' },
  {
    name: 'ctr',
    label: 'CTR',
    kind: 'ratio',
    sql: 'clicks / nullif(exposures, 0)',
    format: 'pct',
    doc: 'clicks / exposures',
  },
  {
    name: 'spend',
    label: 'Spend',
    kind: 'additive',
    sql: 'spend_nanos / 1e9',
    format: 'money',
    doc: 'billed amount: CPM campaigns per exposure, CPC campaigns per click, at the price fixed when the ad was served',
  },
  {
    name: 'ecpm',
    label: 'eCPM',
    kind: 'ratio',
    sql: '(spend_nanos / 1e9) * 1000 / nullif(exposures, 0)',
    format: 'money',
    doc: 'spend per thousand exposures',
  },
  {
    name: 'cpc',
    label: 'CPC',
    kind: 'ratio',
    sql: '(spend_nanos / 1e9) / nullif(clicks, 0)',
    format: 'money',
    doc: 'spend per click',
  },
  {
    name: 'unique_users',
    label: 'Unique users',
    kind: 'distinct',
    sql: 'unique_users',
    format: 'int',
    doc: 'distinct users among requests, estimated by HyperLogLog (within 1%), never more than requests',
  },
] as const;

export type MetricName = (typeof metrics)[number]['name'];
export const metricNames: readonly MetricName[] = metrics.map((m) => m.name);

export function isMetricName(name: string): name is MetricName {
  return (metricNames as readonly string[]).includes(name);
}
