import { CsvRows, FIELD_SEPARATOR as S } from '../../warehouse/csv.ts';
import type { CheckpointWrites } from '../checkpoint.ts';
import { BaseOperator } from '../operator.ts';
import type { DwdRow } from '../records.ts';

/** One DWA cell's delta: the additive metrics, in catalogue order. */
interface Cell {
  requests: number;
  fills: number;
  exposures: number;
  viewable_exposures: number;
  clicks: number;
  spend_nanos: number;
}

/** DWA key columns (advertiser_id .. region) of an event with no request: all NULL. */
const NO_DIMENSIONS = S.repeat(6);
const MINUTE_MS = 60_000;

/**
 * Minute aggregation into DWA. Each checkpoint writes the deltas it accumulated (additive, possibly negative for
 * corrections), so a late event simply adds to its own minute, and restarts need no aggregation state at all.
 * Cells are found by minute, then by the request's precomputed dimension key: no key string is built per event.
 */
export class AggregateOperator extends BaseOperator<DwdRow, never> {
  readonly name = 'aggregate';
  private minutes = new Map<number, Map<string, Cell>>();

  private cell(minute: number, dimKey: string): Cell {
    let cells = this.minutes.get(minute);
    if (cells === undefined) {
      cells = new Map();
      this.minutes.set(minute, cells);
    }
    let c = cells.get(dimKey);
    if (c === undefined) {
      c = { requests: 0, fills: 0, exposures: 0, viewable_exposures: 0, clicks: 0, spend_nanos: 0 };
      cells.set(dimKey, c);
    }
    return c;
  }

  processBatch(batch: DwdRow[]): void {
    for (const r of batch) {
      const minute = r.ts - (r.ts % MINUTE_MS);
      const c = this.cell(minute, r.req ? r.req.dimKey : NO_DIMENSIONS);
      add(c, r.type, 1, r.req?.filled ?? false);
      c.spend_nanos += r.spendNanos;
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
            c.requests +
            S +
            c.fills +
            S +
            c.exposures +
            S +
            c.viewable_exposures +
            S +
            c.clicks +
            S +
            c.spend_nanos,
        );
      }
    }
    writes.dwa = rows;
    this.minutes = new Map();
  }
}

function add(c: Cell, type: DwdRow['type'], n: number, filled: boolean): void {
  switch (type) {
    case 'request':
      c.requests += n;
      if (filled) c.fills += n;
      break;
    case 'exposure':
      c.exposures += n;
      break;
    case 'viewable':
      c.viewable_exposures += n;
      break;
    case 'click':
      c.clicks += n;
      break;
  }
}
