import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { aggregateSnapshot, scratch } from '../support/pipeline.ts';

const tmp = scratch();
after(tmp.cleanup);

// The kill soak compares warehouses of a million events: their snapshots hold hundreds of thousands of rows.
test('aggregateSnapshot takes a warehouse with half a million APP rows', async () => {
  const db = join(tmp.dir, 'w.duckdb');
  const w = await DuckDbWarehouse.open(db);
  await w.query(`INSERT INTO app_slot_hourly (period, slot_id, requests, fills, exposures, viewable_exposures, clicks, spend_nanos)
                 SELECT TIMESTAMP '2026-01-01' + to_hours(i), 1, 1, 1, 1, 1, 1, 1 FROM range(500000) t(i)`);
  await w.close();
  const rows = await aggregateSnapshot(db);
  assert.equal(rows.length, 500_000);
  assert.equal(
    rows[0],
    '{"t":"app_slot_hourly","period":"2026-01-01T00:00:00.000Z","slot_id":1,"u":[],"r":1,"f":1,"e":1,"v":1,"c":1,"s":1}',
  );
});
