import type { FastifyInstance } from 'fastify';
import { checkpointStatus } from '../../query/checkpoint-status.ts';
import { freshness } from '../../query/freshness.ts';
import type { SharedReads } from '../../query/shared-reads.ts';
import type { PipelineStatus } from '../pipeline-health.ts';

/**
 * Health, freshness, the warehouse's checkpoint and the live pipeline's status (null when none runs in this process).
 */
export async function statusRoutes(
  app: FastifyInstance,
  opts: { reads: SharedReads; pipeline?: () => PipelineStatus | null },
): Promise<void> {
  app.get('/api/health', async () => ({ ok: true }));
  app.get('/api/status', async () => {
    const store = opts.reads.forAnswer();
    const [fresh, checkpoint] = await Promise.all([freshness(store), checkpointStatus(store)]);
    return { pipeline: opts.pipeline?.() ?? null, checkpoint, freshness: fresh };
  });
}
