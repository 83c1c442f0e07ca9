import type { QueryStore } from '../warehouse/warehouse.ts';
import { AnswerCache, type CacheOutcome } from './answer-cache.ts';

type Param = string | number | boolean | null;
type Rows = Record<string, unknown>[];

/** Answers kept at most, and rows over all of them (a row is a few hundred bytes). */
const MAX_ANSWERS = 1000;
const MAX_ROWS = 500_000;

/**
 * A query store whose reads are shared between the API's callers: the data changes only when a write transaction
 * commits, so the same statement with the same parameters at the same committed version has one answer, read once.
 * Everything computed from the wall clock (ages, lags, pacing's "today" on an empty warehouse) is computed by the
 * callers from these rows, each time, and relative ranges are resolved into parameters before the read.
 */
export class SharedReads implements QueryStore {
  private readonly store: QueryStore;
  private readonly cache: AnswerCache<Rows>;

  constructor(store: QueryStore, onLookup?: (outcome: CacheOutcome) => void) {
    this.store = store;
    this.cache = new AnswerCache<Rows>({
      version: () => store.committedVersion(),
      maxEntries: MAX_ANSWERS,
      maxWeight: MAX_ROWS,
      weigh: (rows) => rows.length,
      ...(onLookup ? { onLookup } : {}),
    });
  }

  query(sql: string, params: Param[] = []): Promise<Rows> {
    // Parameters are typed: 1 and "1" are different questions.
    return this.cache.get(JSON.stringify([sql, params]), () => this.store.query(sql, params));
  }

  committedVersion(): number {
    return this.store.committedVersion();
  }
}
