import { additiveColumns } from '../catalogue/metrics.ts';
import { userSketchColumn } from './dwa.ts';
import { col, type TableDef } from './table.ts';

/** One APP dataset: a rollup of DWA to a coarser grain and fewer dimensions. */
export interface AppDataset {
  name: string;
  grain: 'hour' | 'day';
  /** Dimension columns kept (the rest are summed away). */
  by: readonly string[];
  table: TableDef;
}

const metricColumns = additiveColumns.map((m) => col(m, 'BIGINT'));

function dataset(
  name: string,
  grain: 'hour' | 'day',
  by: readonly ('advertiser_id' | 'campaign_id' | 'slot_id')[],
  doc: string,
): AppDataset {
  return {
    name,
    grain,
    by,
    table: {
      name: `app_${name}`,
      layer: 'app',
      doc,
      columns: [
        col('period', 'TIMESTAMP', `start of the ${grain} (UTC)`),
        ...by.map((d) => col(d, 'INTEGER')),
        ...metricColumns,
        userSketchColumn,
      ],
    },
  };
}

/** The APP datasets behind the dashboard and API; maintained incrementally from DWA deltas. */
export const appDatasets: readonly AppDataset[] = [
  dataset('campaign_hourly', 'hour', ['advertiser_id', 'campaign_id'], 'campaign performance by hour'),
  dataset('campaign_daily', 'day', ['advertiser_id', 'campaign_id'], 'campaign performance by day (pacing, billing)'),
  dataset('slot_hourly', 'hour', ['slot_id'], 'slot (placement) performance by hour'),
  dataset('slot_daily', 'day', ['slot_id'], 'slot (placement) performance by day'),
  dataset('advertiser_hourly', 'hour', ['advertiser_id'], 'advertiser performance by hour'),
  dataset('advertiser_daily', 'day', ['advertiser_id'], 'advertiser performance by day'),
];
