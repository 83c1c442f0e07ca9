import { BaseOperator, type RunContext, type Output } from '../operator.ts';
import type { Tracked } from '../records.ts';

/** A split that has delivered nothing for this many records is idle: it stops holding the watermark back. */
export const IDLE_AFTER_RECORDS = 200_000;

/**
 * Bounded out-of-orderness watermark per split (Kafka partition), the slowest active split's, like Flink's
 * per-partition watermarks: a partition read ahead of the others does not make their records late, nor does one
 * delivered after them (the splits the source has records in hold it from the start, `RunContext.splits`). It advances
 * record by record, so it depends on the order records arrive in, never on batch sizes or the wall clock; and
 * records older than the watermark minus the allowed lateness are marked late (still processed exactly).
 */
export class WatermarkOperator extends BaseOperator<Tracked, Tracked> {
  readonly name = 'watermark';
  /**
   * Highest event time per split, and the record count when the split last delivered (split ids are small integers).
   */
  private readonly splitMax: number[] = [];
  private readonly lastSeen: number[] = [];
  private active: number[] = [];
  private seen = 0;
  /** The split holding the watermark back: only its records can move it. */
  private slowest = -1;

  /** The splits the source has records in hold the watermark back from the start, until they deliver or go idle. */
  override async open(ctx: RunContext): Promise<void> {
    for (const s of ctx.splits) {
      if (this.splitMax[s] !== undefined) continue;
      this.splitMax[s] = Number.NEGATIVE_INFINITY;
      this.lastSeen[s] = this.seen;
      this.active.push(s);
    }
    if (this.active.length > 0) this.slowestMax();
  }

  processBatch(batch: Tracked[], out: Output<Tracked>, ctx: RunContext): void {
    const delay = ctx.config.watermarkDelayMs;
    const lateness = ctx.config.allowedLatenessMs;
    let max = ctx.maxEventMs;
    let watermark = ctx.watermark;
    for (const r of batch) {
      // Dimension changes have no event time: where they come before this stage (scale-out ingest), they pass.
      if (r.kind === 'dim') {
        out.push(r);
        continue;
      }
      if (r.ts < watermark - lateness) {
        r.late = true;
        ctx.counters.late++;
      }
      if (r.ts > max) max = r.ts;
      const s = r.split;
      const before = this.splitMax[s];
      this.lastSeen[s] = ++this.seen;
      if (before === undefined) {
        this.splitMax[s] = r.ts;
        this.active.push(s);
        watermark = Math.max(watermark, this.slowestMax() - delay);
      } else if (r.ts > before) {
        this.splitMax[s] = r.ts;
        if (s === this.slowest) watermark = Math.max(watermark, this.slowestMax() - delay);
      }
      // Now and then, so that a split gone idle is noticed even when no record of the slowest one comes.
      if ((this.seen & 0xffff) === 0) watermark = Math.max(watermark, this.slowestMax() - delay);
      out.push(r);
    }
    ctx.maxEventMs = max;
    ctx.watermark = watermark;
  }

  /** The lowest per-split maximum among active splits, dropping idle ones; remembers which split it is. */
  private slowestMax(): number {
    const idle = this.active.filter((s) => this.seen - this.lastSeen[s]! > IDLE_AFTER_RECORDS);
    for (const s of idle) delete this.splitMax[s];
    if (idle.length) this.active = this.active.filter((s) => this.splitMax[s] !== undefined);
    let min = Infinity;
    for (const s of this.active) {
      if (this.splitMax[s]! < min) {
        min = this.splitMax[s]!;
        this.slowest = s;
      }
    }
    return min;
  }
}
