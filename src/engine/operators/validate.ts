import { readCanonical } from '../../events/canonical.ts';
import { validateLine } from '../../events/validate.ts';
import type { CheckpointWrites, DeadLetterRow } from '../../warehouse/checkpoint-writes.ts';
import { BaseOperator, type RunContext, type Output } from '../operator.ts';
import { lineOf, type SourceRecord } from '../../connectors/source.ts';
import type { Tracked } from '../records.ts';

/** Dead-letter payloads are kept up to this size; the full size is recorded alongside. */
export const MAX_DEAD_LETTER_PAYLOAD = 1024 * 1024;

/** Parses and validates raw records; the bad ones go to the dead-letter table with their reason, never lost. */
export class ValidateOperator extends BaseOperator<SourceRecord, Tracked> {
  readonly name = 'validate';
  private deadLetters: DeadLetterRow[] = [];

  processBatch(batch: SourceRecord[], out: Output<Tracked>, ctx: RunContext): void {
    const limits = ctx.config.limits;
    const counters = ctx.counters;
    for (const r of batch) {
      counters.recordsIn++;
      const fast = readCanonical(r.data, r.at, r.end, r.bytes, limits, ctx.now);
      if (fast !== null) {
        out.push(this.accepted(fast, r, r.data, r.at, r.end, ctx));
        continue;
      }
      const line = lineOf(r);
      const v = validateLine(line, r.bytes, limits, ctx.now);
      if (v.ok) {
        // A CR is JSON whitespace; dropping it keeps the line a single CSV field.
        const raw = line.includes('\r') ? Buffer.from(line.replaceAll('\r', ' ')) : null;
        out.push(
          raw
            ? this.accepted(v.record, r, raw, 0, raw.length, ctx)
            : this.accepted(v.record, r, r.data, r.at, r.end, ctx),
        );
      } else {
        counters.deadLettered++;
        ctx.stats.deadLettersByReason[v.reason] = (ctx.stats.deadLettersByReason[v.reason] ?? 0) + 1;
        this.deadLetters.push({
          seq: r.seq,
          reason: v.reason,
          error: v.error,
          payload: line.slice(0, MAX_DEAD_LETTER_PAYLOAD),
          payloadBytes: r.bytes,
        });
      }
    }
  }

  /** A valid record with where it came from. */
  private accepted(t: Tracked, r: SourceRecord, raw: Buffer, at: number, end: number, ctx: RunContext): Tracked {
    ctx.counters.accepted++;
    ctx.stats.eventsByType[t.kind]++;
    t.seq = r.seq;
    t.split = r.split ?? 0;
    t.raw = raw;
    t.rawAt = at;
    t.rawEnd = end;
    return t;
  }

  override onCheckpoint(writes: CheckpointWrites): void {
    writes.deadLetters = this.deadLetters;
    this.deadLetters = [];
  }
}
