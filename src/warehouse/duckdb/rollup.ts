import { additiveColumns } from '../../catalogue/metrics.ts';
import { sketchColumn, sketchConcatSql, sketchUnionSql } from '../../catalogue/user-sketch.ts';
import { type AppDataset, appDatasetsInRollupOrder, rollupParent, usersDataset } from '../../layers/app.ts';

/** A group's additive columns, summed, each under its own name. */
export const sumsSql = additiveColumns.map((m) => `sum(${m})::BIGINT AS ${m}`).join(', ');

/** The union of a group's user sketches, as its row's sketch. */
export const sketchSql = `${sketchUnionSql(sketchColumn)} AS ${sketchColumn}`;

/**
 * A checkpoint's row of `ds` rolled up from rows with `timeColumn`: none for a dataset whose users another holds (see
 * `usersDataset`); else its sketches put together unmerged (see `sketchConcatSql`), for the periods housekeeping has
 * sketched (or is sketching) from DWA only, those before `sketchedUntilMs`'s period: a late row into one brings its
 * users along. A later period's users are read from DWA until housekeeping sketches it (see appSketchMarkTable).
 */
function deltaSketchSql(ds: AppDataset, timeColumn: string, sketchedUntilMs: number): string {
  if (usersDataset(ds) !== ds) return `NULL::INTEGER[] AS ${sketchColumn}`;
  const sketched = `${timeColumn} < date_trunc('${ds.grain}', epoch_ms(${Math.trunc(sketchedUntilMs)}))`;
  return `${sketchConcatSql(sketchColumn, sketched)} AS ${sketchColumn}`;
}

/**
 * An APP dataset's rows from DWA rows (`source`: the table, or a checkpoint's delta of it), or from the rows of a
 * finer dataset (`timeColumn` 'period'): the one rollup every path shares, so a dataset maintained from deltas,
 * backfilled from DWA or read as a view holds the same cells. `sketch` is the row's sketch: merged by default.
 */
export function appRollupSql(
  ds: AppDataset,
  source: string,
  timeColumn: 'minute' | 'period' = 'minute',
  sketch = sketchSql,
): string {
  return `SELECT date_trunc('${ds.grain}', ${timeColumn}) AS period, ${ds.by.join(', ')}, ${sumsSql}, ${sketch} FROM ${source} GROUP BY ALL`;
}

/**
 * The statements that add a checkpoint's DWA rows (table `dwaDelta`) to every APP dataset, each rolled up from the
 * checkpoint's rows of its parent dataset (see `rollupParent`) where it has one: the same sums as from DWA, over far
 * fewer rows. Sketches only where users are held, for periods housekeeping sketched before `sketchedUntilMs` (see
 * `deltaSketchSql`), put together, not merged: every reader merges them (and housekeeping's compaction does, once
 * per period), so merging each checkpoint's too was sorting the same entries twice. Measured: the rollups took 1.7 s
 * of CPU of a 2-million-event run with merged sketches (2026-12-06).
 */
export function appDeltaSql(dwaDelta: string, sketchedUntilMs: number): string[] {
  const delta = (ds: AppDataset) => `app_delta_${ds.name}`;
  // A dataset no other is rolled up from goes straight to its table: a temporary table of its rows was one more
  // copy of every sketch entry.
  const parents = new Set(appDatasetsInRollupOrder.map(rollupParent));
  const rollups = appDatasetsInRollupOrder.flatMap((ds) => {
    const parent = rollupParent(ds);
    const time = parent ? 'period' : 'minute';
    const rollup = appRollupSql(ds, parent ? delta(parent) : dwaDelta, time, deltaSketchSql(ds, time, sketchedUntilMs));
    if (!parents.has(ds)) return [`INSERT INTO ${ds.table.name} ${rollup}`];
    return [
      `CREATE OR REPLACE TEMP TABLE ${delta(ds)} AS ${rollup}`,
      `INSERT INTO ${ds.table.name} SELECT * FROM ${delta(ds)}`,
    ];
  });
  // Temporary tables hold DuckDB's memory until dropped.
  return [
    ...rollups,
    ...appDatasetsInRollupOrder.filter((ds) => parents.has(ds)).map((ds) => `DROP TABLE ${delta(ds)}`),
  ];
}
