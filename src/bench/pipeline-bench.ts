import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource } from '../connectors/file/source.ts';
import { publishLines } from '../connectors/kafka/publish.ts';
import { KafkaSink } from '../connectors/kafka/sink.ts';
import { KafkaSource } from '../connectors/kafka/source.ts';
import type { Source } from '../connectors/source.ts';
import { freePort } from '../stack/free-port.ts';
import { startKafka, type RunningKafka } from '../stack/kafka.ts';
import { defaultEngineConfig, type EngineConfig } from '../engine/config.ts';
import { Job } from '../engine/job.ts';
import { adPipeline } from '../engine/pipeline.ts';
import { simulateLines, writeSimulation } from '../simulator/simulate.ts';
import { DuckDbWarehouse } from '../warehouse/duckdb/warehouse.ts';
import { scratchPath } from '../scratch.ts';

export interface PipelineBenchOptions {
  events: number;
  seed: number;
  config?: Partial<EngineConfig>;
  /** Where the engine reads the workload: a file on tmpfs, or a Kafka topic it was pre-loaded into. */
  source?: 'file' | 'kafka';
  /** With source kafka: an existing broker; by default the bench starts its own. */
  kafkaBrokers?: string;
  /** DuckDB's memory limit (see DuckDbOptions.memoryLimit). */
  warehouseMemory?: string;
  /** Progress lines go here (stderr); the result is returned. */
  log?: (line: string) => void;
}

/** The figures `adw bench --json` prints. */
export interface PipelineBenchResult {
  source: 'file' | 'kafka';
  events: number;
  records_in: number;
  seconds: number;
  events_per_sec: number;
  freshness_p50_ms: number;
  freshness_p99_ms: number;
  peak_rss_mb: number;
  checkpoints: number;
  checkpoint_interval_ms: number;
  /**
   * CPU time of the engine's JavaScript thread per input line: what bounds throughput, and steadier than wall time on a
   * busy machine.
   */
  engine_thread_cpu_us_per_event: number | null;
  /**
   * CPU time of the whole process per input line (engine, DuckDB, the garbage collector's threads): at N events/s
   * on C cores it must be at most C / N seconds, so it tells how far the machine is from a target rate.
   */
  process_cpu_us_per_event: number;
  /** Wall time the engine waited for late records' warehouse look-ups. */
  seal_ms: number;
  dead_lettered: number;
  duplicates: number;
  late: number;
  /**
   * `process_cpu_us_per_event` in JSON parses of a line: against the mean of the calibrations just before and just
   * after the run, the machine's speed while it ran (this machine's moves by a tenth within minutes). Issue 14's
   * CPU bars are on this figure.
   */
  process_cpu_parses_per_event: number | null;
  /**
   * `json_parse_us_per_line`: JSON.parse of the workload's first lines, best of three, just before the run, to compare
   * machines and days; `json_parse_us_per_line_after` the same just after it (null where a bench takes one only).
   */
  machine: {
    cpus: number;
    cpu: string;
    node: string;
    json_parse_us_per_line: number | null;
    json_parse_us_per_line_after: number | null;
  };
}

/**
 * Generates a deterministic workload (not timed), then runs the whole pipeline over it with checkpoints on:
 * file source -> validate -> ODS -> dedup -> join -> DWD -> DWA/APP, into a fresh DuckDB file on disk.
 */
export async function runPipelineBench(opts: PipelineBenchOptions): Promise<PipelineBenchResult> {
  const log = opts.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'adw-bench-'));
  // The workload sits in memory-backed storage where there is one, so reading it measures the engine, not the disk.
  const inputDir = scratchPath('adw-bench');
  mkdirSync(inputDir);
  try {
    const input = join(inputDir, 'workload.ndjson');
    log(`generating ${opts.events} events (seed ${opts.seed}) ...`);
    if (opts.source !== 'kafka') await writeSimulation({ seed: opts.seed, events: opts.events }, input);
    let kafka: RunningKafka | null = null;
    let source: Source;
    if (opts.source === 'kafka') {
      if (!opts.kafkaBrokers)
        kafka = await startKafka({ dir: join(dir, 'kafka'), port: await freePort(), controllerPort: await freePort() });
      const brokers = opts.kafkaBrokers ?? kafka!.brokers;
      const topic = `adw.bench.${Date.now()}`;
      log(`pre-loading the workload into ${topic} at ${brokers} ...`);
      const sink = new KafkaSink({ brokers, topic });
      await publishLines(simulateLines({ seed: opts.seed, events: opts.events }), sink, { batch: 20_000 });
      await sink.close();
      source = new KafkaSource({ brokers, topic, group: `adw-bench-${Date.now()}`, untilCaughtUp: true });
    } else {
      source = new FileSource({ path: input });
    }
    // Taken just before the run and again just after it: the machine's speed moves within minutes.
    const calibrate = () => jsonParseUsPerLine(simulateLines({ seed: opts.seed, events: opts.events }));
    const calibration = calibrate();
    log('running the pipeline ...');
    const warehouse = await DuckDbWarehouse.open(join(dir, 'bench.duckdb'), {
      ...(opts.warehouseMemory ? { memoryLimit: opts.warehouseMemory } : {}),
    });
    const config: EngineConfig = { ...defaultEngineConfig, ...opts.config };
    const job = new Job(adPipeline, source, warehouse, config);
    const t0 = performance.now();
    const cpu0 = mainThreadCpuMs();
    const process0 = process.cpuUsage();
    const status = await job.run({ untilEnd: true });
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = mainThreadCpuMs();
    const processCpu = process.cpuUsage(process0);
    await source.close();
    await warehouse.close();
    await kafka?.stop();
    const calibrationAfter = calibrate();
    const c = status.counters;
    const cpuPerEvent = (processCpu.user + processCpu.system) / c.recordsIn;
    return {
      source: opts.source ?? 'file',
      events: opts.events,
      records_in: c.recordsIn,
      seconds: Math.round(seconds * 100) / 100,
      events_per_sec: Math.round(c.recordsIn / seconds),
      freshness_p50_ms: Math.round(job.freshness.percentile(50)),
      freshness_p99_ms: Math.round(job.freshness.percentile(99)),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      engine_thread_cpu_us_per_event:
        cpu0 === null || cpu1 === null ? null : Math.round((((cpu1 - cpu0) * 1000) / c.recordsIn) * 100) / 100,
      process_cpu_us_per_event: Math.round(cpuPerEvent * 100) / 100,
      process_cpu_parses_per_event:
        calibration === null || calibrationAfter === null
          ? null
          : Math.round((cpuPerEvent / ((calibration + calibrationAfter) / 2)) * 100) / 100,
      checkpoints: status.epoch,
      checkpoint_interval_ms: config.checkpointIntervalMs,
      seal_ms: Math.round(job.sealMs),
      dead_lettered: c.deadLettered,
      duplicates: c.duplicates,
      late: c.late,
      machine: machineFigures(calibration, calibrationAfter),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(inputDir, { recursive: true, force: true });
  }
}

/** What machine a bench ran on, with the day's JSON-parse calibration (before the run, and after it where taken). */
export function machineFigures(
  calibration: number | null,
  after: number | null = null,
): PipelineBenchResult['machine'] {
  return {
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    json_parse_us_per_line: calibration,
    json_parse_us_per_line_after: after,
  };
}

/** The calibration parses the workload's first lines, up to this many bytes of NDJSON. */
const CALIBRATION_BYTES = 16 * 1024 * 1024;

/**
 * How fast this machine parses the workload's JSON today, in µs per line: the engine's cheapest unavoidable step,
 * measured apart from it. The same build's figures move with it from one day (or machine) to the next.
 */
export function jsonParseUsPerLine(workload: Iterable<string>): number | null {
  const head: string[] = [];
  let bytes = 0;
  for (const line of workload) {
    bytes += Buffer.byteLength(line) + 1;
    if (bytes > CALIBRATION_BYTES) break;
    head.push(line);
  }
  // Decoded from bytes, as a source hands lines to the engine: flat strings, not the simulator's concatenations.
  const lines = Buffer.from(head.join('\n'))
    .toString()
    .split('\n')
    .filter((l) => l.startsWith('{"type":"'));
  if (lines.length === 0) return null;
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    for (const line of lines) {
      try {
        JSON.parse(line);
      } catch {
        // the workload's malformed records: parsed as far as they go, as the engine does
      }
    }
    best = Math.min(best, performance.now() - t0);
  }
  return Math.round(((best * 1000) / lines.length) * 100) / 100;
}

/** CPU time (user + system) of this process's main thread in ms, from Linux's per-thread accounting; null elsewhere. */
function mainThreadCpuMs(): number | null {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}
