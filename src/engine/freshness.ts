/**
 * Freshness: wall time from records entering the engine to their checkpoint being committed (queryable).
 * Kept as a weighted sample of recent batches, enough for percentiles.
 */
export class FreshnessTracker {
  private samples: { ms: number; n: number }[] = [];
  private readonly capacity: number;
  newestCommittedAt = 0;

  constructor(capacity = 100_000) {
    this.capacity = capacity;
  }

  record(ms: number, n: number): void {
    if (n <= 0) return;
    this.samples.push({ ms, n });
    if (this.samples.length > this.capacity) this.samples = this.samples.slice(-this.capacity / 2);
  }

  /** The p-th percentile (0..100) of freshness in ms, weighted by records. */
  percentile(p: number): number {
    if (this.samples.length === 0) return 0;
    const sorted = [...this.samples].sort((a, b) => a.ms - b.ms);
    const total = sorted.reduce((s, x) => s + x.n, 0);
    let acc = 0;
    let ms = 0;
    // Past the end (p over 100, or float rounding), the answer is the largest sample.
    for (const s of sorted) {
      ms = s.ms;
      acc += s.n;
      if (acc >= (p / 100) * total) break;
    }
    return ms;
  }
}
