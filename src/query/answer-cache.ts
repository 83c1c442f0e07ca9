/** How a look-up was answered: from the cache, by joining the same query in flight, or by running it. */
export type CacheOutcome = 'hit' | 'joined' | 'miss';

export interface AnswerCacheOptions<T> {
  /** The data's version now: answers are shared only between look-ups that see the same version. */
  version: () => number;
  /** At most this many answers are kept (least recently used go first). */
  maxEntries: number;
  /** At most this much weight (see `weigh`) is kept: a few huge answers cannot hold the memory. */
  maxWeight: number;
  weigh: (answer: T) => number;
  onLookup?: (outcome: CacheOutcome) => void;
}

/**
 * Answers shared between callers while the data does not change: keyed by the question, valid for one version of the
 * data. A new version drops every answer of the old one, and an answer whose computation saw the version change is
 * handed to its callers but never kept. Identical questions asked while one is being answered wait for that answer.
 * Answers are shared objects: callers must not change them.
 */
export class AnswerCache<T> {
  private readonly o: AnswerCacheOptions<T>;
  private version = Number.NaN;
  /** Map order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, { answer: T; weight: number }>();
  private readonly inflight = new Map<string, Promise<T>>();
  private weight = 0;

  constructor(options: AnswerCacheOptions<T>) {
    this.o = options;
  }

  /** The answer to `key` at the current version: kept, in flight, or computed now. */
  get(key: string, compute: () => Promise<T>): Promise<T> {
    const version = this.o.version();
    if (version !== this.version) this.reset(version);
    const kept = this.entries.get(key);
    if (kept) {
      this.entries.delete(key);
      this.entries.set(key, kept);
      this.o.onLookup?.('hit');
      return Promise.resolve(kept.answer);
    }
    const running = this.inflight.get(key);
    if (running) {
      this.o.onLookup?.('joined');
      return running;
    }
    this.o.onLookup?.('miss');
    const answer = compute();
    this.inflight.set(key, answer);
    const settle = () => {
      if (this.inflight.get(key) === answer) this.inflight.delete(key);
    };
    answer.then((a) => {
      settle();
      // A commit while computing: the answer may mix versions, so it serves only those already waiting for it.
      if (this.version === version && this.o.version() === version) this.keep(key, a);
    }, settle);
    return answer;
  }

  /** Answers kept now. */
  get size(): number {
    return this.entries.size;
  }

  private reset(version: number): void {
    this.version = version;
    this.entries.clear();
    this.inflight.clear();
    this.weight = 0;
  }

  private keep(key: string, answer: T): void {
    const weight = this.o.weigh(answer);
    if (weight > this.o.maxWeight) return;
    this.entries.set(key, { answer, weight });
    this.weight += weight;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.o.maxEntries && this.weight <= this.o.maxWeight) break;
      this.entries.delete(k);
      this.weight -= e.weight;
    }
  }
}
