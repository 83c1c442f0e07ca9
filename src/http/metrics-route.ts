import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** GET /metrics in Prometheus text format; `more` adds metrics kept elsewhere (another thread's). */
export async function metricsRoutes(
  app: FastifyInstance,
  opts: { registry: Registry; more?: () => Promise<string> },
): Promise<void> {
  app.get('/metrics', async (_req, reply) => {
    const [more, own] = await Promise.all([opts.more?.() ?? '', opts.registry.metrics()]);
    return reply.type(opts.registry.contentType).send(more ? `${more.trimEnd()}\n${own}` : own);
  });
}
