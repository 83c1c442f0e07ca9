import type { AdEvent, AdRequest, BillingType } from '../../events/schema.ts';
import type { DimensionState } from '../../state/dimension-state.ts';
import { FIELD_SEPARATOR as S } from '../../warehouse/csv.ts';
import type { RequestRow } from '../../warehouse/warehouse.ts';
import { BaseOperator, type RunContext } from '../operator.ts';
import type { RequestInfo, Tracked } from '../records.ts';

/** A request ready to join: the request itself plus its enrichment. */
export type EnrichedRequest = Tracked<AdRequest> & { info: RequestInfo };
export type EnrichedEvent = EnrichedRequest | Exclude<Tracked<AdEvent>, Tracked<AdRequest>>;

/** A CSV field: empty for NULL. */
const v = (x: string | number | boolean | null) => (x === null ? '' : x);

/** Builds a request's join state from its columns: used for live requests and for requests restored from DWD. */
export function requestInfo(r: RequestRow): RequestInfo {
  // Plain concatenation: this runs once per request, on the engine's hot path.
  const dims = S + v(r.slot_id) + S + r.os + S + r.device_type + S + r.region;
  return {
    id: r.request_id,
    ts: r.ts,
    filled: r.filled,
    bidMicros: r.bid_micros,
    billing: r.billing as BillingType | null,
    dwdFragment: r.user_id + S + r.os + S + r.device_type + S + r.region + S + v(r.slot_id) + S + v(r.ad_id) + S + v(r.campaign_id) + S + v(r.advertiser_id) + S + v(r.billing) + S + r.filled + S + r.bid_micros,
    dimKey: v(r.advertiser_id) + S + v(r.campaign_id) + S + v(r.ad_id) + dims,
  };
}

/** The DWD columns of a request enriched from the dimension state as it is now (processing time). */
export function enrichRequest(r: AdRequest, dims: DimensionState): RequestRow {
  const ad = r.adId === null ? undefined : dims.ad.get(r.adId);
  const campaign = ad === undefined ? undefined : dims.campaign.get(ad.campaign_id);
  return {
    request_id: r.id, ts: r.ts, user_id: r.userId, os: r.os, device_type: r.deviceType, region: r.region, slot_id: r.slotId,
    ad_id: r.adId, campaign_id: ad?.campaign_id ?? null, advertiser_id: campaign?.advertiser_id ?? null,
    billing: campaign?.billing ?? null, filled: r.filled, bid_micros: r.bidMicros,
  };
}

/**
 * Enriches requests with their ad's campaign and advertiser and the campaign's billing type, as of processing time.
 * Follow events inherit their request's enrichment in the join: they are billed on the terms the ad was served under.
 */
export class EnrichOperator extends BaseOperator<Tracked<AdEvent>, EnrichedEvent> {
  readonly name = 'enrich';

  processBatch(batch: Tracked<AdEvent>[], out: EnrichedEvent[], ctx: RunContext): void {
    for (const r of batch) {
      if (r.kind === 'request') out.push(Object.assign(r, { info: requestInfo(enrichRequest(r, ctx.dims)) }));
      else out.push(r);
    }
  }
}
