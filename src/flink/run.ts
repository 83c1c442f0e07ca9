import { createHash } from 'node:crypto';
import { CompositeSource } from '../connectors/composite/source.ts';
import { KafkaSource, kafkaNotices } from '../connectors/kafka/source.ts';
import { ensureTopic } from '../connectors/kafka/topic.ts';
import type { Source } from '../connectors/source.ts';
import type { EngineConfig } from '../engine/config.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import { groupConsumedAll } from '../connectors/kafka/group.ts';
import { Job, type JobObserver, type JobStatus } from '../engine/job.ts';
import type { PipelineDefinition } from '../engine/stages.ts';
import { errors, isAdwError } from '../errors.ts';
import { emptyWrites } from '../warehouse/checkpoint-writes.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { compileFlinkJob, type FlinkDimensions, flinkOutputs, statementSet } from './compile.ts';
import { openSession } from './gateway.ts';
import { jobStatus, jobsNamed, latestSavepoint, stopWithSavepoint } from './job-manager.ts';
import { ingestPipeline, resultsPipeline } from './pipelines.ts';

/** A Flink cluster as ADW uses it: its SQL Gateway to submit jobs to, its JobManager's REST API to follow them. */
export interface FlinkCluster {
  gatewayUrl: string;
  restUrl: string;
}

/** One run of the pipeline on Flink, from an input into a warehouse. */
export interface FlinkRun {
  /** Names the run's topics and job: the same warehouse and input give the same name, so a rerun resumes. */
  name: string;
  input: Source;
  warehouse: Warehouse;
  config: EngineConfig;
  /** The Kafka cluster of the stream and result topics. */
  brokers: string;
  cluster: FlinkCluster;
  dimensions: FlinkDimensions;
  /** Parallelism of the Flink job. */
  parallelism: number;
  /** Flink's checkpoint interval in ms: how often its exactly-once sinks commit what the warehouse can load. */
  checkpointIntervalMs: number;
  signal?: AbortSignal;
  log: (line: string) => void;
}

/**
 * What a finished run did: the two embedded jobs' last checkpoints, the Flink job's id and the savepoint it stopped
 * at, each step's wall time.
 */
export interface FlinkRunResult {
  ingest: JobStatus;
  results: JobStatus;
  jobId: string;
  savepoint: string;
  ms: { ingest: number; job: number; load: number };
}

/** The run name of a warehouse and an input: a short digest, fit for topic names and Kafka transactional ids. */
export function flinkRunName(warehouse: string, input: string): string {
  return `adw-${createHash('sha256').update(`${warehouse}\0${input}`).digest('hex').slice(0, 12)}`;
}

/** The topics of a run: what the ingest forwards, and the changelogs the Flink job writes. */
export function flinkTopics(name: string): { stream: string; prefix: string; dwd: string; dwa: string } {
  return {
    stream: `${name}.stream`,
    prefix: name,
    dwd: `${name}.${flinkOutputs.dwd.name}`,
    dwa: `${name}.${flinkOutputs.dwa.name}`,
  };
}

/** How a run ends: at the end of its input, or when its signal is raised (a live run). */
export interface FlinkRunMode {
  untilEnd: boolean;
  /** Monitoring hooks of the embedded ingest (the API's pipeline health, the Prometheus monitor). */
  observers?: JobObserver[];
}

/** What the warehouse records of a run's Flink job: its id, and the savepoint it stopped at (null while it runs). */
interface JobRecord {
  job: string;
  savepoint: string | null;
}

/** Job states after which the job never runs again. */
const ended = (state: string) => state === 'FINISHED' || state === 'FAILED' || state === 'CANCELED';

/**
 * The pipeline on Flink, in three parts: the embedded ingest (validation, ODS, dimension tables, lateness) forwards
 * accepted records to the stream topic; the compiled Flink job reads it and writes DWD and DWA changelogs
 * transactionally; the results loader lands what Flink committed in the warehouse, its offsets in the warehouse
 * checkpoint. A run ends by stopping the job with a savepoint, recorded in the warehouse, from which the next run's
 * job resumes: state, join window and all, so runs over a growing input or a live topic add up exactly.
 */
export class FlinkRunner {
  /** The embedded ingest, for monitoring while it runs. */
  readonly ingest: Job;
  private readonly topics: ReturnType<typeof flinkTopics>;
  private readonly jobName: string;
  private readonly recordSource: string;
  private readonly def: PipelineDefinition;
  private readonly run: FlinkRun;

  constructor(def: PipelineDefinition, run: FlinkRun) {
    this.def = def;
    this.run = run;
    this.topics = flinkTopics(run.name);
    this.jobName = `adw ${run.name}`;
    this.recordSource = `flink-job:${run.name}`;
    this.ingest = new Job(
      ingestPipeline(def, { brokers: run.brokers, topic: this.topics.stream }),
      run.input,
      run.warehouse,
      run.config,
    );
  }

  /**
   * Until the end: the ingest reads its input to the end, then the job runs until it has consumed all of it and is
   * stopped. Live: the job, the ingest and the loader run side by side until the signal, then the job is stopped.
   * Either way the loader then lands everything the stopped job committed.
   */
  async start(mode: FlinkRunMode): Promise<FlinkRunResult> {
    const { run } = this;
    const t0 = performance.now();
    let ingest: JobStatus;
    let jobId: string;
    let t1: number;
    if (mode.untilEnd) {
      ingest = await this.ingest.run({ untilEnd: true, ...this.signal(), ...this.observed(mode) });
      if (run.signal?.aborted) throw errors.interrupted('before the Flink job was submitted');
      t1 = performance.now();
      jobId = await this.attach();
      await this.untilConsumed(jobId);
    } else {
      t1 = t0;
      jobId = await this.attach();
      ingest = await this.live(jobId, mode);
    }
    run.log(`stopping Flink job ${jobId} with a savepoint`);
    const savepoint = await stopWithSavepoint(run.cluster.restUrl, jobId);
    await this.record({ job: jobId, savepoint });
    run.log(`Flink job ${jobId} stopped at ${savepoint}`);
    const t2 = performance.now();
    const results = await this.load(true, undefined);
    const ms = { ingest: Math.round(t1 - t0), job: Math.round(t2 - t1), load: Math.round(performance.now() - t2) };
    return { ingest, results, jobId, savepoint, ms };
  }

  private signal(): { signal?: AbortSignal } {
    return this.run.signal ? { signal: this.run.signal } : {};
  }

  private observed(mode: FlinkRunMode): { observers?: JobObserver[] } {
    return mode.observers ? { observers: mode.observers } : {};
  }

  /** The ingest and the loader side by side until the run's signal, or until one of them or the job fails. */
  private async live(jobId: string, mode: FlinkRunMode): Promise<JobStatus> {
    const failed = new AbortController();
    const signal = this.run.signal ? AbortSignal.any([this.run.signal, failed.signal]) : failed.signal;
    let failure: unknown = null;
    const fail = (e: unknown) => {
      failure ??= e;
      failed.abort();
    };
    const watching = this.watch(jobId, signal).catch(fail);
    const [ingest] = await Promise.all([
      this.ingest.run({ untilEnd: false, signal, ...this.observed(mode) }).catch((e: unknown) => {
        fail(e);
        return null;
      }),
      this.load(false, signal).catch(fail),
      watching,
    ]);
    if (failure !== null) throw failure;
    return ingest!;
  }

  /** Throws once the job has ended by itself (a live job only ends when ADW stops it); returns on the signal. */
  private async watch(jobId: string, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const state = await jobStatus(this.run.cluster.restUrl, jobId);
      if (ended(state)) throw errors.flinkJobFailed(jobId, `ended ${state} while ADW followed it`);
      await sleep(1000, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Waits until the job's source has committed past every record in the stream topic, watching the job. */
  private async untilConsumed(jobId: string): Promise<void> {
    const { run } = this;
    while (!(await groupConsumedAll(run.brokers, this.topics.stream, run.name))) {
      if (run.signal?.aborted) throw errors.interrupted(`while Flink job ${jobId} ran (it runs on)`);
      const state = await jobStatus(run.cluster.restUrl, jobId);
      if (ended(state)) throw errors.flinkJobFailed(jobId, `ended ${state}`);
      await sleep(Math.min(1000, run.checkpointIntervalMs));
    }
  }

  /**
   * The run's job: the one the cluster runs under the run's name, or a new one resumed from the savepoint the last
   * run stopped at, or a first one. A warehouse with results but neither is refused: a job started afresh would
   * write them all again.
   */
  private async attach(): Promise<string> {
    const { run } = this;
    const record = await this.readRecord();
    const known = await jobsNamed(run.cluster.restUrl, this.jobName);
    const running = known.find((j) => !ended(j.state));
    if (running) {
      run.log(`Flink job ${running.id} (${this.jobName}) runs on the cluster: following it`);
      if (record?.job !== running.id) await this.record({ job: running.id, savepoint: null });
      return running.id;
    }
    let savepoint = record?.savepoint ?? null;
    // Stopped, but the stop's savepoint was not recorded (ADW was interrupted in between).
    if (record && savepoint === null && known.some((j) => j.id === record.job && j.state === 'FINISHED'))
      savepoint = await latestSavepoint(run.cluster.restUrl, record.job);
    const loaded = (await run.warehouse.readCheckpoint(resultsSource(run, this.topics, false).id)) !== null;
    if (savepoint === null && (record !== null || loaded))
      throw errors.flinkRunUnknown(this.jobName, 'which the cluster no longer knows and which left no savepoint');
    let jobId: string;
    try {
      jobId = await submit(this.def, run, this.jobName, this.topics, savepoint);
    } catch (e) {
      if (savepoint === null || !isAdwError(e) || e.code !== errors.flinkRejected.code) throw e;
      throw errors.flinkRunUnknown(this.jobName, `whose savepoint ${savepoint} Flink cannot restore (${e.message})`);
    }
    // The new job's state moves on from the savepoint: only the savepoint it stops at may be resumed from again.
    await this.record({ job: jobId, savepoint: null });
    run.log(`Flink job ${jobId} submitted (${this.jobName})${savepoint ? `, resumed from ${savepoint}` : ''}`);
    return jobId;
  }

  private async readRecord(): Promise<(JobRecord & { epoch: number }) | null> {
    const row = await this.run.warehouse.readCheckpoint(this.recordSource);
    return row ? { ...(JSON.parse(row.position) as JobRecord), epoch: row.epoch } : null;
  }

  /** Records the run's job in the warehouse checkpoint table, as a source of its own. */
  private async record(job: JobRecord): Promise<void> {
    const epoch = ((await this.readRecord())?.epoch ?? 0) + 1;
    await this.run.warehouse.commit({
      ...emptyWrites(epoch, this.recordSource),
      position: JSON.stringify(job),
      fingerprint: this.recordSource,
    });
  }

  /** Loads the job's committed changelogs: to their end, or until the signal. */
  private async load(untilEnd: boolean, signal: AbortSignal | undefined): Promise<JobStatus> {
    const source = resultsSource(this.run, this.topics, untilEnd, signal);
    try {
      return await new Job(resultsPipeline, source, this.run.warehouse, this.run.config).run({
        untilEnd,
        ...(signal ? { signal } : {}),
      });
    } finally {
      await source.close();
    }
  }
}

/** The job's changelog topics as one source, read to their end or live; its waits and lost brokers said to `run.log`. */
export function resultsSource(
  run: Pick<FlinkRun, 'brokers' | 'log'>,
  topics: ReturnType<typeof flinkTopics>,
  untilEnd: boolean,
  signal?: AbortSignal,
): CompositeSource {
  return new CompositeSource(
    [topics.dwd, topics.dwa].map(
      (topic) =>
        new KafkaSource({
          brokers: run.brokers,
          topic,
          // A group per topic: one group's members must all subscribe to the same topics.
          group: `${topic}.loader`,
          untilCaughtUp: untilEnd,
          ...kafkaNotices(run.log),
          ...(signal ? { signal } : {}),
        }),
    ),
  );
}

/** Submits the compiled job through the SQL Gateway, resumed from a savepoint if given; returns the job's id. */
async function submit(
  def: PipelineDefinition,
  run: FlinkRun,
  jobName: string,
  topics: ReturnType<typeof flinkTopics>,
  savepoint: string | null,
): Promise<string> {
  // Created ahead, not by the job's first writes: a topic made by a transactional producer's first batch can leave
  // the producer's sequence numbers out of step with the broker (OUT_OF_ORDER_SEQUENCE_NUMBER, seen here).
  for (const topic of [topics.dwd, topics.dwa]) await ensureTopic(run.brokers, topic);
  const job = compileFlinkJob(def, {
    source: { brokers: run.brokers, topic: topics.stream, groupId: run.name, bounded: false },
    dimensions: run.dimensions,
    sink: { to: 'kafka', brokers: run.brokers, topicPrefix: topics.prefix, transactionalIdPrefix: run.name },
    config: run.config,
  });
  const session = await openSession(run.cluster.gatewayUrl, {
    ...job.settings,
    'pipeline.name': jobName,
    'parallelism.default': String(run.parallelism),
    'execution.checkpointing.interval': `${run.checkpointIntervalMs} ms`,
    'execution.checkpointing.mode': 'EXACTLY_ONCE',
    ...(savepoint ? { 'execution.savepoint.path': savepoint } : {}),
  });
  try {
    for (const statement of job.statements) await session.execute(statement);
    const { jobId } = await session.execute(statementSet(job));
    if (jobId === null) throw errors.flinkRejected('the statement set started no job');
    return jobId;
  } finally {
    await session.close();
  }
}
