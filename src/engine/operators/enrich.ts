import { errors } from '../../errors.ts';
import {
  type AdEvent,
  type AdRequest,
  type BillingType,
  type DimensionTable,
  writeRequestColumns,
} from '../../events/schema.ts';
import { dimTables } from '../../layers/dim.ts';
import { type DwdRequestColumn, dwdRequestColumns } from '../../layers/dwd.ts';
import type { DimensionState } from '../../state/dimension-state.ts';
import { CsvRows } from '../../warehouse/csv.ts';
import type { RequestRow } from '../../warehouse/warehouse.ts';
import { BaseOperator, type RunContext, type Output } from '../operator.ts';
import { dimKeyOf, type RequestInfo, type Tracked } from '../records.ts';
import type { Lookup, Stage } from '../stages.ts';

/** A request ready to join: the request itself plus its enrichment. */
export type EnrichedRequest = Tracked<AdRequest> & { info: RequestInfo };
export type EnrichedEvent = EnrichedRequest | Exclude<Tracked<AdEvent>, Tracked<AdRequest>>;

/** The most bytes a field takes: three a UTF-16 unit of a string, else a number's digits or a boolean. */
const boundOf = (x: string | number | boolean | null) => (typeof x === 'string' ? 3 * x.length : 25);

/** Writes a field (nothing for NULL): an integer as digits in place, any other value as String() writes it. */
function put(w: CsvRows, x: string | number | boolean | null): void {
  if (x === null || x === undefined) return;
  if (typeof x === 'number') w.int(x);
  else w.text(typeof x === 'string' ? x : String(x));
}

/**
 * The CSV of `columns` of a request row, made by a function compiled once from the column list: each column read by
 * its name as written in the code, where a loop over the list reads each by a name held in a variable, a look-up V8
 * cannot keep (with the row made without a spread: enrichment 0.39 -> 0.21 µs per event, 2026-12-07). Written as bytes
 * into one row used again and read back as one flat string: an array of the fields joined made the array, a string per
 * number and the joined string, about 130 bytes of garbage a request (adw bench's allocation profile, 2026-12-07).
 */
function csvOf(columns: readonly string[]): (row: RequestRow) => string {
  const read = columns.map((c) => `r[${JSON.stringify(c)}]`);
  const bound = read.map((x) => `b(${x})`).join(' + ');
  const fields = read.map((x) => `p(w, ${x});`).join(' w.sep(); ');
  const w = new CsvRows();
  return new Function(
    'w',
    'p',
    'b',
    `return (r) => { w.begin(${columns.length} + ${bound}); ${fields} return w.takeRow(); };`,
  )(w, put, boundOf);
}
const dwdFragmentOf = csvOf(dwdRequestColumns.map((c) => c.name));

/** A request's join state from its columns, in the column orders of DWD and DWA: live requests and restored ones. */
export function requestInfo(r: RequestRow): RequestInfo {
  const dwdFragment = dwdFragmentOf(r);
  return {
    id: r.request_id,
    ts: r.ts,
    filled: r.filled,
    bidMicros: r.bid_micros,
    billing: r.billing as BillingType | null,
    dwdFragment,
    dimKey: dimKeyOf(dwdFragment),
  };
}

/** A look-up with its dimension table resolved to the dimension state's name for it. */
interface ResolvedLookup extends Lookup {
  table: DimensionTable;
}

/**
 * The DWD columns of a request enriched by `lookups` from the dimension state as it is now (processing time), written
 * into `row`: one row used again for every request, its fragment made from it at once (a new row a request, with the
 * properties the look-ups add beyond its literal's, was about 140 bytes of garbage a request).
 */
export function enrichRequest(
  r: AdRequest,
  dims: DimensionState,
  lookups: readonly ResolvedLookup[],
  row: RequestRow,
): RequestRow {
  writeRequestColumns(r, row);
  row.request_id = r.id;
  row.ts = r.ts;
  row.campaign_id = null;
  row.advertiser_id = null;
  row.billing = null;
  const cells = row as unknown as Record<DwdRequestColumn, unknown>;
  for (const l of lookups) {
    const key = cells[l.key];
    const found = typeof key === 'number' ? dims.row(l.table, key) : undefined;
    cells[l.to] = found?.[l.to] ?? null;
  }
  return row;
}

/**
 * Enriches requests by the stage's look-ups (the ad's campaign, the campaign's advertiser and billing type), as of
 * processing time. Follow events inherit their request's enrichment in the join: they are billed on the terms the ad
 * was served under.
 */
export class EnrichOperator extends BaseOperator<Tracked<AdEvent>, EnrichedEvent> {
  readonly name = 'enrich';
  private readonly lookups: readonly ResolvedLookup[];
  /** The row each request is enriched into, every column of it set each time (its literal gives it all of them). */
  private readonly row: RequestRow = {
    request_id: '',
    ts: 0,
    user_id: '',
    os: 'android',
    device_type: 'phone',
    region: '',
    slot_id: 0,
    ad_id: null,
    campaign_id: null,
    advertiser_id: null,
    billing: null,
    filled: false,
    bid_micros: 0,
  };

  constructor(stage: Stage<'enrich'>) {
    super();
    this.lookups = stage.lookups.map((l) => {
      const table = dimTables.find((t) => t.name === l.from);
      if (table === undefined || !table.columns.some((c) => c.name === l.to))
        throw errors.pipelineInvalid(`enrich: no dimension table ${l.from} with a column ${l.to}`);
      return { ...l, table: table.stream };
    });
  }

  processBatch(batch: Tracked<AdEvent>[], out: Output<EnrichedEvent>, ctx: RunContext): void {
    for (const r of batch) {
      if (r.kind === 'request') {
        // Set on the record itself: Object.assign from a new object was one more object a request.
        const enriched = r as EnrichedRequest;
        enriched.info = requestInfo(enrichRequest(r, ctx.dims, this.lookups, this.row));
        out.push(enriched);
      } else out.push(r);
    }
  }
}
