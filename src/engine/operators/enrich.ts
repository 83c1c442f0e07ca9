import { errors } from '../../errors.ts';
import {
  type AdEvent,
  type AdRequest,
  type BillingType,
  type DimensionTable,
  requestColumns,
} from '../../events/schema.ts';
import { dimTables } from '../../layers/dim.ts';
import { dwaDimensionColumns } from '../../layers/dwa.ts';
import { type DwdRequestColumn, dwdRequestColumns } from '../../layers/dwd.ts';
import type { DimensionState } from '../../state/dimension-state.ts';
import { FIELD_SEPARATOR as S } from '../../warehouse/csv.ts';
import type { RequestRow } from '../../warehouse/warehouse.ts';
import { BaseOperator, type RunContext } from '../operator.ts';
import type { RequestInfo, Tracked } from '../records.ts';
import type { Lookup, Stage } from '../stages.ts';

/** A request ready to join: the request itself plus its enrichment. */
export type EnrichedRequest = Tracked<AdRequest> & { info: RequestInfo };
export type EnrichedEvent = EnrichedRequest | Exclude<Tracked<AdEvent>, Tracked<AdRequest>>;

/** A CSV field: empty for NULL. */
const v = (x: string | number | boolean | null) => (x === null ? '' : x);

/**
 * Builds a request's join state from its columns, in the column orders of DWD and DWA: used for live requests and
 * for requests restored from DWD. Array join, not `+`: it yields flat strings, where `+` leaves trees of string pieces
 * that cost several times
 * the memory for as long as the request is held (hours), and it is faster too.
 */
export function requestInfo(r: RequestRow): RequestInfo {
  return {
    id: r.request_id,
    ts: r.ts,
    filled: r.filled,
    bidMicros: r.bid_micros,
    billing: r.billing as BillingType | null,
    dwdFragment: dwdRequestColumns.map((c) => v(r[c.name])).join(S),
    dimKey: dwaDimensionColumns.map((c) => v(r[c])).join(S),
  };
}

/** A look-up with its dimension table resolved to the dimension state's name for it. */
interface ResolvedLookup extends Lookup {
  table: DimensionTable;
}

/** The DWD columns of a request enriched by `lookups` from the dimension state as it is now (processing time). */
export function enrichRequest(r: AdRequest, dims: DimensionState, lookups: readonly ResolvedLookup[]): RequestRow {
  const row: RequestRow = {
    request_id: r.id,
    ts: r.ts,
    ...requestColumns(r),
    campaign_id: null,
    advertiser_id: null,
    billing: null,
  };
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

  constructor(stage: Stage<'enrich'>) {
    super();
    this.lookups = stage.lookups.map((l) => {
      const table = dimTables.find((t) => t.name === l.from);
      if (table === undefined || !table.columns.some((c) => c.name === l.to))
        throw errors.pipelineInvalid(`enrich: no dimension table ${l.from} with a column ${l.to}`);
      return { ...l, table: table.stream };
    });
  }

  processBatch(batch: Tracked<AdEvent>[], out: EnrichedEvent[], ctx: RunContext): void {
    for (const r of batch) {
      if (r.kind === 'request')
        out.push(Object.assign(r, { info: requestInfo(enrichRequest(r, ctx.dims, this.lookups)) }));
      else out.push(r);
    }
  }
}
