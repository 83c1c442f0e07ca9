import type { ColumnDef, TableDef } from '../../layers/table.ts';

/**
 * A column's DuckDB type: a closed set of values as an ENUM of them, in text order, so the enumeration sorts as the
 * text would.
 */
export function duckDbType(c: ColumnDef): string {
  return c.values ? `ENUM(${[...c.values].sort().map(sqlString).join(', ')})` : c.type;
}

/** DuckDB DDL for a declared table. */
export function createTableSql(t: TableDef): string {
  const cols = t.columns.map(
    (c) => `${c.name} ${duckDbType(c)}${c.uncompressed ? ' USING COMPRESSION uncompressed' : ''}`,
  );
  if (t.key) cols.push(`PRIMARY KEY (${t.key.join(', ')})`);
  return `CREATE TABLE IF NOT EXISTS ${t.name} (${cols.join(', ')})`;
}

/** A temporary view with a declared table's columns and no rows: the table as a file without it reads. */
export function createEmptyViewSql(t: TableDef): string {
  const cols = t.columns.map((c) => `NULL::${duckDbType(c)} AS ${c.name}`);
  return `CREATE TEMP VIEW ${t.name} AS SELECT ${cols.join(', ')} WHERE FALSE`;
}

/**
 * A view in front of a table of an older warehouse file that lacks some declared columns: the columns it has, and
 * NULL for the others, in declared order.
 */
export function createPaddedViewSql(t: TableDef, has: (column: string) => boolean): string {
  const cols = t.columns.map((c) => (has(c.name) ? c.name : `NULL::${duckDbType(c)} AS ${c.name}`));
  return `CREATE TEMP VIEW ${t.name} AS SELECT ${cols.join(', ')} FROM adw.main.${t.name}`;
}

/** A view that is the union of tables with the same columns. */
export function createUnionViewSql(name: string, tables: readonly TableDef[]): string {
  return `CREATE OR REPLACE VIEW ${name} AS ${tables.map((t) => `SELECT * FROM ${t.name}`).join(' UNION ALL ')}`;
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/** A SQL literal for a value (inlined so a whole checkpoint goes to DuckDB as one script). */
export function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TypeError(`not a finite number: ${v}`);
    return String(v);
  }
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return sqlString(String(v));
}
