import { defaultEngineConfig } from '../engine/config.ts';
import { checkpointTable } from '../layers/meta.ts';
import type { QueryStore } from '../warehouse/warehouse.ts';

const MINUTE_MS = 60_000;

/**
 * How fresh the warehouse is, in two clocks kept apart (docs/domain.md, section 5): how long ago the warehouse last
 * caught up with its input (wall clock), and how far the event time it holds is behind the wall clock. A replay is
 * seconds fresh and months behind; a client whose clock runs ahead moves neither into the future.
 */
export interface Freshness {
  /** Highest event time committed, as the clients stamped it: ahead of the wall clock when a client's clock is. */
  newest_event_time: string | null;
  /** Wall-clock time of the last checkpoint commit. */
  committed_at: string | null;
  /** Data freshness: wall-clock time since the last checkpoint commit, never negative. */
  lag_ms: number | null;
  /** The event time the warehouse is current to: the newest event time, capped at its checkpoint's commit time. */
  as_of: string | null;
  /** Event-time lag: wall clock minus `as_of`, never negative; seconds on live traffic, the replay's age on a replay. */
  event_lag_ms: number | null;
  /** How far the newest event time runs ahead of its checkpoint's commit (clients' clocks ahead); 0 when not. */
  clock_ahead_ms: number | null;
  /**
   * Start of the first minute still filling (the watermark's minute, capped like `as_of`): rows of periods that end
   * after it will still grow. Null when nothing will: no data, or the input has ended.
   */
  filling_from: string | null;
}

/** One source's last checkpoint, in ms since the epoch: what freshness is computed from. */
export interface CheckpointClock {
  maxEventMs: number;
  watermarkMs: number;
  /** Event time up to which the end of the input released waiting events; at `maxEventMs` once the input ended. */
  flushedUntilMs: number;
  committedMs: number;
}

/** A warehouse TIMESTAMP (UTC, written without a zone) as ISO 8601. */
export function timestampIso(value: string | null): string | null {
  return value ? new Date(value + (value.endsWith('Z') ? '' : 'Z')).toISOString() : null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Freshness at wall-clock time `now` from every source's last checkpoint (the newest source speaks for the data). */
export function freshnessOf(clocks: readonly CheckpointClock[], now: number): Freshness {
  const withData = clocks.filter((c) => c.maxEventMs > 0);
  const committed = clocks.length ? Math.max(...clocks.map((c) => c.committedMs)) : null;
  // An event cannot have happened after the commit that made it queryable: beyond that, its client's clock was ahead.
  const asOfOf = (c: CheckpointClock) => Math.min(c.maxEventMs, c.committedMs);
  const newest = withData.reduce<CheckpointClock | null>((a, c) => (a && asOfOf(a) >= asOfOf(c) ? a : c), null);
  const asOf = newest ? asOfOf(newest) : null;
  const ended = newest !== null && newest.flushedUntilMs >= newest.maxEventMs;
  const settled = newest && !ended ? Math.min(newest.watermarkMs, newest.committedMs) : null;
  return {
    newest_event_time: iso(withData.length ? Math.max(...withData.map((c) => c.maxEventMs)) : null),
    committed_at: iso(committed),
    // The reader's clock may trail the writer's by a little (StarRocks on another host): never a negative age.
    lag_ms: committed === null ? null : Math.max(0, now - committed),
    as_of: iso(asOf),
    event_lag_ms: asOf === null ? null : Math.max(0, now - asOf),
    clock_ahead_ms: withData.length ? Math.max(0, ...withData.map((c) => c.maxEventMs - c.committedMs)) : null,
    filling_from: iso(settled === null ? null : Math.floor(settled / MINUTE_MS) * MINUTE_MS),
  };
}

/** The warehouse's freshness now, read from its checkpoint table. */
export async function freshness(store: QueryStore, now = Date.now()): Promise<Freshness> {
  const rows = await store.query(
    `SELECT max_event_ms, watermark_ms, flushed_until_ms, committed_at FROM ${checkpointTable.name}`,
  );
  const clocks = rows.flatMap((r): CheckpointClock[] => {
    const committed = timestampIso((r.committed_at as string | null) ?? null);
    if (committed === null) return [];
    const maxEventMs = Number(r.max_event_ms ?? 0);
    return [
      {
        maxEventMs,
        // A warehouse from before the watermark was stored: derived as the engine derives it on restart.
        watermarkMs:
          r.watermark_ms == null ? maxEventMs - defaultEngineConfig.watermarkDelayMs : Number(r.watermark_ms),
        flushedUntilMs: Number(r.flushed_until_ms ?? 0),
        committedMs: Date.parse(committed),
      },
    ];
  });
  return freshnessOf(clocks, now);
}
