import { parentPort, workerData } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { listenOn } from '../http/listen.ts';
import type { Param, QueryStore } from '../warehouse/warehouse.ts';
import { buildApi } from './server.ts';
import { type ApiThreadData, type FromApi, fromThreadError, type ToApi, toThreadError } from './thread-protocol.ts';

/**
 * The API and dashboard on a thread of their own: parsing, answering and writing HTTP requests do not wait for the
 * engine's work on the main thread, nor hold it up. The warehouse stays on the main thread (a DuckDB instance serves
 * one thread), which reads for this one: only reads ahead and misses cross, since answers are shared here.
 */
async function serveOnThisThread(data: ApiThreadData): Promise<void> {
  const parent = parentPort!;
  const post = (m: FromApi) => parent.postMessage(m);
  let version = data.version;
  let status = data.status;
  const onCommit: (() => void)[] = [];
  let nextId = 0;
  const waiting = new Map<number, { resolve: (v: never) => void; reject: (e: Error) => void }>();
  const ask = <T>(m: { t: 'read'; sql: string; params: Param[] } | { t: 'metrics' }): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: never) => void, reject });
      post({ ...m, id });
    });
  const store: QueryStore = {
    query: (sql, params = []) => ask({ t: 'read', sql, params }),
    committedVersion: () => version,
    onCommit: (listener) => onCommit.push(listener),
  };
  const app = await buildApi({
    store,
    ...(data.engine ? { pipeline: () => status } : {}),
    ...(data.metrics ? { metrics: new Registry(), moreMetrics: () => ask<string>({ t: 'metrics' }) } : {}),
    ...(data.token !== undefined ? { token: data.token } : {}),
    behindTls: data.behindTls,
  });
  parent.on('message', (m: ToApi) => {
    if (m.t === 'commit') {
      version = m.version;
      for (const l of onCommit) l();
    } else if (m.t === 'status') status = m.status;
    else if (m.t === 'close') void app.close().finally(() => process.exit(0));
    else {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.t === 'failed') w?.reject(fromThreadError(m.error));
      else w?.resolve((m.t === 'rows' ? m.rows : m.text) as never);
    }
  });
  try {
    post({ t: 'listening', port: await listenOn(app, data.port, data.host, data.portOption) });
  } catch (e) {
    post({ t: 'error', error: toThreadError(e) });
    await app.close();
    process.exit(0);
  }
}

if (parentPort) await serveOnThisThread(workerData as ApiThreadData);
