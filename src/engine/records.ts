import {
  type AdRequest,
  type BillingType,
  billingTypes,
  type FollowEvent,
  type InputRecord,
} from '../events/schema.ts';
import type { Received } from '../events/validate.ts';
import type { StateCodec } from '../state/memory-state.ts';

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
  /** The DWA key columns (`dwaDimensionColumns`), CSV-encoded. */
  dimKey: string;
}

/**
 * A request held in the join's state, as text: filled (0/1), billing type (its index, '-' for none), bid, the DWD
 * fragment's length, the fragment, the DWA key.
 */
export const requestCodec: StateCodec<RequestInfo> = {
  encode: (r) =>
    `${r.filled ? 1 : 0}${r.billing === null ? '-' : billingTypes.indexOf(r.billing)}${r.bidMicros},${r.dwdFragment.length},${r.dwdFragment}${r.dimKey}`,
  decode(p, ts, id) {
    const bid = p.indexOf(',', 2);
    const len = p.indexOf(',', bid + 1);
    const fragment = len + 1 + Number(p.slice(bid + 1, len));
    return {
      id,
      ts,
      filled: p.charCodeAt(0) === 49,
      bidMicros: Number(p.slice(2, bid)),
      billing: p[1] === '-' ? null : billingTypes[Number(p[1])]!,
      dwdFragment: p.slice(len + 1, fragment),
      dimKey: p.slice(fragment),
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
