import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { errors, RESTORE_ADVICE } from '../../errors.ts';
import { scratchPath } from '../../scratch.ts';
import { odsCoverageTable } from '../../layers/meta.ts';
import { dwdAdEventJoined } from '../../layers/dwd.ts';
import { odsAdEvent } from '../../layers/ods.ts';
import { col, type TableDef } from '../../layers/table.ts';
import { type CsvRows, FIELD_SEPARATOR } from '../csv.ts';
import type { TimeRange } from '../warehouse.ts';
import { duckDbType, sqlLiteral, sqlString } from './ddl.ts';
import { writeFailure } from './failures.ts';
import { readCsvSql } from './staging.ts';

/**
 * Rows kept as compressed, append-only segment files beside the warehouse file rather than as rows parsed into
 * DuckDB, each log behind a view of the table it holds. ODS events (the reference system's ODS is the Kafka topic
 * itself): storing them as rows was about a third of DuckDB's work per event, and they are rarely read. DWD's joined
 * rows written within their allowed lateness: DuckDB's insert and commit of them cost 2 µs of CPU a row, and as
 * segments the whole process used 7 - 8% less CPU per event (2026-12-06); the dashboard never reads DWD, and the
 * engine's look-ups name only the segments of their time range.
 */

/** One committed segment: rows of one or more checkpoints of one source, zstd-compressed CSV. */
export interface Segment {
  file: string;
  source: string;
  rows: number;
  bytes: number;
  /** No row of the segment has an earlier event time; null where it is not known (every row may be earlier). */
  minEventMs: number | null;
  /** No row of the segment has a later event time (an upper bound, so look-ups and retention can skip it). */
  maxEventMs: number;
}

/** A committed segment read through: the rows it gave back, or why it could not be read. */
export interface SegmentCheck {
  /** The log: ODS or DWD. */
  log: string;
  file: string;
  /** The rows its checkpoint wrote. */
  rows: number;
  /** The rows read back; null when the read failed. */
  read: number | null;
  /** What is wrong with it; null when it read back whole. */
  problem: string | null;
}

/** A change of a log's manifest: files that leave it, segments that join it. */
export interface SegmentChange {
  remove: string[];
  add: Segment[];
}

/** A manifest: which files hold a log, committed in the same transaction as the checkpoint that wrote them. */
function manifestTable(name: string, folder: string, holds: string): TableDef {
  return {
    name,
    layer: 'meta',
    doc: `the compressed files in <warehouse file>${folder}/ that hold ${holds}, with what they hold`,
    key: ['file'],
    columns: [
      col('file', 'VARCHAR', 'file name in the segment folder'),
      col('source', 'VARCHAR'),
      col('rows', 'BIGINT'),
      col('bytes', 'BIGINT'),
      col('max_event_ms', 'BIGINT', 'an upper bound of the event times of its rows'),
      col('min_event_ms', 'BIGINT', 'a lower bound of the event times of its rows (NULL: none known)'),
    ],
  };
}

/** What tells one log from another: where its files live, what their rows are, and the view that reads them. */
interface LogSpec {
  /** What the log holds, for messages. */
  what: string;
  /** The folder of its files: the warehouse file's path with this appended. */
  folder: string;
  manifest: TableDef;
  /** The CSV fields of a row, as the engine writes them. */
  fields: readonly (readonly [string, string])[];
  /** The declared table's columns, in order, from a row's fields (`source`: the segment's source, as SQL). */
  columns: (source: string) => string;
  /** The view that reads the log. */
  view: string;
  /** The view's query, given `rows` (a query of the segments' rows): the rows it shows and what it reads beside them. */
  read: (rows: string) => string;
}

/** The manifest of ODS's segments. */
export const odsSegmentTable = manifestTable('ods_segment', '.ods', 'ods_ad_event');
/** The manifest of DWD's segments. */
export const dwdSegmentTable = manifestTable('dwd_segment', '.dwd', "DWD's joined rows written within their lateness");

/** How the declared ODS columns are read from a segment's fields; the others are the field of the same name. */
const odsDerived: Record<string, (source: string) => string> = {
  day: () => 'CAST(epoch_ms(event_ms) AS DATE)',
  source: (source) => source,
  event_time: () => 'epoch_ms(event_ms)',
};

/** ODS events: a segment's fields as the ODS operator writes them (see OdsSinkOperator). */
const odsSpec: LogSpec = {
  what: 'ODS',
  folder: '.ods',
  manifest: odsSegmentTable,
  fields: [
    ['seq', 'BIGINT'],
    ['event_type', 'VARCHAR'],
    ['event_id', 'VARCHAR'],
    ['event_ms', 'BIGINT'],
    ['raw', 'VARCHAR'],
  ],
  columns: (source) =>
    odsAdEvent.columns.map((c) => `${odsDerived[c.name]?.(source) ?? c.name} AS ${c.name}`).join(', '),
  view: odsAdEvent.name,
  read: (rows) =>
    `SELECT * FROM (${rows}) WHERE day >= (SELECT coalesce(max(since_day), '-infinity'::DATE) FROM ${odsCoverageTable.name})`,
};

/**
 * The fields of a DWD row as the engine writes them (see DwdSinkOperator): the declared columns, event_time as epoch
 * milliseconds.
 */
export const dwdFields = dwdAdEventJoined.columns.map((c) =>
  c.name === 'event_time' ? (['event_ms', 'BIGINT'] as const) : ([c.name, duckDbType(c)] as const),
);

/**
 * DWD's joined rows written within their allowed lateness. `tables` are DWD's joined parts that are tables (rows of
 * older files, a changelog's rows that a later one may remove): the view reads them beside the segments.
 */
function dwdSpec(tables: readonly TableDef[]): LogSpec {
  return {
    what: 'DWD',
    folder: '.dwd',
    manifest: dwdSegmentTable,
    fields: dwdFields,
    columns: () =>
      dwdAdEventJoined.columns
        .map((c) => (c.name === 'event_time' ? 'epoch_ms(event_ms) AS event_time' : c.name))
        .join(', '),
    view: dwdAdEventJoined.name,
    read: (rows) => [...tables.map((t) => `SELECT * FROM ${t.name}`), rows].join(' UNION ALL '),
  };
}

/**
 * Merging: a checkpoint writes a small segment, and the view names every file, so housekeeping merges a source's
 * small segments into one (zstd frames concatenate), and many middling ones into a large one. Largest tier first.
 */
const MERGE_TIERS = [
  { below: 256 * 1024 * 1024, atLeast: 16 },
  { below: 16 * 1024 * 1024, atLeast: 2 },
] as const;

const SUFFIX = '.csv.zst';

/** One log's segment files: where they live, the committed manifest, and the files to delete later. */
export class SegmentLog {
  readonly dir: string;
  private readonly spec: LogSpec;
  /** The committed manifest, kept in step with the table by the transactions that change it. */
  private committed = new Map<string, Segment>();
  /** Files no longer in the manifest that a read begun before may still be reading: deleted at the next pass. */
  private retired: string[] = [];
  private readonly temporary: boolean;

  private constructor(warehousePath: string, spec: LogSpec) {
    this.spec = spec;
    this.temporary = warehousePath === ':memory:';
    this.dir = this.temporary ? scratchPath(`adw${spec.folder.replace('.', '-')}`) : `${warehousePath}${spec.folder}`;
  }

  /** ODS's events. */
  static ods(warehousePath: string): SegmentLog {
    return new SegmentLog(warehousePath, odsSpec);
  }

  /** DWD's joined rows written within their lateness; its view reads `tables` beside the segments. */
  static dwd(warehousePath: string, tables: readonly TableDef[]): SegmentLog {
    return new SegmentLog(warehousePath, dwdSpec(tables));
  }

  /** Takes the committed manifest (its table's rows); refuses a folder that lacks a file the manifest names. */
  load(rows: Record<string, unknown>[], warehousePath: string): void {
    this.committed = new Map(
      rows.map((r) => [
        r.file as string,
        {
          file: r.file as string,
          source: r.source as string,
          rows: Number(r.rows),
          bytes: Number(r.bytes),
          // A manifest written before the column was added has no lower bounds.
          minEventMs: r.min_event_ms == null ? null : Number(r.min_event_ms),
          maxEventMs: Number(r.max_event_ms),
        },
      ]),
    );
    const sizes = new Map([...this.committed.keys()].map((f) => [f, fileSize(join(this.dir, f))]));
    const missing = [...sizes].filter(([, size]) => size === null).map(([f]) => f);
    if (missing.length > 0)
      throw errors.dbUnreadable(
        warehousePath,
        `${missing.length} ${this.spec.what} segment file(s) missing from ${this.dir} (first: ${missing[0]}); a warehouse is its file and the folders beside it: copy or move them together`,
      );
    // DuckDB reads a zstd file cut short as far as it goes, without an error: rows would be lost without a word.
    const resized = [...this.committed.values()].filter((s) => sizes.get(s.file) !== s.bytes);
    if (resized.length > 0) {
      const first = resized[0]!;
      throw errors.dbUnreadable(
        warehousePath,
        `${resized.length} ${this.spec.what} segment file(s) in ${this.dir} damaged (first: ${first.file}, ${sizes.get(first.file)} bytes where ${first.bytes} were written); ${RESTORE_ADVICE}`,
      );
    }
  }

  /** Deletes what no committed manifest names: segments of checkpoints that never committed, half-done merges. */
  removeOrphans(): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      for (const f of readdirSync(this.dir)) if (!this.committed.has(f)) rmSync(join(this.dir, f), { force: true });
    } catch (e) {
      throw errors.warehouseWrite(`${this.spec.what} segment folder ${this.dir}: ${(e as Error).message}`);
    }
  }

  /**
   * Writes a checkpoint's rows as a new segment file, synced, for the checkpoint's transaction to commit; the rows'
   * event times are within [minEventMs, maxEventMs] (null: no lower bound known).
   */
  async write(
    source: string,
    epoch: number,
    rows: CsvRows,
    minEventMs: number | null,
    maxEventMs: number,
  ): Promise<Segment> {
    const file = `${sourceTag(source)}-${epoch}-${randomBytes(3).toString('hex')}${SUFFIX}`;
    const path = join(this.dir, file);
    try {
      // One zstd stream, compressed as the rows came (CsvRows `compressed`): one context, no copy of the rows. A
      // frame per block (about 500 KB) made a context per block, whose memory V8 counts as external, and a full
      // garbage collection about every checkpoint (2026-12-06).
      const frames = await rows.compressed();
      mkdirSync(this.dir, { recursive: true });
      const fh = await open(path, 'w');
      try {
        // writev takes at most IOV_MAX (1024) buffers per call.
        for (let i = 0; i < frames.length; i += 1024) await fh.writev(frames.slice(i, i + 1024));
        await fh.datasync();
      } finally {
        await fh.close();
      }
      const bytes = frames.reduce((n, f) => n + f.length, 0);
      return { file, source, rows: rows.length, bytes, minEventMs, maxEventMs };
    } catch (e) {
      rmSync(path, { force: true });
      throw errors.warehouseWrite(`${this.spec.what} segment ${path}: ${(e as Error).message}`);
    }
  }

  /**
   * Housekeeping's plan: segments wholly before the cut-off are dropped; a source's small segments are merged into a
   * new file (written here, synced). Commit it with `changeSql`, then call `applied`.
   */
  async compact(cutOffMs = Number.NEGATIVE_INFINITY): Promise<SegmentChange> {
    this.deleteRetired();
    const kept = [...this.committed.values()];
    const remove = kept.filter((s) => s.maxEventMs < cutOffMs).map((s) => s.file);
    const add: Segment[] = [];
    const bySource = Map.groupBy(
      kept.filter((s) => s.maxEventMs >= cutOffMs),
      (s) => s.source,
    );
    for (const [source, segments] of bySource) {
      const tier = MERGE_TIERS.find((t) => segments.filter((s) => s.bytes < t.below).length >= t.atLeast);
      if (!tier) continue;
      const parts = segments.filter((s) => s.bytes < tier.below);
      const merged = await this.merge(source, parts);
      add.push(merged);
      remove.push(...parts.map((s) => s.file));
    }
    return { remove, add };
  }

  /**
   * A segment for an older file's rows of one source, which DuckDB writes (`sql` completes a `COPY ... TO`);
   * `segment()` describes it once written.
   */
  copyOf(source: string, rows: number, maxEventMs: number): { sql: string; segment: () => Segment } {
    const file = `${sourceTag(source)}-table${SUFFIX}`;
    const path = join(this.dir, file);
    return {
      sql: `${sqlString(path)} (FORMAT csv, DELIMITER ${sqlString(FIELD_SEPARATOR)}, HEADER false, QUOTE '', ESCAPE '', COMPRESSION zstd)`,
      segment: () => ({ file, source, rows, bytes: statSync(path).size, minEventMs: null, maxEventMs }),
    };
  }

  /**
   * Reads every committed segment through, as a query would (zstd checks each frame's checksum), one at a time, and
   * counts its rows; `count` runs a query of one count and resolves to the count, or to why the read failed.
   */
  async check(count: (sql: string) => Promise<number | string>): Promise<SegmentCheck[]> {
    const checks: SegmentCheck[] = [];
    for (const s of [...this.committed.values()].sort((a, b) => a.file.localeCompare(b.file))) {
      const read = await count(
        `SELECT count(*) FROM ${readCsvSql([join(this.dir, s.file)], this.spec.fields, 'zstd')}`,
      );
      const problem =
        typeof read === 'string'
          ? read
          : read === s.rows
            ? null
            : `${read} rows read back where ${s.rows} were written`;
      checks.push({
        log: this.spec.what,
        file: s.file,
        rows: s.rows,
        read: typeof read === 'number' ? read : null,
        problem,
      });
    }
    return checks;
  }

  /** Applies a committed change to the manifest; removed files are deleted at the next pass. */
  applied(change: SegmentChange): void {
    for (const f of change.remove) {
      this.committed.delete(f);
      this.retired.push(f);
    }
    for (const s of change.add) this.committed.set(s.file, s);
  }

  /** Forgets files written for a transaction that failed. */
  discard(added: readonly Segment[]): void {
    for (const s of added) rmSync(join(this.dir, s.file), { force: true });
  }

  /** SQL that records a change in the manifest and points the view at the result, for the change's transaction. */
  changeSql(change: SegmentChange): string[] {
    const next = new Map(this.committed);
    for (const f of change.remove) next.delete(f);
    for (const s of change.add) next.set(s.file, s);
    const t = this.spec.manifest.name;
    return [
      ...(change.remove.length > 0
        ? [`DELETE FROM ${t} WHERE file IN (${change.remove.map(sqlString).join(', ')})`]
        : []),
      ...change.add.map(
        (s) =>
          `INSERT INTO ${t} (file, source, rows, bytes, min_event_ms, max_event_ms) VALUES (${[s.file, s.source, s.rows, s.bytes, s.minEventMs, s.maxEventMs].map(sqlLiteral).join(', ')})`,
      ),
      this.viewSql([...next.values()], false),
    ];
  }

  /** The log's view over the given segments (the committed ones by default). */
  viewSql(segments: readonly Segment[] = [...this.committed.values()], temporary = true): string {
    return `CREATE OR REPLACE ${temporary ? 'TEMP ' : ''}VIEW ${this.spec.view} AS ${this.spec.read(this.selectSql(segments))}`;
  }

  /**
   * What the log's view reads, as a subquery, with only the segments that may hold event times in `range` (a view
   * naming every segment reads them all).
   */
  readBetween(range: TimeRange): string {
    return `(${this.spec.read(this.selectSql(this.overlapping(range)))})`;
  }

  /** The rows of the segments that may hold event times from `sinceMs` on, as a subquery. */
  since(sinceMs: number): string {
    return `(${this.selectSql(this.overlapping({ from: sinceMs, to: Number.POSITIVE_INFINITY }))})`;
  }

  /** The committed segments that may hold event times in `range`. */
  private overlapping(range: TimeRange): Segment[] {
    return [...this.committed.values()].filter(
      (s) => s.maxEventMs >= range.from && (s.minEventMs === null || s.minEventMs <= range.to),
    );
  }

  /** Deletes retired files and, for a warehouse in memory, the folder: no read is running any more. */
  close(): void {
    this.deleteRetired();
    if (this.temporary) rmSync(this.dir, { recursive: true, force: true });
  }

  private selectSql(segments: readonly Segment[]): string {
    if (segments.length === 0)
      return `SELECT ${this.spec.columns("''")} FROM (SELECT ${this.spec.fields.map(([n, t]) => `NULL::${t} AS ${n}`).join(', ')}) WHERE FALSE`;
    return [...Map.groupBy(segments, (s) => s.source)]
      .map(
        ([source, list]) =>
          `SELECT ${this.spec.columns(sqlString(source))} FROM ${readCsvSql(
            list.map((s) => join(this.dir, s.file)),
            this.spec.fields,
            'zstd',
          )}`,
      )
      .join(' UNION ALL ');
  }

  private async merge(source: string, parts: readonly Segment[]): Promise<Segment> {
    const file = `${sourceTag(source)}-m${Date.now()}-${randomBytes(3).toString('hex')}${SUFFIX}`;
    const partial = join(this.dir, `${file}.partial`);
    try {
      const out = await open(partial, 'w');
      try {
        for (const s of parts)
          for await (const chunk of createReadStream(join(this.dir, s.file))) await out.write(chunk);
        await out.datasync();
      } finally {
        await out.close();
      }
      await rename(partial, join(this.dir, file));
    } catch (e) {
      rmSync(partial, { force: true });
      throw writeFailure(e, `merging ${this.spec.what} segments into ${file}`);
    }
    const mins = parts.map((s) => s.minEventMs);
    return {
      file,
      source,
      rows: parts.reduce((n, s) => n + s.rows, 0),
      bytes: parts.reduce((n, s) => n + s.bytes, 0),
      minEventMs: mins.includes(null) ? null : Math.min(...(mins as number[])),
      maxEventMs: Math.max(...parts.map((s) => s.maxEventMs)),
    };
  }

  private deleteRetired(): void {
    for (const f of this.retired) rmSync(join(this.dir, f), { force: true });
    this.retired = [];
  }
}

/** A file's size, or null when it is not there. */
function fileSize(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}

/** A file-name-safe tag for a source name (paths and URLs hold any character). */
function sourceTag(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 12);
}
