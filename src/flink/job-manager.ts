import { setTimeout as sleep } from 'node:timers/promises';
import { errors } from '../errors.ts';

/** What a Flink JobManager's REST API (GET /overview) says about its cluster. */
export interface ClusterOverview {
  taskmanagers: number;
  'slots-total': number;
  'slots-available': number;
  'jobs-running': number;
}

/** A job's state as the JobManager reports it (GET /jobs/:id), e.g. RUNNING, RESTARTING, FINISHED, FAILED. */
export type JobState = string;

/** Job states from which a job never moves on. */
const terminalStates: readonly JobState[] = ['FINISHED', 'FAILED', 'CANCELED'];

/** How long the JobManager may be unreachable before a call gives up (it is busy while a job fails over). */
const UNREACHABLE_MS = 60_000;

/**
 * GETs (or POSTs `post` for) a JSON document from the JobManager's REST API; a refusal becomes the coded Flink error with its message.
 * Connections that fail (a kept-alive socket the server closed, a JobManager busy restoring a job) are retried.
 */
async function getJson<T>(restUrl: string, path: string, post?: unknown): Promise<T> {
  const deadline = Date.now() + UNREACHABLE_MS;
  const method = post === undefined ? 'GET' : 'POST';
  let res: Response;
  for (;;) {
    try {
      res = await fetch(`${restUrl}${path}`, {
        method,
        signal: AbortSignal.timeout(10_000),
        ...(post === undefined ? {} : { body: JSON.stringify(post), headers: { 'content-type': 'application/json' } }),
      });
      break;
    } catch (e) {
      if (Date.now() > deadline) throw errors.flinkUnreachable(restUrl, (e as Error).cause?.toString() ?? String(e));
      await sleep(500);
    }
  }
  const body = (await res.json()) as T & { errors?: string[] };
  if (!res.ok) throw errors.flinkRejected(`${method} ${path}: ${body.errors?.join(' ') ?? res.statusText}`);
  return body;
}

/** The cluster's task managers, slots and running jobs. */
export function clusterOverview(restUrl: string): Promise<ClusterOverview> {
  return getJson<ClusterOverview>(restUrl, '/overview');
}

/** The current state of a job. */
export async function jobStatus(restUrl: string, jobId: string): Promise<JobState> {
  return (await getJson<{ state: JobState }>(restUrl, `/jobs/${jobId}`)).state;
}

/** How many checkpoints of a job have completed so far. */
export async function completedCheckpoints(restUrl: string, jobId: string): Promise<number> {
  return (await getJson<{ counts: { completed: number } }>(restUrl, `/jobs/${jobId}/checkpoints`)).counts.completed;
}

/**
 * Waits until a job is in one of `states` and returns that state. Throws once it ends in another state (it never
 * leaves one) or when `timeoutMs` pass first.
 */
export async function waitForJob(
  restUrl: string,
  jobId: string,
  states: readonly JobState[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<JobState> {
  const deadline = Date.now() + timeoutMs;
  let state = await jobStatus(restUrl, jobId);
  while (!states.includes(state)) {
    if (signal?.aborted) throw errors.interrupted(`while waiting for Flink job ${jobId}`);
    if (terminalStates.includes(state)) throw errors.flinkJobFailed(jobId, `ended ${state}`);
    if (Date.now() > deadline)
      throw errors.flinkJobFailed(jobId, `is ${state}, not ${states.join(' or ')}, after ${timeoutMs} ms`);
    await sleep(250);
    state = await jobStatus(restUrl, jobId);
  }
  return state;
}

/** The resource ids of the task managers registered with the job manager (a lost one stays until its heartbeat times out). */
export async function taskManagerIds(restUrl: string): Promise<string[]> {
  return (await getJson<{ taskmanagers: { id: string }[] }>(restUrl, '/taskmanagers')).taskmanagers.map((t) => t.id);
}

/** The jobs the cluster knows by this name (running, or finished since it started), newest first. */
export async function jobsNamed(restUrl: string, name: string): Promise<{ id: string; state: JobState }[]> {
  const { jobs } = await getJson<{ jobs: { jid: string; name: string; state: JobState; 'start-time': number }[] }>(
    restUrl,
    '/jobs/overview',
  );
  return jobs
    .filter((j) => j.name === name)
    .sort((a, b) => b['start-time'] - a['start-time'])
    .map((j) => ({ id: j.jid, state: j.state }));
}

/** How long a stop may keep failing while its job runs on (tasks still deploying, or restoring after a failure). */
const STOP_RETRY_MS = 300_000;

/**
 * Stops a job with a savepoint (Flink's stop, without draining: its timers and windows stay in the savepoint) and
 * returns the savepoint's location once the job has finished. Its exactly-once sinks commit what they hold on the way.
 * A savepoint that fails while the job runs on (its tasks are not all running yet) is triggered again.
 */
export async function stopWithSavepoint(restUrl: string, jobId: string): Promise<string> {
  const deadline = Date.now() + STOP_RETRY_MS;
  for (;;) {
    const { 'request-id': request } = await getJson<{ 'request-id': string }>(restUrl, `/jobs/${jobId}/stop`, {
      drain: false,
    });
    const outcome = await savepointOutcome(restUrl, jobId, request);
    if ('location' in outcome) {
      await waitForJob(restUrl, jobId, ['FINISHED'], 120_000);
      return outcome.location;
    }
    const state = await jobStatus(restUrl, jobId);
    if (terminalStates.includes(state) || Date.now() > deadline)
      throw errors.flinkJobFailed(jobId, `could not be stopped with a savepoint (${state}): ${outcome.failure}`);
    await sleep(1000);
  }
}

/** Waits for a triggered savepoint to complete: its location, or the first line of why it failed. */
async function savepointOutcome(
  restUrl: string,
  jobId: string,
  request: string,
): Promise<{ location: string } | { failure: string }> {
  for (;;) {
    const { status, operation } = await getJson<{
      status: { id: 'IN_PROGRESS' | 'COMPLETED' };
      operation?: { location?: string; 'failure-cause'?: { 'stack-trace'?: string } };
    }>(restUrl, `/jobs/${jobId}/savepoints/${request}`);
    if (status.id === 'COMPLETED') {
      const location = operation?.location;
      if (location !== undefined) return { location };
      return { failure: operation?.['failure-cause']?.['stack-trace']?.split('\n')[0] ?? 'no location given' };
    }
    await sleep(250);
  }
}

/** The location of the newest savepoint a job took, if the JobManager still remembers one. */
export async function latestSavepoint(restUrl: string, jobId: string): Promise<string | null> {
  const stats = await getJson<{ latest?: { savepoint?: { external_path?: string } | null } }>(
    restUrl,
    `/jobs/${jobId}/checkpoints`,
  );
  return stats.latest?.savepoint?.external_path ?? null;
}
