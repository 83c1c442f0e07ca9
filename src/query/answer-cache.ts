/**
 * How a look-up was answered: from the answers of this version (hit), by joining the same read in flight (joined), by
 * reading (miss), or from the version before while this one's answers are read ahead (previous). `refresh` counts
 * the reads ahead themselves.
 */
export type CacheOutcome = 'hit' | 'joined' | 'miss' | 'previous' | 'refresh';

export interface AnswerCacheOptions<T> {
  /** The data's version now: answers are shared only between look-ups that see the same version. */
  version: () => number;
  /** At most this many answers are kept per version (least recently used go first). */
  maxEntries: number;
  /** At most this much weight (see `weigh`) is kept per version: a few huge answers cannot hold the memory. */
  maxWeight: number;
  weigh: (answer: T) => number;
  /** Keys asked within this many ms are read again as soon as the version changes (0: never). */
  readAheadMs: number;
  /** At most this many keys are read ahead per version, the most recently asked first. */
  maxReadAhead: number;
  /** A version's answers are served at most this many ms after a newer version appeared. */
  maxBehindMs: number;
  onLookup?: (outcome: CacheOutcome) => void;
  /** Wall clock in ms (tests set it). */
  now?: () => number;
}

/**
 * The reads of one answer (an API response): it may be served from the previous version only until one of its reads
 * is not, so none of its reads is older than one before it.
 */
export interface AnswerView {
  current: boolean;
}

/** The answers of one version, and the reads ahead that make it whole. */
class Generation<T> {
  readonly version: number;
  /** Map order is recency order: the first entry is the least recently used. */
  readonly entries = new Map<string, { answer: T; weight: number }>();
  readonly inflight = new Map<string, Promise<T>>();
  weight = 0;
  /** Reads ahead not yet settled; the generation is whole when they are, with the version unchanged. */
  pending = 0;
  whole = false;
  /** When a newer version appeared (wall clock, ms). */
  supersededAt = Number.POSITIVE_INFINITY;
  constructor(version: number) {
    this.version = version;
  }
}

/**
 * Answers shared between callers while the data does not change: keyed by the question, valid for one version of the
 * data. Identical questions asked while one is being answered wait for that answer. An answer whose computation saw
 * the version change is handed to its callers but never kept.
 *
 * Read ahead: when the version changes, the questions asked recently are read again at once, off every caller's path.
 * Until all of them are (the new version is whole), a view that asks what the newest whole version answered gets that
 * answer, for at most `maxBehindMs`: every answer of one version was read within it, so an answer and the freshness
 * read with it name the same checkpoint. Answers are shared objects: callers must not change them.
 */
export class AnswerCache<T> {
  private readonly o: AnswerCacheOptions<T>;
  private readonly now: () => number;
  private current = new Generation<T>(Number.NaN);
  /** The newest whole generation before `current`, served while `current` reads ahead; null if there is none. */
  private previous: Generation<T> | null = null;
  /** Questions asked, with how to answer them and when last asked; Map order is recency order. */
  private readonly asked = new Map<string, { compute: () => Promise<T>; at: number }>();

  constructor(options: AnswerCacheOptions<T>) {
    this.o = options;
    this.now = options.now ?? Date.now;
  }

  /** A view for the reads of one answer. */
  view(): AnswerView {
    return { current: false };
  }

  /** The answer to `key`: kept, in flight, computed now or, for a view that may, the previous version's. */
  get(key: string, compute: () => Promise<T>, view: AnswerView = { current: true }): Promise<T> {
    this.sync();
    this.asked.delete(key);
    this.asked.set(key, { compute, at: this.now() });
    const g = this.current;
    // Until the new version is whole, a view keeps to the previous one as long as it can: its reads stay consistent.
    if (!g.whole && !view.current && this.previous && this.now() - this.previous.supersededAt <= this.o.maxBehindMs) {
      const before = this.previous.entries.get(key);
      if (before) {
        this.o.onLookup?.('previous');
        return Promise.resolve(before.answer);
      }
    }
    view.current = true;
    const kept = g.entries.get(key);
    if (kept) {
      g.entries.delete(key);
      g.entries.set(key, kept);
      this.o.onLookup?.('hit');
      return Promise.resolve(kept.answer);
    }
    const running = g.inflight.get(key);
    if (running) {
      this.o.onLookup?.('joined');
      return running;
    }
    this.o.onLookup?.('miss');
    return this.read(g, key, compute);
  }

  /** Starts the next version's reads ahead if the version changed (the store calls it at each commit). */
  sync(): void {
    const version = this.o.version();
    if (version === this.current.version) return;
    // A commit during the last read ahead: the one before stays the newest whole answers.
    if (this.current.whole) {
      this.previous = this.current;
      this.previous.supersededAt = this.now();
    }
    const g = new Generation<T>(version);
    this.current = g;
    const since = this.now() - this.o.readAheadMs;
    const ahead: [string, () => Promise<T>][] = [];
    for (const [key, q] of [...this.asked].reverse()) {
      if (q.at < since || ahead.length >= this.o.maxReadAhead) this.asked.delete(key);
      else ahead.push([key, q.compute]);
    }
    g.pending = ahead.length;
    const settled = () => {
      if (--g.pending === 0 && this.o.version() === version) g.whole = true;
    };
    for (const [key, compute] of ahead) {
      this.o.onLookup?.('refresh');
      this.read(g, key, compute).then(settled, settled);
    }
    if (ahead.length === 0) g.whole = true;
  }

  /** Answers kept now for the current version. */
  get size(): number {
    return this.current.entries.size;
  }

  /** Computes an answer for generation `g`, shared while in flight and kept if the version held meanwhile. */
  private read(g: Generation<T>, key: string, compute: () => Promise<T>): Promise<T> {
    const answer = compute();
    g.inflight.set(key, answer);
    const settle = () => {
      if (g.inflight.get(key) === answer) g.inflight.delete(key);
    };
    answer.then(
      (a) => {
        settle();
        // A commit while computing: the answer may mix versions, so it serves only those already waiting for it.
        if (this.current === g && this.o.version() === g.version) this.keep(g, key, a);
      },
      () => {
        settle();
        // Read ahead only what can be answered: a failing question is read when it is asked.
        this.asked.delete(key);
      },
    );
    return answer;
  }

  private keep(g: Generation<T>, key: string, answer: T): void {
    const weight = this.o.weigh(answer);
    if (weight > this.o.maxWeight) {
      // Never kept, so never read ahead: a huge export is read when it is asked, not again at every commit.
      this.asked.delete(key);
      return;
    }
    g.entries.set(key, { answer, weight });
    g.weight += weight;
    for (const [k, e] of g.entries) {
      if (g.entries.size <= this.o.maxEntries && g.weight <= this.o.maxWeight) break;
      g.entries.delete(k);
      g.weight -= e.weight;
    }
  }
}
