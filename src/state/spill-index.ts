/** A key's hash marked as shared by spilled keys of different buckets: where they are is not known. */
const SHARED = -1;

/**
 * Where the keys a state spilled for space are: a 32-bit hash of each key mapped to its time bucket, so a look-up reads
 * one bucket of the warehouse instead of the whole window, and a key not found here was never spilled. About 40
 * bytes a key where the state holds a few hundred.
 */
export class SpillIndex {
  private readonly bucketOf = new Map<number, number>();
  /** The hashes spilled per bucket, for expiry. */
  private readonly byBucket = new Map<number, number[]>();
  count = 0;

  add(key: string, bucket: number): void {
    const h = hash32(key);
    const known = this.bucketOf.get(h);
    this.bucketOf.set(h, known === undefined || known === bucket ? bucket : SHARED);
    const list = this.byBucket.get(bucket);
    if (list) list.push(h);
    else this.byBucket.set(bucket, [h]);
    this.count++;
  }

  /** The bucket a key was spilled from; null when its hash is shared across buckets; undefined when never spilled. */
  find(key: string): number | null | undefined {
    const b = this.bucketOf.get(hash32(key));
    return b === SHARED ? null : b;
  }

  /** Forgets the buckets before `last` (inclusive). */
  dropThrough(last: number): void {
    for (const [b, hashes] of this.byBucket) {
      if (b > last) continue;
      for (const h of hashes) {
        // A shared mark stays: which of its keys are left is not known. Marks are rare (about n^2 / 2^33 for n keys
        // spilled) and a restart clears them.
        if (this.bucketOf.get(h) === b) this.bucketOf.delete(h);
      }
      this.count -= hashes.length;
      this.byBucket.delete(b);
    }
  }
}

/** FNV-1a over the key's UTF-16 code units: fast, and spread well enough for ids. */
function hash32(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h | 0;
}
