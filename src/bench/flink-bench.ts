import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSource } from '../connectors/file/source.ts';
import { defaultEngineConfig, type EngineConfig } from '../engine/config.ts';
import { adPipeline } from '../engine/pipeline.ts';
import { FlinkRunner, flinkRunName } from '../flink/run.ts';
import { simulateLines, writeSimulation } from '../simulator/simulate.ts';
import { startFlink } from '../stack/flink.ts';
import { freePort } from '../stack/free-port.ts';
import { startKafka } from '../stack/kafka.ts';
import { DuckDbWarehouse } from '../warehouse/duckdb/warehouse.ts';
import { scratchPath } from '../scratch.ts';
import { jsonParseUsPerLine, machineFigures, type PipelineBenchResult } from './pipeline-bench.ts';

/** What `adw bench --engine flink` adds to the embedded bench's figures: the cluster's share and each step. */
export interface FlinkBenchResult
  extends Omit<
    PipelineBenchResult,
    'source' | 'freshness_p50_ms' | 'freshness_p99_ms' | 'seal_ms' | 'process_cpu_parses_per_event'
  > {
  engine: 'flink';
  source: 'file';
  /** A finite input is loaded once the job has finished: no per-record freshness is measured. */
  freshness_p50_ms: null;
  freshness_p99_ms: null;
  seal_ms: null;
  flink: {
    parallelism: number;
    /** Wall time of each step: the embedded ingest, the Flink job, loading its changelogs. */
    ingest_s: number;
    job_s: number;
    load_s: number;
    /** CPU of the JobManager, TaskManager, SQL Gateway and Kafka broker per input line. */
    cluster_cpu_us_per_event: number;
    taskmanager_peak_rss_mb: number;
  };
}

/** CPU time (user + system) of a process in ms, from /proc. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** Peak resident memory of a process in MB (VmHWM). */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

/**
 * The embedded bench's workload through the scale-out path, on a Kafka broker and a Flink cluster the bench starts
 * (both on this machine, as the embedded engine is): the ingest forwards the records, the compiled job runs with
 * the given parallelism, the loader lands its changelogs in a fresh warehouse. Figures cover the whole run.
 */
export async function runFlinkBench(opts: {
  events: number;
  seed: number;
  parallelism: number;
  config?: Partial<EngineConfig>;
  log?: (line: string) => void;
}): Promise<FlinkBenchResult> {
  const log = opts.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'adw-bench-flink-'));
  const inputDir = scratchPath('adw-bench');
  mkdirSync(inputDir);
  const kafka = await startKafka({ dir: join(dir, 'kafka'), port: await freePort(), controllerPort: await freePort() });
  const flink = await startFlink({
    dir: join(dir, 'flink'),
    restPort: await freePort(),
    gatewayPort: await freePort(),
  });
  try {
    const input = join(inputDir, 'workload.ndjson');
    log(`generating ${opts.events} events (seed ${opts.seed}) ...`);
    await writeSimulation({ seed: opts.seed, events: opts.events }, input);
    const calibration = jsonParseUsPerLine(simulateLines({ seed: opts.seed, events: opts.events }));
    const db = join(dir, 'bench.duckdb');
    const warehouse = await DuckDbWarehouse.open(db);
    const source = new FileSource({ path: input });
    const config: EngineConfig = { ...defaultEngineConfig, ...opts.config };
    const clusterPids = () => [...Object.values(flink.pids), kafka.pid];
    const cluster0 = clusterPids().reduce((sum, pid) => sum + processCpuMs(pid), 0);
    const process0 = process.cpuUsage();
    const t0 = performance.now();
    log('running the pipeline on Flink ...');
    const run = await new FlinkRunner(adPipeline, {
      name: flinkRunName(db, source.id),
      input: source,
      warehouse,
      config,
      brokers: kafka.brokers,
      cluster: flink,
      dimensions: { from: 'stream' },
      parallelism: opts.parallelism,
      checkpointIntervalMs: config.checkpointIntervalMs,
      log,
    }).start({ untilEnd: true });
    const seconds = (performance.now() - t0) / 1000;
    const processCpu = process.cpuUsage(process0);
    const clusterCpu = clusterPids().reduce((sum, pid) => sum + processCpuMs(pid), 0) - cluster0;
    const tmRss = peakRssMb(flink.pids.taskmanager);
    await source.close();
    await warehouse.close();
    const c = run.ingest.counters;
    return {
      engine: 'flink',
      source: 'file',
      events: opts.events,
      records_in: c.recordsIn,
      seconds: Math.round(seconds * 100) / 100,
      events_per_sec: Math.round(c.recordsIn / seconds),
      freshness_p50_ms: null,
      freshness_p99_ms: null,
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      engine_thread_cpu_us_per_event: null,
      process_cpu_us_per_event: Math.round(((processCpu.user + processCpu.system) / c.recordsIn) * 100) / 100,
      checkpoints: run.ingest.epoch + run.results.epoch,
      checkpoint_interval_ms: config.checkpointIntervalMs,
      seal_ms: null,
      dead_lettered: c.deadLettered,
      duplicates: c.duplicates,
      late: c.late,
      machine: machineFigures(calibration),
      flink: {
        parallelism: opts.parallelism,
        ingest_s: run.ms.ingest / 1000,
        job_s: run.ms.job / 1000,
        load_s: run.ms.load / 1000,
        cluster_cpu_us_per_event: Math.round(((clusterCpu * 1000) / c.recordsIn) * 100) / 100,
        taskmanager_peak_rss_mb: tmRss,
      },
    };
  } finally {
    await flink.stop();
    await kafka.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(inputDir, { recursive: true, force: true });
  }
}
