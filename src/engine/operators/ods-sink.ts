import { dimensionKeys } from '../../events/schema.ts';
import { CsvRows, FIELD_SEPARATOR as S } from '../../warehouse/csv.ts';
import type { CheckpointWrites } from '../../warehouse/checkpoint-writes.ts';
import { BaseOperator } from '../operator.ts';
import type { Tracked } from '../records.ts';

/** Lands every accepted record in ODS as received (duplicates too), then passes it on. */
export class OdsSinkOperator extends BaseOperator<Tracked, Tracked> {
  readonly name = 'ods-sink';
  private events = new CsvRows();
  private dims = new CsvRows();

  processBatch(batch: Tracked[], out: Tracked[]): void {
    for (const r of batch) {
      if (r.kind === 'dim') {
        const key = r.op === 'delete' ? r.key : (r.row as unknown as Record<string, number>)[dimensionKeys[r.table]];
        this.dims.push(r.seq + S + r.table + S + r.op + S + key + S + r.raw);
      } else {
        this.events.push(r.seq + S + r.kind + S + r.id + S + r.ts + S + r.raw);
      }
      out.push(r);
    }
  }

  override onCheckpoint(writes: CheckpointWrites): void {
    writes.ods = this.events;
    writes.dimChanges = this.dims;
    this.events = new CsvRows();
    this.dims = new CsvRows();
  }
}
