/**
 * Keyed operator state that expires by event time. Implementations may hold it in memory or on disk (spilled);
 * operators see only this interface: `get` and `has` answer for spilled entries too.
 *
 * Entries written with `pin` stay until `release(epoch)` even if already expired: they were written for
 * events older than the expiry horizon, and must stay visible until the checkpoint that writes them
 * to the warehouse is committed (the engine's invariant: every processed record is either in state or committed).
 */
export interface KeyedState<V> {
  get(key: string): V | undefined;
  /**
   * Given the entry's event time (when the caller knows it: a duplicate carries its original's), a spilled entry is
   * read back from that time's bucket, so a state need not locate its keys.
   */
  has(key: string, ts?: number): boolean;
  set(key: string, value: V, ts: number, pin?: number): void;
  delete(key: string): void;
  /**
   * Drops unpinned entries whose event time is before `horizon`; returns how many went. Given `space`, it then also
   * drops the oldest unpinned entries over `space.capacity`, none at or after `space.committedBefore` (they spill:
   * what was committed can be read back from the spill table, or from the warehouse that holds it): memory stays bounded whatever the window.
   */
  expire(horizon: number, space?: StateSpace): number;
  /** Entries dropped from memory for space while still inside the window: spilled. */
  readonly spilled: number;
  /** Every entry ever set with event time at or after this is held or spilled. */
  readonly knownSince: number;
  /**
   * Records entries the warehouse holds that memory does not (a restore the budget cut short) as spilled, so `get`
   * finds them; every key since `since` is then known.
   */
  restoreSpilled(entries: readonly { key: string; value: V; ts: number }[], since: number): void;
  /** Every entry ever set with event time at or after this is still held: a miss there is an answer, not a doubt. */
  readonly heldSince: number;
  /** Unpins entries pinned at or before `epoch`. */
  release(epoch: number): void;
  readonly size: number;
  /** The memory its entries take. */
  readonly bytes: number;
  /** The bytes of its spilled entries on disk. */
  readonly diskBytes: number;
}

/** The room a state has in memory: at most `capacity` entries, of which only those before `committedBefore` may go. */
export interface StateSpace {
  capacity: number;
  committedBefore: number;
}

/** A restore reads the entries it spills an hour of event time at a time, not the window's at once. */
const RESTORE_SLICE_MS = 3600_000;

/** Restores the entries of [from, before) as spilled, loading them a slice of event time at a time. */
export async function restoreSpilledRange<V>(
  state: KeyedState<V>,
  from: number,
  before: number,
  load: (from: number, before: number) => Promise<readonly { key: string; value: V; ts: number }[]>,
): Promise<void> {
  for (let t = from; t < before; t += RESTORE_SLICE_MS)
    state.restoreSpilled(await load(t, Math.min(before, t + RESTORE_SLICE_MS)), from);
}

/**
 * The event time from which a restore holds every entry: `horizon`, or just after the oldest row restored when the
 * capacity cut the restore short (rows come newest first).
 */
export function restoredSince(rows: readonly { ts: number }[], horizon: number, space?: StateSpace): number {
  const oldest = rows.at(-1);
  return space && oldest && rows.length >= space.capacity ? Math.max(horizon, oldest.ts + 1) : horizon;
}
