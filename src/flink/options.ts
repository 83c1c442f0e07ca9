import { mysqlConnection } from '../connectors/mysql-binlog/options.ts';
import { errors } from '../errors.ts';
import type { FlinkDimensions } from './compile.ts';

/** The topic the ingest forwards validated records to, and the prefix of the topics the Flink job writes. */
export const defaultStreamTopic = 'adw.stream';
export const defaultResultsPrefix = 'adw.flink';
/** Flink's consumer group on the stream topic. */
export const flinkGroupId = 'adw-flink';
/** What starts the Stream Load labels of the job's StarRocks sinks. */
export const defaultLabelPrefix = 'adw-flink';

/** A Stream Load label prefix the StarRocks connector accepts, refused otherwise. */
export function labelPrefix(prefix: string, option: string): string {
  if (!/^[-_A-Za-z0-9]{1,64}$/.test(prefix))
    throw errors.badOption(option, 'a label prefix is 1 to 64 of the characters [-_A-Za-z0-9]');
  return prefix;
}

/**
 * Look-ups in a MySQL/MariaDB database through Flink's JDBC connector: it has no factory for `jdbc:mariadb:` URLs,
 * so the MariaDB driver is asked for a `jdbc:mysql:` URL it accepts with `permitMysqlScheme`.
 */
export function mysqlDimensions(url: string, database: string): FlinkDimensions {
  const c = mysqlConnection(url);
  return {
    from: 'mysql',
    jdbcUrl: `jdbc:mysql://${c.host}:${c.port}/${database}?permitMysqlScheme`,
    user: c.user,
    password: c.password,
  };
}
