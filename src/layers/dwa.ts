import { additiveColumns } from '../catalogue/metrics.ts';
import { dwdColumnsByName } from './dwd.ts';
import { col, type TableDef } from './table.ts';

/** The dimension columns of the DWA minute cube, in key order. */
export const dwaDimensionColumns = [
  'advertiser_id',
  'campaign_id',
  'ad_id',
  'slot_id',
  'os',
  'device_type',
  'region',
] as const;

/** What identifies a DWA cell: its minute and its dimensions. */
export const dwaCellKey = ['minute', ...dwaDimensionColumns] as const;

const metricColumns = additiveColumns.map((m) => col(m, 'BIGINT'));

/**
 * DWA: minute aggregates by every catalogue dimension. Rows are additive deltas (like a StarRocks
 * aggregate-key table): readers always SUM ... GROUP BY; compaction folds deltas of settled minutes.
 */
export const dwaAdMinute: TableDef = {
  name: 'dwa_ad_minute',
  layer: 'dwa',
  doc: 'minute aggregates, additive delta rows',
  columns: [
    col('minute', 'TIMESTAMP'),
    // Typed as DWD types them: a DWA cell's key is its DWD rows' request attributes.
    ...dwaDimensionColumns.map((c) => dwdColumnsByName[c]),
    ...metricColumns,
  ],
};
