import { appDatasets } from './app.ts';
import { dimTables } from './dim.ts';
import { dwaAdMinute } from './dwa.ts';
import { dwdAdEvent, dwdAdEventJoined, dwdAdEventUnmatched } from './dwd.ts';
import { appSketchMarkTable, checkpointTable, odsCoverageTable } from './meta.ts';
import { odsTables } from './ods.ts';
import type { TableDef } from './table.ts';

/** Every warehouse table, layer by layer: ODS, dimensions, DWD, DWA, APP, then bookkeeping. */
export const allTables: readonly TableDef[] = [
  ...odsTables,
  ...dimTables,
  dwdAdEventJoined,
  dwdAdEventUnmatched,
  dwaAdMinute,
  ...appDatasets.map((d) => d.table),
  checkpointTable,
  odsCoverageTable,
  appSketchMarkTable,
];

/** Views over the tables: each the union of tables with the same columns. */
export const allViews = [dwdAdEvent] as const;
