import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyWrites } from '../warehouse/checkpoint-writes.ts';
import { runQuery } from '../query/planner.ts';
import type { QueryRequest } from '../query/request.ts';
import { DuckDbWarehouse } from '../warehouse/duckdb/warehouse.ts';
import { DenseCube } from './dense-cube.ts';

export interface QueryBenchOptions {
  /** DWA rows (distinct minute cells) per minute of event time. */
  rowsPerMinute: number;
  days: number;
  /** Times each dashboard query runs (after one warm-up run). */
  iterations: number;
  seed: number;
  log?: (line: string) => void;
}

/** Latency of one kind of dashboard query, in ms. */
export interface QueryLatency {
  source: string;
  p50_ms: number;
  p99_ms: number;
}

export interface QueryBenchResult {
  rows_per_minute: number;
  days: number;
  dwa_rows: number;
  /** Requests the DWA rows count (one or a few per row, see src/bench/dense-cube.ts). */
  requests: number;
  build_seconds: number;
  /** Size of the warehouse file once built, in MB. */
  file_mb: number;
  queries: Record<string, QueryLatency>;
  overall: { p50_ms: number; p99_ms: number };
  machine: { cpus: number; cpu: string; node: string };
  /** When the queries ran (the machine is shared: figures are indicative). */
  measured_at: string;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Spans a checkpoint of the fill may cover, longest first: each divides a day. */
const CHECKPOINT_SPANS = [DAY, 6 * HOUR, HOUR, 10 * MINUTE, MINUTE];
/** Rows a checkpoint of the fill holds at most (a day at 1,200 rows a minute is 1.73 million). */
const MAX_CHECKPOINT_ROWS = 2_000_000;

/**
 * The dashboard query benchmark: DWA (and the APP rollups maintained from it) at `rowsPerMinute` rows a minute over
 * `days` days (src/bench/dense-cube.ts), loaded through the warehouse's own checkpoint path, then the dashboard's
 * queries (tiles, series, breakdowns, drill-downs) through the query service against the file opened read-only, as a
 * dashboard server would.
 */
export async function runQueryBench(opts: QueryBenchOptions): Promise<QueryBenchResult> {
  const log = opts.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'adw-query-bench-'));
  const path = join(dir, 'q.duckdb');
  try {
    const t0 = performance.now();
    const end = Date.UTC(2026, 0, 1) + opts.days * DAY;
    const start = end - opts.days * DAY;
    const cube = new DenseCube(opts.rowsPerMinute, opts.seed);
    // The writer as the engine opens it (one DuckDB thread: two were slower here, the other core draws the rows).
    const writer = await DuckDbWarehouse.open(path);
    let rows = 0;
    let requests = 0;
    log(`loading ${opts.days} days of DWA at ${opts.rowsPerMinute} rows a minute ...`);
    // Checkpoints of a day where that is at most MAX_CHECKPOINT_ROWS (6-hour ones took as long), else of the longest
    // span that is: each cell written once, nothing for housekeeping to fold in DWA (APP rows of a day then come in
    // one delta per checkpoint, summed by the queries). The next checkpoint is drawn while DuckDB commits the last.
    const span = CHECKPOINT_SPANS.find((ms) => (ms / MINUTE) * opts.rowsPerMinute <= MAX_CHECKPOINT_ROWS) ?? MINUTE;
    let committing: Promise<void> = Promise.resolve();
    for (let from = start, epoch = 1; from < end; from += span, epoch++) {
      const w = emptyWrites(epoch, 'query-bench');
      for (let m = from; m < from + span; m += MINUTE) requests += cube.minute(m, w.dwa);
      rows += w.dwa.length;
      w.maxEventMs = from + span - 1;
      w.position = String(epoch);
      w.fingerprint = 'query-bench';
      await committing;
      committing = writer.commit(w);
      if ((from + span - start) % (10 * DAY) === 0)
        log(`  ${(from + span - start) / DAY} days, ${rows} rows, ${Math.round((performance.now() - t0) / 1000)} s`);
    }
    await committing;
    await writer.close();
    const buildSeconds = (performance.now() - t0) / 1000;
    const fileMb = Math.round(statSync(path).size / 1e6);
    log(`built in ${Math.round(buildSeconds)} s: ${rows} DWA rows, ${fileMb} MB`);

    const store = await DuckDbWarehouse.open(path, { readOnly: true });
    const today = end - DAY;
    const week = end - 7 * DAY;
    const all = [
      'requests',
      'fills',
      'exposures',
      'viewable_exposures',
      'clicks',
      'ctr',
      'viewability_rate',
      'spend',
      'ecpm',
    ] as QueryRequest['metrics'];
    const mix: Record<string, QueryRequest> = {
      tiles_today: { metrics: all, by: [], from: today, to: end },
      series_24h_by_hour: {
        metrics: ['requests', 'exposures', 'clicks', 'spend'],
        by: [],
        granularity: 'hour',
        from: today,
        to: end,
      },
      series_90d_by_day: {
        metrics: ['requests', 'exposures', 'clicks', 'spend'],
        by: [],
        granularity: 'day',
        from: end - 90 * DAY,
        to: end,
      },
      top_campaigns_7d: {
        metrics: ['exposures', 'clicks', 'ctr', 'spend'],
        by: ['campaign_id'],
        from: week,
        to: end,
        orderBy: 'spend',
        limit: 20,
      },
      advertiser_drill_7d: {
        metrics: ['exposures', 'clicks', 'spend'],
        by: ['campaign_id'],
        filters: { advertiser_id: [7] },
        from: week,
        to: end,
      },
      creative_drill_7d: {
        metrics: ['exposures', 'clicks', 'spend'],
        by: ['ad_id'],
        filters: { campaign_id: [35] },
        from: week,
        to: end,
      },
      minute_series_1h: {
        metrics: ['requests', 'exposures', 'clicks'],
        by: [],
        granularity: 'minute',
        from: end - HOUR,
        to: end,
      },
      regions_today: { metrics: ['requests', 'exposures', 'ctr'], by: ['region'], from: today, to: end },
      pacing_today: { metrics: ['spend'], by: ['campaign_id'], from: today, to: end, limit: 2000 },
    };
    const queries: Record<string, QueryLatency> = {};
    const every: number[] = [];
    for (const [name, request] of Object.entries(mix)) {
      const first = await runQuery(store, request);
      const times: number[] = [];
      for (let i = 0; i < opts.iterations; i++) {
        const t = performance.now();
        await runQuery(store, request);
        times.push(performance.now() - t);
      }
      every.push(...times);
      queries[name] = { source: first.source, p50_ms: percentile(times, 50), p99_ms: percentile(times, 99) };
      log(`${name}: p50 ${queries[name].p50_ms} ms, p99 ${queries[name].p99_ms} ms (${first.source})`);
    }
    await store.close();
    return {
      rows_per_minute: opts.rowsPerMinute,
      days: opts.days,
      dwa_rows: rows,
      requests,
      build_seconds: Math.round(buildSeconds * 10) / 10,
      file_mb: fileMb,
      queries,
      overall: { p50_ms: percentile(every, 50), p99_ms: percentile(every, 99) },
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
      measured_at: new Date().toISOString(),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The p-th percentile (0..100) of `values`, to a tenth. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const v = sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  return Math.round(v * 10) / 10;
}
