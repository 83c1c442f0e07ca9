import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { openSession } from '../../src/flink/gateway.ts';
import { clusterOverview } from '../../src/flink/job-manager.ts';
import { freePort } from '../../src/stack/free-port.ts';
import { adwAsync } from '../support/cli.ts';
import { scratch } from '../support/pipeline.ts';

const tmp = scratch('adw-stack-flink-');
const env = { ...process.env, ADW_HOME: tmp.dir };
const adw = (...args: string[]) => adwAsync(tmp.dir, args, 240_000, env);
const show = (r: { status: number; stdout: string; stderr: string }) =>
  `status ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

after(async () => {
  await adw('down', '--purge');
  tmp.cleanup();
});

/** Whether anything answers HTTP at `url`. */
async function answers(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(5000) }).then(
    () => true,
    () => false,
  );
}

test('adw up --flink starts a session cluster in the background (once) whose gateway runs SQL; adw down stops it', {
  timeout: 300_000,
}, async () => {
  const restPort = await freePort();
  const gatewayPort = await freePort();
  const ports = [
    '--kafka-port',
    String(await freePort()),
    '--kafka-controller-port',
    String(await freePort()),
    '--mariadb-port',
    String(await freePort()),
    '--flink-rest-port',
    String(restPort),
    '--flink-gateway-port',
    String(gatewayPort),
  ];
  const up = await adw('up', '--flink', ...ports);
  assert.equal(up.status, 0, show(up));
  assert.match(
    up.stdout,
    new RegExp(`flink started at http://127.0.0.1:${restPort} \\(SQL Gateway http://127.0.0.1:${gatewayPort}\\)`),
  );
  // It outlives the command that started it.
  const overview = await clusterOverview(`http://127.0.0.1:${restPort}`);
  assert.ok(overview.taskmanagers >= 1 && overview['slots-total'] >= 1, JSON.stringify(overview));
  const session = await openSession(`http://127.0.0.1:${gatewayPort}`, { 'execution.runtime-mode': 'batch' });
  const { rows } = await session.execute('SELECT x * 2 FROM (VALUES (1), (2), (3)) AS t(x)');
  await session.close();
  assert.deepEqual(
    rows.map((r) => Number(r[0])).sort((a, b) => a - b),
    [2, 4, 6],
  );

  const again = await adw('up', '--flink', ...ports);
  assert.equal(again.status, 0, show(again));
  assert.match(again.stdout, /flink already running/);
  const down = await adw('down');
  assert.equal(down.status, 0, show(down));
  assert.match(down.stdout, /stopped kafka, mariadb, flink/);
  assert.equal(await answers(`http://127.0.0.1:${restPort}/overview`), false, 'the JobManager is gone');
  assert.equal(await answers(`http://127.0.0.1:${gatewayPort}/v1/info`), false, 'the SQL Gateway is gone');
});
