import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { scratchPath } from '../../scratch.ts';
import { join } from 'node:path';
import type { CheckpointWrites } from '../checkpoint-writes.ts';
import { errors, RESTORE_ADVICE } from '../../errors.ts';
import { checkWarehouseFile } from '../../paths.ts';
import { type AppDataset, appDatasets, grainMs, usersAsRowsOf, usersDataset } from '../../layers/app.ts';
import { dimTables } from '../../layers/dim.ts';
import { dwaAdMinute, dwaDimensionColumns, dwaStagedColumns } from '../../layers/dwa.ts';
import { dwdAdEventJoined, dwdAdEventUnmatched, dwdRequestColumns } from '../../layers/dwd.ts';
import { allTables } from '../../layers/index.ts';
import { appSketchMarkTable, checkpointCounters, checkpointTable, odsCoverageTable } from '../../layers/meta.ts';
import { odsAdEvent, odsDeadLetter, odsDimChange } from '../../layers/ods.ts';
import type { ColumnDef } from '../../layers/table.ts';
import { additiveColumns } from '../../catalogue/metrics.ts';
import { sketchColumn, sketchConcatSql } from '../../catalogue/user-sketch.ts';
import type { CheckpointRow, Param, RequestRow, TimeRange, UnmatchedRow, Warehouse } from '../warehouse.ts';
import { CsvRows, FIELD_SEPARATOR } from '../csv.ts';
import { createEmptyViewSql, createPaddedViewSql, createTableSql, duckDbType, sqlLiteral, sqlString } from './ddl.ts';
import { ReaderPool, rowArrays, rowObjects, Serialized } from './connections.ts';
import { appDeltaSql, appRollupSql, sketchSql, sumsSql, usersLeftSql } from './rollup.ts';
import {
  dwdFields,
  dwdSegmentTable,
  odsSegmentTable,
  type Segment,
  type SegmentChange,
  type SegmentCheck,
  SegmentLog,
} from './segments.ts';
import { outOfMemory, unreadable, writeFailure } from './failures.ts';
import { readCsvSql, Staging } from './staging.ts';
import { compactionTable, dwdLate, dwdOnTime, storedTables, viewsSql } from './storage.ts';

export interface DuckDbOptions {
  /** Open without writing (queries only); fails if the database does not exist. */
  readOnly?: boolean;
  /** DuckDB worker threads when writing (default 1); read-only opens use every core. */
  threads?: number;
  /** Connections API queries share (default 4): that many run at once, none queued behind another's. */
  apiReaders?: number;
  /**
   * DuckDB's memory limit when writing, in its syntax (default DEFAULT_WRITER_MEMORY). Left to DuckDB (80% of the
   * machine), its buffer pool kept pages it can read again from the file: 1.8 GB beside the engine's heap at 5 million
   * events.
   */
  memoryLimit?: string;
  /** Rows and sketch entries one housekeeping statement folds at most (default COMPACTION_SLICE_WEIGHT). */
  compactionSliceWeight?: number;
  /** The write-ahead log's size in bytes past which it is folded into the file (default FOLD_LOG_BYTES). */
  foldLogBytes?: number;
}

/**
 * DuckDB's memory when the engine writes. 256 MiB, not 512: at 5 million events 200 - 250 MB less peak memory for
 * 2.5 - 3.5% more CPU per event (pages dropped from the pool are read again from the file); at 12 million, where
 * look-ups of spilled state read more of the file, 11% more (one run each, 2026-12-05).
 */
export const DEFAULT_WRITER_MEMORY = '256MiB';

const dwdSelect = dwdAdEventJoined.columns
  .map((c) => (c.name === 'event_time' ? 'epoch_ms(event_ms)' : c.name))
  .join(', ');
/** A DWD row `d` and a CSV row `r` are the same version: every column equal. */
const sameDwdRow = dwdAdEventJoined.columns
  .map((c) =>
    c.name === 'event_time' ? 'd.event_time = epoch_ms(r.event_ms)' : `d.${c.name} IS NOT DISTINCT FROM r.${c.name}`,
  )
  .join(' AND ');
/** The CSV columns of retracted DWD row keys. */
const dwdKeyCsvColumns = [
  ['event_id', 'VARCHAR'],
  ['event_type', 'VARCHAR'],
] as const;
const dwaCsvColumns = dwaStagedColumns.map((c) => [c.name, duckDbType(c)] as const);
const dwaSelect = dwaAdMinute.columns
  .map((c) => (c.name === 'minute' ? 'epoch_ms(minute_ms) AS minute' : c.name))
  .join(', ');
/**
 * Row groups of 16k rows instead of DuckDB's 122,880: a table's rows of a checkpoint that fill whole row groups are
 * written to the file once, compressed, instead of logged to the WAL and compressed again when DuckDB folds the log
 * in. At 16k DWA's rows of most checkpoints qualify too (at 32k they did not): in runs alternating with 32k on
 * 2026-12-05, 8 - 9% less CPU per event and freshness p99 19% lower at 5 million events, for 30 - 50 MB more memory
 * (8k: the same CPU, more memory; 4k and 2k: worse). Files written with another size read and append as before.
 */
const ROW_GROUP_SIZE = 16_384;
/**
 * API reader connections by default (see DuckDbOptions.apiReaders). Measured with adw bench --serve (50 dashboards,
 * 20,000 events/s, two cores): 1 reader 20 queries/s at p50 2.8 s, 2 readers 53 at 0.56 s, 4 readers 123 at 0.34 s,
 * ingest unchanged within noise.
 */
const DEFAULT_API_READERS = 4;
/** How far back housekeeping compacts on its first run in a process (later runs start where the last one ended). */
const COMPACTION_REACH_MS = 86_400_000;
/**
 * What one compaction statement folds at most: rows plus the entries of their user sketches. Sketch unions are list
 * aggregates, whose states DuckDB cannot spill to disk: measured at 300 - 400 bytes of its pool per DWA row (about one
 * entry each), so the first run's 1.5 million rows at 5 million events stopped the run with a 256 MiB pool (out of
 * memory), and 190,000 rows did not fit in 64 MiB. APP's rows carry 30 - 200 entries on average (a checkpoint's users
 * of an ad, a slot, an audience): folded whole, a dataset stopped a 12-million-event run with a 192 MiB pool.
 */
const COMPACTION_SLICE_WEIGHT = 100_000;
/**
 * The write-ahead log's size past which it is folded into the file, as a step of its own after the commit that
 * passed it: folded inside that commit (DuckDB's own threshold), each sixth commit of a 5-million-event run took
 * 0.5 - 0.7 s instead of 0.3 - 0.4, and its events' freshness with it. 16 MB: at 64 MB the folds took longer still,
 * with freshness p99 and peak memory higher (2026-12-05).
 */
const FOLD_LOG_BYTES = 16 * 1024 * 1024;
/** A change of a segment log's manifest, to commit with a transaction once its files are written. */
interface LogChange {
  log: SegmentLog;
  change: Promise<SegmentChange>;
}
/** DuckDB's answer to a CHECKPOINT while another connection's transaction is running (DuckDB 1.5's wording). */
const FOLD_REFUSED = /there are other write transactions active/;
/** Look-ups read only the row groups of their event-time range (zone maps), not all of DWD. */
const IN_RANGE = 'event_time BETWEEN epoch_ms(?::BIGINT) AND epoch_ms(?::BIGINT)';
const nonZero = additiveColumns.map((m) => `${m} <> 0`).join(' OR ');

/** A table of the warehouse file read through: its rows, or why it could not be read. */
export interface TableCheck {
  table: string;
  /** Null when the read failed. */
  rows: number | null;
  /** What is wrong with it; null when it read back whole. */
  problem: string | null;
}

/** The embedded warehouse: one DuckDB file holding ODS, DWD, DWA, APP and the engine's checkpoints. */
export class DuckDbWarehouse implements Warehouse {
  private readonly instance: DuckDBInstance;
  /** Checkpoint transactions run here, one at a time. */
  private readonly writer: Serialized;
  /** The engine's look-ups run here, concurrently with a commit in flight. */
  private readonly reader: Serialized;
  /** API queries run here, so a slow dashboard query never delays the engine. */
  private readonly api: ReaderPool;
  private readonly staging: Staging | null;
  /** ODS's events, and DWD's joined rows written within their lateness: segment files beside the warehouse file. */
  private readonly ods: SegmentLog;
  private readonly dwd: SegmentLog;
  /** Transactions committed since open: what the API's shared answers are keyed by. */
  private commits = 0;
  private readonly commitListeners: (() => void)[] = [];
  /** Where the last housekeeping's compaction ended (event time, as stored): the next one starts there. */
  private compactedUntil = Number.NEGATIVE_INFINITY;
  /** Up to where housekeeping has sketched APP's periods from DWA, as committed (see appSketchMarkTable). */
  private sketchedUntil = 0;
  /**
   * The same, raised as soon as a run begins, before it reads DWA: a checkpoint committed after that read gives its
   * deltas into those periods their sketches, so none is missed (a run that fails leaves `sketchedUntil`, where the
   * next one starts again).
   */
  private sketchingUntil = 0;
  private sliceWeight = COMPACTION_SLICE_WEIGHT;
  private foldLogBytes = FOLD_LOG_BYTES;
  /** The write-ahead log's file (null in memory), and a fold of it queued or running. */
  private walPath: string | null = null;
  private folding = false;
  /** A fold that failed: the next transaction reports it (the file may be out of space), rather than nothing. */
  private foldFailed: Error | null = null;
  readonly spillPath: string;

  private constructor(
    instance: DuckDBInstance,
    writer: DuckDBConnection,
    reader: DuckDBConnection,
    api: DuckDBConnection[],
    staging: Staging | null,
    logs: { ods: SegmentLog; dwd: SegmentLog },
    spillPath: string,
  ) {
    this.instance = instance;
    this.writer = new Serialized(writer);
    this.reader = new Serialized(reader);
    this.api = new ReaderPool(api.map((c) => new Serialized(c)));
    this.staging = staging;
    this.ods = logs.ods;
    this.dwd = logs.dwd;
    this.spillPath = spillPath;
  }

  /** Opens (creating if needed) the warehouse file at `path` and its schema. */
  static async open(path: string, options: DuckDbOptions = {}): Promise<DuckDbWarehouse> {
    if (path !== ':memory:') checkWarehouseFile(path, Boolean(options.readOnly));
    const sliceWeight = positiveInteger(
      'compactionSliceWeight',
      options.compactionSliceWeight,
      COMPACTION_SLICE_WEIGHT,
    );
    const foldLogBytes = positiveInteger('foldLogBytes', options.foldLogBytes, FOLD_LOG_BYTES);
    // Writing, the engine's JavaScript thread keeps one core busy: one DuckDB thread on the other beats two
    // fighting over it (measured: about 30% more events per second on two cores).
    const instance = await DuckDBInstance.create(':memory:', {
      preserve_insertion_order: 'false',
      // DuckDB would fold its write-ahead log into the file inside the commit that passes this size, and that commit
      // would wait; the log is folded after such commits instead (see FOLD_LOG_BYTES).
      checkpoint_threshold: '1TB',
      // Where a bounded pool spills: beside the warehouse file it writes, not in whatever directory the command ran in.
      temp_directory:
        path === ':memory:' || options.readOnly ? join(tmpdir(), `adw-duckdb-${process.pid}.tmp`) : `${path}.tmp`,
      ...(options.readOnly
        ? {}
        : {
            threads: String(options.threads ?? 1),
            memory_limit: options.memoryLimit ?? DEFAULT_WRITER_MEMORY,
            // Hand freed memory back to the system soon after each task, so the process's resident memory follows
            // the pool's use rather than its peak (measured at 2M events: peak RSS 1,371 -> 1,251 MB).
            allocator_flush_threshold: '8MB',
            allocator_background_threads: 'true',
          }),
    });
    const mode = options.readOnly ? ', READ_ONLY' : '';
    const creating = path !== ':memory:' && !existsSync(path);
    try {
      const setup = await instance.connect();
      await setup.run(`ATTACH ${sqlString(path)} AS adw (ROW_GROUP_SIZE ${ROW_GROUP_SIZE}${mode})`);
      setup.closeSync();
    } catch (e) {
      instance.closeSync();
      const msg = (e as Error).message;
      // DuckDB's words for another process's lock ("block" in a checksum error is not one).
      if (/Could not set lock on file/.test(msg)) throw errors.dbLocked(path);
      const why = msg.split('\n')[0]!.replace(/^[A-Za-z ]*Error: /, '');
      // A file whose checksums fail, or cut short: damaged, not a write that failed.
      if (/^IO Error: (Corrupt database file|Could not read enough bytes)/.test(msg))
        throw errors.dbUnreadable(path, `${why}; ${RESTORE_ADVICE}`);
      // Creating or opening the file for writing failed in the file system (a full disk, a read-only directory).
      if (!options.readOnly && msg.startsWith('IO Error') && !/not a valid DuckDB database/.test(msg)) {
        // A file this open began to create holds nothing yet, and DuckDB would refuse it as not a database next time.
        if (creating) for (const f of [path, `${path}.wal`]) rmSync(f, { force: true });
        throw errors.warehouseWrite(why);
      }
      // Not a DuckDB file, a newer format, no permission: the file is the user's to fix, not a crash.
      throw errors.dbUnreadable(path, why);
    }
    // A file written before a table or column was added lacks it, and read-only it cannot get it: a missing table
    // reads as empty, a missing column as NULL (a view of the same name stands in front of the table).
    const logs = { ods: SegmentLog.ods(path), dwd: SegmentLog.dwd(path, [dwdOnTime, dwdLate]) };
    const stand = options.readOnly
      ? await standInViews(instance, logs, path).catch((e: unknown) => {
          instance.closeSync();
          throw unreadable(e) ?? e;
        })
      : [];
    const connect = async () => {
      const c = await instance.connect();
      await c.run('USE adw');
      for (const sql of stand) await c.run(sql);
      return c;
    };
    const writer = await connect();
    const reader = await connect();
    const api: DuckDBConnection[] = [];
    for (let i = 0; i < Math.max(1, options.apiReaders ?? DEFAULT_API_READERS); i++) api.push(await connect());
    // On disk, not in /dev/shm: spilled state is what memory could not hold.
    const spillPath = path === ':memory:' ? scratchPath('adw-state', tmpdir()) : `${path}.state`;
    const staging = options.readOnly ? null : new Staging();
    const wh = new DuckDbWarehouse(instance, writer, reader, api, staging, logs, spillPath);
    wh.sliceWeight = sliceWeight;
    wh.foldLogBytes = foldLogBytes;
    if (path !== ':memory:' && !options.readOnly) wh.walPath = `${path}.wal`;
    if (!options.readOnly) {
      // An APP dataset added since the file was written starts with DWA's history, not empty: the planner answers
      // from it alone.
      const missing = await missingAppDatasets(wh);
      // The views are replaced on every open, so even a finished warehouse writes here: on a full disk this fails.
      const kinds = await tableKinds(wh);
      const schema = [
        // A file from before DWD's joined part was split: its table becomes the on-time one.
        ...(kinds.get(dwdAdEventJoined.name) === 'BASE TABLE'
          ? [`ALTER TABLE ${dwdAdEventJoined.name} RENAME TO ${dwdOnTime.name}`]
          : []),
        ...storedTables.map(createTableSql),
        // Closed columns of a file from before they were enumerations (2026-12-08) are retyped: each value is one of
        // the set, which validation has always kept them to.
        ...(await textOfClosedColumns(wh)).map(
          ({ table, column }) => `ALTER TABLE ${table} ALTER ${column.name} SET DATA TYPE ${duckDbType(column)}`,
        ),
        // Manifests written before segments had lower bounds get the column (null: none known).
        `ALTER TABLE ${odsSegmentTable.name} ADD COLUMN IF NOT EXISTS min_event_ms BIGINT`,
        // Warehouse files made before the checkpoint stored its watermark get the column (null: derived on restart).
        `ALTER TABLE ${checkpointTable.name} ADD COLUMN IF NOT EXISTS watermark_ms BIGINT`,
        // Files made before DWA and APP carried user sketches get the column (NULL, no users, for the rows they hold).
        ...[dwaAdMinute, ...appDatasets.map((d) => d.table)].map(
          (t) => `ALTER TABLE ${t.name} ADD COLUMN IF NOT EXISTS ${sketchColumn} INTEGER[]`,
        ),
        // After the columns are there: DWA's sketch is rolled up too.
        ...missing.map((ds) => `INSERT INTO ${ds.table.name} ${appRollupSql(ds, dwaAdMinute.name)}`),
        // A new file's APP rows sketch no period yet. A file from before the mark sketched every period in its deltas:
        // up to its last compaction, they stay APP's to answer; readers take later periods' users from DWA too.
        `INSERT INTO ${appSketchMarkTable.name} SELECT coalesce((SELECT max(compacted_until_ms) FROM ${compactionTable.name}), 0) WHERE NOT EXISTS (SELECT 1 FROM ${appSketchMarkTable.name})`,
        ...viewsSql,
      ];
      await wh
        .transaction(schema)
        .then(() => wh.openLogs(path, kinds.get(odsAdEvent.name) === 'BASE TABLE'))
        .then(async () => {
          const [mark] = await wh.rows(`SELECT max(compacted_until_ms) FROM ${compactionTable.name}`);
          if (mark?.[0] != null) wh.compactedUntil = Number(mark[0]);
          const [sketched] = await wh.rows(
            `SELECT max(${appSketchMarkTable.columns[0]!.name}) FROM ${appSketchMarkTable.name}`,
          );
          wh.sketchedUntil = Number(sketched?.[0] ?? 0);
          wh.sketchingUntil = wh.sketchedUntil;
        })
        .catch(async (e: unknown) => {
          await wh.close();
          throw e;
        });
    }
    return wh;
  }

  async query(sql: string, params: Param[] = []): Promise<Record<string, unknown>[]> {
    return rowObjects(await this.api.read(sql, params).catch(asReadFailure));
  }

  /**
   * Every table of the warehouse file read through, each row of each column (DuckDB checks each block's checksum as
   * it reads it), then every ODS and DWD segment read through and counted (see `SegmentLog.check`).
   */
  async check(): Promise<{ tables: TableCheck[]; segments: SegmentCheck[] }> {
    // The count a query's first column gives, or DuckDB's first line, which says what failed (the rest lists settings).
    const count = (sql: string): Promise<number | string> =>
      this.reader.read(sql, []).then(
        (r) => Number(rowArrays(r)[0]![0]),
        (e: unknown) => String(e instanceof Error ? e.message : e).split('\n')[0]!,
      );
    const tables: TableCheck[] = [];
    const names = await this.rows("SELECT table_name FROM duckdb_tables() WHERE database_name = 'adw' ORDER BY 1");
    for (const [name] of names) {
      // The row as one value, so that every column is read; the sum only keeps the answer small.
      const read = await count(`SELECT count(*), sum(hash(t)) FROM adw.main."${name}" AS t`);
      tables.push({
        table: String(name),
        rows: typeof read === 'number' ? read : null,
        problem: typeof read === 'string' ? read : null,
      });
    }
    return { tables, segments: [...(await this.ods.check(count)), ...(await this.dwd.check(count))] };
  }

  committedVersion(): number {
    return this.commits;
  }

  onCommit(listener: () => void): void {
    this.commitListeners.push(listener);
  }

  /** Engine look-ups: rows as objects. */
  private async lookup(sql: string, params: Param[] = []): Promise<Record<string, unknown>[]> {
    return rowObjects(await this.reader.read(sql, params).catch(asReadFailure));
  }

  /** Engine look-ups: rows as arrays (cheaper for large restores). */
  private async rows(sql: string, params: Param[] = []): Promise<unknown[][]> {
    return rowArrays(await this.reader.read(sql, params).catch(asReadFailure));
  }

  async commit(w: CheckpointWrites): Promise<void> {
    const staging = this.staging;
    if (!staging) throw errors.warehouseWrite('the warehouse is open read-only');
    const files: string[] = [];
    const stage = (rows: CsvRows) => {
      const p = staging.write(rows);
      files.push(p);
      return p;
    };
    const src = sqlString(w.source);
    const statements: string[] = [];
    const run = (sql: string) => statements.push(sql);
    if (w.dimChanges.length > 0) {
      const p = stage(w.dimChanges);
      run(
        `INSERT INTO ${odsDimChange.name} SELECT ${src}, * FROM ${readCsvSql(p, [
          ['seq', 'BIGINT'],
          ['table_name', 'VARCHAR'],
          ['op', 'VARCHAR'],
          ['key', 'BIGINT'],
          ['raw', 'VARCHAR'],
        ])}`,
      );
    }
    for (const t of dimTables) {
      // Last write per key wins, as a multi-row upsert would not allow the same key twice.
      const rows = new Map(w.dimUpserts.filter((u) => u.table === t.name).map((u) => [u.row[t.key[0]], u.row]));
      const list = [...rows.values()];
      for (let i = 0; i < list.length; i += 200) {
        const chunk = list.slice(i, i + 200);
        run(
          `INSERT OR REPLACE INTO ${t.name} VALUES ${chunk.map((row) => `(${t.columns.map((c) => sqlLiteral(row[c.name])).join(', ')})`).join(', ')}`,
        );
      }
    }
    for (const d of w.dimDeletes) {
      const t = dimTables.find((x) => x.name === d.table)!;
      run(`DELETE FROM ${t.name} WHERE ${t.key[0]} = ${sqlLiteral(d.key)}`);
    }
    if (w.deadLetters.length > 0) {
      // Payloads may hold anything, separators included: they travel JSON-encoded (no control characters) and are
      // decoded in SQL.
      const S = FIELD_SEPARATOR;
      const rows = new CsvRows();
      for (const d of w.deadLetters)
        rows.push(
          d.seq + S + d.reason + S + JSON.stringify(d.error) + S + JSON.stringify(d.payload) + S + d.payloadBytes,
        );
      const p = stage(rows);
      run(
        `INSERT INTO ${odsDeadLetter.name} SELECT ${src}, seq, reason, CAST(error AS JSON)->>'$', CAST(payload AS JSON)->>'$', payload_bytes FROM ${readCsvSql(
          p,
          [
            ['seq', 'BIGINT'],
            ['reason', 'VARCHAR'],
            ['error', 'VARCHAR'],
            ['payload', 'VARCHAR'],
            ['payload_bytes', 'BIGINT'],
          ],
        )}`,
      );
    }
    // Run once the checkpoint's DWD and DWA rows are in (see usersLeftSql).
    let usersLeft: string[] = [];
    if (w.dwdRemoved.length > 0) {
      const removed = readCsvSql(stage(w.dwdRemoved), dwdFields);
      for (const t of [dwdOnTime, dwdLate, dwdAdEventUnmatched])
        run(`DELETE FROM ${t.name} AS d USING ${removed} AS r WHERE ${sameDwdRow}`);
      usersLeft = await this.usersLeftStatements(removed);
    }
    // Rows no later checkpoint removes go to the log; a changelog's to the table, where removals can reach them.
    if (w.dwd.length > 0 && !w.dwdAppendOnly)
      run(`INSERT INTO ${dwdOnTime.name} SELECT ${dwdSelect} FROM ${readCsvSql(stage(w.dwd), dwdFields)}`);
    if (w.dwdLate.length > 0)
      run(`INSERT INTO ${dwdLate.name} SELECT ${dwdSelect} FROM ${readCsvSql(stage(w.dwdLate), dwdFields)}`);
    if (w.dwdUnmatched.length > 0)
      run(
        `INSERT INTO ${dwdAdEventUnmatched.name} SELECT ${dwdSelect} FROM ${readCsvSql(stage(w.dwdUnmatched), dwdFields)}`,
      );
    if (w.dwdRetracted.length > 0) {
      const p = stage(w.dwdRetracted);
      run(
        `DELETE FROM ${dwdAdEventUnmatched.name} AS u USING ${readCsvSql(p, dwdKeyCsvColumns)} AS r WHERE u.event_id = r.event_id AND u.event_type = r.event_type`,
      );
    }
    if (w.dwa.length > 0) {
      const p = stage(w.dwa);
      run(`CREATE OR REPLACE TEMP TABLE dwa_delta AS SELECT ${dwaSelect} FROM ${readCsvSql(p, dwaCsvColumns)}`);
      run(`INSERT INTO ${dwaAdMinute.name} SELECT * FROM dwa_delta`);
      for (const sql of appDeltaSql('dwa_delta', this.sketchingUntil)) run(sql);
      run('DROP TABLE dwa_delta');
    }
    for (const sql of usersLeft) run(sql);
    const c = w.counters;
    const values = [
      w.source,
      w.epoch,
      w.position,
      w.fingerprint,
      w.maxEventMs,
      w.flushedUntilMs,
      ...checkpointCounters.map((counter) => c[counter.name]),
    ].map(sqlLiteral);
    run(
      `INSERT OR REPLACE INTO ${checkpointTable.name} VALUES (${values.join(', ')}, now(), ${sqlLiteral(w.watermarkMs)})`,
    );
    try {
      // Segments are compressed and written while DuckDB runs the statements; the commit waits for both.
      const changes: LogChange[] = [];
      const append = (log: SegmentLog, rows: CsvRows, fromMs: number | null, toMs: number) =>
        changes.push({
          log,
          change: log.write(w.source, w.epoch, rows, fromMs, toMs).then((s) => ({ remove: [], add: [s] })),
        });
      if (w.ods.length > 0) append(this.ods, w.ods, null, w.maxEventMs);
      if (w.dwd.length > 0 && w.dwdAppendOnly) append(this.dwd, w.dwd, w.dwdAppendOnly.from, w.dwdAppendOnly.to);
      await this.transaction(statements, changes);
    } finally {
      for (const f of files) staging.remove(f);
    }
  }

  /**
   * The statements that make again the user sketches that removed requests (staged DWD rows, `removed`) were in, from
   * the warehouse's rows once the checkpoint's are in (see usersLeftSql); none when no request was removed.
   */
  private async usersLeftStatements(removed: string): Promise<string[]> {
    const minute = (ms: string) => `epoch_ms(date_trunc('minute', epoch_ms(${ms})))`;
    const [span] = await this.rows(
      `SELECT ${minute('min(event_ms)')}, ${minute('max(event_ms)')} FROM ${removed} WHERE event_type = 'request'`,
    );
    if (span?.[0] === null || span?.[0] === undefined) return [];
    const minutes = { from: Number(span[0]), to: Number(span[1]) };
    // Every request of the cells' minutes, the last minute's included (a range's ends are).
    const range = { from: minutes.from, to: minutes.to + 59_999 };
    const requests = `(SELECT * FROM ${this.dwd.readBetween(range)} WHERE event_type = 'request' AND event_time BETWEEN epoch_ms(${range.from}) AND epoch_ms(${range.to}))`;
    return [
      `CREATE OR REPLACE TEMP TABLE users_left AS SELECT DISTINCT date_trunc('minute', epoch_ms(event_ms)) AS minute, ${dwaDimensionColumns.join(', ')} FROM ${removed} WHERE event_type = 'request'`,
      ...usersLeftSql('users_left', requests, minutes, this.sketchingUntil),
      'DROP TABLE users_left',
    ];
  }

  async readCheckpoint(source: string): Promise<CheckpointRow | null> {
    const rows = await this.lookup(
      `SELECT source, epoch, position, fingerprint, max_event_ms AS "maxEventMs", watermark_ms AS "watermarkMs", flushed_until_ms AS "flushedUntilMs", ${checkpointCounters.map((c) => `${c.column} AS "${c.name}"`).join(', ')} FROM ${checkpointTable.name} WHERE source = ?`,
      [source],
    );
    return (rows[0] as unknown as CheckpointRow | undefined) ?? null;
  }

  async loadDimensions(): Promise<{ table: string; row: Record<string, unknown> }[]> {
    const out: { table: string; row: Record<string, unknown> }[] = [];
    for (const t of dimTables)
      for (const row of await this.lookup(`SELECT * FROM ${t.name} ORDER BY ${t.key[0]}`))
        out.push({ table: t.name, row });
    return out;
  }

  private static readonly requestColumns =
    `request_id, epoch_ms(event_time) AS ts, ${dwdRequestColumns.map((c) => c.name).join(', ')}`;

  async loadRequests(sinceMs: number, limit?: number): Promise<RequestRow[]> {
    return (await this.lookup(
      `SELECT ${DuckDbWarehouse.requestColumns} FROM ${this.dwd.readBetween({ from: sinceMs, to: Number.POSITIVE_INFINITY })} WHERE event_type = 'request' AND event_time >= epoch_ms(?::BIGINT) ORDER BY event_time DESC LIMIT ?`,
      [sinceMs, limit ?? null],
    )) as unknown as RequestRow[];
  }

  async loadRequestsBetween(fromMs: number, beforeMs: number): Promise<RequestRow[]> {
    return (await this.lookup(
      `SELECT ${DuckDbWarehouse.requestColumns} FROM ${this.dwd.readBetween({ from: fromMs, to: beforeMs })} WHERE event_type = 'request' AND event_time >= epoch_ms(?::BIGINT) AND event_time < epoch_ms(?::BIGINT)`,
      [fromMs, beforeMs],
    )) as unknown as RequestRow[];
  }

  async loadEventIds(sinceMs: number, limit?: number): Promise<{ id: string; ts: number }[]> {
    return this.eventIds(sinceMs, Number.POSITIVE_INFINITY, limit);
  }

  async loadEventIdsBetween(fromMs: number, beforeMs: number): Promise<{ id: string; ts: number }[]> {
    return this.eventIds(fromMs, beforeMs);
  }

  /** Distinct follow-event ids of ODS with event time in [fromMs, beforeMs), newest first, at most `limit`. */
  private async eventIds(fromMs: number, beforeMs: number, limit?: number): Promise<{ id: string; ts: number }[]> {
    const before = Number.isFinite(beforeMs) ? beforeMs : null;
    const rows = await this.rows(
      `SELECT event_id, ts FROM (SELECT DISTINCT event_id, epoch_ms(event_time) AS ts FROM ${this.ods.since(fromMs)} WHERE event_type <> 'request' AND event_time >= epoch_ms(?::BIGINT) AND (?::BIGINT IS NULL OR event_time < epoch_ms(?::BIGINT))) ORDER BY ts DESC LIMIT ?`,
      [fromMs, before, before, limit ?? null],
    );
    return rows.map((r) => ({ id: r[0] as string, ts: r[1] as number }));
  }

  async loadPending(sinceMs: number, originalsSinceMs: number): Promise<{ raw: string; seq: number }[]> {
    const dwd = `SELECT event_id, event_type, event_time FROM ${this.dwd.readBetween({ from: originalsSinceMs, to: Number.POSITIVE_INFINITY })}
       UNION ALL SELECT event_id, event_type, event_time FROM ${dwdAdEventUnmatched.name}`;
    const rows = await this.rows(
      `SELECT arg_min(o.raw, o.seq), min(o.seq) FROM ${this.ods.since(sinceMs)} o
       WHERE o.event_type <> 'request' AND o.event_time >= epoch_ms(?::BIGINT)
         AND NOT EXISTS (SELECT 1 FROM (${dwd}) d WHERE d.event_id = o.event_id AND d.event_type <> 'request' AND d.event_time >= epoch_ms(?::BIGINT))
       GROUP BY o.event_id ORDER BY min(o.seq)`,
      [sinceMs, originalsSinceMs],
    );
    return rows.map((r) => ({ raw: r[0] as string, seq: r[1] as number }));
  }

  async findEventIds(ids: string[], range: TimeRange): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const rows = await this.rows(
      `SELECT event_id FROM (${this.dwd.readBetween(range)} UNION ALL SELECT * FROM ${dwdAdEventUnmatched.name}) WHERE ${IN_RANGE} AND event_type <> 'request' AND event_id IN (SELECT unnest(from_json(?, '["VARCHAR"]')))`,
      [range.from, range.to, listParam(ids)],
    );
    return new Set(rows.map((r) => r[0] as string));
  }

  async findRequests(groups: { ids: string[]; range: TimeRange }[]): Promise<RequestRow[]> {
    const asked = groups.filter((g) => g.ids.length > 0);
    if (asked.length === 0) return [];
    // One statement, one scan per group's range: each range prunes to its own row groups.
    const one = (range: TimeRange) =>
      `SELECT ${DuckDbWarehouse.requestColumns} FROM ${this.dwd.readBetween(range)} WHERE ${IN_RANGE} AND event_type = 'request' AND request_id IN (SELECT unnest(from_json(?, '["VARCHAR"]')))`;
    return (await this.lookup(
      asked.map((g) => one(g.range)).join(' UNION ALL '),
      asked.flatMap((g) => [g.range.from, g.range.to, listParam(g.ids)]),
    )) as unknown as RequestRow[];
  }

  async loadUnmatchedRequests(sinceMs: number): Promise<{ request_id: string; ts: number }[]> {
    const rows = await this.rows(
      `SELECT request_id, max(epoch_ms(event_time)) FROM ${dwdAdEventUnmatched.name} WHERE event_time >= epoch_ms(?::BIGINT) GROUP BY request_id`,
      [sinceMs],
    );
    return rows.map((r) => ({ request_id: r[0] as string, ts: r[1] as number }));
  }

  async findUnmatched(requestIds: string[], range: TimeRange): Promise<UnmatchedRow[]> {
    if (requestIds.length === 0) return [];
    return (await this.lookup(
      `SELECT event_id, event_type, request_id, epoch_ms(event_time) AS ts, late FROM ${dwdAdEventUnmatched.name}
       WHERE ${IN_RANGE} AND request_id IN (SELECT unnest(from_json(?, '["VARCHAR"]')))`,
      [range.from, range.to, listParam(requestIds)],
    )) as unknown as UnmatchedRow[];
  }

  async maintain(settledBeforeMs: number, odsRetentionDays: number): Promise<void> {
    const settled = Math.trunc(settledBeforeMs);
    // Raised before anything is read (see sketchingUntil); the table's mark only once the periods are sketched.
    const sketchFrom = this.sketchedUntil;
    const sketchTo = Math.max(sketchFrom, settled);
    this.sketchingUntil = Math.max(this.sketchingUntil, sketchTo);
    for (const slice of await this.sketchSlices(sketchFrom, sketchTo)) await this.transaction([slice]);
    // Only what settled since the last run (at most a day): compacting all of DWA each time read the whole table and
    // held its keys in DuckDB's pool, which a bounded pool could not (out of memory at 5 million events with 256 MB).
    // Late rows into periods compacted before stay as extra rows: sums and sketch unions read them the same.
    const fromMs = Math.trunc(Math.max(this.compactedUntil, settledBeforeMs - COMPACTION_REACH_MS));
    // The first day ODS keeps, once: segments wholly before it go, and the view leaves out the rows before it in the
    // others (through the coverage table).
    const DAY = 86_400_000;
    const cutOffMs = (Math.floor(settledBeforeMs / DAY) - Math.trunc(odsRetentionDays)) * DAY;
    const cutOff = `CAST(epoch_ms(${sqlLiteral(cutOffMs)}) AS DATE)`;
    const coverage = odsCoverageTable.name;
    const tables: FoldedTable[] = [
      { name: dwaAdMinute.name, time: 'minute', grain: 'minute', dims: dwaDimensionColumns },
      ...appDatasets.map((ds) => ({ name: ds.table.name, time: 'period', grain: ds.grain, dims: ds.by })),
    ];
    // A transaction per slice: a checkpoint's commit waits for one slice at most, not for the whole run.
    for (const t of tables)
      for (const slice of await this.foldSlices(t, fromMs, settled)) await this.transaction(slice);
    const steps = [
      `DELETE FROM ${compactionTable.name}`,
      `INSERT INTO ${compactionTable.name} VALUES (${sqlLiteral(settled)})`,
      `DELETE FROM ${appSketchMarkTable.name}`,
      `INSERT INTO ${appSketchMarkTable.name} VALUES (${sqlLiteral(sketchTo)})`,
      // The cut-off only rises: a later run with a longer retention cannot bring back days already dropped.
      `INSERT INTO ${coverage} SELECT ${cutOff} WHERE NOT EXISTS (SELECT 1 FROM ${coverage} WHERE since_day >= ${cutOff})`,
      `DELETE FROM ${coverage} WHERE since_day < ${cutOff}`,
    ];
    await this.transaction(steps, [
      { log: this.ods, change: this.ods.compact(cutOffMs) },
      { log: this.dwd, change: this.dwd.compact() },
    ]);
    this.compactedUntil = settledBeforeMs;
    this.sketchedUntil = sketchTo;
  }

  /**
   * The statements that give APP's periods from `fromMs`'s to `toMs`'s (each truncated to its dataset's grain) their
   * users, in the datasets that hold them (see `usersDataset`): DWA's sketches of each cell, put together in rows of
   * their own with metrics 0, which compaction then folds with the period's deltas. Slices are runs of DWA's minutes
   * of at most `sliceWeight` rows and sketch entries (cells hashed apart within a heavier minute only), so each DWA
   * row is read once per dataset: sliced by cells within a period instead, every slice read the whole period (a first
   * version, for all ten datasets: 70 s of CPU for one run over a 12-million-event warehouse, 2026-12-07). A dataset's
   * first slice starts at its first period, whatever minutes this read finds: a checkpoint committed before the slices
   * run may add one.
   */
  private async sketchSlices(fromMs: number, toMs: number): Promise<string[]> {
    const truncate = (ds: AppDataset, ms: number) => Math.floor(ms / grainMs[ds.grain]) * grainMs[ds.grain];
    const ranges = appDatasets
      .filter((ds) => usersDataset(ds) === ds)
      .map((ds) => ({ ds, from: truncate(ds, fromMs), to: truncate(ds, toMs) }));
    const open = ranges.filter((r) => r.from < r.to);
    if (open.length === 0) return [];
    const range = (a: number, b: number) =>
      `minute >= epoch_ms(${sqlLiteral(a)}) AND minute < epoch_ms(${sqlLiteral(b)})`;
    const minutes = (
      await this.rows(
        `SELECT epoch_ms(minute), count(*) + sum(len(${sketchColumn})) FROM ${dwaAdMinute.name} WHERE ${sketchColumn} IS NOT NULL AND ${range(Math.min(...open.map((r) => r.from)), Math.max(...open.map((r) => r.to)))} GROUP BY 1 ORDER BY 1`,
      )
    ).map((r) => ({ startMs: Number(r[0]), weight: Number(r[1]) }));
    const concat = `${sketchConcatSql(sketchColumn)} AS ${sketchColumn}`;
    return open.flatMap(({ ds, from, to }) => {
      const periods = minutes.filter((m) => m.startMs >= from && m.startMs < to);
      if ((periods[0]?.startMs ?? to) > from) periods.unshift({ startMs: from, weight: 0 });
      return compactionSlices(periods, to, this.sliceWeight).map((slice) => {
        const part = slice.parts > 1 ? ` AND hash(${ds.by.join(', ')}) % ${slice.parts} = ${slice.part}` : '';
        const users = usersAsRowsOf(ds, dwaAdMinute.name, 'minute', `${range(slice.fromMs, slice.toMs)}${part}`);
        return `INSERT INTO ${ds.table.name} ${appRollupSql(ds, `(${users})`, 'period', concat)}`;
      });
    });
  }

  /**
   * The statements that fold a table's rows of the same cell (its `time` column and `dims`), for the periods from
   * `fromMs`'s (truncated to `grain`) to `toMs`: per slice of at most `sliceWeight` rows and sketch entries, counted per
   * period beforehand, each cell to one row. The period still open at `toMs` too: its APP rows carry no sketches (see
   * appSketchMarkTable), so folding it again at every run costs little (it did when they carried the day's users, and
   * a run left its heaviest rows as they were).
   */
  private async foldSlices(
    { name: table, time, grain, dims }: FoldedTable,
    fromMs: number,
    toMs: number,
  ): Promise<string[][]> {
    const cells = [time, ...dims].join(', ');
    // The rows to fold, with their row ids: every row of a cell with more than one (aggregating every row to keep the
    // few that fold cost most of housekeeping where cells get one row each, 94% of a replay's DWA cells).
    const folding = (where: string) =>
      `SELECT *, rowid AS row_id FROM ${table} WHERE ${where} QUALIFY count(*) OVER (PARTITION BY ${cells}) > 1`;
    const counts = await this.rows(
      `SELECT epoch_ms(${time}), count(*) + coalesce(sum(len(${sketchColumn})), 0) FROM (${folding(`${time} >= date_trunc('${grain}', epoch_ms(${sqlLiteral(fromMs)})) AND ${time} < epoch_ms(${sqlLiteral(toMs)})`)}) GROUP BY 1 ORDER BY 1`,
    );
    const periods = counts.map((r) => ({ startMs: Number(r[0]), weight: Number(r[1]) }));
    return compactionSlices(periods, toMs, this.sliceWeight).map((slice) => {
      const range = `${time} >= epoch_ms(${sqlLiteral(slice.fromMs)}) AND ${time} < epoch_ms(${sqlLiteral(slice.toMs)})`;
      const part = slice.parts > 1 ? ` AND hash(${dims.join(', ')}) % ${slice.parts} = ${slice.part}` : '';
      // Temporary tables live in DuckDB's memory until dropped: kept, they took hundreds of MB beside the engine.
      return [
        `CREATE OR REPLACE TEMP TABLE folding AS ${folding(`${range}${part}`)}`,
        `CREATE OR REPLACE TEMP TABLE compacted AS SELECT ${cells}, ${sumsSql}, ${sketchSql} FROM folding GROUP BY ALL`,
        `DELETE FROM ${table} WHERE ${range} AND rowid IN (SELECT row_id FROM folding)`,
        `INSERT INTO ${table} SELECT * FROM compacted WHERE ${nonZero}`,
        'DROP TABLE compacted',
        'DROP TABLE folding',
      ];
    });
  }

  /**
   * Runs statements as one transaction on the writer connection: all or nothing. They go as one script, so DuckDB
   * runs them back to back instead of waiting for the JavaScript thread between statements. Transactions queue
   * behind each other: two jobs (the Flink run's ingest and loader) may commit at once.
   */
  private transaction(statements: string[], changes: readonly LogChange[] = []): Promise<void> {
    // Awaited below; this only keeps Node from calling a failure unhandled while the statements run.
    for (const c of changes) c.change.catch(() => undefined);
    const committed = this.writer.queue(async (conn) => {
      const done: { log: SegmentLog; change: SegmentChange }[] = [];
      try {
        if (this.foldFailed) {
          const failed = this.foldFailed;
          this.foldFailed = null;
          throw writeFailure(failed, 'folding the write-ahead log into the file failed');
        }
        await conn.run(['BEGIN TRANSACTION', ...statements].join(';\n'));
        // Every change is waited for, so a failed one leaves no other's files behind.
        const settled = await Promise.allSettled(changes.map((c) => c.change));
        for (const [i, r] of settled.entries())
          if (r.status === 'fulfilled') done.push({ log: changes[i]!.log, change: r.value });
        const failed = settled.find((r) => r.status === 'rejected');
        if (failed) throw failed.reason;
        // The manifests' changes are taken here, in commit order: two jobs may change them one after the other.
        await conn.run([...done.flatMap((d) => d.log.changeSql(d.change)), 'COMMIT'].join(';\n'));
        // Counted as soon as DuckDB answers, before any read that started after the commit can answer.
        this.commits++;
        for (const d of done) d.log.applied(d.change);
      } catch (e) {
        await conn.run('ROLLBACK').catch(() => undefined);
        // Files of a change that did not commit; a segment still being written is deleted at the next open.
        for (const d of done) d.log.discard(d.change.add);
        throw writeFailure(e);
      }
      for (const l of this.commitListeners) l();
    });
    committed.then(
      () => this.foldLogIfLarge(),
      () => undefined,
    );
    return committed;
  }

  /** Queues a fold of the write-ahead log into the file once it passes FOLD_LOG_BYTES; the commit does not wait. */
  private foldLogIfLarge(): void {
    if (!this.walPath || this.folding) return;
    let bytes = 0;
    try {
      bytes = statSync(this.walPath).size;
    } catch {
      return; // no log: nothing written since the last fold
    }
    if (bytes < this.foldLogBytes) return;
    this.folding = true;
    this.writer
      .queue((conn) => conn.run('CHECKPOINT adw'))
      .catch((e: unknown) => {
        // DuckDB refuses a fold while a read on another connection is running (an engine look-up, an API query):
        // nothing is wrong, and the log is folded after a later commit. Any other failure is the next commit's error.
        if (!FOLD_REFUSED.test((e as Error).message)) this.foldFailed = e as Error;
      })
      .finally(() => {
        this.folding = false;
      });
  }

  /**
   * Opens the segment logs for writing: an older file's ODS table becomes segments, the manifests are loaded, files
   * of checkpoints that never committed are deleted, and the views are pointed at these folders (the file may have
   * been moved).
   */
  private async openLogs(path: string, odsIsATable: boolean): Promise<void> {
    const unchanged = (log: SegmentLog) => ({ log, change: Promise.resolve({ remove: [], add: [] }) });
    for (const [log, manifest] of [
      [this.ods, odsSegmentTable],
      [this.dwd, dwdSegmentTable],
    ] as const) {
      log.load(await this.lookup(`SELECT * FROM ${manifest.name}`), path);
      log.removeOrphans();
    }
    if (!odsIsATable) return this.transaction([], [unchanged(this.ods), unchanged(this.dwd)]);
    const sources = await this.lookup(
      `SELECT source, count(*) AS n, max(epoch_ms(event_time)) AS max_ms FROM ${odsAdEvent.name} GROUP BY source`,
    );
    const add: Segment[] = [];
    for (const s of sources) {
      const copy = this.ods.copyOf(s.source as string, Number(s.n), Number(s.max_ms));
      await this.writer.queue((conn) =>
        conn.run(
          `COPY (SELECT seq, event_type, event_id, epoch_ms(event_time), raw FROM ${odsAdEvent.name} WHERE source = ${sqlString(s.source as string)}) TO ${copy.sql}`,
        ),
      );
      add.push(copy.segment());
    }
    await this.transaction(
      [`DROP TABLE ${odsAdEvent.name}`],
      [{ log: this.ods, change: Promise.resolve({ remove: [], add }) }, unchanged(this.dwd)],
    );
  }

  async close(): Promise<void> {
    await Promise.all([this.writer.close(), this.reader.close(), this.api.close()]);
    this.instance.closeSync();
    this.staging?.close();
    this.ods.close();
    this.dwd.close();
  }
}

/** An option's value, or its default when not given; a RangeError when not a positive integer. */
function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, not ${n}`);
  return n;
}

/** Whether each table of the warehouse file is a 'BASE TABLE' or a 'VIEW'. */
async function tableKinds(wh: DuckDbWarehouse): Promise<Map<string, string>> {
  const rows = await wh.query(
    "SELECT table_name, table_type FROM information_schema.tables WHERE table_catalog = 'adw'",
  );
  return new Map(rows.map((r) => [r.table_name as string, r.table_type as string]));
}

/** The stored tables' closed columns (see `closed`) that the file holds as text. */
async function textOfClosedColumns(wh: DuckDbWarehouse): Promise<{ table: string; column: ColumnDef }[]> {
  const text = new Set(
    (
      await wh.query(
        "SELECT table_name || '.' || column_name AS c FROM duckdb_columns() WHERE database_name = 'adw' AND data_type = 'VARCHAR'",
      )
    ).map((r) => r.c as string),
  );
  return storedTables.flatMap((t) =>
    t.columns.filter((c) => c.values && text.has(`${t.name}.${c.name}`)).map((column) => ({ table: t.name, column })),
  );
}

/** A read that failed for want of memory, or on a damaged file, fails with its coded error; any other as it did. */
function asReadFailure(e: unknown): never {
  throw outOfMemory(e) ?? unreadable(e) ?? e;
}

/** The APP datasets whose table the warehouse file does not have yet. */
async function missingAppDatasets(wh: DuckDbWarehouse): Promise<AppDataset[]> {
  const present = new Set(
    (await wh.query("SELECT table_name FROM duckdb_tables() WHERE database_name = 'adw'")).map((r) => r.table_name),
  );
  return appDatasets.filter((d) => !present.has(d.table.name));
}

/** Views standing in for the declared tables, or columns, that the attached warehouse file does not have. */
async function standInViews(
  instance: DuckDBInstance,
  logs: { ods: SegmentLog; dwd: SegmentLog },
  path: string,
): Promise<string[]> {
  const c = await instance.connect();
  try {
    // ODS events and DWD's on-time rows: from this folder's segments where the file has a manifest; an older file's
    // tables read as they are.
    const views: string[] = [];
    for (const [log, manifest] of [
      [logs.ods, odsSegmentTable],
      [logs.dwd, dwdSegmentTable],
    ] as const) {
      const found = await c.runAndReadAll(
        `SELECT * FROM duckdb_tables() WHERE database_name = 'adw' AND table_name = ${sqlString(manifest.name)}`,
      );
      if (found.currentRowCount === 0) continue;
      log.load(rowObjects(await c.run(`SELECT * FROM adw.main.${manifest.name}`)), path);
      views.push(log.viewSql());
    }
    const rows = (
      await c.runAndReadAll("SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = 'adw'")
    ).getRows();
    const present = new Set(rows.map((r) => `${r[0]}.${r[1]}`));
    const tables = new Set(rows.map((r) => r[0]));
    const standIns = allTables
      .filter((t) => t !== odsAdEvent)
      .flatMap((t) => {
        // A missing APP dataset reads as its rollup of DWA: slower, the same answers.
        const ds = appDatasets.find((d) => d.table === t);
        if (!tables.has(t.name))
          return [ds ? `CREATE TEMP VIEW ${t.name} AS ${appRollupSql(ds, dwaAdMinute.name)}` : createEmptyViewSql(t)];
        return t.columns.some((col) => !present.has(`${t.name}.${col.name}`))
          ? [createPaddedViewSql(t, (col) => present.has(`${t.name}.${col}`))]
          : [];
      });
    // Last: the ODS view reads the retention cut-off from a table that may be a stand-in.
    return [...standIns, ...views];
  } finally {
    c.closeSync();
  }
}

function listParam(ids: string[]): string {
  // One JSON text parameter, unpacked by from_json(): any number of ids in one prepared statement.
  return JSON.stringify(ids);
}

/** A table housekeeping folds: its time column, that column's grain, and the dimensions of its cells. */
interface FoldedTable {
  name: string;
  time: string;
  grain: string;
  dims: readonly string[];
}

/** A part of a compaction: the periods [fromMs, toMs), and of them the cells whose key hashes to `part` of `parts`. */
export interface CompactionSlice {
  fromMs: number;
  toMs: number;
  parts: number;
  part: number;
}

/**
 * Splits the periods to compact (minutes of DWA, hours or days of APP: their start and the work of folding their rows,
 * in order) into slices of at most `maxWeight`: runs of whole periods, and a period that alone weighs more split by
 * the hash of the cell's key (cells never straddle slices). Together the slices cover every period from the first
 * counted one to `toMs`.
 */
export function compactionSlices(
  periods: readonly { startMs: number; weight: number }[],
  toMs: number,
  maxWeight: number,
): CompactionSlice[] {
  const runs: { fromMs: number; weight: number }[] = [];
  for (const p of periods) {
    const last = runs.at(-1);
    if (last && last.weight + p.weight <= maxWeight) last.weight += p.weight;
    else runs.push({ fromMs: p.startMs, weight: p.weight });
  }
  return runs.flatMap((run, i) => {
    const parts = Math.max(1, Math.ceil(run.weight / maxWeight));
    const end = runs[i + 1]?.fromMs ?? toMs;
    return Array.from({ length: parts }, (_, part) => ({ fromMs: run.fromMs, toMs: end, parts, part }));
  });
}
