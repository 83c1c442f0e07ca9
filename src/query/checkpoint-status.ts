import { type CounterColumn, checkpointCounters, checkpointTable } from '../layers/meta.ts';
import type { QueryStore } from '../warehouse/warehouse.ts';
import { timestampIso } from './freshness.ts';

/** The pipeline's progress as the warehouse records it: readable with no engine in this process (`adw serve`). */
export interface CheckpointStatus extends Record<CounterColumn, number> {
  epoch: number | null;
  committed_at: string | null;
  /** Wall time since the last committed checkpoint. */
  age_ms: number | null;
}

/** Sums the counters of every source's last checkpoint. */
export async function checkpointStatus(store: QueryStore, now = Date.now()): Promise<CheckpointStatus> {
  const counters = checkpointCounters.map((c) => c.column);
  const rows = await store.query(
    `SELECT max(epoch) AS epoch, max(committed_at) AS committed_at, ${counters.map((c) => `coalesce(sum(${c}), 0) AS ${c}`).join(', ')} FROM ${checkpointTable.name}`,
  );
  const r = rows[0] ?? {};
  const committedAt = timestampIso((r.committed_at as string | null) ?? null);
  return {
    epoch: r.epoch == null ? null : Number(r.epoch),
    committed_at: committedAt,
    age_ms: committedAt ? Math.max(0, now - Date.parse(committedAt)) : null,
    ...(Object.fromEntries(counters.map((c) => [c, Number(r[c] ?? 0)])) as Record<CounterColumn, number>),
  };
}
