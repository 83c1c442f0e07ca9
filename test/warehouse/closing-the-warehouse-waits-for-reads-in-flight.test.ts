import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { scratch } from '../support/pipeline.ts';

// Closing a DuckDB connection under a running statement leaves DuckDB's thread waiting on that statement's own lock:
// the process then never exits (seen when the API's reads were still running as `adw run` stopped).
test('closing the warehouse waits for reads in flight, and refuses reads after', { timeout: 60_000 }, async () => {
  const tmp = scratch();
  try {
    const warehouse = await DuckDbWarehouse.open(join(tmp.dir, 'w.duckdb'));
    const slow = 'SELECT count(*) AS n FROM range(280000000) t(i) WHERE i % 7 = 3';
    const reads = [warehouse.query(slow), warehouse.query(slow), warehouse.query(slow)];
    // Let them start on DuckDB's threads.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = warehouse.close();
    await assert.rejects(warehouse.query('SELECT 1'), { code: 'ADW_ERR_WAREHOUSE_CLOSED' });
    for (const r of await Promise.all(reads)) assert.equal(Number(r[0]?.n), 40_000_000);
    await closed;
  } finally {
    tmp.cleanup();
  }
});
