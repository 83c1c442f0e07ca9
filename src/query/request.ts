import {
  dimensions,
  granularities,
  isDimensionName,
  type DimensionName,
  type Granularity,
} from '../catalogue/dimensions.ts';
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
  /** Values as given (text from a URL or the CLI, or JSON); `validateQuery` types them by the catalogue. */
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
/** The largest id an INTEGER dimension column can hold: a larger one can match nothing. */
const MAX_ID = 2 ** 31 - 1;
const MAX_TEXT_VALUE = 256;
/** Times a query may name: from the epoch to the end of year 9999 (what ISO 8601 and SQL timestamps share). */
const MIN_TIME = 0;
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** The fields a query may have; any other is refused. */
export const queryFields: readonly (keyof QueryRequest)[] = [
  'metrics',
  'by',
  'granularity',
  'from',
  'to',
  'filters',
  'orderBy',
  'orderDir',
  'limit',
  'names',
];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown) => JSON.stringify(v)?.slice(0, 80) ?? String(v);

/**
 * One filter value typed by its dimension's catalogue type: whole-number ids (0 to 2^31-1, as digits or a JSON
 * number) for INTEGER dimensions, text for the others. Anything else is refused, never rounded or coerced.
 */
export function filterValue(dim: DimensionName, v: unknown): string | number {
  const type = dimensions.find((d) => d.name === dim)!.type;
  if (type === 'INTEGER') {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,10}$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < 0 || n > MAX_ID)
      throw errors.badQuery(`filter ${dim} takes ids (whole numbers from 0 to ${MAX_ID}), not ${shown(v)}`);
    return n;
  }
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT_VALUE)
    throw errors.badQuery(`filter ${dim} takes text values of 1 to ${MAX_TEXT_VALUE} characters, not ${shown(v)}`);
  return v;
}

/** A time given as ms since the epoch (a number) or as text (see `parseTime`), checked to be one a date can hold. */
function timeOf(v: unknown, option: string): number {
  if (typeof v === 'string') return parseTime(v, option);
  if (typeof v !== 'number' || !Number.isFinite(v) || v < MIN_TIME || v > MAX_TIME)
    throw errors.badRange(`${option} must be a date (ms since the epoch or ISO 8601) between 1970 and 9999`);
  return v;
}

function names(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))
    throw errors.badQuery(`${what} must be a list of names`);
  return v;
}

/** How the fields spelled apart in URL parameters are named where a query came from, for its error messages. */
export interface QuerySpelling {
  orderBy: string;
  orderDir: string;
}

/** A query's fields as JSON names them (a POSTed body, a typed request). */
const jsonSpelling: QuerySpelling = { orderBy: 'orderBy', orderDir: 'orderDir' };

/**
 * Checks a request (typed or straight from JSON) against the catalogue; user mistakes become ADW errors with a 4xx
 * status, naming the fields as `spelling` does.
 */
export function validateQuery(q: unknown, spelling: QuerySpelling = jsonSpelling): QueryRequest {
  if (!isRecord(q))
    throw errors.badQuery(
      'a query is a JSON object with "metrics" and optional "by", "granularity", "from", "to", "filters", "orderBy", "orderDir", "limit", "names"',
    );
  const unknown = Object.keys(q).find((k) => !(queryFields as readonly string[]).includes(k));
  if (unknown !== undefined) throw errors.badQuery(`unknown field "${unknown}" (fields: ${queryFields.join(', ')})`);
  if (q.metrics === undefined || (Array.isArray(q.metrics) && q.metrics.length === 0))
    throw errors.badQuery(`name at least one metric (${metricNames.join(', ')})`);
  const metrics = names(q.metrics, 'metrics');
  for (const m of metrics) if (!isMetricName(m)) throw errors.unknownMetric(m);
  const by = q.by === undefined ? [] : names(q.by, 'by');
  for (const d of by) if (!isDimensionName(d)) throw errors.unknownDimension(d);
  if (q.granularity !== undefined && !(granularities as readonly unknown[]).includes(q.granularity))
    throw errors.badQuery(`granularity must be one of ${granularities.join(', ')}`);
  if (q.filters !== undefined && !isRecord(q.filters))
    throw errors.badQuery('filters must be an object of dimension: [values]');
  const filters: Partial<Record<DimensionName, (string | number)[]>> = {};
  for (const [k, vals] of Object.entries(q.filters ?? {})) {
    if (!isDimensionName(k)) throw errors.unknownDimension(k);
    if (!Array.isArray(vals) || vals.length === 0)
      throw errors.badQuery(`filter ${k} needs a non-empty list of values`);
    if (vals.length > MAX_FILTER_VALUES)
      throw errors.queryTooLarge(`filter ${k} has more than ${MAX_FILTER_VALUES} values`);
    filters[k] = vals.map((v) => filterValue(k, v));
  }
  const from = q.from === undefined ? undefined : timeOf(q.from, 'from');
  const to = q.to === undefined ? undefined : timeOf(q.to, 'to');
  if (from !== undefined && to !== undefined && from >= to) throw errors.badRange('"from" must be before "to"');
  if (q.limit !== undefined && (typeof q.limit !== 'number' || !Number.isSafeInteger(q.limit) || q.limit < 1))
    throw errors.badQuery('limit must be a positive integer');
  if (q.limit !== undefined && q.limit > MAX_LIMIT) throw errors.queryTooLarge(`limit is at most ${MAX_LIMIT}`);
  const orderable = ['time', ...metrics, ...by];
  if (q.orderBy !== undefined && (typeof q.orderBy !== 'string' || !orderable.includes(q.orderBy)))
    throw errors.badQuery(`${spelling.orderBy} must be one of ${orderable.join(', ')}`);
  if (q.orderDir !== undefined && q.orderDir !== 'asc' && q.orderDir !== 'desc')
    throw errors.badQuery(`${spelling.orderDir} must be asc or desc`);
  if (q.names !== undefined && typeof q.names !== 'boolean') throw errors.badQuery('names must be true or false');
  return {
    metrics: metrics as MetricName[],
    by: by as DimensionName[],
    ...(q.granularity !== undefined ? { granularity: q.granularity as Granularity } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    filters,
    ...(q.orderBy !== undefined ? { orderBy: q.orderBy as string } : {}),
    ...(q.orderDir !== undefined ? { orderDir: q.orderDir } : {}),
    ...(q.limit !== undefined ? { limit: q.limit } : {}),
    ...(q.names !== undefined ? { names: q.names } : {}),
  };
}

/**
 * The same question in one wording: filters by dimension name, each filter's values sorted and once (a filter is a
 * set). Metrics and dimensions keep their order: it is the answer's column order, and the first metric is the
 * default sort. (Left-out defaults need nothing: they compile to the same statement as the values spelled out.)
 */
export function canonicalQuery(q: QueryRequest): QueryRequest {
  const filters: Partial<Record<DimensionName, (string | number)[]>> = {};
  for (const dim of (Object.keys(q.filters ?? {}) as DimensionName[]).sort()) {
    const values = [...new Set(q.filters![dim])];
    filters[dim] = values.sort((a, b) =>
      typeof a === 'number' && typeof b === 'number'
        ? a - b
        : String(a) < String(b)
          ? -1
          : String(a) > String(b)
            ? 1
            : 0,
    );
  }
  return { ...q, filters };
}

/** ISO 8601 dates and date-times that `parseTime` takes; a date-time without a zone is UTC. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/** Whether the YYYY-MM-DD a text starts with is a day of the calendar (Date.parse takes 2026-02-30 as March 2). */
function realDay(s: string): boolean {
  const [y, m, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/**
 * Parses a time given as ms since the epoch or as an ISO 8601 date or date-time, between 1970 and the end of 9999.
 * Only those forms: JavaScript's own date parsing would turn text such as "x 1" into a date in 2001.
 */
export function parseTime(s: string, option: string): number {
  const iso = ISO_TIME.exec(s);
  const n = /^\d{1,16}$/.test(s)
    ? Number(s)
    : iso && realDay(s)
      ? Date.parse(iso[1] === undefined && s.length > 10 ? `${s}Z` : s)
      : NaN;
  if (!Number.isFinite(n))
    throw errors.badRange(
      `${option} "${s.slice(0, 80)}" is not a date (use ISO 8601, e.g. 2026-01-01T00:00:00Z, or ms since the epoch)`,
    );
  if (n < MIN_TIME || n > MAX_TIME) throw errors.badRange(`${option} "${s.slice(0, 80)}" is not between 1970 and 9999`);
  return n;
}
