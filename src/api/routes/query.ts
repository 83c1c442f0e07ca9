import type { FastifyInstance } from 'fastify';
import { errors } from '../../errors.ts';
import { appDatasets } from '../../layers/app.ts';
import { runQuery } from '../../query/planner.ts';
import { parseTime, type QuerySpelling } from '../../query/request.ts';
import type { SharedReads } from '../../query/shared-reads.ts';
import { answer } from '../csv.ts';
import { checkParams, flag, list, wholeNumber } from '../params.ts';

const queryParams = ['metrics', 'by', 'granularity', 'from', 'to', 'order_by', 'order_dir', 'limit', 'names', 'format'];
/** The URL parameters' names for the fields JSON spells otherwise, for the messages of a query read from them. */
const paramSpelling: QuerySpelling = { orderBy: 'order_by', orderDir: 'order_dir' };

/**
 * Reads a query from URL parameters:
 * metrics=a,b&by=c&granularity=hour&from=&to=&filter.<dim>=v1,v2&order_by=&limit=&names=1.
 * The result is unvalidated: `runQuery`, given `paramSpelling`, checks it against the catalogue (and types the filter
 * values).
 */
export function queryFromParams(p: Record<string, unknown>): Record<string, unknown> {
  checkParams(p, queryParams, true);
  const filters: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(p)) if (k.startsWith('filter.')) filters[k.slice('filter.'.length)] = list(v);
  const limit = p.limit === undefined ? undefined : wholeNumber(p.limit);
  const one = (k: string) => (p[k] === undefined || p[k] === '' ? undefined : list(p[k]).join(','));
  return {
    metrics: list(p.metrics),
    by: list(p.by),
    ...(one('granularity') !== undefined ? { granularity: one('granularity') } : {}),
    ...(one('from') !== undefined ? { from: parseTime(one('from')!, 'from') } : {}),
    ...(one('to') !== undefined ? { to: parseTime(one('to')!, 'to') } : {}),
    filters,
    ...(one('order_by') !== undefined ? { orderBy: one('order_by') } : {}),
    ...(one('order_dir') !== undefined ? { orderDir: one('order_dir') } : {}),
    ...(limit !== undefined ? { limit } : {}),
    names: flag(p.names, 'names'),
  };
}

/**
 * Ad-hoc queries over the catalogue, and the APP datasets by name; `format=csv` answers with a CSV file instead of
 * JSON.
 */
export async function queryRoutes(app: FastifyInstance, opts: { reads: SharedReads }): Promise<void> {
  app.get('/api/query', async (req, reply) =>
    answer(
      reply,
      req.query,
      'adw-query',
      await runQuery(opts.reads.forAnswer(), queryFromParams(req.query as Record<string, unknown>), paramSpelling),
    ),
  );
  app.post('/api/query', async (req) => runQuery(opts.reads.forAnswer(), req.body));
  app.get('/api/datasets', async () => ({
    datasets: appDatasets.map((d) => ({ name: d.name, grain: d.grain, by: d.by, doc: d.table.doc })),
  }));
  app.get<{ Params: { name: string } }>('/api/datasets/:name', async (req, reply) => {
    const ds = appDatasets.find((d) => d.name === req.params.name);
    if (!ds) throw errors.unknownDataset(req.params.name);
    const p = req.query as Record<string, unknown>;
    const q = queryFromParams({
      metrics: 'requests,fills,fill_rate,exposures,viewable_exposures,viewability_rate,clicks,ctr,spend,ecpm,cpc',
      ...p,
      by: ds.by.join(','),
      granularity: ds.grain,
    });
    return answer(
      reply,
      p,
      ds.name,
      await runQuery(opts.reads.forAnswer(), { ...q, names: true, orderBy: q.orderBy ?? 'time' }, paramSpelling),
    );
  });
}
