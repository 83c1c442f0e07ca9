import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import type { Source } from '../connectors/source.ts';
import type { Job } from '../engine/job.ts';
import { errors } from '../errors.ts';
import type { QueryStore } from '../warehouse/warehouse.ts';
import { PipelineHealth } from './pipeline-health.ts';
import { type ApiThreadData, type FromApi, fromThreadError, type ToApi, toThreadError } from './thread-protocol.ts';

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

/** The API being served: its port, the engine's health observer (when an engine runs) and how to stop it. */
export interface ServedApi {
  port: number;
  health: PipelineHealth | null;
  close: () => Promise<void>;
}

/** Status pushed to the API's thread at least this often, so a stalled pipeline's rate is seen to fall. */
const STATUS_EVERY_MS = 1_000;

/**
 * Builds the API and dashboard on a thread of their own (src/api/api-thread.ts) and listens; this thread answers its
 * warehouse reads and metrics, and tells it of commits and the pipeline's status.
 */
export async function serveApi(o: ServeOptions): Promise<ServedApi> {
  let worker: Worker | null = null;
  const send = (m: ToApi) => worker?.postMessage(m);
  const health = o.engine
    ? new PipelineHealth(o.engine.job, o.engine.source.lagUnit ?? null, () =>
        send({ t: 'status', status: health!.status() }),
      )
    : null;
  const data: ApiThreadData = {
    ...(o.token !== undefined ? { token: o.token } : {}),
    behindTls: o.behindTls,
    port: o.port,
    host: o.host,
    portOption: o.portOption,
    version: o.store.committedVersion(),
    engine: health !== null,
    status: health?.status() ?? null,
    metrics: o.metrics !== undefined,
  };
  // The API allocates little per request: a small young generation, whatever the engine's thread was given.
  worker = new Worker(new URL('./api-thread.ts', import.meta.url), {
    workerData: data,
    resourceLimits: { maxYoungGenerationSizeMb: 32 },
  });
  const w = worker;
  const exited = once(w, 'exit');
  let port: number | null = null;
  const answer = (id: number, work: Promise<ToApi>) =>
    void work.catch((e: unknown): ToApi => ({ t: 'failed', id, error: toThreadError(e) })).then(send);
  const listening = new Promise<number>((resolve, reject) => {
    w.on('message', (m: FromApi) => {
      if (m.t === 'read')
        answer(
          m.id,
          o.store.query(m.sql, m.params).then((rows) => ({ t: 'rows', id: m.id, rows })),
        );
      else if (m.t === 'metrics')
        answer(
          m.id,
          (o.metrics?.metrics() ?? Promise.resolve('')).then((text) => ({ t: 'text', id: m.id, text })),
        );
      else if (m.t === 'listening') {
        port = m.port;
        resolve(m.port);
      } else reject(fromThreadError(m.error));
    });
    // After it listens, a failure of the API's thread is reported, and the engine goes on.
    w.on('error', (e) => {
      const failed = errors.apiThread(e.message);
      if (port === null) reject(failed);
      else process.stderr.write(`${failed.code}: ${failed.message}\n`);
    });
    void exited.then(() => reject(errors.apiThread('it stopped before it listened')));
  });
  o.store.onCommit?.(() => send({ t: 'commit', version: o.store.committedVersion() }));
  const statusTimer = health
    ? setInterval(() => send({ t: 'status', status: health.status() }), STATUS_EVERY_MS)
    : null;
  statusTimer?.unref();
  const stop = async () => {
    if (statusTimer) clearInterval(statusTimer);
    worker = null;
    w.postMessage({ t: 'close' } satisfies ToApi);
    await exited;
  };
  try {
    return { port: await listening, health, close: stop };
  } catch (e) {
    await w.terminate();
    throw e;
  }
}
