import { keyBytes, keyEquals, keyField, writeKey } from './entry-bytes.ts';
import type { KeyedState, StateSpace } from './keyed-state.ts';
import type { SpillTable } from './spill-file.ts';
import { entryBytes, findEntry, grown, readEntry, SpillBatch, slotBits, slotOf, withoutEntry } from './spill-groups.ts';
import { hash32, SpillIndex } from './spill-index.ts';

/** How a state keeps its values off the JavaScript heap: as text beside the entry's key and event time. */
export interface StateCodec<V> {
  /** The value's payload ('' when the event time is the whole value). */
  encode(value: V): string;
  /** The value back from its payload, event time and key. */
  decode(payload: string, ts: number, key: string): V;
}

/** Values that are their entry's event time (ids held for deduplication, say). */
export const timeOnly: StateCodec<number> = { encode: () => '', decode: (_, ts) => ts };

/** A time bucket's entries: a list linked through the slots, and how many. */
interface Bucket {
  head: number;
  count: number;
}

const NONE = -1;
const INITIAL_SLOTS = 1024;
const INITIAL_BYTES = 64 * 1024;
/** Bytes a slot takes across the slot arrays: two of 8-byte numbers, seven of 32-bit ones. */
const SLOT_BYTES = 2 * 8 + 7 * 4;

/**
 * KeyedState in memory, kept off the JavaScript heap: keys and payloads in one byte arena, slots in typed arrays
 * (a hash table chained through them, and a list per time bucket so expiry touches only what expires). A window of
 * a million entries is a few dozen objects for the garbage collector, not millions: as Maps of strings and objects,
 * every full collection marked them all again (measured: V8's collector threads spent about 4 µs per event on it).
 * Bounded by a capacity it keeps the newest entries and spills the older ones of the window: to a spill table on disk
 * when given one (read back key by key), else to the warehouse file alone, which holds them anyway.
 */
export class MemoryState<V> implements KeyedState<V> {
  private readonly codec: StateCodec<V>;
  private readonly bucketMs: number;
  /** Entries dropped for space: still inside the window until expiry passes their bucket. */
  private readonly spills: SpillIndex;
  /** Where spilled entries go, when they are to be read back by key. */
  private table: SpillTable | null = null;
  /** The slot bits of each bucket spilled to the table, fixed at its first spill. */
  private readonly slotBitsOf = new Map<number, number>();
  private readonly buckets = new Map<number, Bucket>();
  private readonly pinsByEpoch = new Map<number, number[]>();
  /** The hashes of a bucket's entries being spilled, for the spill index at once. */
  private readonly spilledHashes: number[] = [];
  /** The slots of a run of adjacent entries, while a compaction copies them. */
  private run = new Int32Array(1024);
  /** Entries on their way to the spill table, filled again at every spill. */
  private readonly batch = new SpillBatch();
  // Per slot: event time, arena offset, key length field (entry-bytes.ts), payload bytes, key hash, next slot in
  // its hash chain (or in the free list), neighbours in its bucket's list, pinning epoch (NaN: none).
  private ts = new Float64Array(INITIAL_SLOTS);
  private off = new Uint32Array(INITIAL_SLOTS);
  private keyLen = new Uint32Array(INITIAL_SLOTS);
  private valLen = new Uint32Array(INITIAL_SLOTS);
  private hashes = new Int32Array(INITIAL_SLOTS);
  private chain = new Int32Array(INITIAL_SLOTS);
  private prev = new Int32Array(INITIAL_SLOTS);
  private next = new Int32Array(INITIAL_SLOTS);
  private pin = new Float64Array(INITIAL_SLOTS);
  private heads = new Int32Array(INITIAL_SLOTS).fill(NONE);
  private top = 0;
  private free = NONE;
  private count = 0;
  private arena = Buffer.allocUnsafeSlow(INITIAL_BYTES);
  private used = 0;
  /** Arena bytes of entries deleted or rewritten elsewhere, reclaimed by `compact`. */
  private garbage = 0;
  heldSince = Number.NEGATIVE_INFINITY;
  knownSince = Number.NEGATIVE_INFINITY;

  /**
   * `locating` keeps which bucket each spilled key went to (15 - 30 bytes a key), for states whose callers know a key
   * alone; others read a spilled entry back only given its event time (`has`), or without a spill table answer for the
   * time since `heldSince` alone.
   */
  constructor(codec: StateCodec<V>, bucketMs = 60_000, locating = false) {
    this.codec = codec;
    this.bucketMs = bucketMs;
    this.spills = new SpillIndex(locating);
  }

  /** From now on, entries spilled for space are written to `table`, and `get` and `has` read them back from it. */
  spillTo(table: SpillTable): void {
    this.table = table;
  }

  get size(): number {
    return this.count;
  }

  get diskBytes(): number {
    return this.table?.bytes ?? 0;
  }

  /** The memory the entries take: the arena, the slot arrays and the spill index. */
  get bytes(): number {
    return this.arena.length + this.ts.length * SLOT_BYTES + this.heads.length * 4 + this.spills.bytes;
  }

  get(key: string): V | undefined {
    const h = hash32(key);
    const s = this.find(key, h);
    if (s === NONE) {
      const e = this.readSpilled(key, h);
      return e && this.codec.decode(e.payload, e.ts, key);
    }
    return this.codec.decode(this.valLen[s] === 0 ? '' : this.payloadOf(s), this.ts[s]!, key);
  }

  has(key: string, ts?: number): boolean {
    const h = hash32(key);
    if (this.find(key, h) !== NONE) return true;
    // Whatever spilled is older than what memory holds.
    if (ts !== undefined)
      return ts < this.heldSince && this.readSpilled(key, h, Math.floor(ts / this.bucketMs)) !== undefined;
    return this.readSpilled(key, h) !== undefined;
  }

  /** A spilled entry of `key`, read back from the spill table: from `bucket` when given, else where the index says. */
  private readSpilled(key: string, h: number, bucket?: number): { ts: number; payload: string } | undefined {
    if (!this.table) return undefined;
    // Most keys were never spilled: the index says so at once; a hash in several buckets (null) lists them.
    const at = this.spills.find(h);
    if (at === undefined) return undefined;
    if (bucket !== undefined || at !== null) return this.readGroups(key, h, bucket ?? (at as number));
    for (const b of this.spills.bucketsOf(h)) {
      const e = this.readGroups(key, h, b);
      if (e) return e;
    }
    return undefined;
  }

  /** `key`'s entry in the groups of its slot of a spilled bucket. */
  private readGroups(key: string, h: number, bucket: number): { ts: number; payload: string } | undefined {
    for (const group of this.table?.get(bucket, this.slotIn(bucket, h)) ?? []) {
      const o = findEntry(group, key);
      if (o >= 0) return readEntry(group, o);
    }
    return undefined;
  }

  /** A key's slot in a spilled bucket. */
  private slotIn(bucket: number, h: number): number {
    return slotOf(h, this.slotBitsOf.get(bucket) ?? 0);
  }

  /** A bucket's slot bits, fixed by its size when it first spills (`n` entries). */
  private slotBitsFor(bucket: number, n: number): number {
    let bits = this.slotBitsOf.get(bucket);
    if (bits === undefined) {
      bits = slotBits(n);
      this.slotBitsOf.set(bucket, bits);
    }
    return bits;
  }

  set(key: string, value: V, ts: number, pin?: number): void {
    const h = hash32(key);
    const payload = this.codec.encode(value);
    let s = this.find(key, h);
    if (s === NONE) {
      s = this.newSlot(key, h, payload);
    } else {
      // Rewritten while still in its bucket's list, which a compaction of the arena walks.
      this.rewrite(s, payload);
      this.unlinkBucket(s);
    }
    this.place(s, ts, pin);
  }

  /**
   * Sets `key` unless state holds it, in memory or spilled (`has` given `ts`): whether it did. One hash and one
   * look-up where `has` and then `set` took two.
   */
  add(key: string, value: V, ts: number, pin?: number): boolean {
    const h = hash32(key);
    if (this.find(key, h) !== NONE) return false;
    if (ts < this.heldSince && this.readSpilled(key, h, Math.floor(ts / this.bucketMs)) !== undefined) return false;
    this.place(this.newSlot(key, h, this.codec.encode(value)), ts, pin);
    return true;
  }

  /** A slot's event time, its place in its bucket's list, and its pin. */
  private place(s: number, ts: number, pin: number | undefined): void {
    this.ts[s] = ts;
    this.linkBucket(s);
    if (pin !== undefined) {
      this.pin[s] = pin;
      const pins = this.pinsByEpoch.get(pin);
      if (pins) pins.push(s);
      else this.pinsByEpoch.set(pin, [s]);
    }
  }

  delete(key: string): void {
    const h = hash32(key);
    const s = this.find(key, h);
    if (s !== NONE) this.remove(s);
    if (this.table)
      for (const b of this.spills.bucketsOf(h)) {
        const slot = this.slotIn(b, h);
        const groups: Uint8Array[] = this.table.get(b, slot);
        for (let i = 0; i < groups.length; i++) {
          const o = findEntry(groups[i]!, key);
          if (o < 0) continue;
          groups[i] = withoutEntry(groups[i]!, o);
          this.table.replace(b, slot, Buffer.concat(groups));
          break;
        }
      }
  }

  get spilled(): number {
    return this.spills.count;
  }

  restoreSpilled(entries: readonly { key: string; value: V; ts: number }[], since: number): void {
    // Each bucket's key hashes: for the spill index a bucket at once, and the bucket's size for its slot bits.
    const hashes = new Map<number, number[]>();
    const keyHashes = entries.map((e) => hash32(e.key));
    for (let i = 0; i < entries.length; i++) {
      const b = Math.floor(entries[i]!.ts / this.bucketMs);
      const h = keyHashes[i]!;
      const list = hashes.get(b);
      if (list) list.push(h);
      else hashes.set(b, [h]);
    }
    for (const [b, list] of hashes) this.spills.add(b, list);
    const batch = this.batch;
    if (this.table)
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        const b = Math.floor(e.ts / this.bucketMs);
        const h = keyHashes[i]!;
        const { field, bytes, payloadBytes } = entryBytes(e.key, this.codec.encode(e.value));
        batch.add(b, slotOf(h, this.slotBitsFor(b, hashes.get(b)!.length)), e.ts, field, bytes, 0, payloadBytes);
      }
    if (batch.size > 0) this.table?.put(batch.groups());
    this.knownSince = since;
  }

  expire(horizon: number, space?: StateSpace): number {
    if (horizon > this.knownSince) this.knownSince = horizon;
    const removed = this.drop(horizon, false);
    const expired = Math.floor(horizon / this.bucketMs) - 1;
    if (this.spills.dropThrough(expired) > 0) this.table?.dropThrough(expired);
    for (const b of this.slotBitsOf.keys()) if (b <= expired) this.slotBitsOf.delete(b);
    if (space && this.count > space.capacity) this.drop(Math.min(space.committedBefore, this.roomFrom(space)), true);
    return removed;
  }

  release(epoch: number): void {
    for (const [e, slots] of this.pinsByEpoch) {
      if (e > epoch) continue;
      for (const s of slots) if (this.pin[s] === e) this.pin[s] = Number.NaN;
      this.pinsByEpoch.delete(e);
    }
  }

  /** The start of the oldest bucket from which the newest entries fit the capacity. */
  private roomFrom(space: StateSpace): number {
    let held = 0;
    for (const b of [...this.buckets.keys()].sort((x, y) => y - x)) {
      held += this.buckets.get(b)!.count; // a key of the map's own iteration
      if (held > space.capacity) return (b + 1) * this.bucketMs;
    }
    return Number.NEGATIVE_INFINITY;
  }

  /** Drops unpinned entries before `horizon`, counting them as spilled (still in the window) or gone. */
  private drop(horizon: number, spill: boolean): number {
    if (horizon > this.heldSince) this.heldSince = horizon;
    const last = Math.floor(horizon / this.bucketMs);
    const batch = spill && this.table ? this.batch : null;
    let removed = 0;
    for (const [b, bucket] of this.buckets) if (b <= last) removed += this.dropFrom(b, bucket, horizon, spill, batch);
    // Before a compaction moves the arena's bytes: the batch points into it.
    if (batch && batch.size > 0) this.table?.put(batch.groups());
    if (this.garbage > this.used / 2) this.compact(0);
    return removed;
  }

  /**
   * Drops a bucket's unpinned entries before `horizon` (see `drop`); returns how many. A method of its own for the
   * reason `copyBucket` is one (`drop`'s loop was compiled on the stack again at each call: 58 compiles).
   */
  private dropFrom(b: number, bucket: Bucket, horizon: number, spill: boolean, batch: SpillBatch | null): number {
    // The bucket's list is rebuilt from the entries that stay, rather than each dropped entry unlinked from it.
    let bits = -1;
    let kept = NONE;
    let keptCount = 0;
    let spilled = 0;
    let removed = 0;
    for (let s = bucket.head; s !== NONE; ) {
      const following = this.next[s]!;
      if (this.ts[s]! < horizon && Number.isNaN(this.pin[s]!)) {
        if (spill) this.spilledHashes[spilled++] = this.hashes[s]!;
        if (batch) {
          if (bits < 0) bits = this.slotBitsFor(b, bucket.count);
          const slot = slotOf(this.hashes[s]!, bits);
          batch.add(b, slot, this.ts[s]!, this.keyLen[s]!, this.arena, this.off[s]!, this.valLen[s]!);
        }
        this.freeSlot(s);
        removed++;
      } else {
        if (kept === NONE) bucket.head = s;
        else this.next[kept] = s;
        this.prev[s] = kept;
        kept = s;
        keptCount++;
      }
      s = following;
    }
    this.spills.add(b, this.spilledHashes, spilled);
    if (kept === NONE) this.buckets.delete(b);
    else {
      this.next[kept] = NONE;
      bucket.count = keptCount;
    }
    return removed;
  }

  private payloadOf(s: number): string {
    const start = this.off[s]! + keyBytes(this.keyLen[s]!);
    return this.arena.toString('utf8', start, start + this.valLen[s]!);
  }

  /** The slot holding `key`, or NONE. */
  private find(key: string, h: number): number {
    for (let s = this.heads[h & (this.heads.length - 1)]!; s !== NONE; s = this.chain[s]!)
      if (this.hashes[s] === h && keyEquals(this.arena, this.off[s]!, this.keyLen[s]!, key)) return s;
    return NONE;
  }

  private newSlot(key: string, h: number, payload: string): number {
    const field = keyField(key);
    const kb = keyBytes(field);
    this.reserve(kb + 3 * payload.length);
    let s = this.free;
    if (s !== NONE) this.free = this.chain[s]!;
    else {
      if (this.top === this.ts.length) this.growSlots();
      s = this.top++;
    }
    const o = this.used;
    writeKey(this.arena, o, key, field);
    this.off[s] = o;
    this.keyLen[s] = field;
    this.valLen[s] = payload.length === 0 ? 0 : this.arena.write(payload, o + kb, 'utf8');
    this.used = o + kb + this.valLen[s]!;
    this.hashes[s] = h;
    this.pin[s] = Number.NaN;
    if (++this.count > this.heads.length) this.rehash(this.heads.length * 2);
    this.chainIn(s); // not in a bucket's list yet, so not in the rehash
    return s;
  }

  /** Replaces a slot's payload: in place when it fits, else key and payload move to the arena's end. */
  private rewrite(s: number, payload: string): void {
    const kb = keyBytes(this.keyLen[s]!);
    const old = this.valLen[s]!;
    if (payload.length === 0) {
      this.garbage += old;
      this.valLen[s] = 0;
      return;
    }
    if (Buffer.byteLength(payload) <= old) {
      const n = this.arena.write(payload, this.off[s]! + kb, 'utf8');
      this.garbage += old - n;
      this.valLen[s] = n;
      return;
    }
    this.reserve(kb + 3 * payload.length);
    const o = this.used;
    this.arena.copy(this.arena, o, this.off[s]!, this.off[s]! + kb);
    this.garbage += kb + old;
    this.off[s] = o;
    this.valLen[s] = this.arena.write(payload, o + kb, 'utf8');
    this.used = o + kb + this.valLen[s]!;
  }

  private remove(s: number): void {
    this.unlinkBucket(s);
    this.freeSlot(s);
  }

  /** Takes a slot out of its hash chain and frees it; its bucket's list is the caller's to mend. */
  private freeSlot(s: number): void {
    const i = this.hashes[s]! & (this.heads.length - 1);
    if (this.heads[i] === s) this.heads[i] = this.chain[s]!;
    else {
      let p = this.heads[i]!;
      while (this.chain[p] !== s) p = this.chain[p]!;
      this.chain[p] = this.chain[s]!;
    }
    this.garbage += keyBytes(this.keyLen[s]!) + this.valLen[s]!;
    this.pin[s] = Number.NaN;
    this.chain[s] = this.free;
    this.free = s;
    this.count--;
  }

  private chainIn(s: number): void {
    const i = this.hashes[s]! & (this.heads.length - 1);
    this.chain[s] = this.heads[i]!;
    this.heads[i] = s;
  }

  private linkBucket(s: number): void {
    const b = Math.floor(this.ts[s]! / this.bucketMs);
    const bucket = this.buckets.get(b);
    this.prev[s] = NONE;
    if (bucket) {
      this.next[s] = bucket.head;
      this.prev[bucket.head] = s;
      bucket.head = s;
      bucket.count++;
    } else {
      this.next[s] = NONE;
      this.buckets.set(b, { head: s, count: 1 });
    }
  }

  private unlinkBucket(s: number): void {
    const b = Math.floor(this.ts[s]! / this.bucketMs);
    const bucket = this.buckets.get(b)!; // every live slot is in its time's bucket
    const p = this.prev[s]!;
    const n = this.next[s]!;
    if (p === NONE) bucket.head = n;
    else this.next[p] = n;
    if (n !== NONE) this.prev[n] = p;
    if (--bucket.count === 0) this.buckets.delete(b);
  }

  /** Makes room for `n` more arena bytes: reclaims garbage when it is a quarter of the arena, else grows it. */
  private reserve(n: number): void {
    if (this.used + n <= this.arena.length) return;
    if (this.garbage >= this.arena.length / 4) this.compact(n);
    if (this.used + n > this.arena.length) this.moveArena(Math.max(2 * this.arena.length, this.used + n), false);
  }

  /** Copies the live entries to an arena sized for them and `n` more bytes, shrinking it when the state shrank. */
  private compact(n: number): void {
    const live = this.used - this.garbage;
    this.moveArena(Math.max(INITIAL_BYTES, 2 * (live + n)), true);
  }

  private moveArena(size: number, packed: boolean): void {
    const from = this.arena;
    const to = Buffer.allocUnsafeSlow(size);
    if (!packed) from.copy(to, 0, 0, this.used);
    else {
      // A bucket's entries are mostly one after the other in the arena (its list runs newest first, so each ends where
      // the one before it in the list starts): each such run is copied by one call, not an entry at a time.
      let o = 0;
      for (const bucket of this.buckets.values()) o = this.copyBucket(bucket, from, to, o);
      this.used = o;
      this.garbage = 0;
    }
    this.arena = to;
  }

  /** Copies the arena's bytes [start, end) of the `n` slots in `run` to `to` at `o`; returns where they end. */
  /**
   * Copies a bucket's entries from `from` to `to` at `o`, run by run; returns where the next bucket's go. A method of its
   * own, not a loop inside `moveArena`: called once per bucket, it stays compiled, where the loop, in a function called
   * a few times a run, was compiled on the stack again at every call and left at every bucket (V8's OSR: 92 compiles
   * in a 2-million-event bench).
   */
  private copyBucket(bucket: Bucket, from: Buffer, to: Buffer, at: number): number {
    let o = at;
    let n = 0;
    let runStart = 0;
    let runEnd = 0;
    for (let s = bucket.head; s !== NONE; s = this.next[s]!) {
      const start = this.off[s]!;
      const end = start + keyBytes(this.keyLen[s]!) + this.valLen[s]!;
      if (n > 0 && end === runStart) runStart = start;
      else {
        if (n > 0) o = this.copyRun(from, to, o, runStart, runEnd, n);
        n = 0;
        runStart = start;
        runEnd = end;
      }
      if (n === this.run.length) this.run = grown(this.run, new Int32Array(2 * n));
      this.run[n++] = s;
    }
    return n > 0 ? this.copyRun(from, to, o, runStart, runEnd, n) : o;
  }

  private copyRun(from: Buffer, to: Buffer, o: number, start: number, end: number, n: number): number {
    from.copy(to, o, start, end);
    for (let k = 0; k < n; k++) {
      const s = this.run[k]!;
      this.off[s] = o + this.off[s]! - start;
    }
    return o + end - start;
  }

  private growSlots(): void {
    const n = this.ts.length * 2;
    this.ts = grown(this.ts, new Float64Array(n));
    this.off = grown(this.off, new Uint32Array(n));
    this.keyLen = grown(this.keyLen, new Uint32Array(n));
    this.valLen = grown(this.valLen, new Uint32Array(n));
    this.hashes = grown(this.hashes, new Int32Array(n));
    this.chain = grown(this.chain, new Int32Array(n));
    this.prev = grown(this.prev, new Int32Array(n));
    this.next = grown(this.next, new Int32Array(n));
    this.pin = grown(this.pin, new Float64Array(n));
  }

  /** A hash table of `size` heads (a power of two) over every live slot. */
  private rehash(size: number): void {
    this.heads = new Int32Array(size).fill(NONE);
    for (const bucket of this.buckets.values())
      for (let s = bucket.head; s !== NONE; s = this.next[s]!) this.chainIn(s);
  }
}
