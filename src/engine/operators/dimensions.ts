import type { AdEvent, DimensionChange } from '../../events/schema.ts';
import { dimTableOf, dimTables } from '../../layers/dim.ts';
import type { CheckpointWrites } from '../../warehouse/checkpoint-writes.ts';
import { BaseOperator, type RunContext, type Output } from '../operator.ts';
import type { Tracked } from '../records.ts';

/** Applies dimension changes from the stream to the dimension state and the dimension tables; passes ad events on. */
export class DimensionsOperator extends BaseOperator<Tracked, Tracked<AdEvent>> {
  readonly name = 'dimensions';
  private changes: DimensionChange[] = [];

  override async open(ctx: RunContext): Promise<void> {
    for (const { table, row } of await ctx.store.loadDimensions()) {
      const stream = dimTables.find((t) => t.name === table)?.stream;
      if (stream !== undefined)
        ctx.dims.apply({ kind: 'dim', table: stream, op: 'upsert', row } as unknown as DimensionChange);
    }
  }

  processBatch(batch: Tracked[], out: Output<Tracked<AdEvent>>, ctx: RunContext): void {
    for (const r of batch) {
      if (r.kind === 'dim') {
        ctx.dims.apply(r);
        this.changes.push(r);
      } else out.push(r);
    }
  }

  override onCheckpoint(writes: CheckpointWrites): void {
    for (const c of this.changes) {
      const table = dimTableOf(c.table).name;
      if (c.op === 'delete') writes.dimDeletes.push({ table, key: c.key });
      else writes.dimUpserts.push({ table, row: c.row as unknown as Record<string, unknown> });
    }
    this.changes = [];
  }
}
