/**
 * Freshness: wall time from records entering the engine to their checkpoint being committed (queryable).
 * Kept as a weighted sample of recent batches, enough for percentiles.
 */
export class FreshnessTracker {
  private samples: { ms: number; n: number }[] = [];
  /**
   * The samples by freshness, and their records, until the next one: every viewer's /api/status asks for percentiles
   * between two commits, and sorting up to `capacity` samples each time held the thread the engine and API share.
   */
  private sorted: { samples: { ms: number; n: number }[]; total: number } | null = null;
  private readonly capacity: number;
  newestCommittedAt = 0;

  constructor(capacity = 100_000) {
    this.capacity = capacity;
  }

  record(ms: number, n: number): void {
    if (n <= 0) return;
    this.samples.push({ ms, n });
    if (this.samples.length > this.capacity) this.samples = this.samples.slice(-this.capacity / 2);
    this.sorted = null;
  }

  /** The p-th percentile (0..100) of freshness in ms, weighted by records. */
  percentile(p: number): number {
    if (this.samples.length === 0) return 0;
    if (!this.sorted) {
      const samples = [...this.samples].sort((a, b) => a.ms - b.ms);
      this.sorted = { samples, total: samples.reduce((s, x) => s + x.n, 0) };
    }
    const { samples: sorted, total } = this.sorted;
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
