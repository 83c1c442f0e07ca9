import type { FastifyInstance } from 'fastify';
import { dimensions, granularities } from '../../catalogue/dimensions.ts';
import { metrics } from '../../catalogue/metrics.ts';

/** The published catalogue: what a client may name in a query. */
export async function catalogueRoutes(app: FastifyInstance): Promise<void> {
  app.get('/api/catalogue', async () => ({
    metrics: metrics.map((m) => ({ name: m.name, label: m.label, format: m.format, doc: m.doc })),
    dimensions: dimensions.map((d) => ({ name: d.name, label: d.label, has_names: d.nameFrom !== null })),
    granularities,
  }));
}
