import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { benchViews, viewRefreshUrls } from './dashboard-refresh.ts';

/** What the simulated dashboards are told. */
export interface DashboardLoad {
  baseUrl: string;
  clients: number;
  /** Refreshing before the measured stretch, not counted: the API's code compiled, its answers shared. */
  warmUpSeconds: number;
  seconds: number;
}

/** What they measured. */
export interface DashboardFigures {
  /** Every request's latency, ms. */
  latencies: number[];
  /** Each refresh's freshness `lag_ms`: how long before it the checkpoint its answers come from had committed. */
  lags: number[];
  /** Refresh ticks, and those whose refresh ended before the next tick. */
  ticks: number;
  onTime: number;
  /** Requests answered with an error status, failed, or unanswered within REQUEST_TIMEOUT_MS. */
  errors: number;
}

const REFRESH_MS = 1000;
/** A request unanswered this long counts as an error: a lost answer shows in the figures instead of stalling the bench. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * `clients` dashboards, each refreshing once a second as the page does, for `warmUpSeconds` then `seconds`, measuring
 * the latter; starts spread over the first second as people open the page at different moments. A refresh still running at the next tick misses that tick.
 * Runs on its own thread (see serve-bench.ts), so the clients' own work does not stand in the server's way.
 */
async function runDashboards(load: DashboardLoad): Promise<DashboardFigures> {
  const figures: DashboardFigures = { latencies: [], lags: [], ticks: 0, onTime: 0, errors: 0 };
  const start = performance.now();
  const measured = start + load.warmUpSeconds * 1000;
  const end = measured + load.seconds * 1000;
  // Tells the bench the measured stretch begins; the figures follow at its end.
  setTimeout(() => parentPort?.postMessage('warm'), measured - start);
  const get = async (path: string): Promise<unknown> => {
    const t0 = performance.now();
    const counted = t0 >= measured;
    try {
      const res = await fetch(load.baseUrl + path, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const body = await res.json();
      if (!res.ok && counted) figures.errors++;
      return body;
    } catch {
      if (counted) figures.errors++;
      return null;
    } finally {
      if (counted) figures.latencies.push(performance.now() - t0);
    }
  };
  const viewer = async (i: number) => {
    const view = benchViews[i % benchViews.length]!;
    let tick = start + (i * REFRESH_MS) / load.clients;
    while (tick < end) {
      await sleep(Math.max(0, tick - performance.now()));
      const counted = tick >= measured;
      const status = (await get('/api/status')) as { freshness?: { as_of?: string | null; lag_ms?: number } } | null;
      const asOf = status?.freshness?.as_of ? Date.parse(status.freshness.as_of) : null;
      await Promise.all(viewRefreshUrls(view, asOf).map(get));
      const done = performance.now();
      // Ticks that came while this refresh ran were missed: the next refresh starts at the first tick after it.
      const periods = Math.max(1, Math.ceil((done - tick) / REFRESH_MS));
      if (counted) {
        figures.ticks += periods;
        if (done <= tick + REFRESH_MS) figures.onTime++;
        if (typeof status?.freshness?.lag_ms === 'number') figures.lags.push(status.freshness.lag_ms);
      }
      tick += periods * REFRESH_MS;
    }
  };
  await Promise.all(Array.from({ length: load.clients }, (_, i) => viewer(i)));
  return figures;
}

if (parentPort) parentPort.postMessage(await runDashboards(workerData as DashboardLoad));
