import type { Job } from '../engine/job.ts';
import type { PipelineStatus } from './routes/status.ts';

/** The status a running job shows through the API. */
export function pipelineStatus(job: Job): PipelineStatus | null {
  const s = job.status;
  if (!s) return null;
  return {
    epoch: s.epoch,
    counters: { ...s.counters },
    watermark: s.watermark > 0 ? new Date(s.watermark).toISOString() : null,
    freshness_p50_ms: Math.round(job.freshness.percentile(50)),
    freshness_p99_ms: Math.round(job.freshness.percentile(99)),
  };
}
