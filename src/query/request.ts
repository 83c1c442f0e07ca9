import { granularities, isDimensionName, type DimensionName, type Granularity } from '../catalogue/dimensions.ts';
import { isMetricName, metricNames, type MetricName } from '../catalogue/metrics.ts';
import { errors } from '../errors.ts';

/** A query in catalogue terms: never SQL. Times are ms since the epoch, `to` exclusive. */
export interface QueryRequest {
  metrics: MetricName[];
  by: DimensionName[];
  /** Group by time at this granularity; omitted: one total over the range. */
  granularity?: Granularity;
  from?: number;
  to?: number;
  filters?: Partial<Record<DimensionName, (string | number)[]>>;
  /** A metric or dimension name (or "time"), descending unless `orderDir` says otherwise. */
  orderBy?: string;
  orderDir?: 'asc' | 'desc';
  limit?: number;
  /** Add display names next to ids (advertiser_name, ...). */
  names?: boolean;
}

export const MAX_LIMIT = 100_000;
const MAX_FILTER_VALUES = 1000;

/** Checks a request against the catalogue; user mistakes become ADW errors with a 4xx status. */
export function validateQuery(q: QueryRequest): QueryRequest {
  if (!Array.isArray(q.metrics) || q.metrics.length === 0) throw errors.badQuery(`name at least one metric (${metricNames.join(', ')})`);
  for (const m of q.metrics) if (!isMetricName(m)) throw errors.unknownMetric(String(m));
  for (const d of q.by ?? []) if (!isDimensionName(d)) throw errors.unknownDimension(String(d));
  if (q.granularity !== undefined && !(granularities as readonly string[]).includes(q.granularity)) throw errors.badQuery(`granularity must be one of ${granularities.join(', ')}`);
  for (const [k, vals] of Object.entries(q.filters ?? {})) {
    if (!isDimensionName(k)) throw errors.unknownDimension(k);
    if (!Array.isArray(vals) || vals.length === 0) throw errors.badQuery(`filter ${k} needs a non-empty list of values`);
    if (vals.length > MAX_FILTER_VALUES) throw errors.queryTooLarge(`filter ${k} has more than ${MAX_FILTER_VALUES} values`);
  }
  for (const t of [q.from, q.to]) if (t !== undefined && !Number.isFinite(t)) throw errors.badRange('times must be valid dates');
  if (q.from !== undefined && q.to !== undefined && q.from >= q.to) throw errors.badRange('"from" must be before "to"');
  if (q.limit !== undefined && (!Number.isSafeInteger(q.limit) || q.limit < 1)) throw errors.badQuery('limit must be a positive integer');
  if (q.limit !== undefined && q.limit > MAX_LIMIT) throw errors.queryTooLarge(`limit is at most ${MAX_LIMIT}`);
  const orderable = ['time', ...q.metrics, ...(q.by ?? [])];
  if (q.orderBy !== undefined && !orderable.includes(q.orderBy)) throw errors.badQuery(`orderBy must be one of ${orderable.join(', ')}`);
  return { ...q, by: q.by ?? [] };
}

/** Parses a time given as ISO 8601 or ms since the epoch. */
export function parseTime(s: string, option: string): number {
  const n = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(n)) throw errors.badRange(`${option} "${s}" is not a date (use ISO 8601, e.g. 2026-01-01T00:00:00Z)`);
  return n;
}

