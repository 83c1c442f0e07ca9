import { additiveColumns, billedColumn, countedIndexes } from '../../catalogue/metrics.ts';
import { type EventType, eventTypes } from '../../events/schema.ts';
import { sketchEntries } from '../../catalogue/user-sketch.ts';
import { dwaDimensionColumns } from '../../layers/dwa.ts';
import { CsvRows, FIELD_SEPARATOR as S } from '../../warehouse/csv.ts';
import type { CheckpointWrites } from '../../warehouse/checkpoint-writes.ts';
import { BaseOperator } from '../operator.ts';
import type { DwdRow } from '../records.ts';
import { granularityMs, type Stage } from '../stages.ts';

/** Additive metrics per cell, in `additiveColumns` order. */
const METRICS = additiveColumns.length;
/** Cells the metric slab holds at first; it doubles when full. */
const INITIAL_CELLS = 4096;

/** Where each event type's counted columns are among the metrics, for requests filled and not. */
const countedAt = Object.fromEntries(
  eventTypes.map((t) => [t, { filled: countedIndexes(t, true), unfilled: countedIndexes(t, false) }]),
) as Record<EventType, { filled: number[]; unfilled: number[] }>;

/** Where the billed amount is among the metrics. */
const BILLED = additiveColumns.indexOf(billedColumn);

/** Bytes of a DWA row besides its key, metrics and sketch entries; the most a metric takes (String of a double). */
const ROW_BYTES = 32;
const METRIC_BYTES = 25;
/** The most an entry of the sketch takes: its digits (below 2^31) and a comma or bracket. */
const ENTRY_BYTES = 12;
const NO_USERS: number[] = [];
/** A cell's first user when it has none (entries are never negative: a 25-bit register above a 6-bit rank). */
const NO_USER = -1;

/** DWA key columns of an event with no request: all NULL. */
const NO_DIMENSIONS = S.repeat(dwaDimensionColumns.length - 1);

/**
 * Minute aggregation into DWA. Each checkpoint writes the deltas it accumulated (additive, possibly negative for
 * corrections), so a late event simply adds to its own minute, and restarts need no aggregation state at all.
 * Cells are found by minute, then by the request's precomputed dimension key: no key string is built per event.
 * A cell's delta carries the sketch entries of the users its new requests came from; the warehouse merges sketches.
 */
export class AggregateOperator extends BaseOperator<DwdRow, never> {
  readonly name = 'aggregate';
  /** The checkpoint's cells by minute and dimension key: each a number, its place in `metrics` and `users`. */
  private minutes = new Map<number, Map<string, number>>();
  /**
   * The cells' metrics, cell after cell, in one slab used again every checkpoint: cells live until their checkpoint,
   * and as arrays of their own each outlived young-generation collections and was copied by them. Metrics by
   * position, not by name: a store by a name held in a variable was a megamorphic look-up for every event.
   */
  private metrics = new Float64Array(INITIAL_CELLS * METRICS);
  /**
   * Each cell's first user as a sketch entry (NO_USER: none), in a slab like the metrics: most cells have one request,
   * and an array of one entry a cell lived until the checkpoint, to be copied by young-generation collections.
   */
  private firstUser = new Int32Array(INITIAL_CELLS);
  /**
   * Each cell's further users' entries (null for none): an array of entries, not a map by register, as
   * `sketchEntries` keeps each register's highest rank.
   */
  private users: (number[] | null)[] = [];
  private readonly bucketMs: number;

  constructor(stage: Stage<'aggregate'>) {
    super();
    this.bucketMs = granularityMs[stage.granularity];
  }

  /** The cell of a minute and dimension key, made (all metrics 0, no users) when new. */
  private cell(minute: number, dimKey: string): number {
    let cells = this.minutes.get(minute);
    if (cells === undefined) {
      cells = new Map();
      this.minutes.set(minute, cells);
    }
    let c = cells.get(dimKey);
    if (c === undefined) {
      c = this.users.length;
      if ((c + 1) * METRICS > this.metrics.length) {
        const grown = new Float64Array(this.metrics.length * 2);
        grown.set(this.metrics);
        this.metrics = grown;
        const first = new Int32Array(this.firstUser.length * 2);
        first.set(this.firstUser);
        this.firstUser = first;
      }
      this.metrics.fill(0, c * METRICS, (c + 1) * METRICS);
      this.firstUser[c] = NO_USER;
      this.users.push(null);
      cells.set(dimKey, c);
    }
    return c;
  }

  processBatch(batch: DwdRow[]): void {
    for (const r of batch) {
      const minute = r.ts - (r.ts % this.bucketMs);
      const c = this.cell(minute, r.req ? r.req.dimKey : NO_DIMENSIONS);
      this.add(c, r.type, 1, r.req?.filled ?? false);
      this.metrics[c * METRICS + BILLED]! += r.spendNanos;
      if (r.userEntry !== null) {
        if (this.firstUser[c] === NO_USER) this.firstUser[c] = r.userEntry;
        else {
          const users = this.users[c];
          if (users === null || users === undefined) this.users[c] = [this.firstUser[c]!, r.userEntry];
          else users.push(r.userEntry);
        }
      }
      // A correction moves an event counted as unmatched (no dimensions, no spend) to its request's dimensions.
      if (r.retraction) this.add(this.cell(minute, NO_DIMENSIONS), r.type, -1, false);
    }
  }

  private add(c: number, type: DwdRow['type'], n: number, filled: boolean): void {
    const at = filled ? countedAt[type].filled : countedAt[type].unfilled;
    const base = c * METRICS;
    for (let i = 0; i < at.length; i++) this.metrics[base + at[i]!]! += n;
  }

  override onCheckpoint(writes: CheckpointWrites): void {
    const rows = new CsvRows();
    // Each cell written by a method of its own, which stays compiled from one checkpoint to the next (a loop run once a
    // checkpoint started in the interpreter every time); forEach, as iterating entries made an array for each.
    this.minutes.forEach((cells, minute) => {
      cells.forEach((c, dimKey) => {
        this.writeCell(rows, minute, dimKey, c);
      });
    });
    writes.dwa = rows;
    this.minutes = new Map();
    this.users = [];
  }

  /** A cell's row, written in place: the minute, the key, the metrics, the sketch as a list literal (empty: NULL). */
  private writeCell(rows: CsvRows, minute: number, dimKey: string, c: number): void {
    const m = this.metrics;
    const users = this.users[c];
    const first = this.firstUser[c]!;
    const entries = users !== null && users !== undefined ? sketchEntries(users) : NO_USERS;
    // A cell of one user (most) writes it alone: no array for it.
    const single = entries.length === 0 && first !== NO_USER;
    rows.begin(ROW_BYTES + 3 * dimKey.length + METRIC_BYTES * METRICS + ENTRY_BYTES * (single ? 1 : entries.length));
    rows.int(minute);
    rows.sep();
    rows.text(dimKey);
    for (let i = 0; i < METRICS; i++) {
      rows.sep();
      rows.int(m[c * METRICS + i]!);
    }
    rows.sep();
    if (single) {
      rows.text('[');
      rows.int(first);
      rows.text(']');
    }
    for (let i = 0; i < entries.length; i++) {
      rows.text(i === 0 ? '[' : ',');
      rows.int(entries[i]!);
    }
    if (entries.length > 0) rows.text(']');
    rows.end();
  }
}
