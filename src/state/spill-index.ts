/**
 * The largest bucket offset cells hold, and the mark of a free cell, for 16-bit offsets (45 days of minutes) and for
 * the 32-bit ones a wider spread of buckets switches to.
 */
const NARROW = 0xffff;
const WIDE = 0x7fffffff;
const INITIAL_CELLS = 1024;
/** 2^32 / golden ratio: multiplied by it, a hash's top bits depend on all of its bits (Fibonacci hashing). */
const FIBONACCI = 0x9e3779b1;

/**
 * What a state spilled for space, by time bucket. Locating, it also maps a 32-bit hash of each key to its bucket, so a
 * look-up reads the spill file at one bucket, and a key not found was never spilled. The map is an open-addressing
 * table in typed arrays, a cell per hash and bucket (6 bytes: the hash and the bucket as a 16-bit offset, 8 when the
 * buckets spread wider), so 8 - 16 bytes a key: a Map of a million spilled keys took about 40 bytes each on the
 * JavaScript heap, and every full collection marked them all. Expired buckets' cells are left where they are,
 * skipped, and reused or swept out when the table is rebuilt: keeping each bucket's hashes to find its cells took
 * another 4 - 8 bytes a key. It is the one part of a state that grows with the window rather than the memory budget.
 */
export class SpillIndex {
  private cellHash = new Int32Array(0);
  private cellBucket: Uint16Array | Int32Array = new Uint16Array(0);
  /** A free cell's mark, one past the largest offset: NARROW until buckets spread wider. */
  private empty = NARROW;
  /** The bucket cells' offsets count from. */
  private base = 0;
  /** Cells taken (expired ones included), and those of buckets not expired. */
  private filled = 0;
  private live = 0;
  /** Buckets through this one are expired: their cells are free to take. */
  private expiredThrough = Number.NEGATIVE_INFINITY;
  /** 32 less the table's size in bits: a hash's home cell is its mixed hash's top bits. */
  private shift = 32;
  /** Keys spilled per bucket (each add), and cells per bucket (each distinct hash). */
  private readonly counts = new Map<number, number>();
  private readonly cellCounts = new Map<number, number>();
  private readonly locating: boolean;
  count = 0;

  constructor(locating: boolean) {
    this.locating = locating;
  }

  /** The memory its arrays take. */
  get bytes(): number {
    return this.cellHash.byteLength + this.cellBucket.byteLength;
  }

  /** Records the first `n` of `hashes` (`hash32`s) as keys spilled from `bucket`. */
  add(bucket: number, hashes: ArrayLike<number>, n = hashes.length): void {
    if (n === 0) return;
    this.count += n;
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + n);
    if (!this.locating) return;
    this.makeRoom(bucket, n);
    const offset = bucket - this.base;
    const mask = this.cellHash.length - 1;
    let cells = 0;
    for (let k = 0; k < n; k++) {
      const h = hashes[k]!;
      let free = -1;
      let i = this.home(h);
      let same = false;
      for (; this.cellBucket[i] !== this.empty; i = (i + 1) & mask) {
        const b = this.cellBucket[i]!;
        // The same hash in the same bucket: one cell holds both.
        if (this.cellHash[i] === h && b === offset) {
          same = true;
          break;
        }
        if (free < 0 && this.base + b <= this.expiredThrough) free = i;
      }
      if (same) continue;
      if (free < 0) {
        free = i;
        this.filled++;
      }
      this.cellHash[free] = h;
      this.cellBucket[free] = offset;
      cells++;
    }
    this.live += cells;
    this.cellCounts.set(bucket, (this.cellCounts.get(bucket) ?? 0) + cells);
  }

  /**
   * The bucket a key (by its `hash32`) was spilled from; null when its hash is in several buckets (or the index does
   * not locate); undefined when never spilled.
   */
  find(h: number): number | null | undefined {
    if (!this.locating) return this.count > 0 ? null : undefined;
    if (this.live === 0) return undefined;
    // bucketsOf's probe without its array: this runs for every follow event whose request is not in memory.
    const mask = this.cellHash.length - 1;
    let found: number | undefined;
    for (let i = this.home(h); this.cellBucket[i] !== this.empty; i = (i + 1) & mask) {
      const b = this.base + this.cellBucket[i]!;
      if (this.cellHash[i] !== h || b <= this.expiredThrough) continue;
      if (found !== undefined) return null;
      found = b;
    }
    return found;
  }

  /** Every bucket a key (by its `hash32`) may have been spilled from. Empty when never spilled or not locating. */
  bucketsOf(h: number): number[] {
    const found: number[] = [];
    if (!this.locating || this.live === 0) return found;
    const mask = this.cellHash.length - 1;
    for (let i = this.home(h); this.cellBucket[i] !== this.empty; i = (i + 1) & mask) {
      const b = this.base + this.cellBucket[i]!;
      if (this.cellHash[i] === h && b > this.expiredThrough) found.push(b);
    }
    return found;
  }

  /** Forgets the buckets before `last` (inclusive); returns how many keys went. */
  dropThrough(last: number): number {
    const before = this.count;
    for (const [b, n] of this.counts) {
      if (b > last) continue;
      this.count -= n;
      this.counts.delete(b);
      this.live -= this.cellCounts.get(b) ?? 0;
      this.cellCounts.delete(b);
    }
    if (last > this.expiredThrough) this.expiredThrough = last;
    // Memory follows the spilled part of the window down as well as up.
    if (this.cellHash.length > INITIAL_CELLS && 8 * this.live < this.cellHash.length) this.rebuild(INITIAL_CELLS);
    return before - this.count;
  }

  /**
   * Readies the table for `n` cells of `bucket`: room below three quarters full, and offsets (from the oldest bucket
   * still spilled) that reach it. A bucket spilled again after it expired first sweeps its expired cells out.
   */
  private makeRoom(bucket: number, n: number): void {
    if (bucket <= this.expiredThrough) {
      this.rebuild(this.cellHash.length);
      this.expiredThrough = bucket - 1;
    }
    if (this.live === 0 || bucket < this.base || bucket - this.base >= this.empty) {
      let oldest = bucket;
      let newest = bucket;
      for (const b of this.cellCounts.keys()) {
        if (b < oldest) oldest = b;
        if (b > newest) newest = b;
      }
      if (newest - oldest >= WIDE) throw new RangeError(`bucket ${bucket} too far from ${oldest}`);
      this.rebuild(this.cellHash.length, oldest, newest - oldest >= NARROW ? WIDE : NARROW);
    }
    if (4 * (this.filled + n) > 3 * this.cellHash.length) this.rebuild(this.cellHash.length, this.base, this.empty, n);
  }

  /** The cell where a probe for `h` starts. */
  private home(h: number): number {
    return Math.imul(h, FIBONACCI) >>> this.shift;
  }

  /**
   * Rehashes the cells of buckets not expired into a table of at least `cells` (more if they and `more` would fill it
   * past half), with offsets from `base` in cells as wide as `empty` says: expired cells go.
   */
  private rebuild(cells: number, base = this.base, empty = this.empty, more = 1): void {
    let size = Math.max(INITIAL_CELLS, cells);
    while (2 * (this.live + more) > size) size *= 2;
    const hashes = this.cellHash;
    const buckets = this.cellBucket;
    const oldBase = this.base;
    const oldEmpty = this.empty;
    this.cellHash = new Int32Array(size);
    this.cellBucket = (empty === NARROW ? new Uint16Array(size) : new Int32Array(size)).fill(empty);
    this.empty = empty;
    this.shift = 32 - Math.log2(size);
    this.base = base;
    this.filled = 0;
    const mask = size - 1;
    for (let j = 0; j < hashes.length; j++) {
      if (buckets[j] === oldEmpty) continue;
      const b = oldBase + buckets[j]!;
      if (b <= this.expiredThrough) continue;
      let i = this.home(hashes[j]!);
      while (this.cellBucket[i] !== this.empty) i = (i + 1) & mask;
      this.cellHash[i] = hashes[j]!;
      this.cellBucket[i] = b - base;
      this.filled++;
    }
  }
}

/** FNV-1a over the key's UTF-16 code units: fast, and spread well enough for ids. */
export function hash32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}
