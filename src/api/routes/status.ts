import type { FastifyInstance } from 'fastify';
import { checkpointStatus } from '../../query/checkpoint-status.ts';
import { freshness } from '../../query/freshness.ts';
import type { QueryStore } from '../../warehouse/warehouse.ts';
import type { PipelineStatus } from '../pipeline-health.ts';

/**
 * Health, freshness, the warehouse's checkpoint and the live pipeline's status (null when none runs in this process).
 */
export async function statusRoutes(
  app: FastifyInstance,
  opts: { store: QueryStore; pipeline?: () => PipelineStatus | null },
): Promise<void> {
  app.get('/api/health', async () => ({ ok: true }));
  app.get('/api/status', async () => {
    const [fresh, checkpoint] = await Promise.all([freshness(opts.store), checkpointStatus(opts.store)]);
    return { pipeline: opts.pipeline?.() ?? null, checkpoint, freshness: fresh };
  });
}
