import { createConnection } from 'mysql2/promise';
import type { SimulatorDimensions } from '../../simulator/dimensions.ts';
import { createDimensionSchema, upsertDimensionRows } from './schema.ts';

/** Writes simulated dimension rows into the dimension database (schema created if missing). */
export async function loadDimensions(url: string, database: string, dims: SimulatorDimensions): Promise<number> {
  const c = await createConnection(url);
  try {
    await createDimensionSchema(c, database);
    await upsertDimensionRows(c, database, 'advertiser', dims.advertisers);
    await upsertDimensionRows(c, database, 'campaign', dims.campaigns);
    await upsertDimensionRows(c, database, 'ad', dims.ads);
    await upsertDimensionRows(c, database, 'slot', dims.slots);
    return dims.advertisers.length + dims.campaigns.length + dims.ads.length + dims.slots.length;
  } finally {
    await c.end();
  }
}
