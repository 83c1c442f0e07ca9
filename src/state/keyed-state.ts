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
  /** Drops unpinned entries whose event time is before `horizon`; returns how many went. */
  expire(horizon: number): number;
  /** Every entry ever set with event time at or after this is still held: a miss there is an answer, not a doubt. */
  readonly heldSince: number;
  /** Unpins entries pinned at or before `epoch`. */
  release(epoch: number): void;
  readonly size: number;
}
