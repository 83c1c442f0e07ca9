import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { errors, isAdwError } from '../../src/errors.ts';
import { type GatewaySession, openSession } from '../../src/flink/gateway.ts';
import { completedCheckpoints, jobStatus, waitForJob } from '../../src/flink/job-manager.ts';
import { type RunningFlink, startFlink } from '../../src/stack/flink.ts';
import { freePort } from '../../src/stack/free-port.ts';
import { processAlive } from '../../src/processes.ts';
import { scratch } from '../support/pipeline.ts';

const ROWS = 200_000;
const tmp = scratch('adw-flink-');
let flink: RunningFlink;
let session: GatewaySession;

before(async () => {
  flink = await startFlink({
    dir: join(tmp.dir, 'cluster'),
    restPort: await freePort(),
    gatewayPort: await freePort(),
  });
  session = await openSession(flink.gatewayUrl, {
    'execution.runtime-mode': 'streaming',
    'execution.checkpointing.interval': '1s',
    'execution.checkpointing.mode': 'EXACTLY_ONCE',
  });
});

after(async () => {
  await session?.close().catch(() => undefined);
  await flink?.stop();
  tmp.cleanup();
});

/** The ids in the sink's committed files; files still being written are hidden (their names start with a dot). */
function committedIds(dir: string): number[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => !basename(f).startsWith('.'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .filter((line) => line !== '')
    .map(Number);
}

test('a statement Flink cannot parse comes back as the coded ADW error with Flink’s message', {
  timeout: 60_000,
}, async () => {
  await assert.rejects(session.execute('SELEC 1'), (e) => {
    assert.ok(isAdwError(e));
    assert.equal(e.code, errors.flinkRejected.code);
    assert.match(e.message, /SqlParserException: SQL parse failed/);
    return true;
  });
});

test('a checkpointed datagen-to-files job whose task manager is killed finishes on a new one with every id exactly once', {
  timeout: 240_000,
}, async () => {
  const sink = join(tmp.dir, 'sink');
  await session.execute(`CREATE TABLE ids (id BIGINT) WITH (
    'connector' = 'datagen', 'number-of-rows' = '${ROWS}', 'rows-per-second' = '10000',
    'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '${ROWS}')`);
  await session.execute(`CREATE TABLE id_files (id BIGINT) WITH (
    'connector' = 'filesystem', 'path' = 'file://${sink}', 'format' = 'csv')`);
  const { jobId } = await session.execute('INSERT INTO id_files SELECT id FROM ids');
  assert.ok(jobId, 'the INSERT returns the id of the job it submitted');
  await waitForJob(flink.restUrl, jobId, ['RUNNING'], 60_000);
  while ((await completedCheckpoints(flink.restUrl, jobId)) < 1) await sleep(200);

  const killed = flink.pids.taskmanager;
  await flink.killTaskManager();
  assert.equal(processAlive(killed), false);
  // Still unfinished when its task manager went: the rest of its rows come from the restored job.
  assert.notEqual(await jobStatus(flink.restUrl, jobId), 'FINISHED');
  await flink.startTaskManager();
  assert.notEqual(flink.pids.taskmanager, killed);

  await waitForJob(flink.restUrl, jobId, ['FINISHED'], 180_000);
  const failures = (await (await fetch(`${flink.restUrl}/jobs/${jobId}/exceptions`)).json()) as {
    exceptionHistory: { entries: unknown[] };
  };
  assert.ok(failures.exceptionHistory.entries.length > 0, 'the job failed over when its task manager died');
  const ids = committedIds(sink);
  assert.equal(ids.length, ROWS);
  const seen = new Set(ids);
  assert.equal(seen.size, ROWS, 'no id was written twice');
  for (let id = 1; id <= ROWS; id++) assert.ok(seen.has(id), `id ${id} was written`);
});
