import {
  type AdRequest,
  type BillingType,
  billingTypes,
  type FollowEvent,
  type InputRecord,
} from '../events/schema.ts';
import type { Received } from '../events/validate.ts';
import { dwaDimensionsInDwd } from '../layers/dwa.ts';
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

/** A request's DWA key as staged: the run of its DWD fragment's fields that holds the DWA dimensions. */
export function dimKeyOf(fragment: string): string {
  let from = 0;
  for (let i = 0; i < dwaDimensionsInDwd.start; i++) from = fragment.indexOf(S, from) + 1;
  let to = fragment.length;
  for (let i = dwaDimensionsInDwd.end; i < dwaDimensionsInDwd.of; i++) to = fragment.lastIndexOf(S, to - 1);
  return fragment.slice(from, to);
}

/**
 * A request held in the join's state, as text: filled (0/1), billing type (its index, '-' for none), bid, the DWD
 * fragment (its DWA key a slice of it).
 */
export const requestCodec: StateCodec<RequestInfo> = {
  encode: (r) =>
    `${r.filled ? 1 : 0}${r.billing === null ? '-' : billingTypes.indexOf(r.billing)}${r.bidMicros},${r.dwdFragment}`,
  decode(p, ts, id) {
    const bid = p.indexOf(',', 2);
    const dwdFragment = p.slice(bid + 1);
    return {
      id,
      ts,
      filled: p.charCodeAt(0) === 49,
      bidMicros: Number(p.slice(2, bid)),
      billing: p[1] === '-' ? null : billingTypes[Number(p[1])]!,
      dwdFragment,
      dimKey: dimKeyOf(dwdFragment),
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
