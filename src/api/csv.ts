import { stringify } from 'csv-stringify/sync';
import type { FastifyReply } from 'fastify';
import { errors } from '../errors.ts';

/** An answer that can also be sent as a table: its columns in order and its rows. */
export interface TabularResult {
  columns: readonly string[];
  rows: readonly object[];
}

const formats = ['json', 'csv'];

/**
 * The result as JSON, or as an RFC 4180 CSV attachment (header line, columns in order) when the query says
 * `format=csv`.
 * Text that a spreadsheet would run as a formula (=, +, -, @ first: names come from the binlog) is quoted with a '.
 */
export function answer<T extends TabularResult>(
  reply: FastifyReply,
  query: unknown,
  filename: string,
  result: T,
): T | FastifyReply {
  const format = (query as Record<string, unknown> | undefined)?.format ?? 'json';
  if (typeof format !== 'string' || !formats.includes(format))
    throw errors.badQuery(`format must be ${formats.join(' or ')}`);
  if (format === 'json') return result;
  const body = stringify(
    result.rows.map((r) => result.columns.map((c) => (r as Record<string, unknown>)[c] ?? '')),
    { header: true, columns: [...result.columns], record_delimiter: 'windows', escape_formulas: true },
  );
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}.csv"`)
    .send(body);
}
