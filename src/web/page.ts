import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const publicDir = fileURLToPath(new URL('./public/', import.meta.url));
// uPlot is served from its npm package: no build step, no copy in the repository.
const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot'));

/** The dashboard (static files that call the JSON API) and the sign-in page. */
export async function pageRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: publicDir, index: 'index.html' });
  await app.register(fastifyStatic, {
    root: uplotDir,
    prefix: '/vendor/uplot/',
    decorateReply: false,
    allowedPath: (path) => /^\/uPlot\.(iife\.min\.js|min\.css)$/.test(path),
  });
  app.get('/login', async (_req, reply) => reply.sendFile('login.html'));
}
