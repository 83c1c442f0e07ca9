import type { CheckpointWrites } from './checkpoint-writes.ts';
import type { Counters } from '../layers/meta.ts';

/** The committed checkpoint of one source, as the engine resumes from it. */
export interface CheckpointRow extends Counters {
  source: string;
  epoch: number;
  position: string;
  fingerprint: string;
  maxEventMs: number;
  /** Null in checkpoints written before the watermark was stored. */
  watermarkMs: number | null;
  flushedUntilMs: number;
}

/** A committed DWD request row: enough to rebuild the join state for it. */
export interface RequestRow {
  request_id: string;
  ts: number;
  user_id: string;
  os: string;
  device_type: string;
  region: string;
  slot_id: number;
  ad_id: number | null;
  campaign_id: number | null;
  advertiser_id: number | null;
  billing: string | null;
  filled: boolean;
  bid_micros: number;
}

/** A committed DWD follow event that found no request (yet). */
export interface UnmatchedRow {
  event_id: string;
  event_type: string;
  request_id: string;
  ts: number;
  late: boolean;
}

/** An event-time range in ms, both ends included: look-ups read only the rows in it. */
export interface TimeRange {
  from: number;
  to: number;
}

/** What the stream engine needs from a warehouse: atomic checkpoints, and reads to restore and complete its state. */
export interface EngineStore {
  /** A file path on local disk beside the warehouse's own files, for the engine's spilled state (a cache it rebuilds). */
  readonly spillPath: string;
  /** Writes one checkpoint's data and its position atomically: all of it or none. */
  commit(writes: CheckpointWrites): Promise<void>;
  readCheckpoint(source: string): Promise<CheckpointRow | null>;
  /** Current dimension rows, table by table (as upserts in ODS order would leave them). */
  loadDimensions(): Promise<{ table: string; row: Record<string, unknown> }[]>;
  /** DWD requests with event time at or after `sinceMs`, newest first, at most `limit` of them. */
  loadRequests(sinceMs: number, limit?: number): Promise<RequestRow[]>;
  /** DWD requests with event time in [fromMs, beforeMs). */
  loadRequestsBetween(fromMs: number, beforeMs: number): Promise<RequestRow[]>;
  /**
   * Ids of every follow event processed (ODS, duplicates folded) with event time at or after `sinceMs`, newest first,
   * at most `limit` of them.
   */
  loadEventIds(sinceMs: number, limit?: number): Promise<{ id: string; ts: number }[]>;
  /** Ids of every follow event processed with event time in [fromMs, beforeMs). */
  loadEventIdsBetween(fromMs: number, beforeMs: number): Promise<{ id: string; ts: number }[]>;
  /**
   * Raw ODS follow events since `sinceMs` that have no DWD row yet: waiting for their request. DWD is searched from
   * `originalsSinceMs` on (dedup's horizon: a copy of an older original is not caught by state either), so a restart
   * reads the window's segments, not all of DWD's history.
   */
  loadPending(sinceMs: number, originalsSinceMs: number): Promise<{ raw: string; seq: number }[]>;
  /** Which of these follow-event ids have a DWD row with event time in `range`. */
  findEventIds(ids: string[], range: TimeRange): Promise<Set<string>>;
  /** DWD requests with a group's ids and event time in its range, for every group at once. */
  findRequests(groups: { ids: string[]; range: TimeRange }[]): Promise<RequestRow[]>;
  /** Requests with unmatched DWD follow events since `sinceMs`, with the latest such event's time. */
  loadUnmatchedRequests(sinceMs: number): Promise<{ request_id: string; ts: number }[]>;
  /** Unmatched DWD follow events of these requests, with event time in `range`. */
  findUnmatched(requestIds: string[], range: TimeRange): Promise<UnmatchedRow[]>;
}

/** A statement parameter, as every warehouse binds it (by position). */
export type Param = string | number | boolean | null;

/** A read-only SQL surface for the query service: parameters by position, rows as plain JSON-able objects. */
export interface QueryStore {
  query(sql: string, params?: Param[]): Promise<Record<string, unknown>[]>;
  /** A number that grows with every committed write transaction: equal numbers, equal data (for shared answers). */
  committedVersion(): number;
  /** Calls `listener` right after each committed write transaction, when the store can tell. */
  onCommit?(listener: () => void): void;
}

/** A warehouse backend: the engine writes through EngineStore, the API reads through QueryStore. */
export interface Warehouse extends EngineStore, QueryStore {
  /**
   * Runs housekeeping: ODS retention and DWA/APP compaction of settled periods, in transactions short enough to take
   * turns with the engine's commits (the engine does not wait for it).
   */
  maintain(settledBeforeMs: number, odsRetentionDays: number): Promise<void>;
  close(): Promise<void>;
}
