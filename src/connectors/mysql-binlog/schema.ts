import type { Connection } from 'mysql2/promise';
import { dimensionKeys, dimensionTables, type DimensionRows, type DimensionTable } from '../../events/schema.ts';

/** The dimension tables in the ad platform's database, as ADW reads them (one per ADW dimension table). */
export const dimensionDdl: Record<DimensionTable, string> = {
  advertiser: 'advertiser_id INT PRIMARY KEY, name VARCHAR(200) NOT NULL',
  campaign:
    'campaign_id INT PRIMARY KEY, advertiser_id INT NOT NULL, name VARCHAR(200) NOT NULL, billing VARCHAR(3) NOT NULL, price DECIMAL(12,6) NOT NULL, budget DECIMAL(14,2) NOT NULL',
  ad: 'ad_id INT PRIMARY KEY, campaign_id INT NOT NULL, name VARCHAR(200) NOT NULL',
  slot: 'slot_id INT PRIMARY KEY, name VARCHAR(200) NOT NULL, site VARCHAR(200) NOT NULL',
};

/** Creates the database and its dimension tables unless they exist. */
export async function createDimensionSchema(c: Connection, database: string): Promise<void> {
  await c.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``);
  for (const t of dimensionTables)
    await c.query(`CREATE TABLE IF NOT EXISTS \`${database}\`.\`${t}\` (${dimensionDdl[t]})`);
}

/** Upserts rows into one dimension table. */
export async function upsertDimensionRows<T extends DimensionTable>(
  c: Connection,
  database: string,
  table: T,
  rows: DimensionRows[T][],
): Promise<void> {
  const [first] = rows;
  if (first === undefined) return;
  const cols = Object.keys(first);
  const updates = cols
    .filter((k) => k !== dimensionKeys[table])
    .map((k) => `\`${k}\` = VALUES(\`${k}\`)`)
    .join(', ');
  await c.query(
    `INSERT INTO \`${database}\`.\`${table}\` (${cols.map((k) => `\`${k}\``).join(', ')}) VALUES ? ON DUPLICATE KEY UPDATE ${updates}`,
    [rows.map((r) => cols.map((k) => (r as unknown as Record<string, unknown>)[k]))],
  );
}

/** A row as read from MariaDB, typed as the wire format's dimension row (DECIMAL arrives as text). */
export function wireRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row))
    out[k] = typeof v === 'string' && (k === 'price' || k === 'budget') ? Number(v) : v;
  return out;
}
