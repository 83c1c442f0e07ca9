import type { FastifyInstance } from 'fastify';
import { isDimensionName, type DimensionName, type Granularity } from '../../catalogue/dimensions.ts';
import type { MetricName } from '../../catalogue/metrics.ts';
import { errors } from '../../errors.ts';
import { appDatasets } from '../../layers/app.ts';
import { runQuery } from '../../query/planner.ts';
import { parseTime, type QueryRequest } from '../../query/request.ts';
import type { QueryStore } from '../../warehouse/warehouse.ts';
import { answer } from '../csv.ts';

const list = (s: unknown) => (typeof s === 'string' ? s.split(',').map((x) => x.trim()).filter(Boolean) : []);

/** Reads a query from URL parameters: metrics=a,b&by=c&granularity=hour&from=&to=&filter.<dim>=v1,v2&order_by=&limit=&names=1 */
export function queryFromParams(p: Record<string, unknown>): QueryRequest {
  const filters: Partial<Record<DimensionName, (string | number)[]>> = {};
  for (const [k, v] of Object.entries(p)) {
    if (!k.startsWith('filter.')) continue;
    const dim = k.slice('filter.'.length);
    if (!isDimensionName(dim)) throw errors.unknownDimension(dim);
    filters[dim] = list(v).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  }
  const limit = p.limit === undefined ? undefined : Number(p.limit);
  return {
    metrics: list(p.metrics) as MetricName[],
    by: list(p.by) as DimensionName[],
    ...(p.granularity ? { granularity: p.granularity as Granularity } : {}),
    ...(p.from ? { from: parseTime(String(p.from), 'from') } : {}),
    ...(p.to ? { to: parseTime(String(p.to), 'to') } : {}),
    filters,
    ...(p.order_by ? { orderBy: String(p.order_by) } : {}),
    ...(p.order_dir === 'asc' || p.order_dir === 'desc' ? { orderDir: p.order_dir } : {}),
    ...(limit !== undefined ? { limit } : {}),
    names: p.names === '1' || p.names === 'true',
  };
}

/** Ad-hoc queries over the catalogue, and the APP datasets by name; `format=csv` answers with a CSV file instead of JSON. */
export async function queryRoutes(app: FastifyInstance, opts: { store: QueryStore }): Promise<void> {
  app.get('/api/query', async (req, reply) => answer(reply, req.query, 'adw-query', await runQuery(opts.store, queryFromParams(req.query as Record<string, unknown>))));
  app.post('/api/query', async (req) => runQuery(opts.store, req.body as QueryRequest));
  app.get('/api/datasets', async () => ({ datasets: appDatasets.map((d) => ({ name: d.name, grain: d.grain, by: d.by, doc: d.table.doc })) }));
  app.get<{ Params: { name: string } }>('/api/datasets/:name', async (req, reply) => {
    const ds = appDatasets.find((d) => d.name === req.params.name);
    if (!ds) throw errors.unknownDataset(req.params.name);
    const p = req.query as Record<string, unknown>;
    const q = queryFromParams({ metrics: 'requests,fills,fill_rate,exposures,viewable_exposures,viewability_rate,clicks,ctr,spend,ecpm,cpc', ...p, by: ds.by.join(','), granularity: ds.grain });
    return answer(reply, p, ds.name, await runQuery(opts.store, { ...q, names: true, orderBy: q.orderBy ?? 'time' }));
  });
}
