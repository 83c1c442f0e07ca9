import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi, type ApiOptions } from '../../src/api/server.ts';
import type { SimulatorOptions } from '../../src/simulator/options.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { runFile, scratch } from './pipeline.ts';

/** The API (in-process, for `inject`) over a warehouse built from simulated traffic; `close` removes it all. */
export async function apiOverSimulation(simulation: Partial<SimulatorOptions>, options: Omit<ApiOptions, 'store'> = {}): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const tmp = scratch();
  const input = join(tmp.dir, 'in.ndjson');
  const db = join(tmp.dir, 'w.duckdb');
  await writeSimulation(simulation, input);
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
