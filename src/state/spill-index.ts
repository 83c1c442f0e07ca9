/** A key's hash marked as shared by spilled keys of different buckets: where they are is not known. */
const SHARED = -1;

/**
 * What a state spilled for space, by time bucket. Locating, it also maps a 32-bit hash of each key to its bucket, so a
 * look-up reads one bucket of the warehouse instead of the whole window, and a key not found was never spilled: about
 * 40 bytes a key (measured with a million keys on Node 24) where the state holds a few hundred.
 */
export class SpillIndex {
  private readonly bucketOf = new Map<number, number>();
  /** The hashes spilled per bucket (locating), for expiry. */
  private readonly hashes = new Map<number, number[]>();
  private readonly counts = new Map<number, number>();
  private readonly locating: boolean;
  count = 0;

  constructor(locating: boolean) {
    this.locating = locating;
  }

  /** Records a spilled key, by its `hash32`. */
  add(h: number, bucket: number): void {
    this.count++;
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + 1);
    if (!this.locating) return;
    const known = this.bucketOf.get(h);
    this.bucketOf.set(h, known === undefined || known === bucket ? bucket : SHARED);
    const list = this.hashes.get(bucket);
    if (list) list.push(h);
    else this.hashes.set(bucket, [h]);
  }

  /**
   * The bucket a key (by its `hash32`) was spilled from; null when its hash is shared across buckets (or the index
   * does not locate); undefined when never spilled.
   */
  find(h: number): number | null | undefined {
    if (!this.locating) return this.count > 0 ? null : undefined;
    const b = this.bucketOf.get(h);
    return b === SHARED ? null : b;
  }

  /** Forgets the buckets before `last` (inclusive). */
  dropThrough(last: number): void {
    for (const [b, n] of this.counts) {
      if (b > last) continue;
      this.count -= n;
      this.counts.delete(b);
      // A shared mark stays: which of its keys are left is not known. Marks are rare (about n^2 / 2^33 for n keys
      // spilled) and a restart clears them.
      for (const h of this.hashes.get(b) ?? []) if (this.bucketOf.get(h) === b) this.bucketOf.delete(h);
      this.hashes.delete(b);
    }
  }
}

/** FNV-1a over the key's UTF-16 code units: fast, and spread well enough for ids. */
export function hash32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}
