import type { AdRequest, BillingType, FollowEvent, InputRecord } from '../events/schema.ts';

/** A validated record, with where it came from and whether it arrived after the allowed lateness. */
export type Tracked<T extends InputRecord = InputRecord> = T & {
  seq: number;
  split: number;
  raw: string;
  late: boolean;
};

/** A request once enriched: what its follow events inherit, with the CSV fragments precomputed once. */
export interface RequestInfo {
  id: string;
  ts: number;
  filled: boolean;
  bidMicros: number;
  billing: BillingType | null;
  /** The DWD request columns (`dwdRequestColumns`), CSV-encoded. */
  dwdFragment: string;
  /** The DWA key columns (`dwaDimensionColumns`), CSV-encoded. */
  dimKey: string;
}

export type JoinStatus = 'request' | 'matched' | 'unmatched';

/** One DWD row on its way to the warehouse; `retraction` marks a row that replaces an earlier unmatched one. */
export interface DwdRow {
  id: string;
  type: AdRequest['kind'] | FollowEvent['kind'];
  requestId: string;
  ts: number;
  req: RequestInfo | null;
  spendNanos: number;
  status: JoinStatus;
  late: boolean;
  retraction: boolean;
  /** A request's entry in the distinct-user sketch (src/catalogue/user-sketch.ts); null for follow events. */
  userEntry: number | null;
}
