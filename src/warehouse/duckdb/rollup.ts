import { additiveColumns } from '../../catalogue/metrics.ts';
import { sketchColumn, sketchConcatSql, sketchUnionSql, userSketchEntrySql } from '../../catalogue/user-sketch.ts';
import {
  type AppDataset,
  appDatasets,
  appDatasetsInRollupOrder,
  rollupParent,
  usersAsRowsOf,
  usersDataset,
} from '../../layers/app.ts';
import { dwaAdMinute, dwaDimensionColumns } from '../../layers/dwa.ts';
import type { TimeRange } from '../warehouse.ts';

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

/** `a`'s and `b`'s `columns` are equal, NULLs included. */
const same = (a: string, b: string, columns: readonly string[]) =>
  columns.map((c) => `${a}.${c} IS NOT DISTINCT FROM ${b}.${c}`).join(' AND ');

/**
 * The statements that take the users of removed requests out of the sketches they were added to, as a changelog
 * removes a request it corrects (the Flink job re-enriching it into another cell): a sketch cannot subtract, so the
 * sketches of the DWA cells they left (table `cells`: their minutes, from `minutes.from` to `minutes.to` included, and
 * DWA dimensions) are made again from DWD's requests (`requests`: a subquery of DWD's rows holding every request of
 * those minutes), and those of the APP rows that hold the cells' users (see `usersDataset`) in the periods
 * housekeeping has sketched (before `sketchedUntilMs`'s), again from DWA. Other periods read their users from DWA.
 */
export function usersLeftSql(cells: string, requests: string, minutes: TimeRange, sketchedUntilMs: number): string[] {
  const dims = dwaDimensionColumns;
  const ms = (v: number) => `epoch_ms(${Math.trunc(v)})`;
  const dwa = [
    `UPDATE ${dwaAdMinute.name} AS a SET ${sketchColumn} = NULL FROM ${cells} AS c WHERE a.minute BETWEEN ${ms(minutes.from)} AND ${ms(minutes.to)} AND a.minute = c.minute AND ${same('a', 'c', dims)}`,
    `INSERT INTO ${dwaAdMinute.name} BY NAME SELECT c.minute, ${dims.map((d) => `c.${d}`).join(', ')}, ${additiveColumns.map((m) => `0::BIGINT AS ${m}`).join(', ')}, ${sketchUnionSql(`[${userSketchEntrySql('r.user_id')}]`)} AS ${sketchColumn}
     FROM ${cells} AS c JOIN ${requests} AS r ON r.event_time >= c.minute AND r.event_time < c.minute + INTERVAL 1 MINUTE AND ${same('r', 'c', dims)}
     WHERE r.user_id IS NOT NULL GROUP BY ALL`,
  ];
  const app = appDatasets
    .filter((ds) => usersDataset(ds) === ds)
    .flatMap((ds) => {
      const period = (time: string) => `date_trunc('${ds.grain}', ${time})`;
      // The periods the cells lie in, whole, as a range of the table's own time column (which its index can use).
      const from = period(ms(minutes.from));
      const to = `${period(ms(minutes.to))} + INTERVAL 1 ${ds.grain}`;
      const left = (t: string, time: string) =>
        `${time} >= ${from} AND ${time} < ${to} AND ${period(time)} < ${period(ms(sketchedUntilMs))} AND EXISTS (SELECT 1 FROM ${cells} AS c WHERE ${period('c.minute')} = ${period(time)} AND ${same(t, 'c', ds.by)})`;
      return [
        `UPDATE ${ds.table.name} AS t SET ${sketchColumn} = NULL WHERE ${left('t', 't.period')}`,
        `INSERT INTO ${ds.table.name} ${usersAsRowsOf(ds, `${dwaAdMinute.name} AS a`, 'a.minute', left('a', 'a.minute'))}`,
      ];
    });
  return [...dwa, ...app];
}
