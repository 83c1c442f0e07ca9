/** Wire format of ADW's input records (one JSON object per line) and their parsed, validated forms. */

export const eventTypes = ['request', 'exposure', 'viewable', 'click'] as const;
export type EventType = (typeof eventTypes)[number];
/** Events that follow a request and are joined to it. */
export const followTypes = ['exposure', 'viewable', 'click'] as const;
export type FollowType = (typeof followTypes)[number];

export const osValues = ['android', 'ios', 'windows', 'macos', 'linux', 'other'] as const;
export const deviceTypes = ['phone', 'tablet', 'desktop', 'ctv', 'other'] as const;
export type Os = (typeof osValues)[number];
export type DeviceType = (typeof deviceTypes)[number];

/** An ad request: the auction outcome for one slot view; `request_id` is its own id. */
export interface AdRequest {
  kind: 'request';
  id: string;
  ts: number;
  userId: string;
  os: Os;
  deviceType: DeviceType;
  region: string;
  slotId: number;
  filled: boolean;
  adId: number | null;
  /**
   * Price fixed when serving, in millionths of the currency unit, per the campaign's billing unit (CPM: per 1000
   * exposures; CPC: per click).
   */
  bidMicros: number;
}

/** A request's own attributes under their column names, as DWD and the scale-out stream record name them. */
export interface RequestColumns {
  user_id: string;
  os: Os;
  device_type: DeviceType;
  region: string;
  slot_id: number;
  ad_id: number | null;
  filled: boolean;
  bid_micros: number;
}

/** A request's own attributes under their column names (`RequestColumns`), written into `row`. */
export function writeRequestColumns(r: AdRequest, row: { [K in keyof RequestColumns]: unknown }): void {
  row.user_id = r.userId;
  row.os = r.os;
  row.device_type = r.deviceType;
  row.region = r.region;
  row.slot_id = r.slotId;
  row.ad_id = r.adId;
  row.filled = r.filled;
  row.bid_micros = r.bidMicros;
}

/** A request's own attributes under their column names, in an object of their own. */
export function requestColumns(r: AdRequest): RequestColumns {
  const row = {} as RequestColumns;
  writeRequestColumns(r, row);
  return row;
}

/** An exposure (impression), viewable exposure or click: has its own id and names its request. */
export interface FollowEvent {
  kind: FollowType;
  id: string;
  requestId: string;
  ts: number;
}

export const dimensionTables = ['advertiser', 'campaign', 'ad', 'slot'] as const;
export type DimensionTable = (typeof dimensionTables)[number];

export const billingTypes = ['CPM', 'CPC'] as const;
export type BillingType = (typeof billingTypes)[number];

export interface AdvertiserRow {
  advertiser_id: number;
  name: string;
}
export interface CampaignRow {
  campaign_id: number;
  advertiser_id: number;
  name: string;
  billing: BillingType;
  price: number;
  budget: number;
}
export interface AdRow {
  ad_id: number;
  campaign_id: number;
  name: string;
}
export interface SlotRow {
  slot_id: number;
  name: string;
  site: string;
}
export interface DimensionRows {
  advertiser: AdvertiserRow;
  campaign: CampaignRow;
  ad: AdRow;
  slot: SlotRow;
}

/** A change to a dimension table (upsert or delete by key), as a snapshot row or a binlog event would carry it. */
export type DimensionChange = {
  [T in DimensionTable]:
    | { kind: 'dim'; table: T; op: 'upsert'; row: DimensionRows[T] }
    | { kind: 'dim'; table: T; op: 'delete'; key: number };
}[DimensionTable];

export type AdEvent = AdRequest | FollowEvent;
export type InputRecord = AdEvent | DimensionChange;

/** Key column of each dimension table. */
export const dimensionKeys = {
  advertiser: 'advertiser_id',
  campaign: 'campaign_id',
  ad: 'ad_id',
  slot: 'slot_id',
} as const satisfies Record<DimensionTable, string>;
