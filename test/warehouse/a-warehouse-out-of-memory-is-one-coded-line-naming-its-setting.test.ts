import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { AdwError, errors } from '../../src/errors.ts';
import { writeFailure } from '../../src/warehouse/duckdb/failures.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { scratch } from '../support/pipeline.ts';

const tmp = scratch('adw-wh-oom-');
after(tmp.cleanup);

/** A statement that needs far more than 64 MB: a list of 40 million integers (320 MB) is built whole in memory. */
const HUNGRY = 'SELECT list(i) AS l FROM range(40000000) t(i)';

/** What DuckDB itself throws when a statement needs more than its memory limit. */
async function duckDbOutOfMemory(): Promise<Error> {
  const instance = await DuckDBInstance.create(':memory:', { memory_limit: '64MB', threads: '1' });
  const conn = await instance.connect();
  try {
    await conn.run(HUNGRY);
  } catch (e) {
    return e as Error;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
  throw new Error('DuckDB built a 320 MB list within 64 MB');
}

test("DuckDB's out-of-memory refusal becomes one coded line that names --warehouse-memory, not DuckDB's advice", async () => {
  const oom = await duckDbOutOfMemory();
  assert.match(oom.message, /^Out of Memory Error/);
  assert.match(oom.message, /SET threads/, "DuckDB's own advice, about settings ADW makes");
  for (const [e, doing] of [
    [writeFailure(oom), ''],
    [writeFailure(oom, 'merging ODS segments into x.csv.zst'), 'merging ODS segments into x.csv.zst: '],
  ] as const) {
    assert.equal(e.code, 'ADW_ERR_WAREHOUSE_MEMORY');
    assert.equal(e.retryable, true);
    assert.doesNotMatch(e.message, /\n/, 'one line');
    assert.doesNotMatch(e.message, /SET threads|preserve_insertion_order/);
    assert.match(e.message, /raise --warehouse-memory; a run stopped by this resumes from its last checkpoint/);
    assert.ok(e.message.includes(`(${doing}failed to allocate`), e.message);
  }
});

test('any other failure stays a warehouse write failure, after what was being done; coded errors pass unchanged', () => {
  const io = new Error('IO Error: Could not write file "x": No space left on device');
  const e = writeFailure(io, 'merging ODS segments into x.csv.zst');
  assert.equal(e.code, 'ADW_ERR_WAREHOUSE_WRITE');
  assert.equal(e.message, `warehouse write failed: merging ODS segments into x.csv.zst: ${io.message}`);
  assert.equal(writeFailure(io).message, `warehouse write failed: ${io.message}`);
  const coded = errors.checkpointFailed('x');
  assert.equal(writeFailure(coded), coded);
  assert.ok(writeFailure('not an error') instanceof AdwError);
});

test("a warehouse read that needs more than the warehouse's memory fails with the same coded error", async () => {
  const wh = await DuckDbWarehouse.open(join(tmp.dir, 'small.duckdb'), { memoryLimit: '64MB' });
  try {
    await assert.rejects(wh.query(HUNGRY), (e: AdwError) => {
      assert.equal(e.code, 'ADW_ERR_WAREHOUSE_MEMORY');
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    // Other failures of a read are what they were.
    await assert.rejects(wh.query('SELECT * FROM no_such_table'), (e: Error) => !(e instanceof AdwError));
  } finally {
    await wh.close();
  }
});
