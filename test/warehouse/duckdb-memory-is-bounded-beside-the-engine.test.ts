import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEFAULT_WRITER_MEMORY, DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { scratch } from '../support/pipeline.ts';

const tmp = scratch();
after(tmp.cleanup);

/** DuckDB's memory limit as the open warehouse reports it, in MiB. */
async function limitMiB(w: DuckDbWarehouse): Promise<number> {
  const [row] = await w.query("SELECT current_setting('memory_limit') AS m");
  const m = /^([\d.]+) (MiB|GiB)$/.exec(String(row?.m));
  assert.ok(m, `a size: ${row?.m}`);
  return Number(m[1]) * (m[2] === 'GiB' ? 1024 : 1);
}

test("a warehouse opened for writing bounds DuckDB's memory, by default and as asked", async () => {
  const db = join(tmp.dir, 'w.duckdb');
  const byDefault = await DuckDbWarehouse.open(db);
  try {
    assert.equal(await limitMiB(byDefault), Number.parseInt(DEFAULT_WRITER_MEMORY, 10));
  } finally {
    await byDefault.close();
  }
  const asked = await DuckDbWarehouse.open(db, { memoryLimit: '2048MiB' });
  try {
    assert.equal(await limitMiB(asked), 2048);
  } finally {
    await asked.close();
  }
});
