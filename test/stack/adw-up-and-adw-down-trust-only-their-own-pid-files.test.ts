import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { freePort } from '../../src/stack/free-port.ts';
import { processAlive } from '../../src/processes.ts';
import { adwAsync } from '../support/cli.ts';
import { scratch } from '../support/pipeline.ts';

const tmp = scratch('adw-stack-pids-');
const env = { ...process.env, ADW_HOME: tmp.dir };
// Asynchronous, so that this process reaps its unrelated child below if a faulty adw down kills it.
const adw = (...args: string[]) => adwAsync(tmp.dir, args, 120_000, env);
const show = (r: { status: number; stdout: string; stderr: string }) =>
  `status ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
const strangers: ChildProcess[] = [];

after(async () => {
  await adw('down', '--purge');
  for (const s of strangers) s.kill();
  tmp.cleanup();
});

/** An unrelated live process whose pid is written into the stack's pid files, as if the pid had been reused. */
function plantPidFiles(): number {
  const stranger = spawn('sleep', ['600'], { stdio: 'ignore' });
  strangers.push(stranger);
  for (const [name, file] of [
    ['kafka', 'kafka.pid'],
    ['mariadb', 'mariadb.pid'],
    ['flink', 'jobmanager.pid'],
    ['flink', 'taskmanager.pid'],
    ['flink', 'sql-gateway.pid'],
  ] as const) {
    mkdirSync(join(tmp.dir, name), { recursive: true });
    writeFileSync(join(tmp.dir, name, file), String(stranger.pid));
  }
  return stranger.pid!;
}

/** Pid files left anywhere under the stack's home. */
function pidFiles(): string[] {
  return readdirSync(tmp.dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.pid'));
}

test('adw down does not kill a process whose pid a stale pid file names, and removes the stale files', {
  timeout: 30_000,
}, async () => {
  const pid = plantPidFiles();
  const down = await adw('down');
  assert.equal(down.status, 0, show(down));
  assert.match(down.stdout, /nothing was running/);
  assert.ok(processAlive(pid), 'the unrelated process is alive');
  assert.deepEqual(pidFiles(), []);
});

test('adw up starts the servers despite stale pid files naming a live process; adw down stops them and leaves no pid files', {
  timeout: 120_000,
}, async () => {
  const pid = plantPidFiles();
  const up = await adw(
    'up',
    '--kafka-port',
    String(await freePort()),
    '--kafka-controller-port',
    String(await freePort()),
    '--mariadb-port',
    String(await freePort()),
  );
  assert.equal(up.status, 0, show(up));
  assert.match(up.stdout, /kafka started/);
  assert.match(up.stdout, /mariadb started/);
  assert.doesNotMatch(up.stdout, /flink/, 'Flink starts only with --flink');
  assert.doesNotMatch(up.stdout, new RegExp(`pid ${pid}\\b`));
  const down = await adw('down');
  assert.equal(down.status, 0, show(down));
  assert.match(down.stdout, /stopped kafka, mariadb/);
  assert.ok(processAlive(pid), 'the unrelated process is alive');
  assert.deepEqual(pidFiles(), []);
});
