import { additiveColumns, type AdditiveColumn, billedColumn, countedColumns } from '../../catalogue/metrics.ts';
import { type EventType, eventTypes } from '../../events/schema.ts';
import { sketchField } from '../../catalogue/user-sketch.ts';
import { dwaDimensionColumns } from '../../layers/dwa.ts';
import { CsvRows, FIELD_SEPARATOR as S } from '../../warehouse/csv.ts';
import type { CheckpointWrites } from '../../warehouse/checkpoint-writes.ts';
import { BaseOperator } from '../operator.ts';
import type { DwdRow } from '../records.ts';
import { granularityMs, type Stage } from '../stages.ts';

/**
 * One DWA cell's delta: the additive metrics, and its requests' users as sketch entries (null for none). An array, not
 * a map by register: most cells have one request, and `sketchField` keeps each register's highest rank.
 */
type Cell = Record<AdditiveColumn, number> & { users: number[] | null };

/** A new cell: copied from a constant, which V8 does without building the object field by field. */
const EMPTY_CELL: Cell = {
  ...(Object.fromEntries(additiveColumns.map((m) => [m, 0])) as Record<AdditiveColumn, number>),
  users: null,
};

/** The counted columns each event type adds to, looked up once per event rather than searched. */
const countedBy = Object.fromEntries(
  eventTypes.map((t) => [t, countedColumns.filter((c) => c.eventType === t)]),
) as Record<EventType, (typeof countedColumns)[number][]>;

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
      c = { ...EMPTY_CELL };
      cells.set(dimKey, c);
    }
    return c;
  }

  processBatch(batch: DwdRow[]): void {
    for (const r of batch) {
      const minute = r.ts - (r.ts % this.bucketMs);
      const c = this.cell(minute, r.req ? r.req.dimKey : NO_DIMENSIONS);
      add(c, r.type, 1, r.req?.filled ?? false);
      c[billedColumn] += r.spendNanos;
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
        rows.push(
          minute +
            S +
            dimKey +
            S +
            additiveColumns.map((m) => c[m]).join(S) +
            S +
            (c.users === null ? '' : sketchField(c.users)),
        );
      }
    }
    writes.dwa = rows;
    this.minutes = new Map();
  }
}

function add(c: Cell, type: DwdRow['type'], n: number, filled: boolean): void {
  for (const counted of countedBy[type]) if (filled || !counted.filledOnly) c[counted.column] += n;
}
