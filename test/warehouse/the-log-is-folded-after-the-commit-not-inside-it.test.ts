import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DuckDBConnection } from '@duckdb/node-api';
import { FileSource } from '../../src/connectors/file/source.ts';
import { defaultEngineConfig, type EngineConfig } from '../../src/engine/config.ts';
import { Job } from '../../src/engine/job.ts';
import { adPipeline } from '../../src/engine/pipeline.ts';
import { AdwError } from '../../src/errors.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { aggregateSnapshot, dwdSnapshot, queryRow, runFile, scratch } from '../support/pipeline.ts';

const tmp = scratch();
after(tmp.cleanup);

// A checkpoint every batch: many commits, each adding to the log.
const busy: Partial<EngineConfig> = { batchSize: 500, checkpointIntervalMs: 0 };
// Small enough that the log passes it every few commits of this workload.
const FOLD_AT = 64 * 1024;

function walBytes(db: string): number {
  return existsSync(`${db}.wal`) ? statSync(`${db}.wal`).size : 0;
}

/** Runs the job over `input` into `db` (log folded at FOLD_AT), calling `committed` after each commit resolves. */
async function runWith(input: string, db: string, committed: () => void = () => undefined): Promise<void> {
  const warehouse = await DuckDbWarehouse.open(db, { foldLogBytes: FOLD_AT });
  const source = new FileSource({ path: input });
  const commit = warehouse.commit.bind(warehouse);
  warehouse.commit = async (writes) => {
    await commit(writes);
    committed();
  };
  try {
    await new Job(adPipeline, source, warehouse, { ...defaultEngineConfig, ...busy }).run({ untilEnd: true });
  } finally {
    await source.close();
    await warehouse.close();
  }
}

/** The workload named `name` (from `seed`), and the warehouse an uninterrupted run with DuckDB's defaults writes. */
async function workload(name: string, seed: number): Promise<{ input: string; plain: string }> {
  const input = join(tmp.dir, `${name}.ndjson`);
  await writeSimulation({ seed, events: 20_000, spanMs: 3 * 3_600_000 }, input);
  const plain = join(tmp.dir, `${name}-plain.duckdb`);
  await runFile(input, plain, busy);
  return { input, plain };
}

test('a commit that passes the log size answers before the log is folded, and the log is folded after it', async () => {
  const { input, plain } = await workload('answers', 21);
  const db = join(tmp.dir, 'w.duckdb');
  const sizes: number[] = [];
  await runWith(input, db, () => sizes.push(walBytes(db)));
  const over = sizes.filter((b) => b >= FOLD_AT).length;
  const folds = sizes.filter((b, i) => i > 0 && b < sizes[i - 1]!).length;
  // Folded inside the commit (DuckDB's own threshold), the log is below the size whenever a commit answers.
  assert.ok(over > 0, `commits answered with the log past ${FOLD_AT} bytes, not yet folded (${sizes.join(', ')})`);
  assert.ok(folds > 1, `the log was folded between commits (${folds} times: ${sizes.join(', ')})`);
  assert.ok(Math.max(...sizes) < 8 * FOLD_AT, `the log stays near the size (${Math.max(...sizes)} bytes at most)`);
  assert.equal(walBytes(db), 0, 'closing folded the rest');
  assert.deepEqual(await dwdSnapshot(db), await dwdSnapshot(plain), 'DWD as a run with the default fold');
  assert.deepEqual(await aggregateSnapshot(db), await aggregateSnapshot(plain), 'DWA and APP as well');
});

test('a fold DuckDB refuses while another connection reads is tried again after a later commit', async () => {
  const { input, plain } = await workload('refused', 23);
  const db = join(tmp.dir, 'w3.duckdb');
  const run = DuckDBConnection.prototype.run;
  const attempts: ('refused' | 'folded')[] = [];
  DuckDBConnection.prototype.run = function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
    if (sql.startsWith('CHECKPOINT') && attempts.length < 3) {
      attempts.push('refused');
      // As DuckDB answers while an engine look-up or an API query runs on another connection.
      return Promise.reject(
        new Error(
          'TransactionContext Error: Cannot CHECKPOINT: there are other write transactions active. Try using FORCE CHECKPOINT to wait until all active transactions are finished',
        ),
      );
    }
    if (sql.startsWith('CHECKPOINT')) attempts.push('folded');
    return (run as (sql: string, ...rest: unknown[]) => ReturnType<typeof run>).call(this, sql, ...rest);
  } as typeof run;
  const sizes: number[] = [];
  try {
    await runWith(input, db, () => sizes.push(walBytes(db)));
  } finally {
    DuckDBConnection.prototype.run = run;
  }
  assert.deepEqual(attempts.slice(0, 4), ['refused', 'refused', 'refused', 'folded'], 'tried again after each commit');
  const folds = sizes.filter((b, i) => i > 0 && b < sizes[i - 1]!).length;
  assert.ok(folds > 0, `and folded once allowed (${sizes.join(', ')})`);
  assert.deepEqual(await dwdSnapshot(db), await dwdSnapshot(plain), 'DWD as a run whose folds were never refused');
  assert.deepEqual(await aggregateSnapshot(db), await aggregateSnapshot(plain), 'DWA and APP as well');
});

test('a fold that fails stops the run at its next commit with a coded error; nothing committed is lost', async () => {
  const { input, plain } = await workload('fails', 22);
  const db = join(tmp.dir, 'w2.duckdb');
  const run = DuckDBConnection.prototype.run;
  let failed = 0;
  let commits = 0;
  DuckDBConnection.prototype.run = function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
    if (sql.startsWith('CHECKPOINT') && commits >= 5) {
      failed++;
      return Promise.reject(new Error('IO Error: No space left on device (injected)'));
    }
    return (run as (sql: string, ...rest: unknown[]) => ReturnType<typeof run>).call(this, sql, ...rest);
  } as typeof run;
  try {
    await assert.rejects(
      runWith(input, db, () => commits++),
      (e: unknown) =>
        e instanceof AdwError &&
        e.code === 'ADW_ERR_WAREHOUSE_WRITE' &&
        /folding the write-ahead log.*No space left on device \(injected\)/.test(e.message),
    );
  } finally {
    DuckDBConnection.prototype.run = run;
  }
  assert.equal(failed, 1, 'the run stopped at the commit after the failed fold');
  const stopped = Number((await queryRow(db, 'SELECT records_in FROM adw_checkpoint')).records_in);
  const lines = Number((await queryRow(plain, 'SELECT records_in FROM adw_checkpoint')).records_in);
  assert.ok(stopped > 0 && stopped < lines, `it stopped mid-run (${stopped} of ${lines})`);

  // The commits before the failed fold are all in the log, so the resumed run ends where an uninterrupted one does.
  await runWith(input, db);
  assert.deepEqual(await dwdSnapshot(db), await dwdSnapshot(plain), 'DWD as an uninterrupted run');
  assert.deepEqual(await aggregateSnapshot(db), await aggregateSnapshot(plain), 'DWA and APP as well');
});
