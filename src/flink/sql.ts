import type { ColumnType } from '../layers/table.ts';

/** Flink SQL's type for each warehouse column type. */
export const flinkTypes: Record<ColumnType, string> = {
  BIGINT: 'BIGINT',
  INTEGER: 'INT',
  VARCHAR: 'STRING',
  BOOLEAN: 'BOOLEAN',
  TIMESTAMP: 'TIMESTAMP(3)',
  DATE: 'DATE',
  DOUBLE: 'DOUBLE',
  'INTEGER[]': 'ARRAY<INT>',
};

/** A quoted identifier: Flink reserves words such as `minute`, `key` and `row`. */
export const q = (name: string) => `\`${name.replaceAll('`', '``')}\``;

/** A quoted string literal. */
export const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** A table's connector options, as the WITH clause of its CREATE TABLE. */
export const withOptions = (o: Record<string, string>) =>
  `WITH (\n${Object.entries(o)
    .map(([k, v]) => `  ${literal(k)} = ${literal(v)}`)
    .join(',\n')}\n)`;

/** A string constant typed STRING: a bare literal is a CHAR(n), which unions and CASEs pad with spaces. */
export const str = (s: string) => `CAST(${literal(s)} AS STRING)`;
