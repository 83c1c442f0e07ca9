import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { listenOn } from '../http/listen.ts';
import { metricsRoutes } from '../http/metrics-route.ts';

/** A /metrics-only HTTP server, for engines that serve no API (`adw run --metrics-port`). */
export async function startMetricsServer(
  registry: Registry,
  port: number,
  host: string,
): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify({ logger: false });
  await app.register(metricsRoutes, { registry });
  return { app, port: await listenOn(app, port, host, '--metrics-port') };
}
