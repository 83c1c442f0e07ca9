import { Option, type Command } from '@commander-js/extra-typings';
import { defaultDimensionDatabase } from '../../connectors/mysql-binlog/options.ts';
import { adPipeline } from '../../engine/pipeline.ts';
import { compileFlinkJob, type FlinkSink, jobScript } from '../../flink/compile.ts';
import {
  defaultLabelPrefix,
  defaultResultsPrefix,
  defaultStreamTopic,
  flinkGroupId,
  labelPrefix,
  mysqlDimensions,
} from '../../flink/options.ts';
import { starRocksDatabase } from '../../warehouse/starrocks/ddl.ts';
import { ATTRIBUTION_WINDOW_OPTION, engineConfigFrom } from './run.ts';

export function registerFlink(program: Command): void {
  const flink = program.command('flink').description('the scale-out engine: the pipeline as an Apache Flink job');
  flink
    .command('sql')
    .description('print the Flink SQL job compiled from the pipeline definition: tables, views, one statement set')
    .option('--kafka <brokers>', 'the Kafka cluster of the stream topic and the result topics', '127.0.0.1:9092')
    .option('--stream-topic <name>', 'the topic of validated records the job reads', defaultStreamTopic)
    .option('--until-end', 'read the stream topic up to its end offsets at start, then finish')
    .option('--dims-mysql <url>', 'look dimension rows up in this MySQL/MariaDB database (mysql://user:pass@host:port)')
    .option('--dims-database <name>', 'with --dims-mysql: the database', defaultDimensionDatabase)
    .addOption(
      new Option(
        '--sink <kind>',
        'where DWD and DWA go: changelog topics, StarRocks primary-key tables, or Flink print or blackhole sinks',
      )
        .choices(['kafka', 'starrocks', 'print', 'blackhole'] as const)
        .default('kafka' as const),
    )
    .option(
      '--results-prefix <prefix>',
      'with --sink kafka: the result topics are PREFIX.<table>',
      defaultResultsPrefix,
    )
    .option('--starrocks-jdbc <url>', "with --sink starrocks: the FE's MySQL port", 'jdbc:mysql://127.0.0.1:9030')
    .option('--starrocks-load <urls>', "with --sink starrocks: the FE's HTTP port for Stream Load", '127.0.0.1:8030')
    .option('--starrocks-db <name>', 'with --sink starrocks: the database (see adw starrocks ddl)', 'adw')
    .option('--starrocks-user <name>', 'with --sink starrocks: the user', 'root')
    .addOption(
      new Option('--starrocks-password <password>', 'with --sink starrocks: the password')
        .env('ADW_STARROCKS_PASSWORD')
        .default(''),
    )
    .option(
      '--starrocks-label-prefix <prefix>',
      'with --sink starrocks: starts every Stream Load label of the job',
      defaultLabelPrefix,
    )
    .option(...ATTRIBUTION_WINDOW_OPTION)
    .option('--allowed-lateness <duration>', 'lateness handled in state: with the window, how long state is kept', '5m')
    .action((opts) => {
      const sink: FlinkSink =
        opts.sink === 'kafka'
          ? {
              to: 'kafka',
              brokers: opts.kafka,
              topicPrefix: opts.resultsPrefix,
              transactionalIdPrefix: opts.resultsPrefix,
            }
          : opts.sink === 'starrocks'
            ? {
                to: 'starrocks',
                jdbcUrl: opts.starrocksJdbc,
                loadUrl: opts.starrocksLoad,
                database: starRocksDatabase(opts.starrocksDb, '--starrocks-db'),
                user: opts.starrocksUser,
                password: opts.starrocksPassword,
                labelPrefix: labelPrefix(opts.starrocksLabelPrefix, '--starrocks-label-prefix'),
              }
            : { to: opts.sink };
      const job = compileFlinkJob(adPipeline, {
        source: {
          brokers: opts.kafka,
          topic: opts.streamTopic,
          groupId: flinkGroupId,
          bounded: Boolean(opts.untilEnd),
        },
        dimensions: opts.dimsMysql ? mysqlDimensions(opts.dimsMysql, opts.dimsDatabase) : { from: 'stream' },
        sink,
        config: engineConfigFrom({
          ...opts,
          joinWindow: '',
          checkpointInterval: '',
          batchSize: '',
          state: 'memory',
          stateMemory: '',
        }),
      });
      process.stdout.write(jobScript(job));
    });
}
