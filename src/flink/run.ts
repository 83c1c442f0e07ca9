import { createHash } from 'node:crypto';
import { CompositeSource } from '../connectors/composite/source.ts';
import { KafkaSource } from '../connectors/kafka/source.ts';
import { ensureTopic } from '../connectors/kafka/topic.ts';
import type { Source } from '../connectors/source.ts';
import type { EngineConfig } from '../engine/config.ts';
import { Job, type JobStatus } from '../engine/job.ts';
import type { PipelineDefinition } from '../engine/stages.ts';
import { errors } from '../errors.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { compileFlinkJob, type FlinkDimensions, flinkOutputs, statementSet } from './compile.ts';
import { openSession } from './gateway.ts';
import { jobsNamed, waitForJob } from './job-manager.ts';
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

/** What a finished run did: the two embedded jobs' last checkpoints, the Flink job's id, each step's wall time. */
export interface FlinkRunResult {
  ingest: JobStatus;
  results: JobStatus;
  jobId: string;
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

/**
 * Runs a finite input through the pipeline on Flink, in three steps that each resume where they stopped: the
 * embedded ingest (validation, ODS, dimension tables, lateness) forwards accepted records to the stream topic; the
 * compiled Flink job reads that topic to its end and writes DWD and DWA changelogs transactionally; the results
 * job loads what Flink committed into the warehouse, its offsets in the warehouse checkpoint.
 */
export async function runOnFlink(def: PipelineDefinition, run: FlinkRun): Promise<FlinkRunResult> {
  const topics = flinkTopics(run.name);
  const t0 = performance.now();
  const ingest = await new Job(
    ingestPipeline(def, { brokers: run.brokers, topic: topics.stream }),
    run.input,
    run.warehouse,
    run.config,
  ).run({ untilEnd: true, ...(run.signal ? { signal: run.signal } : {}) });
  if (run.signal?.aborted) throw errors.interrupted('before the Flink job was submitted');
  const t1 = performance.now();
  const jobName = `adw ${run.name}`;
  const known = await jobsNamed(run.cluster.restUrl, jobName);
  let jobId = known.find((j) => j.state !== 'FAILED' && j.state !== 'CANCELED')?.id;
  const source = resultsSource(run, topics);
  try {
    if (jobId === undefined && (await run.warehouse.readCheckpoint(source.id)) !== null)
      // A new job would write every result again, and the loader would add them to those it holds.
      throw errors.flinkRunUnknown(jobName);
    if (jobId === undefined) {
      jobId = await submit(def, run, jobName, topics);
      run.log(`Flink job ${jobId} submitted (${jobName})`);
    } else run.log(`Flink job ${jobId} (${jobName}) is known to the cluster: following it`);
    await waitForJob(run.cluster.restUrl, jobId, ['FINISHED'], Number.POSITIVE_INFINITY, run.signal);
    const t2 = performance.now();
    const results = await new Job(resultsPipeline, source, run.warehouse, run.config).run({
      untilEnd: true,
      ...(run.signal ? { signal: run.signal } : {}),
    });
    const ms = { ingest: Math.round(t1 - t0), job: Math.round(t2 - t1), load: Math.round(performance.now() - t2) };
    return { ingest, results, jobId, ms };
  } finally {
    await source.close();
  }
}

/** The job's changelog topics as one source, read to their end. */
function resultsSource(run: FlinkRun, topics: ReturnType<typeof flinkTopics>): CompositeSource {
  return new CompositeSource(
    [topics.dwd, topics.dwa].map(
      (topic) =>
        new KafkaSource({
          brokers: run.brokers,
          topic,
          // A group per topic: one group's members must all subscribe to the same topics.
          group: `${topic}.loader`,
          untilCaughtUp: true,
          ...(run.signal ? { signal: run.signal } : {}),
        }),
    ),
  );
}

/** Submits the compiled job through the SQL Gateway; returns the job's id. */
async function submit(
  def: PipelineDefinition,
  run: FlinkRun,
  jobName: string,
  topics: ReturnType<typeof flinkTopics>,
): Promise<string> {
  // Created ahead, not by the job's first writes: a topic made by a transactional producer's first batch can leave
  // the producer's sequence numbers out of step with the broker (OUT_OF_ORDER_SEQUENCE_NUMBER, seen here).
  for (const topic of [topics.dwd, topics.dwa]) await ensureTopic(run.brokers, topic);
  const job = compileFlinkJob(def, {
    source: { brokers: run.brokers, topic: topics.stream, groupId: run.name, bounded: true },
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
