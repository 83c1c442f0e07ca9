import type { FastifyInstance } from 'fastify';
import { freshness } from '../../query/planner.ts';
import type { QueryStore } from '../../warehouse/warehouse.ts';

/** What the running pipeline reports about itself; null when no pipeline runs in this process. */
export interface PipelineStatus {
  epoch: number;
  counters: Record<string, number>;
  watermark: string | null;
  freshness_p50_ms: number;
  freshness_p99_ms: number;
}

/** Health, freshness and pipeline status. */
export async function statusRoutes(app: FastifyInstance, opts: { store: QueryStore; pipeline?: () => PipelineStatus | null }): Promise<void> {
  app.get('/api/health', async () => ({ ok: true }));
  app.get('/api/status', async () => ({ pipeline: opts.pipeline?.() ?? null, freshness: await freshness(opts.store) }));
}
