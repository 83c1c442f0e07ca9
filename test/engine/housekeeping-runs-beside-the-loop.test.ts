import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileSource } from '../../src/connectors/file/source.ts';
import { defaultEngineConfig, type EngineConfig } from '../../src/engine/config.ts';
import { Job } from '../../src/engine/job.ts';
import { adPipeline } from '../../src/engine/pipeline.ts';
import { AdwError, errors } from '../../src/errors.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { aggregateSnapshot, runFile, scratch } from '../support/pipeline.ts';

const tmp = scratch();
after(tmp.cleanup);

// Every batch a checkpoint, housekeeping as often as it may start: many commits while a housekeeping runs.
const busy: Partial<EngineConfig> = { batchSize: 500, checkpointIntervalMs: 0, maintenanceIntervalMs: 0 };

/** Runs the job over `input` into `db` with `wrap` applied to the warehouse first. */
async function runWith(input: string, db: string, wrap: (w: DuckDbWarehouse) => void): Promise<void> {
  const warehouse = await DuckDbWarehouse.open(db);
  const source = new FileSource({ path: input });
  try {
    wrap(warehouse);
    await new Job(adPipeline, source, warehouse, { ...defaultEngineConfig, ...busy }).run({ untilEnd: true });
  } finally {
    await source.close();
    await warehouse.close();
  }
}

test('checkpoints commit while housekeeping runs, and the answers are those of a run without housekeeping', async () => {
  const input = join(tmp.dir, 'in.ndjson');
  await writeSimulation({ seed: 12, events: 20_000, spanMs: 3 * 3_600_000 }, input);
  const plain = join(tmp.dir, 'plain.duckdb');
  await runFile(input, plain, { ...busy, maintenanceIntervalMs: Number.MAX_SAFE_INTEGER });

  const db = join(tmp.dir, 'w.duckdb');
  let running = 0;
  let runs = 0;
  let commitsDuring = 0;
  await runWith(input, db, (w) => {
    const maintain = w.maintain.bind(w);
    const commit = w.commit.bind(w);
    w.maintain = async (settled, days) => {
      running++;
      runs++;
      try {
        await maintain(settled, days);
      } finally {
        running--;
      }
    };
    w.commit = async (writes) => {
      await commit(writes);
      if (running > 0) commitsDuring++;
    };
  });
  assert.ok(runs > 1, `housekeeping ran (${runs} times)`);
  assert.ok(commitsDuring > 0, 'checkpoints committed while a housekeeping was running');
  assert.equal(running, 0, 'no housekeeping left running once the job returned');
  assert.deepEqual(await aggregateSnapshot(db), await aggregateSnapshot(plain), 'every DWA and APP cell the same');
});

test('a housekeeping that fails stops the run with its coded error', async () => {
  const input = join(tmp.dir, 'in2.ndjson');
  await writeSimulation({ seed: 13, events: 5_000 }, input);
  await assert.rejects(
    runWith(input, join(tmp.dir, 'w2.duckdb'), (w) => {
      w.maintain = async () => {
        throw errors.warehouseWrite('disk full (injected)');
      };
    }),
    (e: unknown) => e instanceof AdwError && e.code === 'ADW_ERR_WAREHOUSE_WRITE' && /disk full/.test(e.message),
  );
});
