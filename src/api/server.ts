import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { apiAnswerLookups } from '../metrics/api-metrics.ts';
import { metricsRoutes } from '../http/metrics-route.ts';
import { SharedReads } from '../query/shared-reads.ts';
import type { QueryStore } from '../warehouse/warehouse.ts';
import { pageRoutes } from '../web/page.ts';
import { requireToken } from './auth.ts';
import { adwErrorOptions, useAdwErrors } from '../http/errors.ts';
import type { PipelineStatus } from './pipeline-health.ts';
import { securityHeaders } from './security-headers.ts';
import { catalogueRoutes } from './routes/catalogue.ts';
import { pacingRoutes } from './routes/pacing.ts';
import { queryRoutes } from './routes/query.ts';
import { statusRoutes } from './routes/status.ts';

export interface ApiOptions {
  store: QueryStore;
  pipeline?: () => PipelineStatus | null;
  /** Served at /metrics when given, with the API's own metrics. */
  metrics?: Registry;
  /** Metrics kept on another thread (the engine's), served at /metrics before those of `metrics`. */
  moreMetrics?: () => Promise<string>;
  /** Required of every request but health and sign-in when given (everywhere outside the demo). */
  token?: string;
  /**
   * The server sits behind a TLS-terminating proxy: the sign-in cookie is Secure and browsers are told to keep to
   * HTTPS.
   */
  behindTls?: boolean;
}

/**
 * The analytics HTTP API (JSON) and the dashboard, as one fastify instance. The beacon collector is a separate server.
 */
export async function buildApi(opts: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024, ...adwErrorOptions() });
  useAdwErrors(app);
  // Headers first, so refusals carry them too.
  await securityHeaders(app, opts.behindTls ?? false);
  if (opts.token !== undefined) await requireToken(app, opts.token, opts.behindTls ?? false);
  // Every viewer's reads between two commits share one answer: the cost of a query does not grow with the audience.
  const reads = new SharedReads(opts.store, opts.metrics ? apiAnswerLookups(opts.metrics) : undefined);
  await app.register(catalogueRoutes);
  await app.register(queryRoutes, { reads });
  await app.register(pacingRoutes, { reads });
  await app.register(statusRoutes, { reads, ...(opts.pipeline ? { pipeline: opts.pipeline } : {}) });
  await app.register(pageRoutes);
  if (opts.metrics)
    await app.register(metricsRoutes, {
      registry: opts.metrics,
      ...(opts.moreMetrics ? { more: opts.moreMetrics } : {}),
    });
  return app;
}
