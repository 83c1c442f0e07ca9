import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { metricsRoutes } from '../metrics/routes.ts';
import type { QueryStore } from '../warehouse/warehouse.ts';
import { errorHandler } from './errors.ts';
import { catalogueRoutes } from './routes/catalogue.ts';
import { queryRoutes } from './routes/query.ts';
import { statusRoutes, type PipelineStatus } from './routes/status.ts';
import { pageRoutes } from '../web/page.ts';

export interface ApiOptions {
  store: QueryStore;
  pipeline?: () => PipelineStatus | null;
  /** Served at /metrics when given. */
  metrics?: Registry;
}

/** The analytics HTTP API (JSON) and the page, as one fastify instance. */
export async function buildApi(opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  app.setErrorHandler(errorHandler);
  await app.register(catalogueRoutes);
  await app.register(queryRoutes, { store: opts.store });
  await app.register(statusRoutes, { store: opts.store, ...(opts.pipeline ? { pipeline: opts.pipeline } : {}) });
  await app.register(pageRoutes);
  if (opts.metrics) await app.register(metricsRoutes, { registry: opts.metrics });
  return app;
}
