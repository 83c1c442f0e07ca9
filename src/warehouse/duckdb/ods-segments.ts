import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { constants, zstdCompress } from 'node:zlib';
import { errors } from '../../errors.ts';
import { scratchPath } from '../../scratch.ts';
import { odsCoverageTable } from '../../layers/meta.ts';
import { odsAdEvent } from '../../layers/ods.ts';
import { col, type TableDef } from '../../layers/table.ts';
import { type CsvRows, FIELD_SEPARATOR } from '../csv.ts';
import { sqlLiteral, sqlString } from './ddl.ts';
import { readCsvSql } from './staging.ts';

/**
 * ODS events are kept as received, compressed, in append-only segment files beside the warehouse file (the
 * reference system's ODS is the Kafka topic itself), not as rows parsed into DuckDB: storing them as rows was about
 * a third of DuckDB's work per event and is rarely read. `ods_ad_event` is a view over the committed segments.
 */

/** One committed segment: the ODS event rows of one or more checkpoints of one source, zstd-compressed CSV. */
export interface OdsSegment {
  file: string;
  source: string;
  rows: number;
  bytes: number;
  /** No row of the segment has a later event time (an upper bound, so look-ups and retention can skip it). */
  maxEventMs: number;
}

/** A change of the manifest: files that leave it, segments that join it. */
export interface OdsChange {
  remove: string[];
  add: OdsSegment[];
}

/** The manifest: which files hold ODS, committed in the same transaction as the checkpoint that wrote them. */
export const odsSegmentTable: TableDef = {
  name: 'ods_segment',
  layer: 'ods',
  doc: 'the compressed files in <warehouse file>.ods/ that hold ods_ad_event, with what they hold',
  key: ['file'],
  columns: [
    col('file', 'VARCHAR', 'file name in the segment folder'),
    col('source', 'VARCHAR'),
    col('rows', 'BIGINT'),
    col('bytes', 'BIGINT'),
    col('max_event_ms', 'BIGINT', 'an upper bound of the event times of its rows'),
  ],
};

/** The CSV fields of an ODS event row, as the ODS operator writes them (see OdsSinkOperator). */
const csvColumns = [
  ['seq', 'BIGINT'],
  ['event_type', 'VARCHAR'],
  ['event_id', 'VARCHAR'],
  ['event_ms', 'BIGINT'],
  ['raw', 'VARCHAR'],
] as const;

/** How the declared ODS columns are read from a segment's fields; the others are the field of the same name. */
const derived: Record<string, (source: string) => string> = {
  day: () => 'CAST(epoch_ms(event_ms) AS DATE)',
  source: (source) => sqlString(source),
  event_time: () => 'epoch_ms(event_ms)',
};

/**
 * Merging: a checkpoint writes a small segment, and the view names every file, so housekeeping merges a source's
 * small segments into one (zstd frames concatenate), and many middling ones into a large one. Largest tier first.
 */
const MERGE_TIERS = [
  { below: 256 * 1024 * 1024, atLeast: 16 },
  { below: 16 * 1024 * 1024, atLeast: 2 },
] as const;

const zstd = promisify(zstdCompress);
const SUFFIX = '.csv.zst';

/** The segment files of one warehouse: where they live, the committed manifest, and the files to delete later. */
export class OdsSegments {
  readonly dir: string;
  /** The committed manifest, kept in step with the table by the transactions that change it. */
  private committed = new Map<string, OdsSegment>();
  /** Files no longer in the manifest that a read begun before may still be reading: deleted at the next pass. */
  private retired: string[] = [];
  private readonly temporary: boolean;

  constructor(warehousePath: string) {
    this.temporary = warehousePath === ':memory:';
    this.dir = this.temporary ? scratchPath('adw-ods') : `${warehousePath}.ods`;
  }

  /** Takes the committed manifest (rows of `ods_segment`); refuses a folder that lacks a file the manifest names. */
  load(rows: Record<string, unknown>[], warehousePath: string): void {
    this.committed = new Map(
      rows.map((r) => [
        r.file as string,
        {
          file: r.file as string,
          source: r.source as string,
          rows: Number(r.rows),
          bytes: Number(r.bytes),
          maxEventMs: Number(r.max_event_ms),
        },
      ]),
    );
    const missing = [...this.committed.keys()].filter((f) => !existsSync(join(this.dir, f)));
    if (missing.length > 0)
      throw errors.dbUnreadable(
        warehousePath,
        `${missing.length} ODS segment file(s) missing from ${this.dir} (first: ${missing[0]}); a warehouse is its file and that folder: copy or move both`,
      );
  }

  /** Deletes what no committed manifest names: segments of checkpoints that never committed, half-done merges. */
  removeOrphans(): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      for (const f of readdirSync(this.dir)) if (!this.committed.has(f)) rmSync(join(this.dir, f), { force: true });
    } catch (e) {
      throw errors.warehouseWrite(`ODS segment folder ${this.dir}: ${(e as Error).message}`);
    }
  }

  /** Writes a checkpoint's ODS rows as a new segment file, synced, for the checkpoint's transaction to commit. */
  async write(source: string, epoch: number, rows: CsvRows, maxEventMs: number): Promise<OdsSegment> {
    const file = `${sourceTag(source)}-${epoch}-${randomBytes(3).toString('hex')}${SUFFIX}`;
    const path = join(this.dir, file);
    try {
      // A zstd frame per block of rows (frames concatenate), compressed on pool threads, with no checkpoint-sized
      // copy of the rows.
      const frames = await Promise.all(
        rows.bytes().map((block) =>
          zstd(block, {
            // One output chunk per frame: each further chunk waits for the busy engine thread.
            chunkSize: Math.max(64 * 1024, block.length >> 2),
            params: { [constants.ZSTD_c_compressionLevel]: 1 },
          }),
        ),
      );
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
      return { file, source, rows: rows.length, bytes, maxEventMs };
    } catch (e) {
      rmSync(path, { force: true });
      throw errors.warehouseWrite(`ODS segment ${path}: ${(e as Error).message}`);
    }
  }

  /**
   * Housekeeping's plan: segments wholly before the retention cut-off are dropped; a source's small segments are
   * merged into a new file (written here, synced). Commit it with `changeSql`, then call `applied`.
   */
  async compact(cutOffMs: number): Promise<OdsChange> {
    this.deleteRetired();
    const kept = [...this.committed.values()];
    const remove = kept.filter((s) => s.maxEventMs < cutOffMs).map((s) => s.file);
    const add: OdsSegment[] = [];
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
   * A segment for an older file's ODS rows of one source, which DuckDB writes (`sql` completes a `COPY ... TO`);
   * `segment()` describes it once written.
   */
  copyOf(source: string, rows: number, maxEventMs: number): { sql: string; segment: () => OdsSegment } {
    const file = `${sourceTag(source)}-table${SUFFIX}`;
    const path = join(this.dir, file);
    return {
      sql: `${sqlString(path)} (FORMAT csv, DELIMITER ${sqlString(FIELD_SEPARATOR)}, HEADER false, QUOTE '', ESCAPE '', COMPRESSION zstd)`,
      segment: () => ({ file, source, rows, bytes: statSync(path).size, maxEventMs }),
    };
  }

  /** Applies a committed change to the manifest; removed files are deleted at the next pass. */
  applied(change: OdsChange): void {
    for (const f of change.remove) {
      this.committed.delete(f);
      this.retired.push(f);
    }
    for (const s of change.add) this.committed.set(s.file, s);
  }

  /** Forgets files written for a transaction that failed. */
  discard(added: readonly OdsSegment[]): void {
    for (const s of added) rmSync(join(this.dir, s.file), { force: true });
  }

  /** SQL that records a change in the manifest and points the view at the result, for the change's transaction. */
  changeSql(change: OdsChange): string[] {
    const next = new Map(this.committed);
    for (const f of change.remove) next.delete(f);
    for (const s of change.add) next.set(s.file, s);
    const t = odsSegmentTable.name;
    return [
      ...(change.remove.length > 0
        ? [`DELETE FROM ${t} WHERE file IN (${change.remove.map(sqlString).join(', ')})`]
        : []),
      ...change.add.map(
        (s) =>
          `INSERT INTO ${t} VALUES (${[s.file, s.source, s.rows, s.bytes, s.maxEventMs].map(sqlLiteral).join(', ')})`,
      ),
      this.viewSql([...next.values()], false),
    ];
  }

  /** The `ods_ad_event` view over the given segments, rows before the retention cut-off left out. */
  viewSql(segments: readonly OdsSegment[] = [...this.committed.values()], temporary = true): string {
    const coveredSince = `(SELECT coalesce(max(since_day), '-infinity'::DATE) FROM ${odsCoverageTable.name})`;
    return `CREATE OR REPLACE ${temporary ? 'TEMP ' : ''}VIEW ${odsAdEvent.name} AS SELECT * FROM (${this.selectSql(segments)}) WHERE day >= ${coveredSince}`;
  }

  /** The ODS rows of the segments that may hold event times from `sinceMs` on, as a subquery. */
  since(sinceMs: number): string {
    return `(${this.selectSql([...this.committed.values()].filter((s) => s.maxEventMs >= sinceMs))})`;
  }

  /** Deletes retired files and, for a warehouse in memory, the folder: no read is running any more. */
  close(): void {
    this.deleteRetired();
    if (this.temporary) rmSync(this.dir, { recursive: true, force: true });
  }

  private selectSql(segments: readonly OdsSegment[]): string {
    const columns = (source: string) =>
      odsAdEvent.columns.map((c) => `${derived[c.name]?.(source) ?? c.name} AS ${c.name}`).join(', ');
    if (segments.length === 0)
      return `SELECT ${odsAdEvent.columns.map((c) => `NULL::${c.type} AS ${c.name}`).join(', ')} WHERE FALSE`;
    return [...Map.groupBy(segments, (s) => s.source)]
      .map(
        ([source, list]) =>
          `SELECT ${columns(source)} FROM ${readCsvSql(
            list.map((s) => join(this.dir, s.file)),
            csvColumns,
            'zstd',
          )}`,
      )
      .join(' UNION ALL ');
  }

  private async merge(source: string, parts: readonly OdsSegment[]): Promise<OdsSegment> {
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
      throw errors.warehouseWrite(`merging ODS segments into ${file}: ${(e as Error).message}`);
    }
    return {
      file,
      source,
      rows: parts.reduce((n, s) => n + s.rows, 0),
      bytes: parts.reduce((n, s) => n + s.bytes, 0),
      maxEventMs: Math.max(...parts.map((s) => s.maxEventMs)),
    };
  }

  private deleteRetired(): void {
    for (const f of this.retired) rmSync(join(this.dir, f), { force: true });
    this.retired = [];
  }
}

/** A file-name-safe tag for a source name (paths and URLs hold any character). */
function sourceTag(source: string): string {
  return createHash('sha256').update(source).digest('hex').slice(0, 12);
}
