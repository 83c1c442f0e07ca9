import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Source } from '../connectors/source.ts';
import type { Job } from '../engine/job.ts';
import { errors } from '../errors.ts';
import type { QueryStore } from '../warehouse/warehouse.ts';
import { listenOn } from '../http/listen.ts';
import { PipelineHealth } from './pipeline-health.ts';
import { buildApi } from './server.ts';

/** A token shorter than this is refused: it would be guessable. */
export const MIN_TOKEN_LENGTH = 16;

/** The token of `--token`, else of ADW_API_TOKEN; refuses a missing one when `required`, and a short one always. */
export function resolveToken(given: string | undefined, required: boolean, command: string): string | undefined {
  const token = given ?? process.env.ADW_API_TOKEN;
  if (token === undefined || token === '') {
    if (required)
      throw errors.badOption(
        '--token',
        `${command} serves the API only with a token: give --token or set ADW_API_TOKEN`,
      );
    return undefined;
  }
  if (token.length < MIN_TOKEN_LENGTH)
    throw errors.badOption('--token', `the token needs at least ${MIN_TOKEN_LENGTH} characters`);
  return token;
}

/** The option of every command that serves the API, and its help line. */
export const BEHIND_TLS_OPTION = [
  '--behind-tls',
  'the server sits behind a TLS-terminating proxy (HTTPS): mark the sign-in cookie Secure and send HSTS',
] as const;

export interface ServeOptions {
  store: QueryStore;
  /** The engine running in this process, if any: the health panel follows it. */
  engine?: { job: Job; source: Source };
  metrics?: Registry;
  /** Required of every API request when given. */
  token?: string | undefined;
  behindTls: boolean;
  port: number;
  host: string;
  /** The option that chose the port, named when the port is in use. */
  portOption: string;
}

/** Builds the API and dashboard and listens; returns the server, its port and the engine's health observer. */
export async function serveApi(
  o: ServeOptions,
): Promise<{ app: FastifyInstance; port: number; health: PipelineHealth | null }> {
  const health = o.engine ? new PipelineHealth(o.engine.job, o.engine.source.lagUnit ?? null) : null;
  const app = await buildApi({
    store: o.store,
    ...(health ? { pipeline: () => health.status() } : {}),
    ...(o.metrics ? { metrics: o.metrics } : {}),
    ...(o.token !== undefined ? { token: o.token } : {}),
    behindTls: o.behindTls,
  });
  return { app, port: await listenOn(app, o.port, o.host, o.portOption), health };
}
