import type { FastifyInstance } from 'fastify';
import { readFileSync } from 'node:fs';

const html = readFileSync(new URL('./live.html', import.meta.url), 'utf8');

/** The live overview page (static; it polls the JSON API). */
export async function pageRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(html));
}
