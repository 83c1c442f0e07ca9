import { sketchField } from '../catalogue/user-sketch.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyWrites } from '../warehouse/checkpoint-writes.ts';
import { runQuery } from '../query/planner.ts';
import type { QueryRequest } from '../query/request.ts';
import { FIELD_SEPARATOR as S } from '../warehouse/csv.ts';
import { DuckDbWarehouse } from '../warehouse/duckdb/warehouse.ts';

export interface QueryBenchOptions {
  campaigns: number;
  days: number;
  /** Times each dashboard query runs (after one warm-up run). */
  iterations: number;
  log?: (line: string) => void;
}

/** Latency of one kind of dashboard query, in ms. */
export interface QueryLatency {
  source: string;
  p50_ms: number;
  p99_ms: number;
}

export interface QueryBenchResult {
  campaigns: number;
  days: number;
  dwa_rows: number;
  build_seconds: number;
  queries: Record<string, QueryLatency>;
  overall: { p50_ms: number; p99_ms: number };
  machine: { cpus: number; cpu: string; node: string };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const OS = ['android', 'ios', 'windows'];
const DEVICES = ['phone', 'tablet', 'desktop'];
const REGIONS = ['US', 'DE', 'JP', 'BR', 'IN', 'GB', 'FR', 'CN-SH'];

/** A small deterministic generator (the workload must be the same from run to run). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/**
 * The dashboard query benchmark: DWA (and the APP rollups maintained from it) for `campaigns` campaigns over `days`
 * days, loaded through the warehouse's own checkpoint path, then the dashboard's queries (tiles, series, breakdowns,
 * drill-downs) through the query service against the file opened read-only, as a dashboard server would.
 * DWA gets two rows per campaign-hour (an ad, a slot and an audience each), at a random minute of the hour.
 */
export async function runQueryBench(opts: QueryBenchOptions): Promise<QueryBenchResult> {
  const log = opts.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'adw-query-bench-'));
  const path = join(dir, 'q.duckdb');
  try {
    const t0 = performance.now();
    const end = Date.UTC(2026, 0, 1) + opts.days * DAY;
    const start = end - opts.days * DAY;
    const rnd = lcg(42);
    const writer = await DuckDbWarehouse.open(path);
    let rows = 0;
    log(`loading ${opts.days} days of DWA for ${opts.campaigns} campaigns ...`);
    for (let day = 0; day < opts.days; day++) {
      const w = emptyWrites(day + 1, 'query-bench');
      for (let h = 0; h < 24; h++) {
        const hour = start + day * DAY + h * HOUR;
        for (let c = 1; c <= opts.campaigns; c++) {
          for (let k = 0; k < 2; k++) {
            const minute = hour + Math.floor(rnd() * 60) * 60_000;
            const requests = 20 + Math.floor(rnd() * 200);
            const fills = Math.floor(requests * 0.85);
            const exposures = fills;
            const clicks = Math.floor(exposures * rnd() * 0.02);
            const dims = [
              Math.ceil(c / 5),
              c,
              c * 4 - Math.floor(rnd() * 4),
              1 + Math.floor(rnd() * 50),
              OS[Math.floor(rnd() * 3)],
              DEVICES[Math.floor(rnd() * 3)],
              REGIONS[Math.floor(rnd() * REGIONS.length)],
            ];
            w.dwa.push(
              [
                minute,
                ...dims,
                requests,
                fills,
                exposures,
                Math.floor(exposures * 0.65),
                clicks,
                exposures * 2_000_000,
                // No users: the benchmark's queries do not ask for unique users.
                sketchField([]),
              ].join(S),
            );
          }
        }
      }
      rows += w.dwa.length;
      w.maxEventMs = start + (day + 1) * DAY - 1;
      w.position = String(day + 1);
      w.fingerprint = 'query-bench';
      await writer.commit(w);
    }
    await writer.maintain(end, 3650);
    await writer.close();
    const buildSeconds = (performance.now() - t0) / 1000;

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
        from: start,
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
      campaigns: opts.campaigns,
      days: opts.days,
      dwa_rows: rows,
      build_seconds: Math.round(buildSeconds * 10) / 10,
      queries,
      overall: { p50_ms: percentile(every, 50), p99_ms: percentile(every, 99) },
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
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
