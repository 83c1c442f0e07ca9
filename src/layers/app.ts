import { additiveColumns } from '../catalogue/metrics.ts';
import { dwdColumnsByName } from './dwd.ts';
import { dwaAdMinute, type dwaDimensionColumns, userSketchColumn } from './dwa.ts';
import { appSketchMarkTable } from './meta.ts';
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
  by: readonly (typeof dwaDimensionColumns)[number][],
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
        // Typed as DWA types them.
        ...by.map((d) => dwdColumnsByName[d]),
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
  // An ad names its campaign and advertiser, so these rows are no more than the ads': a campaign's creatives, or
  // any ad-hierarchy breakdown, without DWA's minute rows (each of which adds slot and audience to the ad).
  dataset('ad_hourly', 'hour', ['advertiser_id', 'campaign_id', 'ad_id'], 'ad (creative) performance by hour'),
  dataset('ad_daily', 'day', ['advertiser_id', 'campaign_id', 'ad_id'], 'ad (creative) performance by day'),
  // The audience attributes together: a few hundred combinations. Crossed with ads and slots they fold little (a
  // day of 1.73 million dense minute rows is 1.36 million cells by hour), so there is no cube over every dimension.
  dataset('audience_hourly', 'hour', ['os', 'device_type', 'region'], 'audience (os, device, region) by hour'),
  dataset('audience_daily', 'day', ['os', 'device_type', 'region'], 'audience (os, device, region) by day'),
];

const GRAIN_RANK = { minute: 0, hour: 1, day: 2 } as const;

/** The length of an APP grain's period in ms (UTC periods). */
export const grainMs = { hour: 3_600_000, day: 86_400_000 } as const;

/** Whether a dataset keeps every dimension in `dims` and its grain is no finer than `grain` (when one is asked). */
export function covers(ds: AppDataset, dims: Iterable<string>, grain?: keyof typeof GRAIN_RANK): boolean {
  return (
    [...dims].every((d) => ds.by.includes(d)) && (grain === undefined || GRAIN_RANK[grain] >= GRAIN_RANK[ds.grain])
  );
}

/** Orders datasets coarsest first: the coarser grain, then fewer dimensions (fewer rows, as a rule). */
export function coarsestFirst(a: AppDataset, b: AppDataset): number {
  return GRAIN_RANK[b.grain] - GRAIN_RANK[a.grain] || a.by.length - b.by.length;
}

/**
 * The dataset each dataset's rows of a checkpoint are rolled up from, `null` for DWA's own rows: the coarsest other
 * dataset that keeps its dimensions at its grain or finer. Rolling a checkpoint's rows up step by step reads each
 * DWA row three times, not once per dataset (a campaign's day from its ads' days, an advertiser's from its campaigns').
 */
export function rollupParent(ds: AppDataset): AppDataset | null {
  return appDatasets.filter((p) => p !== ds && covers(p, ds.by, ds.grain)).sort(coarsestFirst)[0] ?? null;
}

/** The datasets in an order where each comes after the dataset it is rolled up from. */
export const appDatasetsInRollupOrder: readonly AppDataset[] = [...appDatasets].sort(coarsestFirst).reverse();

/**
 * The dataset that holds `ds`'s users: the first of its rollup (see `rollupParent`), rolled up from DWA itself. Only
 * those three carry user sketches: copying every request's sketch entry into each of ten datasets at every checkpoint
 * cost more CPU than the rest of APP, and a coarser dataset's users are its root's, rolled up where they are read.
 */
export function usersDataset(ds: AppDataset): AppDataset {
  const parent = rollupParent(ds);
  return parent ? usersDataset(parent) : ds;
}

/**
 * Rows of `source` (DWA, `timeColumn` 'minute', or an APP dataset) that `where` keeps, as rows of `ds` that carry
 * users only: the period and dimensions, metrics 0, the sketch.
 */
export function usersAsRowsOf(ds: AppDataset, source: string, timeColumn: string, where: string): string {
  const zeros = additiveColumns.map((m) => `0::BIGINT AS ${m}`).join(', ');
  const sketch = userSketchColumn.name;
  return `SELECT date_trunc('${ds.grain}', ${timeColumn}) AS period, ${ds.by.join(', ')}, ${zeros}, ${sketch} FROM ${source} WHERE ${sketch} IS NOT NULL AND ${where}`;
}

/**
 * A subquery of `ds`'s rows as readers of its distinct users take them: its own, its users dataset's (see
 * `usersDataset`), and DWA's users of the periods from the mark's on (see appSketchMarkTable), in one statement so
 * the mark and the rows are one snapshot. A user in two of them counts once in a union; a file from before the mark
 * has no row in its table, and its rows carry every period's users. The other tables' rows are kept to the periods
 * from `fromMs` to `toMs` (aligned to `ds`'s grain) by their own time columns, which their indexes can use: a filter on
 * the periods they roll up to would read every row they hold.
 */
export function appRowsWithUsersSql(ds: AppDataset, fromMs?: number, toMs?: number): string {
  const root = usersDataset(ds);
  const within = (time: string) =>
    [
      ...(fromMs === undefined ? [] : [`${time} >= epoch_ms(${Math.trunc(fromMs)})`]),
      ...(toMs === undefined ? [] : [`${time} < epoch_ms(${Math.trunc(toMs)})`]),
    ].join(' AND ') || 'true';
  const mark = `(SELECT max(${appSketchMarkTable.columns[0]!.name}) FROM ${appSketchMarkTable.name})`;
  const parts = [
    `SELECT * FROM ${ds.table.name}`,
    ...(root === ds ? [] : [usersAsRowsOf(ds, root.table.name, 'period', within('period'))]),
    usersAsRowsOf(
      ds,
      dwaAdMinute.name,
      'minute',
      `minute >= date_trunc('${root.grain}', epoch_ms(${mark})) AND ${within('minute')}`,
    ),
  ];
  return `(${parts.join(' UNION ALL BY NAME ')})`;
}
