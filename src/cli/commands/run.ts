import { type Command, Option } from '@commander-js/extra-typings';
import { CompositeSource } from '../../connectors/composite/source.ts';
import { FileSource } from '../../connectors/file/source.ts';
import { defaultDimensionDatabase } from '../../connectors/mysql-binlog/options.ts';
import { MySqlBinlogSource } from '../../connectors/mysql-binlog/source.ts';
import { defaultKafkaTopic } from '../../connectors/kafka/options.ts';
import type { Source } from '../../connectors/source.ts';
import { BEHIND_TLS_OPTION, resolveToken, serveApi } from '../../api/serve.ts';
import { errors } from '../../errors.ts';
import { checkInputFile } from '../../paths.ts';
import { defaultEngineConfig, type EngineConfig } from '../../engine/config.ts';
import { Job } from '../../engine/job.ts';
import { adPipeline } from '../../engine/pipeline.ts';
import { startEngineMonitor } from '../../metrics/engine-monitor.ts';
import { startMetricsServer } from '../../metrics/server.ts';
import { DEFAULT_WRITER_MEMORY, DuckDbWarehouse } from '../../warehouse/duckdb/warehouse.ts';
import { interruptSignal } from '../interrupt.ts';
import { ODS_RETENTION_OPTION, parseOdsRetentionDays } from '../ods-retention.ts';
import { parseBytes, parseCount, parseDuration, parseInterval, parseMemorySize, parsePort } from '../parse.ts';
import { checkFlinkFlags, flinkRunDefaults, flinkRunner, runFlinkEngine } from './run-flink.ts';

/** `--join-window`: how long requests stay in the engine's memory (hot state). */
export const JOIN_WINDOW_OPTION = [
  '--join-window <duration>',
  "with --state memory, how long requests stay in the engine's memory: follow events within it join without a warehouse look-up",
  '4h',
] as const;

/** `--checkpoint-interval`: freshness against throughput, the engine's default. */
export const CHECKPOINT_INTERVAL_OPTION = [
  '--checkpoint-interval <duration>',
  'wall-clock time between checkpoints (freshness against throughput)',
  `${defaultEngineConfig.checkpointIntervalMs}ms`,
] as const;

/** `--warehouse-memory`: DuckDB's memory limit in a process that writes the warehouse. */
export const WAREHOUSE_MEMORY_OPTION = [
  '--warehouse-memory <size>',
  "DuckDB's memory limit beside the engine (its buffer pool; pages it drops are read again from the file)",
  DEFAULT_WRITER_MEMORY,
] as const;

/** `--state`: where the join's requests and the dedup's ids live beyond the memory budget. */
export const STATE_OPTION = new Option(
  '--state <where>',
  'keyed state: disk keeps at most --state-memory of it in memory and spills the rest of the window to disk (requests to a spill file beside the warehouse); memory holds the whole join window in memory',
)
  .choices(['disk', 'memory'] as const)
  .default('disk' as const);

/** `--state-memory`: the memory budget of keyed state with --state disk. */
export const STATE_MEMORY_OPTION = [
  '--state-memory <size>',
  'with --state disk: memory the keyed state may take (the newest part of the window)',
  `${(defaultEngineConfig.stateMemoryBytes ?? 0) / 1024 / 1024}MiB`,
] as const;

/** The state budget of `--state` and `--state-memory` (null: the whole window in memory). */
export function stateMemoryFrom(opts: { state: 'disk' | 'memory'; stateMemory: string }): number | null {
  return opts.state === 'memory' ? null : parseBytes(opts.stateMemory, '--state-memory', 1);
}

/** `--attribution-window`: the business rule of how long after its request a follow event is attributed to it. */
export const ATTRIBUTION_WINDOW_OPTION = [
  '--attribution-window <duration>',
  'how long after a request its exposures and clicks are attributed to it (older requests are found in the warehouse)',
  '24h',
] as const;

/** The engine config from the engine options of adw run (named as commander names them; each has a default). */
export function engineConfigFrom(opts: {
  joinWindow: string;
  attributionWindow: string;
  allowedLateness: string;
  checkpointInterval: string;
  batchSize: string;
  odsRetentionDays?: string;
  state: 'disk' | 'memory';
  stateMemory: string;
}): EngineConfig {
  const joinWindowMs = opts.joinWindow
    ? parseDuration(opts.joinWindow, '--join-window')
    : defaultEngineConfig.joinWindowMs;
  return {
    ...defaultEngineConfig,
    joinWindowMs,
    stateMemoryBytes: stateMemoryFrom(opts),
    ...(opts.attributionWindow
      ? { attributionWindowMs: parseDuration(opts.attributionWindow, '--attribution-window') }
      : {}),
    ...(opts.checkpointInterval
      ? { checkpointIntervalMs: parseInterval(opts.checkpointInterval, '--checkpoint-interval') }
      : {}),
    ...(opts.batchSize ? { batchSize: parseCount(opts.batchSize, '--batch-size', 1) } : {}),
    ...(opts.allowedLateness ? { allowedLatenessMs: parseDuration(opts.allowedLateness, '--allowed-lateness') } : {}),
    ...(opts.odsRetentionDays ? { odsRetentionDays: parseOdsRetentionDays(opts.odsRetentionDays, joinWindowMs) } : {}),
  };
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description(
      'process NDJSON records from a file, stdin or Kafka into the warehouse; resumes from the last checkpoint',
    )
    .option('--input <file>', 'input file, or - for stdin')
    .addOption(
      new Option('--engine <name>', 'embedded: this process; flink: a Flink cluster (see adw up --flink)')
        .choices(['embedded', 'flink'] as const)
        .default('embedded' as const),
    )
    .option('--flink <url>', 'with --engine flink: the SQL Gateway of the cluster', flinkRunDefaults.gateway)
    .option(
      '--flink-rest <url>',
      "with --engine flink: the JobManager's REST API (default: the gateway's host, port 8081)",
    )
    .option(
      '--flink-kafka <brokers>',
      'with --engine flink: Kafka for the stream and result topics (default: --kafka, or the local stack)',
    )
    .option('--flink-parallelism <n>', 'with --engine flink: parallelism of the job', '2')
    .option(
      '--kafka <brokers>',
      'read the events topic from Kafka instead (host:port[,...]), as consumer group adw-engine',
    )
    .option('--topic <name>', 'with --kafka: the events topic', defaultKafkaTopic)
    .option(
      '--dims-mysql <url>',
      'also follow the dimension tables of this MySQL/MariaDB database: snapshot, then binlog (mysql://user:pass@host:port)',
    )
    .option('--dims-database <name>', 'with --dims-mysql: the database', defaultDimensionDatabase)
    .requiredOption('--db <path>', 'warehouse database file (created if missing)')
    .option(
      '--until-end',
      'exit once all input is committed (for Kafka: once caught up with the end of the topic; otherwise keep following; stdin always ends at EOF)',
    )
    .option(...JOIN_WINDOW_OPTION)
    .option(...ATTRIBUTION_WINDOW_OPTION)
    .addOption(STATE_OPTION)
    .option(...STATE_MEMORY_OPTION)
    .option(...WAREHOUSE_MEMORY_OPTION)
    .option('--allowed-lateness <duration>', 'event-time lateness handled from state before warehouse look-ups', '5m')
    .option(...CHECKPOINT_INTERVAL_OPTION)
    .option('--batch-size <n>', 'records per batch', String(defaultEngineConfig.batchSize))
    .option(...ODS_RETENTION_OPTION)
    .option('--quiet', 'print only the final summary')
    .option(
      '--metrics-port <n>',
      'serve Prometheus metrics at http://HOST:PORT/metrics while running (0 picks a free port)',
    )
    .option('--metrics-host <address>', 'address for --metrics-port', '127.0.0.1')
    .option('--api-port <n>', 'also serve the query API and dashboard on this port (0 picks a free one); needs a token')
    .option('--api-host <address>', 'address for --api-port', '127.0.0.1')
    .option('--token <token>', 'with --api-port: the API token (default: $ADW_API_TOKEN)')
    .option(...BEHIND_TLS_OPTION)
    .option(
      '--reconcile-interval <duration>',
      'with --metrics-port or --api-port: how often to reconcile real-time DWA against ODS (0: never)',
      '5m',
    )
    .action(async (opts) => {
      const config = engineConfigFrom(opts);
      const memoryLimit = parseMemorySize(opts.warehouseMemory, '--warehouse-memory');
      const token = opts.apiPort === undefined ? undefined : resolveToken(opts.token, true, 'adw run --api-port');
      const metricsPort =
        opts.metricsPort === undefined ? undefined : parsePort(opts.metricsPort, '--metrics-port', true);
      const apiPort = opts.apiPort === undefined ? undefined : parsePort(opts.apiPort, '--api-port', true);
      const reconcileEveryMs = parseInterval(opts.reconcileInterval, '--reconcile-interval');
      if (Boolean(opts.input) === Boolean(opts.kafka))
        throw errors.badOption('--input', 'give exactly one of --input FILE and --kafka BROKERS');
      // A wrong input is reported before the warehouse file is created, so a failed first run leaves nothing behind.
      if (opts.input && opts.input !== '-') checkInputFile(opts.input);
      if (opts.engine === 'flink') checkFlinkFlags(opts);
      const interrupt = interruptSignal();
      const waiting = (what: string) => process.stderr.write(`waiting for ${what}\n`);
      // Without --kafka, --input is given: checked above.
      // The Kafka client takes a third of a second to load: only for a run that reads Kafka.
      const kafka = opts.kafka ? await import('../../connectors/kafka/source.ts') : null;
      const events: Source = kafka
        ? new kafka.KafkaSource({
            brokers: opts.kafka!,
            topic: opts.topic,
            untilCaughtUp: Boolean(opts.untilEnd),
            ...kafka.kafkaNotices((line) => process.stderr.write(`${line}\n`)),
            signal: interrupt.signal,
          })
        : new FileSource({ path: opts.input!, follow: !opts.untilEnd && opts.input !== '-' });
      const dims = opts.dimsMysql
        ? new MySqlBinlogSource({
            url: opts.dimsMysql,
            database: opts.dimsDatabase,
            signal: interrupt.signal,
            onWaitingForTables: (tables) =>
              waiting(`tables ${tables.join(', ')} (create them with adw simulate --dims-mysql URL)`),
          })
        : null;
      // Dimensions first: a change reaches the engine ahead of the events read after it.
      const source: Source = dims ? new CompositeSource([dims, events]) : events;
      const warehouse = await DuckDbWarehouse.open(opts.db, { memoryLimit });
      const monitor =
        metricsPort === undefined && apiPort === undefined ? null : startEngineMonitor(warehouse, reconcileEveryMs);
      const server =
        metricsPort !== undefined && monitor
          ? await startMetricsServer(monitor.registry, metricsPort, opts.metricsHost)
          : null;
      if (server) process.stderr.write(`metrics at http://${opts.metricsHost}:${server.port}/metrics\n`);
      let api: Awaited<ReturnType<typeof serveApi>> | null = null;
      try {
        const runner =
          opts.engine === 'flink'
            ? await flinkRunner(opts, { db: opts.db, source, warehouse, config, signal: interrupt.signal })
            : null;
        const job = runner?.ingest ?? new Job(adPipeline, source, warehouse, config);
        if (apiPort !== undefined) {
          api = await serveApi({
            store: warehouse,
            engine: { job, source },
            ...(monitor ? { metrics: monitor.registry } : {}),
            token,
            behindTls: Boolean(opts.behindTls),
            port: apiPort,
            host: opts.apiHost,
            portOption: '--api-port',
          });
          process.stderr.write(`API and dashboard at http://${opts.apiHost}:${api.port}/ (token required)\n`);
        }
        const observers = [...(monitor ? [monitor.engine] : []), ...(api?.health ? [api.health] : [])];
        // Standard input cannot grow once closed: its end is the end of the run.
        const untilEnd = Boolean(opts.untilEnd) || opts.input === '-';
        if (runner) {
          await runFlinkEngine(runner, { untilEnd, observers }, source.id);
          return;
        }
        const status = await job.run({
          observers,
          untilEnd,
          signal: interrupt.signal,
          onCommit: (s) => {
            if (!opts.quiet)
              process.stderr.write(
                `checkpoint ${s.epoch}: ${s.counters.recordsIn} records in, ${s.counters.deadLettered} dead-lettered, watermark ${s.watermark > 0 ? new Date(s.watermark).toISOString() : '-'}\n`,
              );
          },
        });
        process.stdout.write(
          `${JSON.stringify({ source: source.id, ...status.counters, position: status.position, epoch: status.epoch, max_event_time: status.maxEventMs ? new Date(status.maxEventMs).toISOString() : null })}\n`,
        );
      } finally {
        interrupt.release();
        await api?.close();
        await server?.app.close();
        await monitor?.stop();
        await source.close();
        await warehouse.close();
      }
    });
}
