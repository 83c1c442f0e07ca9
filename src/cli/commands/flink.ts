import { Option, type Command } from '@commander-js/extra-typings';
import { defaultDimensionDatabase } from '../../connectors/mysql-binlog/options.ts';
import { adPipeline } from '../../engine/pipeline.ts';
import { compileFlinkJob, type FlinkSink, jobScript } from '../../flink/compile.ts';
import { defaultResultsPrefix, defaultStreamTopic, flinkGroupId, mysqlDimensions } from '../../flink/options.ts';
import { engineConfigFrom } from './run.ts';

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
      new Option('--sink <kind>', 'where DWD and DWA go: changelog topics, or Flink print or blackhole sinks')
        .choices(['kafka', 'print', 'blackhole'] as const)
        .default('kafka' as const),
    )
    .option(
      '--results-prefix <prefix>',
      'with --sink kafka: the result topics are PREFIX.<table>',
      defaultResultsPrefix,
    )
    .option('--join-window <duration>', 'how long after a request its exposures and clicks still join', '4h')
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
        config: engineConfigFrom({ ...opts, checkpointInterval: '', batchSize: '' }),
      });
      process.stdout.write(jobScript(job));
    });
}
