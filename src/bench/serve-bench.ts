import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import {
  createHistogram,
  type EventLoopUtilization,
  type Histogram,
  performance,
  type RecordableHistogram,
} from 'node:perf_hooks';
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
  /** Length of the phase with the dashboards; the phase without them is as long, half before and half after. */
  seconds: number;
  seed: number;
  /** API reader connections of the warehouse (see DuckDbOptions.apiReaders). */
  apiReaders?: number;
  log?: (line: string) => void;
}

/** The engine over one phase, and how long its thread was held at a time. */
export interface IngestFigures {
  ingest_rate: number;
  freshness_p50_ms: number;
  freshness_p99_ms: number;
  /** The engine's thread held at a time (sampled every 10 ms, so at least 10): the API's thread is another. */
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
/** Seconds the dashboards refresh before they are measured: the API's code compiled, its answers shared. */
const DASHBOARD_WARM_UP_SECONDS = 2;

/** Commits as they come: records in and freshness samples, to measure any stretch of the run. */
class CommitLog implements JobObserver {
  readonly commits: { at: number; recordsIn: number; freshness: CommitReport['freshness'] }[] = [];
  started(): void {}
  checkpointFailed(): void {}
  committed(r: CommitReport): void {
    this.commits.push({ at: r.status.committedAt, recordsIn: r.status.counters.recordsIn, freshness: r.freshness });
  }
  /** Ingest rate and freshness of the commits in the stretches `[from, to]` (wall clock, ms), pooled. */
  within(stretches: [number, number][]): Omit<IngestFigures, LoopFigure> {
    const tracker = new FreshnessTracker();
    let records = 0;
    let ms = 0;
    for (const [from, to] of stretches) {
      const inside = this.commits.filter((c) => c.at > from && c.at <= to);
      const base = this.commits.filter((c) => c.at <= from).at(-1) ?? inside[0];
      const last = inside.at(-1);
      for (const c of inside) for (const f of c.freshness) tracker.record(f.ms, f.n);
      if (base && last && last.at > base.at) {
        records += last.recordsIn - base.recordsIn;
        ms += last.at - base.at;
      }
    }
    return {
      ingest_rate: ms > 0 ? Math.round((records * 1000) / ms) : 0,
      freshness_p50_ms: Math.round(tracker.percentile(50)),
      freshness_p99_ms: Math.round(tracker.percentile(99)),
    };
  }
}

type LoopFigure = 'event_loop_p99_ms' | 'event_loop_max_ms' | 'event_loop_busy';

/**
 * Samples the event loop every 10 ms while it runs: each sample is the time since the one before, so a loop held
 * for 40 ms shows as a 40 ms sample. Unlike monitorEventLoopDelay's, its histogram can be pooled with others.
 */
class LoopSampler {
  readonly histogram = createHistogram();
  private readonly timer: NodeJS.Timeout;
  constructor() {
    this.histogram.recordDelta();
    this.timer = setInterval(() => this.histogram.recordDelta(), 10);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/** One histogram of the samples of all. */
function pooled(samplers: LoopSampler[]): RecordableHistogram {
  const h = createHistogram();
  for (const s of samplers) h.add(s.histogram);
  return h;
}

/** The event loop over the stretches a histogram was enabled, and its utilization over the `[from, to]` pairs. */
function loopFigures(
  h: Histogram,
  stretches: [EventLoopUtilization, EventLoopUtilization][],
): Pick<IngestFigures, LoopFigure> {
  const used = stretches.map(([from, to]) => performance.eventLoopUtilization(to, from));
  const active = used.reduce((a, u) => a + u.active, 0);
  const idle = used.reduce((a, u) => a + u.idle, 0);
  return {
    event_loop_p99_ms: Math.round(h.percentile(99) / 1e6),
    event_loop_max_ms: Math.round(h.max / 1e6),
    event_loop_busy: active + idle > 0 ? Math.round((active / (active + idle)) * 1000) / 1000 : 0,
  };
}

/**
 * The serving benchmark: the embedded engine ingests simulated live traffic at `rate` while the API serves it, with
 * nobody watching for half a phase, then with `clients` dashboards refreshing once a second (on a thread of their own,
 * over HTTP) for a phase, then with nobody again for half a phase. The figures without the dashboards pool the
 * stretches before and after them: the engine slows a little as its state and the warehouse grow over the run, and
 * that weighs on both figures alike.
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
  const loops: LoopSampler[] = [];
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
    const half = (opts.seconds * 1000) / 2;
    log(`${opts.seconds / 2} s without dashboards ...`);
    const t0 = Date.now();
    const u0 = performance.eventLoopUtilization();
    const before = new LoopSampler();
    loops.push(before);
    await sleep(half);
    before.stop();
    log(`${DASHBOARD_WARM_UP_SECONDS} s + ${opts.seconds} s with ${opts.clients} dashboards ...`);
    const load: DashboardLoad = {
      baseUrl: `http://127.0.0.1:${api.port}`,
      clients: opts.clients,
      warmUpSeconds: DASHBOARD_WARM_UP_SECONDS,
      seconds: opts.seconds,
    };
    const worker = new Worker(new URL('./dashboard-clients.ts', import.meta.url), { workerData: load });
    await once(worker, 'message');
    const t1 = Date.now();
    const u1 = performance.eventLoopUtilization();
    const during = new LoopSampler();
    loops.push(during);
    const [figures] = (await once(worker, 'message')) as [DashboardFigures];
    during.stop();
    const t2 = Date.now();
    const u2 = performance.eventLoopUtilization();
    log(`${opts.seconds / 2} s without dashboards again ...`);
    const after = new LoopSampler();
    loops.push(after);
    await sleep(half);
    after.stop();
    const t3 = Date.now();
    const u3 = performance.eventLoopUtilization();
    stop.abort();
    await running;
    const count = figures.latencies.length;
    // The API counts its answers on its own thread: read them as Prometheus would.
    const scraped = await (await fetch(`${load.baseUrl}/metrics`)).text();
    const lookup = new RegExp(`^${apiMetricNames.answerLookups}\\{result="(\\w+)"\\} (\\d+)$`, 'gm');
    const answers = Object.fromEntries([...scraped.matchAll(lookup)].map((m) => [m[1]!, Number(m[2])]));
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
      answers,
      unloaded: {
        ...commits.within([
          [t0, t1],
          [t2, t3],
        ]),
        ...loopFigures(pooled([before, after]), [
          [u0, u1],
          [u2, u3],
        ]),
      },
      loaded: { ...commits.within([[t1, t2]]), ...loopFigures(during.histogram, [[u1, u2]]) },
      machine: machineFigures(null),
    };
  } finally {
    for (const l of loops) l.stop();
    stop.abort();
    await running?.catch(() => undefined);
    await api?.close();
    await source.close();
    await warehouse.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
