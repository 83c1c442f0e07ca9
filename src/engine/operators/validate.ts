import { validateLine } from '../../events/validate.ts';
import type { CheckpointWrites, DeadLetterRow } from '../../warehouse/checkpoint-writes.ts';
import { BaseOperator, type RunContext } from '../operator.ts';
import type { SourceRecord } from '../../connectors/source.ts';
import type { Tracked } from '../records.ts';

/** Dead-letter payloads are kept up to this size; the full size is recorded alongside. */
export const MAX_DEAD_LETTER_PAYLOAD = 1024 * 1024;

/** Parses and validates raw records; the bad ones go to the dead-letter table with their reason, never lost. */
export class ValidateOperator extends BaseOperator<SourceRecord, Tracked> {
  readonly name = 'validate';
  private deadLetters: DeadLetterRow[] = [];

  processBatch(batch: SourceRecord[], out: Tracked[], ctx: RunContext): void {
    const limits = ctx.config.limits;
    const counters = ctx.counters;
    for (const r of batch) {
      counters.recordsIn++;
      const v = validateLine(r.line, r.bytes, limits, ctx.now);
      if (v.ok) {
        counters.accepted++;
        ctx.stats.eventsByType[v.record.kind]++;
        // A CR is JSON whitespace; dropping it keeps the line a single CSV field.
        const raw = r.line.includes('\r') ? r.line.replaceAll('\r', ' ') : r.line;
        const t = v.record;
        t.seq = r.seq;
        t.split = r.split ?? 0;
        t.raw = raw;
        t.late = false;
        out.push(t);
      } else {
        counters.deadLettered++;
        ctx.stats.deadLettersByReason[v.reason] = (ctx.stats.deadLettersByReason[v.reason] ?? 0) + 1;
        this.deadLetters.push({
          seq: r.seq,
          reason: v.reason,
          error: v.error,
          payload: r.line.slice(0, MAX_DEAD_LETTER_PAYLOAD),
          payloadBytes: r.bytes,
        });
      }
    }
  }

  override onCheckpoint(writes: CheckpointWrites): void {
    writes.deadLetters = this.deadLetters;
    this.deadLetters = [];
  }
}
