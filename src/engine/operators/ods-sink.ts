import { dimensionKeys } from '../../events/schema.ts';
import { letGoOfLine } from '../../events/validate.ts';
import { CsvRows } from '../../warehouse/csv.ts';
import { type CheckpointWrites, logRows } from '../../warehouse/checkpoint-writes.ts';
import { BaseOperator, type Output } from '../operator.ts';
import type { Tracked } from '../records.ts';

/** A row's bytes besides its id and line: the numbers, the type or table and operation, the separators. */
const ROW_BYTES = 64;

/** Lands every accepted record in ODS as received (duplicates too), then passes it on. */
export class OdsSinkOperator extends BaseOperator<Tracked, Tracked> {
  readonly name = 'ods-sink';
  private events = logRows();
  private dims = new CsvRows();

  processBatch(batch: Tracked[], out: Output<Tracked>): void {
    for (const r of batch) {
      // Each row's fields as bytes; the line is copied from the source's bytes.
      const rows = r.kind === 'dim' ? this.dims : this.events;
      rows.begin(ROW_BYTES + 3 * (r.kind === 'dim' ? 0 : r.id.length) + r.rawEnd - r.rawAt);
      rows.int(r.seq);
      rows.sep();
      if (r.kind === 'dim') {
        rows.text(r.table);
        rows.sep();
        rows.text(r.op);
        rows.sep();
        rows.int(r.op === 'delete' ? r.key : (r.row as unknown as Record<string, number>)[dimensionKeys[r.table]]!);
      } else {
        rows.text(r.kind);
        rows.sep();
        rows.text(r.id);
        rows.sep();
        rows.int(r.ts);
      }
      rows.sep();
      rows.copy(r.raw, r.rawAt, r.rawEnd);
      rows.end();
      letGoOfLine(r);
      out.push(r);
    }
  }

  override onCheckpoint(writes: CheckpointWrites): void {
    writes.ods = this.events;
    writes.dimChanges = this.dims;
    this.events = logRows();
    this.dims = new CsvRows();
  }
}
