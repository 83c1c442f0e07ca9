import { type Counters, emptyCounters } from '../layers/meta.ts';
import { CsvRows } from './csv.ts';
/** What one checkpoint writes to the warehouse, in one transaction, as CSV rows (see warehouse/csv.ts). */
export interface CheckpointWrites {
  epoch: number;
  source: string;
  /** Source position up to which every record is covered by this and earlier checkpoints. */
  position: string;
  fingerprint: string;
  maxEventMs: number;
  /**
   * The event-time watermark at this checkpoint: a restart resumes with it, so state is restored to the horizon it had.
   */
  watermarkMs: number;
  flushedUntilMs: number;
  counters: Counters;
  /** Accepted records as received: `logRows`. */
  ods: CsvRows;
  dimChanges: CsvRows;
  dimUpserts: { table: string; row: Record<string, unknown> }[];
  dimDeletes: { table: string; key: number }[];
  deadLetters: DeadLetterRow[];
  /**
   * DWD rows (all columns, as in `dwd`) removed before this checkpoint's DWD rows are added, from either part, each
   * matched by its content: how a changelog from another engine (Flink) updates a row (removed, then added again). A
   * removed request's user leaves the sketches of its DWA cell and APP rows: they are made again from what remains.
   */
  dwdRemoved: CsvRows;
  /**
   * Requests and joined follow events (DWD, joined part), including unmatched rows corrected now: `logRows` when
   * `dwdAppendOnly` is set.
   */
  dwd: CsvRows;
  /**
   * Set when no later checkpoint removes `dwd`'s rows (the embedded engine's, appended and never corrected in place):
   * the event times they span, so a warehouse may keep them in an append-only log found by time. Null for a
   * changelog's rows, which a later checkpoint's `dwdRemoved` may remove.
   */
  dwdAppendOnly: { from: number; to: number } | null;
  /**
   * The same for rows whose event time was past the allowed lateness when written (late records, and events corrected
   * when their request came late), apart: a warehouse may store them apart, so the large part's time ranges stay
   * narrow for look-ups.
   */
  dwdLate: CsvRows;
  /** Follow events without their request (DWD, unmatched part). */
  dwdUnmatched: CsvRows;
  /** `event_id`, `event_type` of unmatched rows whose request came: they leave the unmatched part. */
  dwdRetracted: CsvRows;
  dwa: CsvRows;
}

export interface DeadLetterRow {
  seq: number;
  reason: string;
  error: string;
  payload: string;
  payloadBytes: number;
}

export function emptyWrites(epoch: number, source: string): CheckpointWrites {
  return {
    epoch,
    source,
    position: '',
    fingerprint: '',
    maxEventMs: 0,
    watermarkMs: 0,
    flushedUntilMs: 0,
    counters: emptyCounters(),
    ods: new CsvRows(),
    dimChanges: new CsvRows(),
    dimUpserts: [],
    dimDeletes: [],
    deadLetters: [],
    dwdRemoved: new CsvRows(),
    dwd: new CsvRows(),
    dwdAppendOnly: null,
    dwdLate: new CsvRows(),
    dwdUnmatched: new CsvRows(),
    dwdRetracted: new CsvRows(),
    dwa: new CsvRows(),
  };
}

/**
 * Rows of an append-only log (ODS's events, DWD's appended rows), which a warehouse keeps as compressed files: made
 * compressed, block by block, as they are written (see CsvRows).
 */
export function logRows(): CsvRows {
  return new CsvRows({ compressed: true });
}

/** Hands a committed checkpoint's row blocks back for later checkpoints' rows (see CsvRows.release). */
export function releaseWrites(writes: CheckpointWrites): void {
  for (const v of Object.values(writes)) if (v instanceof CsvRows) v.release();
}
