import type { AdRow, AdvertiserRow, CampaignRow, DimensionChange, DimensionTable, SlotRow } from '../events/schema.ts';

/** The current dimension rows, as the stream has changed them: what enrichment looks up. */
export class DimensionState {
  readonly advertiser = new Map<number, AdvertiserRow>();
  readonly campaign = new Map<number, CampaignRow>();
  readonly ad = new Map<number, AdRow>();
  readonly slot = new Map<number, SlotRow>();

  /** The current row of a dimension with this key, if any. */
  row(table: DimensionTable, key: number): Record<string, unknown> | undefined {
    return (this[table] as unknown as Map<number, Record<string, unknown>>).get(key);
  }

  apply(change: DimensionChange): void {
    const table = this[change.table] as Map<number, unknown>;
    if (change.op === 'delete') table.delete(change.key);
    else table.set(keyOf(change), change.row);
  }
}

function keyOf(change: DimensionChange & { op: 'upsert' }): number {
  switch (change.table) {
    case 'advertiser':
      return change.row.advertiser_id;
    case 'campaign':
      return change.row.campaign_id;
    case 'ad':
      return change.row.ad_id;
    case 'slot':
      return change.row.slot_id;
  }
}
