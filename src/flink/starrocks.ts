import type { ColumnDef } from '../layers/table.ts';
import { type StarRocksTable, starRocksDwa, starRocksDwd } from '../warehouse/starrocks/tables.ts';
import { flinkTypes, q, str, withOptions } from './sql.ts';

/** A StarRocks cluster the job loads DWD and DWA into: the FE's MySQL port, its HTTP port for Stream Load. */
export interface StarRocksTarget {
  /** e.g. jdbc:mysql://127.0.0.1:9030 */
  jdbcUrl: string;
  /** e.g. 127.0.0.1:8030 (several separated by `;`) */
  loadUrl: string;
  database: string;
  user: string;
  password: string;
  /** Starts every Stream Load label of the job ([-_A-Za-z0-9]). */
  labelPrefix: string;
}

/** The StarRocks table each of the job's outputs lands in, by the output's name. */
const tables: Record<string, StarRocksTable> = { [starRocksDwd.name]: starRocksDwd, [starRocksDwa.name]: starRocksDwa };

/**
 * A DWA dimension as the job writes it to StarRocks, where a key column is never NULL: 0 or '' for the cells of
 * follow events without their request (see starRocksDwa). Grouping by it keeps the cell's key visible to the planner.
 */
export function notNullDimension(name: string): string {
  const c = starRocksDwa.columns.find((x) => x.name === name);
  return `COALESCE(${q(name)}, ${c?.type === 'VARCHAR' ? str('') : '0'})`;
}

/**
 * The Flink table of an output loaded into its StarRocks primary-key table, with the lessons of the reference
 * system: exactly-once by Transaction Stream Load with labels tied to checkpoints (on restore the sink aborts what
 * its labels left prepared), CSV rather than JSON (parsing JSON costs StarRocks far more, and big JSON batches are
 * refused), separators no value can hold, whole rows rather than partial updates. Upserts and deletes need the
 * same key on both sides, so the Flink table declares the StarRocks table's.
 */
export function starRocksSinkTableDdl(
  flinkName: string,
  output: { name: string; columns: readonly ColumnDef[] },
  target: StarRocksTarget,
): string {
  const t = tables[output.name];
  if (t === undefined) throw new TypeError(`no StarRocks table for ${output.name}`);
  const columns = output.columns.map((c) => `  ${q(c.name)} ${flinkTypes[c.type]}`);
  return `CREATE TABLE ${q(flinkName)} (
${columns.join(',\n')},
  PRIMARY KEY (${t.key.map(q).join(', ')}) NOT ENFORCED
) ${withOptions({
    connector: 'starrocks',
    'jdbc-url': target.jdbcUrl,
    'load-url': target.loadUrl,
    'database-name': target.database,
    'table-name': t.name,
    username: target.user,
    password: target.password,
    // Transaction Stream Load (StarRocks 2.4+), which exactly-once needs: named, so the sink does not ask the FE.
    'sink.version': 'V2',
    'sink.semantic': 'exactly-once',
    'sink.label-prefix': target.labelPrefix,
    'sink.exactly-once.enable-label-gen': 'true',
    'sink.exactly-once.enable-abort-lingering-txn': 'true',
    'sink.properties.format': 'csv',
    // Written as the connector parses them (a backslash, x, two hex digits). Validation refuses control characters
    // in every string an event carries, so no value can split a row.
    'sink.properties.column_separator': '\\x01',
    'sink.properties.row_delimiter': '\\x02',
    'sink.properties.partial_update': 'false',
  })}`;
}
