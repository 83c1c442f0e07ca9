import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource } from '../../src/connectors/file/source.ts';
import { defaultEngineConfig, type EngineConfig } from '../../src/engine/config.ts';
import { Job, type JobObserver, type JobOptions, type JobStatus } from '../../src/engine/job.ts';
import { adPipeline } from '../../src/engine/pipeline.ts';
import type { PipelineDefinition } from '../../src/engine/stages.ts';
import { sketchUnionSql } from '../../src/catalogue/user-sketch.ts';
import { appDatasets, appRowsWithUsersSql } from '../../src/layers/app.ts';
import { foldedDwaSql, offlineDwaSql } from '../../src/reconcile/offline.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';

/** A scratch directory removed by `cleanup()`, unless ADW_KEEP_SCRATCH is set (to read a failed test's logs). */
export function scratch(prefix = 'adw-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    cleanup: () => {
      if (process.env.ADW_KEEP_SCRATCH) process.stderr.write(`kept ${dir}\n`);
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the ad pipeline in-process over an NDJSON file until its end; returns the final status. */
export async function runFile(
  input: string,
  db: string,
  config: Partial<EngineConfig> = {},
  observers: JobObserver[] = [],
): Promise<JobStatus> {
  return runJob(input, db, config, { untilEnd: true, observers });
}

/**
 * Runs as a follower of the file (never told it ended) and stops, as Ctrl-C does, once all of it is committed: follow
 * events still waiting for their request stay pending, for the next run to resume.
 */
export async function followFileAndStop(
  input: string,
  db: string,
  config: Partial<EngineConfig> = {},
): Promise<JobStatus> {
  const end = String(statSync(input).size);
  const stop = new AbortController();
  return runJob(input, db, config, {
    untilEnd: false,
    signal: stop.signal,
    onCommit: (status) => {
      if (status.position === end) stop.abort();
    },
  });
}

/** Runs another pipeline definition (a variant of the ad pipeline, the Flink results' loader) over a file to its end. */
export async function runDefinition(def: PipelineDefinition, input: string, db: string): Promise<JobStatus> {
  return runJob(input, db, {}, { untilEnd: true }, def);
}

async function runJob(
  input: string,
  db: string,
  config: Partial<EngineConfig>,
  options: JobOptions,
  def: PipelineDefinition = adPipeline,
): Promise<JobStatus> {
  const warehouse = await DuckDbWarehouse.open(db);
  const source = new FileSource({ path: input });
  try {
    const job = new Job(def, source, warehouse, { ...defaultEngineConfig, ...config });
    return await job.run(options);
  } finally {
    await source.close();
    await warehouse.close();
  }
}

/** Writes records (objects or raw strings) as NDJSON. */
export function writeLines(path: string, records: (object | string)[]): void {
  writeFileSync(path, `${records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n')}\n`);
}

/** Runs a read-only query against a warehouse file. */
export async function queryDb(
  db: string,
  sql: string,
  params: (string | number)[] = [],
): Promise<Record<string, unknown>[]> {
  const w = await DuckDbWarehouse.open(db, { readOnly: true });
  try {
    return await w.query(sql, params);
  } finally {
    await w.close();
  }
}

/** A warehouse's checkpoint counters beside the rows they account for. */
export interface Ledger {
  recordsIn: number;
  accepted: number;
  deadLettered: number;
  /** ODS rows holding accepted records: events and dimension changes. */
  odsRows: number;
  deadLetterRows: number;
}

/** The first row a query returns (an aggregate, the checkpoint row), failing the test when there is none. */
/** Copies a warehouse as a user must: its file and the folders of its ODS and DWD segments beside it. */
export function copyWarehouse(from: string, to: string): void {
  cpSync(from, to);
  for (const folder of ['.ods', '.dwd']) cpSync(`${from}${folder}`, `${to}${folder}`, { recursive: true });
}

export async function queryRow(db: string, sql: string): Promise<Record<string, unknown>> {
  const [row] = await queryDb(db, sql);
  assert.ok(row, `no row from: ${sql}`);
  return row;
}

/** Reads the ledger of a warehouse file: what the checkpoint counted and what ODS holds. */
export async function ledger(db: string): Promise<Ledger> {
  const row = await queryRow(
    db,
    `SELECT records_in, accepted, dead_lettered,
            (SELECT count(*) FROM ods_ad_event) + (SELECT count(*) FROM ods_dim_change) AS ods_rows,
            (SELECT count(*) FROM ods_dead_letter) AS dead_letter_rows
       FROM adw_checkpoint`,
  );
  return {
    recordsIn: Number(row.records_in),
    accepted: Number(row.accepted),
    deadLettered: Number(row.dead_lettered),
    odsRows: Number(row.ods_rows),
    deadLetterRows: Number(row.dead_letter_rows),
  };
}

/** Cells where the engine's DWA and the offline recomputation from ODS differ (both directions). */
export async function dwaDifferences(
  db: string,
  attributionWindowMs = defaultEngineConfig.attributionWindowMs,
): Promise<Record<string, unknown>[]> {
  const engine = foldedDwaSql();
  const offline = offlineDwaSql(attributionWindowMs);
  return queryDb(
    db,
    `(SELECT 'engine only' AS side, * FROM ((${engine}) EXCEPT ALL (${offline}))) UNION ALL (SELECT 'offline only', * FROM ((${offline}) EXCEPT ALL (${engine})))`,
  );
}

/** Every DWD row, in a stable order, as text: for comparing two warehouses built from the same input. */
export async function dwdSnapshot(db: string): Promise<string[]> {
  const rows = await queryDb(db, 'SELECT * FROM dwd_ad_event ORDER BY event_type, event_id');
  return rows.map((r) => JSON.stringify(r));
}

/**
 * Each DWA cell's merged user sketch, for cells with users: compaction drops a cell whose deltas cancel out, which
 * batching may leave uncompacted.
 */
export const dwaSketchesSql = `SELECT * FROM (SELECT minute, * EXCLUDE (minute, requests, fills, exposures, viewable_exposures, clicks, spend_nanos, user_sketch), ${sketchUnionSql('user_sketch')} AS u FROM dwa_ad_minute GROUP BY ALL) WHERE len(u) > 0 ORDER BY ALL`;

/** The folded DWA and APP tables, user sketches merged, for comparing two warehouses. */
export async function aggregateSnapshot(db: string): Promise<string[]> {
  const parts = [`${foldedDwaSql()} ORDER BY ALL`, dwaSketchesSql];
  // APP's users as readers take them: some periods' from DWA (see appSketchMarkTable).
  for (const ds of appDatasets) {
    const t = ds.table.name;
    parts.push(
      `SELECT '${t}' AS t, period, * EXCLUDE (period) FROM (SELECT * EXCLUDE (requests, fills, exposures, viewable_exposures, clicks, spend_nanos, user_sketch), ${sketchUnionSql('user_sketch')} AS u, sum(requests)::BIGINT r, sum(fills)::BIGINT f, sum(exposures)::BIGINT e, sum(viewable_exposures)::BIGINT v, sum(clicks)::BIGINT c, sum(spend_nanos)::BIGINT s FROM ${appRowsWithUsersSql(ds)} GROUP BY ALL HAVING r <> 0 OR f <> 0 OR e <> 0 OR v <> 0 OR c <> 0 OR s <> 0) ORDER BY ALL`,
    );
  }
  const out: string[] = [];
  // One push per row: spreading a large result into push() overflows the call stack.
  for (const sql of parts) for (const r of await queryDb(db, sql)) out.push(JSON.stringify(r));
  return out;
}

/**
 * Fails unless two row lists hold the same rows (as multisets), naming a few rows only one side has: deepEqual's
 * diff of two large lists can take gigabytes.
 */
export function assertSameRows(actual: readonly object[], expected: readonly object[], what: string): void {
  const count = (rows: readonly object[]) => {
    const m = new Map<string, number>();
    for (const r of rows) {
      const k = JSON.stringify(r);
      m.set(k, (m.get(k) ?? 0) + 1);
    }
    return m;
  };
  const a = count(actual);
  const e = count(expected);
  const onlyIn = (x: Map<string, number>, y: Map<string, number>) =>
    [...x].filter(([k, n]) => (y.get(k) ?? 0) < n).map(([k]) => k);
  const extra = onlyIn(a, e);
  const missing = onlyIn(e, a);
  assert.ok(
    extra.length === 0 && missing.length === 0 && actual.length === expected.length,
    `${what}: ${actual.length} rows against ${expected.length}; ${extra.length} only in the actual rows, e.g.\n${extra.slice(0, 3).join('\n')}\n${missing.length} only in the expected rows, e.g.\n${missing.slice(0, 3).join('\n')}`,
  );
}
