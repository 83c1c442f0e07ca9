import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { type ELDHistogram, type EventLoopUtilization, monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { Registry } from 'prom-client';
import { serveApi } from '../api/serve.ts';
import { LiveSimulatorSource } from '../connectors/simulator/source.ts';
import { defaultEngineConfig } from '../engine/config.ts';
import { FreshnessTracker } from '../engine/freshness.ts';
import { type CommitReport, Job, type JobObserver } from '../engine/job.ts';
import { adPipeline } from '../engine/pipeline.ts';
import { apiMetricNames } from '../metrics/api-metrics.ts';
import { DuckDbWarehouse } from '../warehouse/duckdb/warehouse.ts';
import type { DashboardFigures, DashboardLoad } from './dashboard-clients.ts';
import { benchViews } from './dashboard-refresh.ts';
import { machineFigures } from './pipeline-bench.ts';
import { percentile } from './query-bench.ts';

export interface ServeBenchOptions {
  clients: number;
  /** Simulated events per second. */
  rate: number;
  /** Length of each phase: without the dashboards, then with them. */
  seconds: number;
  seed: number;
  /** API reader connections of the warehouse (see DuckDbOptions.apiReaders). */
  apiReaders?: number;
  log?: (line: string) => void;
}

/** The engine over one phase, and how long the thread it shares with the API was held at a time. */
export interface IngestFigures {
  ingest_rate: number;
  freshness_p50_ms: number;
  freshness_p99_ms: number;
  /** Event-loop delay of the engine's and API's thread: how long a request that arrived could wait to be read. */
  event_loop_p99_ms: number;
  event_loop_max_ms: number;
  /** Share of the phase the thread was busy (event-loop utilization). */
  event_loop_busy: number;
}

export interface ServeBenchResult {
  clients: number;
  rate: number;
  seconds: number;
  /** Distinct dashboard views the clients keep open (client i shows benchViews[i mod 4], the default view twice). */
  views: number;
  queries: { count: number; per_sec: number; p50_ms: number; p99_ms: number; errors: number };
  refreshes: { count: number; on_time: number; on_time_share: number };
  /** Wall time between the commit of the checkpoint a refresh was answered from and the answer (its `lag_ms`). */
  answer_lag: { p50_ms: number; p99_ms: number };
  /** Warehouse reads of the API by how they were answered (hit, joined, miss). */
  answers: Record<string, number>;
  unloaded: IngestFigures;
  loaded: IngestFigures;
  machine: ReturnType<typeof machineFigures>;
}

/** Seconds the engine runs before the first phase: its dimensions loaded, its code warm. */
const WARM_UP_SECONDS = 3;

/** Commits as they come: records in and freshness samples, to measure any stretch of the run. */
class CommitLog implements JobObserver {
  readonly commits: { at: number; recordsIn: number; freshness: CommitReport['freshness'] }[] = [];
  started(): void {}
  checkpointFailed(): void {}
  committed(r: CommitReport): void {
    this.commits.push({ at: r.status.committedAt, recordsIn: r.status.counters.recordsIn, freshness: r.freshness });
  }
  /** Ingest rate and freshness of the commits after `from` up to `to` (wall clock, ms). */
  between(from: number, to: number): Omit<IngestFigures, LoopFigure> {
    const inside = this.commits.filter((c) => c.at > from && c.at <= to);
    const base = this.commits.filter((c) => c.at <= from).at(-1) ?? inside[0];
    const last = inside.at(-1);
    const tracker = new FreshnessTracker();
    for (const c of inside) for (const f of c.freshness) tracker.record(f.ms, f.n);
    return {
      ingest_rate:
        base && last && last.at > base.at
          ? Math.round(((last.recordsIn - base.recordsIn) * 1000) / (last.at - base.at))
          : 0,
      freshness_p50_ms: Math.round(tracker.percentile(50)),
      freshness_p99_ms: Math.round(tracker.percentile(99)),
    };
  }
}

type LoopFigure = 'event_loop_p99_ms' | 'event_loop_max_ms' | 'event_loop_busy';

/** The event loop since `since` (delay histogram and utilization); resets the histogram for the next phase. */
function loopFigures(h: ELDHistogram, since: EventLoopUtilization): Pick<IngestFigures, LoopFigure> {
  const figures = {
    event_loop_p99_ms: Math.round(h.percentile(99) / 1e6),
    event_loop_max_ms: Math.round(h.max / 1e6),
    event_loop_busy: Math.round(performance.eventLoopUtilization(since).utilization * 1000) / 1000,
  };
  h.reset();
  return figures;
}

/**
 * The serving benchmark: the embedded engine ingests simulated live traffic at `rate` while the API serves it, first
 * with nobody watching, then with `clients` dashboards refreshing once a second (on a thread of their own, over HTTP).
 */
export async function runServeBench(opts: ServeBenchOptions): Promise<ServeBenchResult> {
  const log = opts.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'adw-serve-bench-'));
  const warehouse = await DuckDbWarehouse.open(join(dir, 'serve.duckdb'), {
    ...(opts.apiReaders ? { apiReaders: opts.apiReaders } : {}),
  });
  const source = new LiveSimulatorSource({ seed: opts.seed, rate: opts.rate });
  const job = new Job(adPipeline, source, warehouse, defaultEngineConfig);
  const registry = new Registry();
  const commits = new CommitLog();
  const stop = new AbortController();
  let api: Awaited<ReturnType<typeof serveApi>> | null = null;
  let running: Promise<unknown> | null = null;
  const loop = monitorEventLoopDelay({ resolution: 10 });
  try {
    api = await serveApi({
      store: warehouse,
      engine: { job, source },
      metrics: registry,
      behindTls: false,
      port: 0,
      host: '127.0.0.1',
      portOption: '--port',
    });
    running = job.run({ untilEnd: false, signal: stop.signal, observers: [commits, api.health!] });
    log(`engine ingesting ${opts.rate} events/s; warming up ${WARM_UP_SECONDS} s ...`);
    await sleep(WARM_UP_SECONDS * 1000);
    const t0 = Date.now();
    loop.enable();
    const busy0 = performance.eventLoopUtilization();
    log(`${opts.seconds} s without dashboards ...`);
    await sleep(opts.seconds * 1000);
    const t1 = Date.now();
    const unloadedLoop = loopFigures(loop, busy0);
    const busy1 = performance.eventLoopUtilization();
    log(`${opts.seconds} s with ${opts.clients} dashboards ...`);
    const load: DashboardLoad = {
      baseUrl: `http://127.0.0.1:${api.port}`,
      clients: opts.clients,
      seconds: opts.seconds,
    };
    const worker = new Worker(new URL('./dashboard-clients.ts', import.meta.url), { workerData: load });
    const [figures] = (await once(worker, 'message')) as [DashboardFigures];
    const t2 = Date.now();
    const loadedLoop = loopFigures(loop, busy1);
    stop.abort();
    await running;
    const count = figures.latencies.length;
    const lookups = (await registry.getSingleMetric(apiMetricNames.answerLookups)?.get())?.values ?? [];
    return {
      clients: opts.clients,
      rate: opts.rate,
      seconds: opts.seconds,
      views: new Set(benchViews.slice(0, opts.clients)).size,
      queries: {
        count,
        per_sec: Math.round((count * 1000) / (t2 - t1)),
        p50_ms: percentile(figures.latencies, 50),
        p99_ms: percentile(figures.latencies, 99),
        errors: figures.errors,
      },
      refreshes: {
        count: figures.ticks,
        on_time: figures.onTime,
        on_time_share: figures.ticks ? Math.round((figures.onTime / figures.ticks) * 1000) / 1000 : 0,
      },
      answer_lag: { p50_ms: percentile(figures.lags, 50), p99_ms: percentile(figures.lags, 99) },
      answers: Object.fromEntries(lookups.map((v) => [String(v.labels.result), v.value])),
      unloaded: { ...commits.between(t0, t1), ...unloadedLoop },
      loaded: { ...commits.between(t1, t2), ...loadedLoop },
      machine: machineFigures(null),
    };
  } finally {
    loop.disable();
    stop.abort();
    await running?.catch(() => undefined);
    await api?.app.close();
    await source.close();
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
