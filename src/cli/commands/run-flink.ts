import { resolve } from 'node:path';
import type { Source } from '../../connectors/source.ts';
import type { EngineConfig } from '../../engine/config.ts';
import { adPipeline } from '../../engine/pipeline.ts';
import { errors } from '../../errors.ts';
import type { FlinkDimensions } from '../../flink/compile.ts';
import type { FlinkRunMode, FlinkRunner } from '../../flink/run.ts';
import { mysqlDimensions } from '../../flink/options.ts';
import { defaultStackPorts } from '../../stack/ports.ts';
import type { Warehouse } from '../../warehouse/warehouse.ts';
import { parseCount } from '../parse.ts';

/** The options of `adw run` that choose and reach the scale-out engine. */
export interface FlinkRunFlags {
  flink: string;
  flinkRest?: string;
  flinkKafka?: string;
  flinkParallelism: string;
  kafka?: string;
  dimsMysql?: string;
  dimsDatabase: string;
}

/** Options for the scale-out engine's flags: defaults are the local stack's (adw up --flink). */
export const flinkRunDefaults = {
  gateway: `http://127.0.0.1:${defaultStackPorts.flinkGateway}`,
  kafka: `127.0.0.1:${defaultStackPorts.kafka}`,
} as const;

/**
 * The runner of `adw run --engine flink`: the pipeline on a Flink cluster, its results in the warehouse. Its
 * `ingest` job is what the API and the metrics follow while it runs.
 */
export async function flinkRunner(
  flags: FlinkRunFlags,
  run: { db: string; source: Source; warehouse: Warehouse; config: EngineConfig; signal: AbortSignal },
): Promise<FlinkRunner> {
  const gateway = new URL(flags.flink);
  const restUrl = flags.flinkRest ?? `${gateway.protocol}//${gateway.hostname}:${defaultStackPorts.flinkRest}`;
  const dimensions: FlinkDimensions = flags.dimsMysql
    ? mysqlDimensions(flags.dimsMysql, flags.dimsDatabase)
    : { from: 'stream' };
  // Loaded on use: every adw command starts faster without the scale-out engine's modules.
  const { FlinkRunner, flinkRunName } = await import('../../flink/run.ts');
  return new FlinkRunner(adPipeline, {
    name: flinkRunName(resolve(run.db), run.source.id),
    input: run.source,
    warehouse: run.warehouse,
    config: run.config,
    brokers: flags.flinkKafka ?? flags.kafka ?? flinkRunDefaults.kafka,
    cluster: { gatewayUrl: gateway.toString().replace(/\/$/, ''), restUrl },
    dimensions,
    parallelism: parseCount(flags.flinkParallelism, '--flink-parallelism', 1),
    checkpointIntervalMs: run.config.checkpointIntervalMs,
    signal: run.signal,
    log: (line: string) => process.stderr.write(`${line}\n`),
  });
}

/** Runs the pipeline on Flink to the end of the input or until interrupted; prints what the ingest committed. */
export async function runFlinkEngine(runner: FlinkRunner, mode: FlinkRunMode, sourceId: string): Promise<void> {
  const result = await runner.start(mode);
  const s = result.ingest;
  process.stdout.write(
    `${JSON.stringify({ engine: 'flink', flink_job: result.jobId, savepoint: result.savepoint, source: sourceId, ...s.counters, position: s.position, epoch: s.epoch, max_event_time: s.maxEventMs ? new Date(s.maxEventMs).toISOString() : null })}\n`,
  );
}

/** What `--engine flink` refuses, before the warehouse is opened. */
export function checkFlinkFlags(flags: FlinkRunFlags): void {
  try {
    new URL(flags.flink);
  } catch {
    throw errors.badOption('--flink', `not a URL: ${flags.flink.slice(0, 80)}`);
  }
}
