import { additiveColumns, billedColumn, countedColumns } from '../../catalogue/metrics.ts';
import { type EventType, eventTypes } from '../../events/schema.ts';
import { sketchField } from '../../catalogue/user-sketch.ts';
import { dwaDimensionColumns } from '../../layers/dwa.ts';
import { CsvRows, FIELD_SEPARATOR as S } from '../../warehouse/csv.ts';
import type { CheckpointWrites } from '../../warehouse/checkpoint-writes.ts';
import { BaseOperator } from '../operator.ts';
import type { DwdRow } from '../records.ts';
import { granularityMs, type Stage } from '../stages.ts';

/**
 * One DWA cell's delta: the additive metrics in `additiveColumns` order, and its requests' users as sketch entries
 * (null for none). Metrics by position, not by name: a store by a name held in a variable was a megamorphic look-up
 * for every event. An array of entries, not a map by register: most cells have one request, and `sketchField` keeps
 * each register's highest rank.
 */
interface Cell {
  metrics: number[];
  users: number[] | null;
}

/** Where each event type's counted columns are among the metrics, for requests filled and not. */
const countedAt = Object.fromEntries(
  eventTypes.map((t) => {
    const at = (filled: boolean) =>
      countedColumns.flatMap((c) =>
        c.eventType === t && (filled || !c.filledOnly) ? [additiveColumns.indexOf(c.column)] : [],
      );
    return [t, { filled: at(true), unfilled: at(false) }];
  }),
) as Record<EventType, { filled: number[]; unfilled: number[] }>;

/** A new cell's metrics, copied. */
const NO_METRICS: readonly number[] = additiveColumns.map(() => 0);

/** Where the billed amount is among the metrics. */
const BILLED = additiveColumns.indexOf(billedColumn);

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
  private minutes = new Map<number, Map<string, Cell>>();
  private readonly bucketMs: number;

  constructor(stage: Stage<'aggregate'>) {
    super();
    this.bucketMs = granularityMs[stage.granularity];
  }

  private cell(minute: number, dimKey: string): Cell {
    let cells = this.minutes.get(minute);
    if (cells === undefined) {
      cells = new Map();
      this.minutes.set(minute, cells);
    }
    let c = cells.get(dimKey);
    if (c === undefined) {
      c = { metrics: NO_METRICS.slice(), users: null };
      cells.set(dimKey, c);
    }
    return c;
  }

  processBatch(batch: DwdRow[]): void {
    for (const r of batch) {
      const minute = r.ts - (r.ts % this.bucketMs);
      const c = this.cell(minute, r.req ? r.req.dimKey : NO_DIMENSIONS);
      add(c, r.type, 1, r.req?.filled ?? false);
      c.metrics[BILLED]! += r.spendNanos;
      if (r.userEntry !== null) {
        if (c.users === null) c.users = [r.userEntry];
        else c.users.push(r.userEntry);
      }
      // A correction moves an event counted as unmatched (no dimensions, no spend) to its request's dimensions.
      if (r.retraction) add(this.cell(minute, NO_DIMENSIONS), r.type, -1, false);
    }
  }

  override onCheckpoint(writes: CheckpointWrites): void {
    const rows = new CsvRows();
    for (const [minute, cells] of this.minutes) {
      for (const [dimKey, c] of cells) {
        rows.push(minute + S + dimKey + S + c.metrics.join(S) + S + (c.users === null ? '' : sketchField(c.users)));
      }
    }
    writes.dwa = rows;
    this.minutes = new Map();
  }
}

function add(c: Cell, type: DwdRow['type'], n: number, filled: boolean): void {
  const at = filled ? countedAt[type].filled : countedAt[type].unfilled;
  for (let i = 0; i < at.length; i++) c.metrics[at[i]!]! += n;
}
