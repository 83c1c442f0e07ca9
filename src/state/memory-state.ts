import type { KeyedState, StateSpace } from './keyed-state.ts';
import { SpillIndex } from './spill-index.ts';

/**
 * KeyedState in memory: a Map plus time buckets, so expiry touches only what expires. Bounded by a capacity it keeps
 * the newest entries and leaves the older ones of the window to the warehouse file on disk, which holds them anyway.
 */
export class MemoryState<V> implements KeyedState<V> {
  private readonly map = new Map<string, V>();
  private readonly buckets = new Map<number, string[]>();
  private readonly pinned = new Map<string, number>();
  private readonly pinsByEpoch = new Map<number, string[]>();
  /** Entries dropped for space: still inside the window until expiry passes their bucket. */
  private readonly spills: SpillIndex;
  private readonly bucketMs: number;
  private readonly tsOf: (v: V) => number;
  heldSince = Number.NEGATIVE_INFINITY;
  knownSince = Number.NEGATIVE_INFINITY;

  /**
   * `tsOf` reads an entry's event time back from its value (entries may be rewritten under another time); `locating`
   * keeps where each spilled key went (see `locate`), for states looked up by key alone.
   */
  constructor(tsOf: (v: V) => number, bucketMs = 60_000, locating = false) {
    this.tsOf = tsOf;
    this.bucketMs = bucketMs;
    this.spills = new SpillIndex(locating);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  set(key: string, value: V, ts: number, pin?: number): void {
    this.map.set(key, value);
    const b = Math.floor(ts / this.bucketMs);
    const list = this.buckets.get(b);
    if (list) list.push(key);
    else this.buckets.set(b, [key]);
    if (pin !== undefined) {
      this.pinned.set(key, pin);
      const pins = this.pinsByEpoch.get(pin);
      if (pins) pins.push(key);
      else this.pinsByEpoch.set(pin, [key]);
    }
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  get spilled(): number {
    return this.spills.count;
  }

  locate(key: string): { from: number; to: number } | null | undefined {
    const b = this.spills.find(key);
    if (b === undefined || b === null) return b;
    return { from: b * this.bucketMs, to: (b + 1) * this.bucketMs - 1 };
  }

  restoreSpilled(keys: readonly { id: string; ts: number }[], since: number): void {
    for (const k of keys) this.spills.add(k.id, Math.floor(k.ts / this.bucketMs));
    this.knownSince = since;
  }

  expire(horizon: number, space?: StateSpace): number {
    if (horizon > this.knownSince) this.knownSince = horizon;
    const removed = this.drop(horizon, false);
    this.spills.dropThrough(Math.floor(horizon / this.bucketMs) - 1);
    if (space && this.map.size > space.capacity) this.drop(Math.min(space.committedBefore, this.roomFrom(space)), true);
    return removed;
  }

  /** The start of the oldest bucket from which the newest entries fit the capacity (bucket lists over-count a little). */
  private roomFrom(space: StateSpace): number {
    let held = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => y - x)) {
      held += this.buckets.get(b)!.length; // a key of the map's own iteration
      if (held > space.capacity) return (b + 1) * this.bucketMs;
    }
    return Number.NEGATIVE_INFINITY;
  }

  /** Drops unpinned entries before `horizon`, counting them as spilled (still in the window) or gone. */
  private drop(horizon: number, spill: boolean): number {
    if (horizon > this.heldSince) this.heldSince = horizon;
    const last = Math.floor(horizon / this.bucketMs);
    let removed = 0;
    for (const [b, keys] of this.buckets) {
      if (b > last) continue;
      const keep: string[] = [];
      for (const key of keys) {
        const v = this.map.get(key);
        if (v === undefined) continue;
        const ts = this.tsOf(v);
        if (ts >= horizon) {
          // Still live: keep it indexed here, unless it was rewritten under a time indexed in another bucket.
          if (Math.floor(ts / this.bucketMs) === b) keep.push(key);
          continue;
        }
        if (this.pinned.has(key)) {
          keep.push(key);
          continue;
        }
        this.map.delete(key);
        removed++;
        if (spill) this.spills.add(key, b);
      }
      if (keep.length > 0) this.buckets.set(b, keep);
      else this.buckets.delete(b);
    }
    return removed;
  }

  release(epoch: number): void {
    for (const [e, keys] of this.pinsByEpoch) {
      if (e > epoch) continue;
      for (const key of keys) if (this.pinned.get(key) === e) this.pinned.delete(key);
      this.pinsByEpoch.delete(e);
    }
  }
}
