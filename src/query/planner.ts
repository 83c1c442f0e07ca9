import { dimensions } from '../catalogue/dimensions.ts';
import { additiveColumns, type AdditiveColumn, metrics } from '../catalogue/metrics.ts';
import { sketchColumn, sketchEstimateSql, sketchUnionSql } from '../catalogue/user-sketch.ts';
import { type AppDataset, appDatasets, appRowsWithUsersSql, coarsestFirst, covers, grainMs } from '../layers/app.ts';
import { dwaAdMinute } from '../layers/dwa.ts';
import type { Param, QueryStore } from '../warehouse/warehouse.ts';
import { type Freshness, freshness } from './freshness.ts';
import { canonicalQuery, type QueryRequest, type QuerySpelling, validateQuery } from './request.ts';

/** Which table answers and its time column. */
interface Plan {
  table: string;
  timeColumn: string;
  /** The APP dataset that answers, if one does. */
  dataset?: AppDataset;
}

/** Any additive column's name as a word in a metric's SQL. */
const additiveColumnWord = new RegExp(`\\b(${additiveColumns.join('|')})\\b`, 'g');

/**
 * Chooses the coarsest layer that can answer: an APP dataset when its grain and dimensions cover the request,
 * else the DWA minute cube. Distinct users come from sketches in both (an APP dataset's partly from its hourly
 * dataset and DWA, see `appRowsWithUsersSql`), so they need no detail either.
 */
export function plan(q: QueryRequest): Plan {
  const used = new Set<string>([...q.by, ...Object.keys(q.filters ?? {})]);
  const aligned = (grainMs: number) =>
    (q.from === undefined || q.from % grainMs === 0) && (q.to === undefined || q.to % grainMs === 0);
  const candidates = appDatasets
    .filter((d) => covers(d, used, q.granularity))
    .filter((d) => aligned(grainMs[d.grain]))
    .sort(coarsestFirst);
  const best = candidates[0];
  if (best) return { table: best.table.name, timeColumn: 'period', dataset: best };
  return { table: dwaAdMinute.name, timeColumn: 'minute' };
}

/**
 * The SQL and parameters for a validated request: portable between DuckDB and StarRocks but for `unique_users`,
 * whose sketch functions are DuckDB's (list lambdas).
 */
export function compile(q: QueryRequest, p: Plan): { sql: string; params: Param[]; columns: string[] } {
  const params: Param[] = [];
  const where: string[] = [];
  if (q.from !== undefined) {
    where.push(`${p.timeColumn} >= ?`);
    params.push(new Date(q.from).toISOString());
  }
  if (q.to !== undefined) {
    where.push(`${p.timeColumn} < ?`);
    params.push(new Date(q.to).toISOString());
  }
  for (const [dim, values] of Object.entries(q.filters ?? {})) {
    where.push(`${dim} IN (${values!.map(() => '?').join(', ')})`);
    params.push(...values!.map((v) => (typeof v === 'number' ? v : String(v))));
  }
  const groups: string[] = [];
  if (q.granularity) groups.push(`date_trunc('${q.granularity}', ${p.timeColumn}) AS time`);
  groups.push(...q.by);
  const inner = [
    ...groups,
    // An empty selection sums to 0, not NULL: no exposures is a count, not an unknown.
    ...additiveColumns.map((c) => `coalesce(sum(${c}), 0) AS ${c}`),
    // The union of the slice's sketches, estimated, never above the slice's requests.
    ...(q.metrics.includes('unique_users')
      ? [
          `${sketchEstimateSql(sketchUnionSql(sketchColumn), `coalesce(sum(${'requests' satisfies AdditiveColumn}), 0)`)} AS unique_users`,
        ]
      : []),
  ];
  // A dataset's rows leave some periods' users to DWA: read with them.
  const source =
    p.dataset && q.metrics.includes('unique_users') ? appRowsWithUsersSql(p.dataset, q.from, q.to) : p.table;
  const innerSql = `SELECT ${inner.join(', ')} FROM ${source}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}${groups.length ? ` GROUP BY ${groups.map((_, i) => i + 1).join(', ')}` : ''}`;
  const outer: string[] = [];
  if (q.granularity) outer.push('t.time AS time');
  outer.push(...q.by.map((d) => `t.${d} AS ${d}`));
  const joins: string[] = [];
  if (q.names) {
    for (const d of q.by) {
      const def = dimensions.find((x) => x.name === d)!;
      if (!def.nameFrom) continue;
      const alias = `n_${d}`;
      joins.push(`LEFT JOIN ${def.nameFrom.table} ${alias} ON ${alias}.${def.nameFrom.key} = t.${d}`);
      outer.push(`${alias}.name AS ${d.replace(/_id$/, '')}_name`);
    }
  }
  for (const m of q.metrics) {
    const def = metrics.find((x) => x.name === m)!;
    const expr = m === 'unique_users' ? 't.unique_users' : def.sql.replace(additiveColumnWord, 'CAST(t.$1 AS DOUBLE)');
    outer.push(`${expr} AS ${m}`);
  }
  const order = q.orderBy ?? (q.granularity ? 'time' : q.metrics[0]);
  const dir = q.orderDir ?? (order === 'time' ? 'asc' : 'desc');
  const tiebreak = ['time', ...q.by].filter((c) => c !== order && (c !== 'time' || q.granularity));
  const orderSql = [`${order} ${dir.toUpperCase()} NULLS LAST`, ...tiebreak.map((c) => `${c} ASC NULLS LAST`)].join(
    ', ',
  );
  const sql = `SELECT ${outer.join(', ')} FROM (${innerSql}) t ${joins.join(' ')} ORDER BY ${orderSql} LIMIT ${q.limit ?? 1000}`;
  return { sql, params, columns: outer.map((o) => o.slice(o.lastIndexOf(' AS ') + 4)) };
}

/** The answer to a query: rows keyed by dimension and metric names, where they came from, and the freshness. */
export interface QueryResult {
  /** Column names in order: time (with a granularity), dimensions (and their names), metrics. */
  columns: string[];
  rows: Record<string, unknown>[];
  source: string;
  freshness: Freshness;
}

/**
 * Validates (a typed request or one straight from JSON), plans, runs. The same question asked in other words compiles
 * to the same statement (see `canonicalQuery`), so a store that shares answers shares them.
 */
export async function runQuery(
  store: QueryStore,
  request: QueryRequest | unknown,
  spelling?: QuerySpelling,
): Promise<QueryResult> {
  const q = canonicalQuery(validateQuery(request, spelling));
  const p = plan(q);
  const { sql, params, columns } = compile(q, p);
  // Freshness first: the rows, read after it, are never older than the checkpoint it names.
  const fresh = await freshness(store);
  const rows = await store.query(sql, params);
  return { columns, rows, source: p.table, freshness: fresh };
}
