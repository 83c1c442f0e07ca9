/** A free cell of the hash table (cells hold buckets as 32-bit offsets from the first bucket spilled). */
const EMPTY = -0x80000000;
/** A key's hash marked as shared by spilled keys of different buckets. */
const SHARED = EMPTY + 1;
const INITIAL_CELLS = 1024;
/** 2^32 / golden ratio: multiplied by it, a hash's top bits depend on all of its bits (Fibonacci hashing). */
const FIBONACCI = 0x9e3779b1;

/** The hashes spilled from one bucket, in a typed array that grows by doubling. */
interface HashList {
  hashes: Int32Array;
  n: number;
}

/**
 * What a state spilled for space, by time bucket. Locating, it also maps a 32-bit hash of each key to its bucket, so a
 * look-up reads the spill file at one bucket, and a key not found was never spilled. The map is an open-addressing
 * table in typed arrays (11 - 22 bytes a key, and 4 - 8 in its bucket's list; none of it for the garbage collector to
 * mark): a Map of a million spilled keys took about 40 bytes each on the JavaScript heap, and every full collection
 * marked them all. It is the one part of a state that grows with the window rather than the memory budget.
 */
export class SpillIndex {
  private cellHash = new Int32Array(0);
  private cellBucket = new Int32Array(0);
  /** The first bucket spilled: cells hold offsets from it. */
  private base = Number.NaN;
  private filled = 0;
  /** 32 less the table's size in bits: a hash's home cell is its mixed hash's top bits. */
  private shift = 32;
  /** The hashes spilled per bucket (locating), for expiry. */
  private readonly lists = new Map<number, HashList>();
  private readonly counts = new Map<number, number>();
  private readonly locating: boolean;
  count = 0;

  constructor(locating: boolean) {
    this.locating = locating;
  }

  /** The memory its arrays take. */
  get bytes(): number {
    let n = this.cellHash.byteLength + this.cellBucket.byteLength;
    for (const list of this.lists.values()) n += list.hashes.byteLength;
    return n;
  }

  /** Records a spilled key, by its `hash32`. */
  add(h: number, bucket: number): void {
    this.count++;
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    if (!this.locating) return;
    if (Number.isNaN(this.base)) this.base = bucket;
    const offset = bucket - this.base;
    if (!(offset > SHARED && offset <= 0x7fffffff)) throw new RangeError(`bucket ${bucket} too far from ${this.base}`);
    if (4 * (this.filled + 1) > 3 * this.cellHash.length)
      this.resize(Math.max(INITIAL_CELLS, 2 * this.cellHash.length));
    const i = this.cellOf(h);
    const known = this.cellBucket[i]!;
    if (known === EMPTY) {
      this.cellHash[i] = h;
      this.cellBucket[i] = offset;
      this.filled++;
    } else if (known !== offset) this.cellBucket[i] = SHARED;
    const list = this.lists.get(bucket);
    if (!list) this.lists.set(bucket, { hashes: Int32Array.of(h), n: 1 });
    else {
      if (list.n === list.hashes.length) {
        const grown = new Int32Array(2 * list.n);
        grown.set(list.hashes);
        list.hashes = grown;
      }
      list.hashes[list.n++] = h;
    }
  }

  /**
   * The bucket a key (by its `hash32`) was spilled from; null when its hash is shared across buckets (or the index
   * does not locate); undefined when never spilled.
   */
  find(h: number): number | null | undefined {
    if (!this.locating) return this.count > 0 ? null : undefined;
    if (this.filled === 0) return undefined;
    const b = this.cellBucket[this.cellOf(h)]!;
    return b === EMPTY ? undefined : b === SHARED ? null : this.base + b;
  }

  /**
   * Every bucket a key (by its `hash32`) may have been spilled from: its own, or for a hash shared across buckets each
   * bucket whose list holds it (a scan of every list, for the rare shared hash). Empty when never spilled or not
   * locating.
   */
  bucketsOf(h: number): number[] {
    const b = this.find(h);
    if (b !== null) return b === undefined ? [] : [b];
    const found: number[] = [];
    for (const [bucket, list] of this.lists) if (list.hashes.subarray(0, list.n).includes(h)) found.push(bucket);
    return found;
  }

  /** Forgets the buckets before `last` (inclusive); returns how many keys went. */
  dropThrough(last: number): number {
    const before = this.count;
    for (const [b, n] of this.counts) {
      if (b > last) continue;
      this.count -= n;
      this.counts.delete(b);
      const list = this.lists.get(b);
      if (!list) continue;
      // A shared mark stays: which of its keys are left is not known. Marks are rare (about n^2 / 2^33 for n keys
      // spilled) and a restart clears them.
      for (let k = 0; k < list.n; k++) {
        const i = this.cellOf(list.hashes[k]!);
        if (this.cellBucket[i] === b - this.base) this.vacate(i);
      }
      this.lists.delete(b);
    }
    // Memory follows the spilled part of the window down as well as up.
    if (this.cellHash.length > INITIAL_CELLS && 8 * this.filled < this.cellHash.length)
      this.resize(Math.max(INITIAL_CELLS, this.cellHash.length / 2));
    return before - this.count;
  }

  /** The cell holding `h`, or the free cell where it would go. */
  private cellOf(h: number): number {
    const mask = this.cellHash.length - 1;
    let i = this.home(h);
    while (this.cellBucket[i] !== EMPTY && this.cellHash[i] !== h) i = (i + 1) & mask;
    return i;
  }

  /** The cell where a probe for `h` starts. */
  private home(h: number): number {
    return Math.imul(h, FIBONACCI) >>> this.shift;
  }

  /** Frees cell `i`, moving later cells of its probe run back so that every run stays unbroken (no tombstones). */
  private vacate(i: number): void {
    const mask = this.cellHash.length - 1;
    for (let j = (i + 1) & mask; this.cellBucket[j] !== EMPTY; j = (j + 1) & mask) {
      const k = this.home(this.cellHash[j]!);
      // The cell at j may move to i only if its home is not cyclically within (i, j].
      if (i <= j ? k > i && k <= j : k > i || k <= j) continue;
      this.cellHash[i] = this.cellHash[j]!;
      this.cellBucket[i] = this.cellBucket[j]!;
      i = j;
    }
    this.cellBucket[i] = EMPTY;
    this.filled--;
  }

  private resize(cells: number): void {
    const hashes = this.cellHash;
    const buckets = this.cellBucket;
    this.cellHash = new Int32Array(cells);
    this.cellBucket = new Int32Array(cells).fill(EMPTY);
    this.shift = 32 - Math.log2(cells);
    for (let i = 0; i < hashes.length; i++) {
      if (buckets[i] === EMPTY) continue;
      const j = this.cellOf(hashes[i]!);
      this.cellHash[j] = hashes[i]!;
      this.cellBucket[j] = buckets[i]!;
    }
  }
}

/** FNV-1a over the key's UTF-16 code units: fast, and spread well enough for ids. */
export function hash32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}
