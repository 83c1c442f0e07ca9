import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiOptions } from '../../src/api/server.ts';
import type { SimulatorOptions } from '../../src/simulator/options.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { runFile, scratch, writeLines } from './pipeline.ts';

/** An API served in-process (for `inject`) and how to remove it with its warehouse. */
export interface TestApi {
  app: FastifyInstance;
  close: () => Promise<void>;
}

/** The API over a warehouse built by the engine from the input `write` puts at the path it is given. */
async function apiOver(
  write: (input: string) => Promise<unknown>,
  options: Omit<ApiOptions, 'store'>,
): Promise<TestApi> {
  const tmp = scratch();
  const input = join(tmp.dir, 'in.ndjson');
  const db = join(tmp.dir, 'w.duckdb');
  await write(input);
  await runFile(input, db);
  const warehouse = await DuckDbWarehouse.open(db, { readOnly: true });
  const app = await buildApi({ store: warehouse, ...options });
  return {
    app,
    close: async () => {
      await app.close();
      await warehouse.close();
      tmp.cleanup();
    },
  };
}

/** The API over a warehouse built from simulated traffic. */
export function apiOverSimulation(
  simulation: Partial<SimulatorOptions>,
  options: Omit<ApiOptions, 'store'> = {},
): Promise<TestApi> {
  return apiOver((input) => writeSimulation(simulation, input), options);
}

/** The API over a warehouse built from the given input records (objects or raw lines). */
export function apiOverRecords(
  records: (object | string)[],
  options: Omit<ApiOptions, 'store'> = {},
): Promise<TestApi> {
  return apiOver(async (input) => writeLines(input, records), options);
}
