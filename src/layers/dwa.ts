import { additiveColumns } from '../catalogue/metrics.ts';
import { sketchColumn } from '../catalogue/user-sketch.ts';
import { dwdColumnsByName, dwdRequestColumns } from './dwd.ts';
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

/**
 * The DWA dimensions in the order DWD's request columns hold them, a run of them: a request's cell key as a checkpoint
 * stages it is a slice of the CSV of its DWD request columns, which the join holds anyway (no second CSV per request).
 */
export const dwaStagedDimensions = dwdRequestColumns
  .map((c) => c.name)
  .filter((n): n is (typeof dwaDimensionColumns)[number] => (dwaDimensionColumns as readonly string[]).includes(n));

/** Where the staged dimensions lie among DWD's request columns: the first one's place, and the place after the last. */
export const dwaDimensionsInDwd = (() => {
  const names = dwdRequestColumns.map((c) => c.name as string);
  const start = names.indexOf(dwaStagedDimensions[0]!);
  const end = start + dwaStagedDimensions.length;
  if (dwaStagedDimensions.length !== dwaDimensionColumns.length || names[end - 1] !== dwaStagedDimensions.at(-1))
    throw new Error('the DWA dimensions must be a run of DWD request columns');
  return { start, end, of: names.length };
})();

/** What identifies a DWA cell: its minute and its dimensions. */
export const dwaCellKey = ['minute', ...dwaDimensionColumns] as const;

const metricColumns = additiveColumns.map((m) => col(m, 'BIGINT'));

/** The distinct-user sketch of a DWA cell or APP row, last in both (src/catalogue/user-sketch.ts). */
export const userSketchColumn = col(sketchColumn, 'INTEGER[]', 'HyperLogLog entries of the users of its requests');

/**
 * DWA: minute aggregates by every catalogue dimension. Rows are additive deltas (like a StarRocks
 * aggregate-key table): readers always SUM ... GROUP BY; compaction folds deltas of settled minutes. The user sketch
 * is not additive but mergeable: readers and compaction take the union of a cell's sketches.
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
    userSketchColumn,
  ],
};

/**
 * The columns of a checkpoint's staged DWA rows, in order: the minute (in ms), the dimensions as staged, the metrics and
 * the sketch. Every writer of staged rows (the aggregate, the Flink job's changelog) and the warehouse that reads them
 * take this order.
 */
export const dwaStagedColumns = [
  col('minute_ms', 'BIGINT'),
  ...dwaStagedDimensions.map((c) => dwdColumnsByName[c]),
  ...metricColumns,
  userSketchColumn,
];

/**
 * DWA's columns but the user sketch: what the Flink job's running aggregate writes. It corrects a cell by retracting
 * rows, which a sketch (a union, with no subtraction) cannot follow without a Java UDF; the loader of its changelog
 * builds the sketches from the DWD requests it lands instead (src/engine/operators/changelog.ts).
 */
export const dwaTotalsColumns = dwaAdMinute.columns.filter((c) => c !== userSketchColumn);
