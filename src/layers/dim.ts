import type { DimensionTable } from '../events/schema.ts';
import { col, type TableDef } from './table.ts';

/** A dimension table: upserted and deleted by its one id column; `stream` is its name in change records. */
export type DimTableDef = TableDef & { key: readonly [string]; stream: DimensionTable };

/** Dimension tables: the current state of advertisers, campaigns, ads and slots. */
export const dimTables: readonly DimTableDef[] = [
  {
    name: 'dim_advertiser',
    stream: 'advertiser',
    layer: 'dim',
    doc: 'advertisers',
    key: ['advertiser_id'],
    columns: [col('advertiser_id', 'INTEGER'), col('name', 'VARCHAR')],
  },
  {
    name: 'dim_campaign',
    stream: 'campaign',
    layer: 'dim',
    doc: 'campaigns: billing type, price and daily budget',
    key: ['campaign_id'],
    columns: [
      col('campaign_id', 'INTEGER'),
      col('advertiser_id', 'INTEGER'),
      col('name', 'VARCHAR'),
      col('billing', 'VARCHAR'),
      col('price', 'DOUBLE'),
      col('budget', 'DOUBLE'),
    ],
  },
  {
    name: 'dim_ad',
    stream: 'ad',
    layer: 'dim',
    doc: 'ads (creatives)',
    key: ['ad_id'],
    columns: [col('ad_id', 'INTEGER'), col('campaign_id', 'INTEGER'), col('name', 'VARCHAR')],
  },
  {
    name: 'dim_slot',
    stream: 'slot',
    layer: 'dim',
    doc: 'slots (placements)',
    key: ['slot_id'],
    columns: [col('slot_id', 'INTEGER'), col('name', 'VARCHAR'), col('site', 'VARCHAR')],
  },
];

/** The dimension table of a change record's `table`. */
export function dimTableOf(stream: DimensionTable): DimTableDef {
  // Every stream name has its table: dimTables lists them all.
  return dimTables.find((t) => t.stream === stream)!;
}
