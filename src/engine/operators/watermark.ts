import type { AdEvent } from '../../events/schema.ts';
import { BaseOperator, type RunContext } from '../operator.ts';
import type { Tracked } from '../records.ts';

/**
 * Bounded out-of-orderness watermark, advanced record by record (so it does not depend on batch sizes),
 * and the "late" mark for records older than the watermark minus the allowed lateness.
 */
export class WatermarkOperator extends BaseOperator<Tracked<AdEvent>, Tracked<AdEvent>> {
  readonly name = 'watermark';

  processBatch(batch: Tracked<AdEvent>[], out: Tracked<AdEvent>[], ctx: RunContext): void {
    const delay = ctx.config.watermarkDelayMs;
    const lateness = ctx.config.allowedLatenessMs;
    let max = ctx.maxEventMs;
    for (const r of batch) {
      if (r.ts < max - delay - lateness) {
        r.late = true;
        ctx.counters.late++;
      }
      if (r.ts > max) max = r.ts;
      out.push(r);
    }
    ctx.maxEventMs = max;
    ctx.watermark = max - delay;
  }
}
