import { ID_ENTRY_BYTES, REQUEST_ENTRY_BYTES } from '../engine/stats.ts';
import type { QueryStore } from '../warehouse/warehouse.ts';
import { firstsCte } from './offline.ts';

/** The follow-event types whose delay after their request decides the join window. */
export const followTypes = ['exposure', 'viewable', 'click'] as const;
type FollowType = (typeof followTypes)[number];

/**
 * What one join window would give: attributed share per follow type (of what an unbounded join attributes) and the
 * state it holds.
 */
export interface WindowOutcome {
  windowMs: number;
  accuracy: Record<FollowType | 'all', number>;
  /**
   * Keys held at the observed rates for the window plus the allowed lateness: requests (the join) and follow-event ids
   * (dedup).
   */
  stateKeys: number;
  stateBytes: number;
}

export interface Recommendation {
  target: number;
  /** Smallest window attributing at least `target` of every follow type; null if nothing observed. */
  windowMs: number | null;
  stateKeys: number;
  stateBytes: number;
}

export interface WindowAdvice {
  observed: {
    requests: number;
    spanMs: number;
    requestsPerSecond: number;
    joined: Record<FollowType, number>;
    unmatched: Record<FollowType, number>;
  };
  windows: WindowOutcome[];
  recommendations: Recommendation[];
}

export interface AdviceOptions {
  windowsMs: readonly number[];
  targets: readonly number[];
  /** Requests and follow-event ids stay in state this much longer than the window (the engine's allowed lateness). */
  allowedLatenessMs: number;
}

/**
 * The join-window advisor: from the delays observed in ODS between requests and their exposures, viewable exposures
 * and clicks (first copies only, joined without a window: the offline truth), the share each window would attribute
 * and the state it would hold; and, per target, the smallest window reaching it: the target quantile of the delays of
 * the slowest follow type, rounded up to the minute.
 */
export async function adviseJoinWindow(store: QueryStore, opts: AdviceOptions): Promise<WindowAdvice> {
  const delays = `
    WITH ${firstsCte()},
    req AS (SELECT event_id AS request_id, event_time AS ts FROM firsts WHERE event_type = 'request'),
    fol AS (
      SELECT f.event_type, epoch_ms(f.event_time) - epoch_ms(r.ts) AS delay_ms
      FROM firsts f LEFT JOIN req r ON r.request_id = (f.raw->>'request_id') AND f.event_time >= r.ts
      WHERE f.event_type <> 'request'
    )`;
  const windows = opts.windowsMs
    .map((w, i) => `count(*) FILTER (WHERE delay_ms <= ${Math.trunc(w)}) AS w${i}`)
    .join(', ');
  const quantiles = opts.targets.map((t, i) => `quantile_disc(delay_ms, ${Number(t)}) AS q${i}`).join(', ');
  const rows = await store.query(`${delays}
    SELECT event_type, count(delay_ms) AS joined, count(*) - count(delay_ms) AS unmatched${windows ? `, ${windows}` : ''}${quantiles ? `, ${quantiles}` : ''}
    FROM fol GROUP BY event_type`);
  const [span] = await store.query(
    `WITH ${firstsCte()} SELECT count(*) AS requests, epoch_ms(max(event_time)) - epoch_ms(min(event_time)) AS span_ms FROM firsts WHERE event_type = 'request'`,
  );

  const requests = Number(span?.requests ?? 0);
  const spanMs = Number(span?.span_ms ?? 0);
  const perMs = spanMs > 0 ? requests / spanMs : 0;
  const byType = new Map(rows.map((r) => [r.event_type as string, r]));
  const count = (t: FollowType, col: string) => Number(byType.get(t)?.[col] ?? 0);
  const joined = Object.fromEntries(followTypes.map((t) => [t, count(t, 'joined')])) as Record<FollowType, number>;
  const unmatched = Object.fromEntries(followTypes.map((t) => [t, count(t, 'unmatched')])) as Record<
    FollowType,
    number
  >;
  const totalJoined = followTypes.reduce((s, t) => s + joined[t], 0);
  const followsPerMs = spanMs > 0 ? followTypes.reduce((s, t) => s + joined[t] + unmatched[t], 0) / spanMs : 0;
  // The join holds each request, and dedup each follow event's id, for the window plus the allowed lateness.
  const held = (windowMs: number | null) => {
    if (windowMs === null) return { stateKeys: 0, stateBytes: 0 };
    const requestsHeld = Math.round(perMs * (windowMs + opts.allowedLatenessMs));
    const idsHeld = Math.round(followsPerMs * (windowMs + opts.allowedLatenessMs));
    return {
      stateKeys: requestsHeld + idsHeld,
      stateBytes: requestsHeld * REQUEST_ENTRY_BYTES + idsHeld * ID_ENTRY_BYTES,
    };
  };

  const outcomes: WindowOutcome[] = opts.windowsMs.map((windowMs, i) => {
    const within = Object.fromEntries(followTypes.map((t) => [t, count(t, `w${i}`)])) as Record<FollowType, number>;
    const accuracy = Object.fromEntries(
      followTypes.map((t) => [t, share(within[t], joined[t])]),
    ) as WindowOutcome['accuracy'];
    accuracy.all = share(
      followTypes.reduce((s, t) => s + within[t], 0),
      totalJoined,
    );
    return { windowMs, accuracy, ...held(windowMs) };
  });
  const recommendations: Recommendation[] = opts.targets.map((target, i) => {
    const q = followTypes
      .map((t) => byType.get(t)?.[`q${i}`])
      .filter((x) => x !== null && x !== undefined)
      .map(Number);
    const windowMs = q.length === 0 ? null : Math.ceil(Math.max(1, ...q) / 60_000) * 60_000;
    return { target, windowMs, ...held(windowMs) };
  });
  return {
    observed: { requests, spanMs, requestsPerSecond: perMs * 1000, joined, unmatched },
    windows: outcomes,
    recommendations,
  };
}

function share(part: number, whole: number): number {
  return whole === 0 ? 1 : part / whole;
}
