import { appDatasets } from './app.ts';
import { dimTables } from './dim.ts';
import { dwaAdMinute } from './dwa.ts';
import { dwdAdEvent } from './dwd.ts';
import { checkpointTable } from './meta.ts';
import { odsTables } from './ods.ts';
import type { TableDef } from './table.ts';

/** Every warehouse table, layer by layer: ODS, dimensions, DWD, DWA, APP, then bookkeeping. */
export const allTables: readonly TableDef[] = [...odsTables, ...dimTables, dwdAdEvent, dwaAdMinute, ...appDatasets.map((d) => d.table), checkpointTable];
