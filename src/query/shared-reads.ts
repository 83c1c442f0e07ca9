import type { Param, QueryStore } from '../warehouse/warehouse.ts';
import { AnswerCache, type AnswerView, type CacheOutcome } from './answer-cache.ts';

type Rows = Record<string, unknown>[];

/** Answers kept at most, and rows over all of them (a row is a few hundred bytes). */
const MAX_ANSWERS = 1000;
const MAX_ROWS = 500_000;
/** Queries asked within this long are read again at each commit: a dashboard refreshing every few seconds. */
const READ_AHEAD_MS = 10_000;
/** At most this many queries are read ahead at a commit. */
const MAX_READ_AHEAD = 100;
/** Answers of a commit are served at most this long after the next one, while its answers are read. */
const MAX_BEHIND_MS = 2_000;

/**
 * A query store whose reads are shared between the API's callers: the data changes only when a write transaction
 * commits, so the same statement with the same parameters at the same committed version has one answer, read once.
 * At each commit the statements asked in the last seconds are read again at once, and until they all are, an answer
 * is served from the commit before (see AnswerCache): the dashboards' refreshes do not wait on the warehouse.
 * Everything computed from the wall clock (ages, lags, pacing's "today" on an empty warehouse) is computed by the
 * callers from these rows, each time, and relative ranges are resolved into parameters before the read.
 */
export class SharedReads {
  private readonly store: QueryStore;
  private readonly cache: AnswerCache<Rows>;

  constructor(store: QueryStore, onLookup?: (outcome: CacheOutcome) => void) {
    this.store = store;
    this.cache = new AnswerCache<Rows>({
      version: () => store.committedVersion(),
      maxEntries: MAX_ANSWERS,
      maxWeight: MAX_ROWS,
      weigh: (rows) => rows.length,
      readAheadMs: READ_AHEAD_MS,
      maxReadAhead: MAX_READ_AHEAD,
      maxBehindMs: MAX_BEHIND_MS,
      ...(onLookup ? { onLookup } : {}),
    });
    store.onCommit?.(() => this.cache.sync());
  }

  /**
   * The reads of one answer: each is never older than the reads before it, so the freshness read first names a
   * checkpoint no later than the rows read after it.
   */
  forAnswer(): QueryStore {
    const view = this.cache.view();
    return {
      query: (sql, params) => this.read(sql, params ?? [], view),
      committedVersion: () => this.committedVersion(),
    };
  }

  private read(sql: string, params: Param[], view: AnswerView): Promise<Rows> {
    // Parameters are typed: 1 and "1" are different questions.
    return this.cache.get(JSON.stringify([sql, params]), () => this.store.query(sql, params), view);
  }

  committedVersion(): number {
    return this.store.committedVersion();
  }
}
