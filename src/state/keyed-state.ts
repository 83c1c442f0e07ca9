/**
 * Keyed operator state that expires by event time. Implementations may hold it in memory or on disk;
 * operators see only this interface.
 *
 * Entries written with `pin` stay until `release(epoch)` even if already expired: they were written for
 * events older than the expiry horizon, and must stay visible until the checkpoint that writes them
 * to the warehouse is committed (the engine's invariant: every processed record is either in state or committed).
 */
export interface KeyedState<V> {
  get(key: string): V | undefined;
  has(key: string): boolean;
  set(key: string, value: V, ts: number, pin?: number): void;
  delete(key: string): void;
  /**
   * Drops unpinned entries whose event time is before `horizon`; returns how many went. Given `space`, it then also
   * drops the oldest unpinned entries over `space.capacity`, none at or after `space.committedBefore` (the warehouse
   * holds what was committed, so a miss there becomes a look-up): memory stays bounded whatever the window.
   */
  expire(horizon: number, space?: StateSpace): number;
  /** Entries dropped for space while still inside the window: the warehouse answers for them now. */
  readonly spilled: number;
  /** Every entry ever set with event time at or after this is held, or spilled and found by `locate`. */
  readonly knownSince: number;
  /**
   * The event-time range a spilled key's entry lies in; null when spilled but where is not known (before heldSince);
   * undefined when not spilled.
   */
  locate(key: string): { from: number; to: number } | null | undefined;
  /**
   * Records keys the warehouse holds that memory does not (a restore the budget cut short), so `locate` finds them;
   * every key since `since` is then known.
   */
  restoreSpilled(keys: readonly { id: string; ts: number }[], since: number): void;
  /** Every entry ever set with event time at or after this is still held: a miss there is an answer, not a doubt. */
  readonly heldSince: number;
  /** Unpins entries pinned at or before `epoch`. */
  release(epoch: number): void;
  readonly size: number;
  /** The memory its entries take. */
  readonly bytes: number;
}

/** The room a state has in memory: at most `capacity` entries, of which only those before `committedBefore` may go. */
export interface StateSpace {
  capacity: number;
  committedBefore: number;
}

/**
 * The event time from which a restore holds every entry: `horizon`, or just after the oldest row restored when the
 * capacity cut the restore short (rows come newest first).
 */
export function restoredSince(rows: readonly { ts: number }[], horizon: number, space?: StateSpace): number {
  const oldest = rows.at(-1);
  return space && oldest && rows.length >= space.capacity ? Math.max(horizon, oldest.ts + 1) : horizon;
}
