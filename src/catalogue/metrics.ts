/**
 * The metric catalogue, written once. Additive metrics are stored as columns in DWA and APP;
 * ratios are derived from additive ones at query time; `unique_users` needs the DWD detail.
 * `sql` is an expression over summed columns (aliased by their own names) in the query layer.
 */
export const additiveColumns = [
  'requests',
  'fills',
  'exposures',
  'viewable_exposures',
  'clicks',
  'spend_nanos',
] as const;
export type AdditiveColumn = (typeof additiveColumns)[number];

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
    sql: 'approx_count_distinct(user_id)',
    format: 'int',
    doc: 'approximate distinct users among requests (HyperLogLog over DWD)',
  },
] as const;

export type MetricName = (typeof metrics)[number]['name'];
export const metricNames: readonly MetricName[] = metrics.map((m) => m.name);

export function isMetricName(name: string): name is MetricName {
  return (metricNames as readonly string[]).includes(name);
}
