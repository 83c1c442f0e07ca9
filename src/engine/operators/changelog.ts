import { additiveColumns } from '../../catalogue/metrics.ts';
import { sketchField, userSketchEntry } from '../../catalogue/user-sketch.ts';
import { lineOf, type SourceRecord } from '../../connectors/source.ts';
import { errors } from '../../errors.ts';
import { dwaAdMinute, dwaStagedDimensions } from '../../layers/dwa.ts';
import { dwdAdEventJoined, dwdColumnsByName } from '../../layers/dwd.ts';
import type { CheckpointWrites } from '../../warehouse/checkpoint-writes.ts';
import { CsvRows, FIELD_SEPARATOR as S } from '../../warehouse/csv.ts';
import { BaseOperator } from '../operator.ts';
import { granularityMs } from '../stages.ts';

type Row = Record<string, unknown>;

/** One change as Flink's debezium-json format writes it: a row removed (`before`) or added (`after`). */
interface Change {
  before?: Row | null;
  after?: Row | null;
}

/** A timestamp as Flink writes it (`2026-01-01 10:00:00.5`, UTC) in ms; the warehouse's CSV carries ms. */
function epochMs(v: unknown): number {
  const ms = typeof v === 'string' ? Date.parse(`${v.replace(' ', 'T')}Z`) : Number.NaN;
  if (Number.isNaN(ms)) throw errors.flinkOutput(`not a timestamp: ${JSON.stringify(v)}`);
  return ms;
}

/** A row's CSV in a table's column order; its one timestamp column as ms, NULL as an empty field. */
function csv(row: Row, columns: readonly { name: string; type: string }[]): string {
  return columns
    .map((c) => {
      const v = row[c.name];
      if (v === null || v === undefined) return '';
      return c.type === 'TIMESTAMP' ? epochMs(v) : String(v);
    })
    .join(S);
}

const keyOf = (row: Row) => String(row.event_id) + S + String(row.event_type);
/** A cell's dimensions in the order staged DWA rows hold them (`dwaStagedColumns`), and its key: the minute first. */
const dwaDimensionDefs = dwaStagedDimensions.map((c) => dwdColumnsByName[c]);
const dwaKeyColumns = [dwaAdMinute.columns.find((c) => c.name === 'minute')!, ...dwaDimensionDefs];

/** One DWA cell's delta: its totals' changes, and its users as sketch entries by register. */
interface Cell {
  totals: number[];
  /** Sketch entries of its users, repeats and all (`sketchField` keeps each register's highest rank). */
  users: number[];
}

/**
 * Lands the changelogs of the Flink job (DWD rows and DWA cells, see src/flink/compile.ts) in the warehouse: each
 * checkpoint nets the changes it read, so a DWD row version added and removed within it is never written, and a
 * version committed earlier is removed (by its content) before the new ones are added; DWA changes become additive
 * deltas (a removed cell version subtracts, an added one adds), as the embedded aggregate writes them. The job does
 * not compute user sketches (see `dwaTotalsColumns`): each DWD request landed adds its user to its cell's sketch,
 * as the embedded aggregate adds it. A sketch cannot subtract: for a request version removed in a later checkpoint
 * the warehouse makes its old cell's sketch again from DWD (see `CheckpointWrites.dwdRemoved`).
 */
export class ChangelogOperator extends BaseOperator<SourceRecord, never> {
  readonly name = 'changelog';
  /** DWD row versions added in this epoch and not removed since, by key (event_id, event_type), with their JSON. */
  private added = new Map<string, { json: string; row: Row }[]>();
  /** DWD row versions committed before this epoch and removed in it. */
  private removed: Row[] = [];
  /** DWA deltas of this epoch, by cell (minute and dimensions as CSV). */
  private cells = new Map<string, Cell>();

  processBatch(batch: SourceRecord[]): void {
    // The checkpoint counters stay at zero: they count input records, which the ingest counted already.
    for (const r of batch) {
      const line = lineOf(r);
      let change: Change;
      try {
        change = JSON.parse(line) as Change;
      } catch {
        throw errors.flinkOutput(`not a debezium-json change: ${line.slice(0, 200)}`);
      }
      const row = change.after ?? change.before;
      if (row === null || row === undefined) throw errors.flinkOutput(`a change with no row: ${line.slice(0, 200)}`);
      if ('event_id' in row) this.detail(change);
      else this.aggregate(change);
    }
  }

  /**
   * Versions, not keys: the versions of one row may come from different Flink subtasks (a request's enrichment is
   * computed where its old and its new campaign are), so a new version may arrive before the old one's removal.
   * A version is removed by its content; its own removal always comes after it (from the subtask that made it).
   */
  private detail(change: Change): void {
    if (change.before) {
      const versions = this.added.get(keyOf(change.before));
      const json = JSON.stringify(change.before);
      const i = versions?.findIndex((v) => v.json === json) ?? -1;
      if (i >= 0) versions?.splice(i, 1);
      else this.removed.push(change.before);
    }
    if (change.after) {
      const key = keyOf(change.after);
      const version = { json: JSON.stringify(change.after), row: change.after };
      const versions = this.added.get(key);
      if (versions === undefined) this.added.set(key, [version]);
      else versions.push(version);
    }
  }

  private aggregate(change: Change): void {
    for (const [row, sign] of [
      [change.before, -1],
      [change.after, 1],
    ] as const) {
      if (!row) continue;
      const { totals } = this.cell(csv(row, dwaKeyColumns));
      for (const [i, m] of additiveColumns.entries()) totals[i] = (totals[i] ?? 0) + sign * Number(row[m] ?? 0);
    }
  }

  private cell(key: string): Cell {
    let cell = this.cells.get(key);
    if (cell === undefined) {
      cell = { totals: additiveColumns.map(() => 0), users: [] };
      this.cells.set(key, cell);
    }
    return cell;
  }

  /** A landed DWD request's user, in the sketch of its cell: its event time's minute and its dimensions. */
  private addUser(row: Row): void {
    if (row.event_type !== 'request' || typeof row.user_id !== 'string') return;
    const ms = epochMs(row.event_time);
    const minute = ms - (ms % granularityMs.minute);
    this.cell(minute + S + csv(row, dwaDimensionDefs)).users.push(userSketchEntry(row.user_id));
  }

  override onCheckpoint(writes: CheckpointWrites): void {
    for (const row of this.removed) writes.dwdRemoved.push(csv(row, dwdAdEventJoined.columns));
    for (const versions of this.added.values())
      for (const { row } of versions) {
        (row.join_status === 'unmatched' ? writes.dwdUnmatched : writes.dwd).push(csv(row, dwdAdEventJoined.columns));
        this.addUser(row);
      }
    const dwa = new CsvRows();
    for (const [key, { totals, users }] of this.cells)
      if (users.length > 0 || totals.some((v) => v !== 0)) dwa.push(key + S + totals.join(S) + S + sketchField(users));
    writes.dwa = dwa;
    this.added = new Map();
    this.removed = [];
    this.cells = new Map();
  }
}
