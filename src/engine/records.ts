import {
  type AdRequest,
  type BillingType,
  billingTypes,
  type FollowEvent,
  type InputRecord,
} from '../events/schema.ts';
import type { Received } from '../events/validate.ts';
import { dwaDimensionsInDwd } from '../layers/dwa.ts';
import { dwdRequestColumns } from '../layers/dwd.ts';
import type { StateCodec } from '../state/memory-state.ts';
import { FIELD_SEPARATOR as S } from '../warehouse/csv.ts';

/** A validated record, with where it came from and whether it arrived after the allowed lateness. */
export type Tracked<T extends InputRecord = InputRecord> = Received<T>;

/** A request once enriched: what its follow events inherit, with the CSV fragments precomputed once. */
export interface RequestInfo {
  id: string;
  ts: number;
  filled: boolean;
  bidMicros: number;
  billing: BillingType | null;
  /** The DWD request columns (`dwdRequestColumns`), CSV-encoded. */
  dwdFragment: string;
  /** The DWA key columns as staged (`dwaStagedDimensions`), CSV-encoded: a slice of `dwdFragment`. */
  dimKey: string;
}

/** Where the request facts a follow event is billed by lie among DWD's request columns: after the DWA dimensions. */
const [BILLING, FILLED, BID] = (() => {
  const names = dwdRequestColumns.map((c) => c.name as string);
  const at = ['billing', 'filled', 'bid_micros'].map((n) => names.indexOf(n));
  if (at.some((i) => i < dwaDimensionsInDwd.end))
    throw new Error('billing, filled and bid_micros must follow the DWA dimensions among DWD request columns');
  return at as [number, number, number];
})();

/** Where each field after the DWA dimensions starts in the fragment `splitTail` was given last (one past its end last). */
const tailStarts = new Int32Array(dwaDimensionsInDwd.of + 1);

/** Finds where the fields after the DWA dimensions start in `fragment` (into `tailStarts`); returns the key's end. */
function splitTail(fragment: string): number {
  let to = fragment.length;
  tailStarts[dwaDimensionsInDwd.of] = to + 1;
  for (let i = dwaDimensionsInDwd.of - 1; i >= dwaDimensionsInDwd.end; i--) {
    to = fragment.lastIndexOf(S, to - 1);
    tailStarts[i] = to + 1;
  }
  return to;
}

/** Where the DWA dimensions start in a fragment. */
function keyStart(fragment: string): number {
  let from = 0;
  for (let i = 0; i < dwaDimensionsInDwd.start; i++) from = fragment.indexOf(S, from) + 1;
  return from;
}

/** A request's DWA key as staged: the run of its DWD fragment's fields that holds the DWA dimensions. */
export function dimKeyOf(fragment: string): string {
  return fragment.slice(keyStart(fragment), splitTail(fragment));
}

/** The billing type a fragment names from `from` to `to`; null for none (an empty field). */
function billingAt(fragment: string, from: number, to: number): BillingType | null {
  for (const t of billingTypes) if (to - from === t.length && fragment.startsWith(t, from)) return t;
  return null;
}

/**
 * The number written from `from` to `to` in `s`: its digits read in place when it is an integer of at most 15 digits
 * (exact in a double), as bids are; anything else as Number() reads it.
 */
function integerAt(s: string, from: number, to: number): number {
  if (to - from > 15) return Number(s.slice(from, to));
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number(s.slice(from, to));
    n = n * 10 + d;
  }
  return n;
}

/**
 * A request held in the join's state: its DWD fragment, as text, from which the rest is read back (its DWA key a
 * slice of it, its billing type, fill and bid its last fields). A header of its own for those repeated about ten
 * bytes of every entry, and its string was made anew for every request.
 */
export const requestCodec: StateCodec<RequestInfo> = {
  encode: (r) => r.dwdFragment,
  decode(p, ts, id) {
    const dimKey = dimKeyOf(p); // and where the fields after it start, in `tailStarts`
    return {
      id,
      ts,
      filled: p.charCodeAt(tailStarts[FILLED]!) === 116, // 'true'
      bidMicros: integerAt(p, tailStarts[BID]!, tailStarts[BID + 1]! - 1),
      billing: billingAt(p, tailStarts[BILLING]!, tailStarts[BILLING + 1]! - 1),
      dwdFragment: p,
      dimKey,
    };
  },
};

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
