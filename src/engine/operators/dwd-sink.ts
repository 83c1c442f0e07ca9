import { dwdRequestColumns } from '../../layers/dwd.ts';
import { CsvRows, FIELD_SEPARATOR as S } from '../../warehouse/csv.ts';
import { type CheckpointWrites, logRows } from '../../warehouse/checkpoint-writes.ts';
import { BaseOperator, type RunContext, type Output } from '../operator.ts';
import type { DwdRow } from '../records.ts';

/** A row's bytes besides its ids and request fragment: numbers, names, separators. */
const ROW_BYTES = 96;

/** CSV for the request columns of a follow event with no request: all NULL. */
const NO_REQUEST = S.repeat(dwdRequestColumns.length - 1);

/**
 * Writes DWD rows as CSV: joined, joined past the allowed lateness, and unmatched apart; a correction adds the joined
 * row and retracts the unmatched one. Then passes the rows on to aggregation.
 */
export class DwdSinkOperator extends BaseOperator<DwdRow, DwdRow> {
  readonly name = 'dwd-sink';
  private joined = logRows();
  /** The event times of `joined`'s rows. */
  private joinedFrom = Number.POSITIVE_INFINITY;
  private joinedTo = Number.NEGATIVE_INFINITY;
  private late = new CsvRows();
  private unmatched = new CsvRows();
  private retracted = new CsvRows();

  processBatch(batch: DwdRow[], out: Output<DwdRow>, ctx: RunContext): void {
    const stats = ctx.stats;
    // Rows older than this are written past their allowed lateness (late records, events corrected late).
    const lateBefore = ctx.watermark - ctx.config.allowedLatenessMs;
    for (const r of batch) {
      if (r.status === 'matched') stats.joinHits++;
      else if (r.status === 'unmatched') stats.joinMisses++;
      stats.spendNanos += r.spendNanos;
      const req = r.req;
      const rows = r.status === 'unmatched' ? this.unmatched : r.ts < lateBefore ? this.late : this.joined;
      const fragment = req ? req.dwdFragment : NO_REQUEST;
      // DWD's column groups in order: the event, its request's attributes, the outcome; written as bytes in place.
      rows.begin(ROW_BYTES + 3 * (r.id.length + r.requestId.length + fragment.length));
      rows.text(r.id);
      rows.sep();
      rows.text(r.type);
      rows.sep();
      rows.text(r.requestId);
      rows.sep();
      rows.int(r.ts);
      rows.sep();
      rows.text(fragment);
      rows.sep();
      rows.int(r.spendNanos);
      rows.sep();
      rows.text(r.status);
      rows.sep();
      if (r.status === 'matched') rows.int(r.ts - req!.ts);
      rows.sep();
      rows.text(r.late ? 'true' : 'false');
      rows.end();
      if (rows === this.joined) {
        if (r.ts < this.joinedFrom) this.joinedFrom = r.ts;
        if (r.ts > this.joinedTo) this.joinedTo = r.ts;
      }
      if (r.retraction) {
        this.retracted.begin(ROW_BYTES + 3 * r.id.length);
        this.retracted.text(r.id);
        this.retracted.sep();
        this.retracted.text(r.type);
        this.retracted.end();
      }
      out.push(r);
    }
  }

  override onCheckpoint(writes: CheckpointWrites): void {
    writes.dwd = this.joined;
    // Joined rows are only ever appended: a correction retracts an unmatched row and adds a joined one.
    writes.dwdAppendOnly = { from: this.joinedFrom, to: this.joinedTo };
    writes.dwdLate = this.late;
    writes.dwdUnmatched = this.unmatched;
    writes.dwdRetracted = this.retracted;
    this.joined = logRows();
    this.joinedFrom = Number.POSITIVE_INFINITY;
    this.joinedTo = Number.NEGATIVE_INFINITY;
    this.late = new CsvRows();
    this.unmatched = new CsvRows();
    this.retracted = new CsvRows();
  }
}
