import { type Command, Option } from '@commander-js/extra-typings';
import { runPipelineBench } from '../../bench/pipeline-bench.ts';
import { DEMO_ROWS_PER_MINUTE, MAX_ROWS_PER_MINUTE } from '../../bench/dense-cube.ts';
import { runQueryBench } from '../../bench/query-bench.ts';
import { runServeBench } from '../../bench/serve-bench.ts';
import type { EngineConfig } from '../../engine/config.ts';
import { errors } from '../../errors.ts';
import { parseCount, parseDuration, parseInterval, parseMemorySize } from '../parse.ts';
import {
  ATTRIBUTION_WINDOW_OPTION,
  CHECKPOINT_INTERVAL_OPTION,
  JOIN_WINDOW_OPTION,
  STATE_MEMORY_OPTION,
  STATE_OPTION,
  stateMemoryFrom,
  WAREHOUSE_MEMORY_OPTION,
} from './run.ts';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('benchmark the whole pipeline on a deterministic workload; prints throughput, freshness and memory')
    .option('--events <n>', 'event lines in the workload', '5000000')
    .option('--seed <n>', 'workload seed', '1')
    .option(...CHECKPOINT_INTERVAL_OPTION)
    .option(...JOIN_WINDOW_OPTION)
    .option(...ATTRIBUTION_WINDOW_OPTION)
    .addOption(STATE_OPTION)
    .option(...STATE_MEMORY_OPTION)
    .option(...WAREHOUSE_MEMORY_OPTION)
    .option(
      '--source <kind>',
      'file (on tmpfs) or kafka (pre-loaded into a broker the bench starts, or --kafka)',
      'file',
    )
    .option('--kafka <brokers>', 'with --source kafka: use this broker instead of starting one')
    .addOption(
      new Option(
        '--engine <name>',
        'embedded, or flink: the same workload on a Kafka broker and Flink cluster it starts',
      )
        .choices(['embedded', 'flink'] as const)
        .default('embedded' as const),
    )
    .option('--flink-parallelism <n>', 'with --engine flink: parallelism of the job', '2')
    .option(
      '--query',
      'benchmark dashboard queries instead: DWA at --rows-per-minute over --days days, drawn as the simulator draws traffic',
    )
    .option(
      '--rows-per-minute <n>',
      "with --query: DWA rows (minute cells) a minute (default: the demo's traffic)",
      String(DEMO_ROWS_PER_MINUTE),
    )
    // Three days at the demo's density are 184 million DWA rows: about the 155 million of 90 days at 1,200 a minute.
    .option('--days <n>', 'with --query: days of data', '3')
    .option('--iterations <n>', 'with --query: runs of each query', '30')
    .option(
      '--serve',
      'benchmark serving instead: the engine ingesting live simulated traffic, without and with --clients dashboards',
    )
    .option('--clients <n>', 'with --serve: dashboards refreshing once a second', '50')
    .option('--rate <n>', 'with --serve: simulated events per second', '20000')
    .option(
      '--seconds <n>',
      'with --serve: seconds with the dashboards, and as many without them (half before, half after)',
      '30',
    )
    .option('--api-readers <n>', 'with --serve: warehouse connections the API reads through', '4')
    .option('--json', 'print one JSON object')
    .action(async (opts) => {
      if (opts.serve) {
        const rate = parseCount(opts.rate, '--rate', 1);
        const s = await runServeBench({
          clients: parseCount(opts.clients, '--clients', 1),
          rate,
          seconds: parseCount(opts.seconds, '--seconds', 1),
          seed: parseCount(opts.seed, '--seed'),
          apiReaders: parseCount(opts.apiReaders, '--api-readers', 1),
          log: (line) => process.stderr.write(`${line}\n`),
        });
        printFigures(s, Boolean(opts.json));
        return;
      }
      if (opts.query) {
        const rowsPerMinute = parseCount(opts.rowsPerMinute, '--rows-per-minute');
        if (rowsPerMinute < 1 || rowsPerMinute > MAX_ROWS_PER_MINUTE)
          throw errors.badOption('--rows-per-minute', `must be from 1 to ${MAX_ROWS_PER_MINUTE}`);
        const q = await runQueryBench({
          rowsPerMinute,
          seed: parseCount(opts.seed, '--seed'),
          days: parseCount(opts.days, '--days'),
          iterations: parseCount(opts.iterations, '--iterations', 1),
          log: (line) => process.stderr.write(`${line}\n`),
        });
        process.stdout.write(`${opts.json ? JSON.stringify(q) : JSON.stringify(q, null, 2)}\n`);
        return;
      }
      if (opts.engine === 'flink') {
        if (opts.source !== 'file')
          throw errors.badOption('--source', 'the flink bench reads its workload from a file');
        // Loaded on use: every adw command starts faster without the scale-out engine's modules.
        const { runFlinkBench } = await import('../../bench/flink-bench.ts');
        const f = await runFlinkBench({
          events: parseCount(opts.events, '--events'),
          seed: parseCount(opts.seed, '--seed'),
          parallelism: parseCount(opts.flinkParallelism, '--flink-parallelism', 1),
          config: windowsAndCheckpoints(opts),
          log: (line) => process.stderr.write(`${line}\n`),
        });
        printFigures(f, Boolean(opts.json));
        return;
      }
      if (opts.source !== 'file' && opts.source !== 'kafka')
        throw errors.badOption('--source', `"${opts.source}" is not file or kafka`);
      const result = await runPipelineBench({
        source: opts.source,
        ...(opts.kafka ? { kafkaBrokers: opts.kafka } : {}),
        events: parseCount(opts.events, '--events'),
        seed: parseCount(opts.seed, '--seed'),
        config: windowsAndCheckpoints(opts),
        warehouseMemory: parseMemorySize(opts.warehouseMemory, '--warehouse-memory'),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      printFigures(result, Boolean(opts.json));
    });
}

/** A bench's figures: one JSON object, or one figure a line. */
function printFigures(result: object, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else
    for (const [k, v] of Object.entries(result))
      process.stdout.write(`${k.padEnd(18)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
}

/** The engine settings the pipeline benches take: the two windows, the state budget and the checkpoint interval. */
function windowsAndCheckpoints(opts: {
  joinWindow: string;
  attributionWindow: string;
  checkpointInterval: string;
  state: 'disk' | 'memory';
  stateMemory: string;
}): Partial<EngineConfig> {
  return {
    stateMemoryBytes: stateMemoryFrom(opts),
    joinWindowMs: parseDuration(opts.joinWindow, '--join-window'),
    attributionWindowMs: parseDuration(opts.attributionWindow, '--attribution-window'),
    checkpointIntervalMs: parseInterval(opts.checkpointInterval, '--checkpoint-interval'),
  };
}
