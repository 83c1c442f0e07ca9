import { resolve } from 'node:path';
import type { Source } from '../../connectors/source.ts';
import type { EngineConfig } from '../../engine/config.ts';
import { adPipeline } from '../../engine/pipeline.ts';
import { errors } from '../../errors.ts';
import type { FlinkDimensions } from '../../flink/compile.ts';
import { mysqlDimensions } from '../../flink/options.ts';
import { defaultStackPorts } from '../../stack/local-stack.ts';
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
  untilEnd?: true;
  apiPort?: string;
  metricsPort?: string;
}

/** Options for the scale-out engine's flags: defaults are the local stack's (adw up --flink). */
export const flinkRunDefaults = {
  gateway: `http://127.0.0.1:${defaultStackPorts.flinkGateway}`,
  kafka: `127.0.0.1:${defaultStackPorts.kafka}`,
} as const;

/**
 * `adw run --engine flink`: the pipeline on a Flink cluster, its results in the warehouse; prints what the ingest
 * and the results load committed. Refuses what it does not do yet, in one coded line, before anything starts.
 */
export async function runFlinkEngine(
  flags: FlinkRunFlags,
  run: { db: string; source: Source; warehouse: Warehouse; config: EngineConfig; signal: AbortSignal },
): Promise<void> {
  const gateway = new URL(flags.flink);
  const restUrl = flags.flinkRest ?? `${gateway.protocol}//${gateway.hostname}:${defaultStackPorts.flinkRest}`;
  const dimensions: FlinkDimensions = flags.dimsMysql
    ? mysqlDimensions(flags.dimsMysql, flags.dimsDatabase)
    : { from: 'stream' };
  // Loaded on use: every adw command starts faster without the scale-out engine's modules.
  const { flinkRunName, runOnFlink } = await import('../../flink/run.ts');
  const result = await runOnFlink(adPipeline, {
    name: flinkRunName(resolve(run.db), run.source.id),
    input: run.source,
    warehouse: run.warehouse,
    config: run.config,
    brokers: flags.flinkKafka ?? flags.kafka ?? flinkRunDefaults.kafka,
    cluster: { gatewayUrl: gateway.toString().replace(/\/$/, ''), restUrl },
    dimensions,
    parallelism: Math.max(1, parseCount(flags.flinkParallelism, '--flink-parallelism')),
    checkpointIntervalMs: run.config.checkpointIntervalMs,
    signal: run.signal,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const s = result.ingest;
  process.stdout.write(
    `${JSON.stringify({ engine: 'flink', flink_job: result.jobId, source: run.source.id, ...s.counters, position: s.position, epoch: s.epoch, max_event_time: s.maxEventMs ? new Date(s.maxEventMs).toISOString() : null })}\n`,
  );
}

/** What `--engine flink` cannot do yet: refused before the warehouse is opened. */
export function checkFlinkFlags(flags: FlinkRunFlags): void {
  if (!flags.untilEnd)
    throw errors.badOption('--engine', 'flink runs a finite input to its end for now: add --until-end');
  if (flags.apiPort !== undefined || flags.metricsPort !== undefined)
    throw errors.badOption(
      '--engine',
      'flink does not serve the API or metrics while it runs: use adw serve afterwards',
    );
  try {
    new URL(flags.flink);
  } catch {
    throw errors.badOption('--flink', `not a URL: ${flags.flink.slice(0, 80)}`);
  }
}
