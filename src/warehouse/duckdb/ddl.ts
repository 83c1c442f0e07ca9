import type { TableDef } from '../../layers/table.ts';

/** DuckDB DDL for a declared table. */
export function createTableSql(t: TableDef): string {
  const cols = t.columns.map((c) => `${c.name} ${c.type}`);
  if (t.key) cols.push(`PRIMARY KEY (${t.key.join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${t.name} (${cols.join(', ')})`;
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
