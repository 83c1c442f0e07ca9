import type { Counters } from '../layers/meta.ts';
import type { CommitReport, Job, JobObserver } from '../engine/job.ts';

/** What a running pipeline reports about itself: /api/status and the page's health panel. */
export interface PipelineStatus {
  epoch: number;
  counters: Counters;
  watermark: string | null;
  freshness_p50_ms: number;
  freshness_p99_ms: number;
  /** Input records per second over about the last ten seconds. */
  ingest_rate: number;
  /** How far the source is behind its input, summed over partitions; null when the source cannot tell. */
  consumer_lag: number | null;
  lag_unit: 'records' | 'bytes' | null;
  last_commit_at: string | null;
}

const RATE_WINDOW_MS = 10_000;

/**
 * Follows a running job through its observer hooks, because the ingest rate and the lag need more than the
 * job's last status: the records-in total at recent commits, and the lag the source reported at the last one.
 */
export class PipelineHealth implements JobObserver {
  private recent: { at: number; recordsIn: number }[] = [];
  private lag: Record<string, number> = {};
  private readonly job: Job;
  private readonly lagUnit: 'records' | 'bytes' | null;
  private readonly onCommit: () => void;

  /** `onCommit` is called after each commit, once the status includes it. */
  constructor(job: Job, lagUnit: 'records' | 'bytes' | null, onCommit: () => void = () => undefined) {
    this.job = job;
    this.lagUnit = lagUnit;
    this.onCommit = onCommit;
  }

  started(): void {}

  checkpointFailed(): void {}

  committed(r: CommitReport): void {
    this.recent.push({ at: r.status.committedAt, recordsIn: r.status.counters.recordsIn });
    this.lag = r.lag;
    this.trim(r.status.committedAt);
    this.onCommit();
  }

  status(now = Date.now()): PipelineStatus | null {
    const s = this.job.status;
    if (!s) return null;
    this.trim(now);
    const base = this.recent[0];
    const lags = Object.values(this.lag);
    return {
      epoch: s.epoch,
      counters: { ...s.counters },
      watermark: s.watermark > 0 ? new Date(s.watermark).toISOString() : null,
      freshness_p50_ms: Math.round(this.job.freshness.percentile(50)),
      freshness_p99_ms: Math.round(this.job.freshness.percentile(99)),
      // A stalled pipeline's rate decays towards zero: the base stays put while "now" moves on.
      ingest_rate:
        base && now > base.at ? Math.round(((s.counters.recordsIn - base.recordsIn) * 1000) / (now - base.at)) : 0,
      consumer_lag: lags.length ? lags.reduce((a, b) => a + b, 0) : null,
      lag_unit: lags.length ? this.lagUnit : null,
      last_commit_at: s.committedAt ? new Date(s.committedAt).toISOString() : null,
    };
  }

  /** Keeps one commit at or before the window's start as the rate's base. */
  private trim(now: number): void {
    while (this.recent.length > 1 && this.recent[1]!.at <= now - RATE_WINDOW_MS) this.recent.shift();
  }
}
