import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { after, test } from 'node:test';
import { freePort } from '../../src/stack/free-port.ts';
import { ADW, show } from '../support/cli.ts';
import { scratch } from '../support/pipeline.ts';

const tmp = scratch('adw-stack-');
const env = { ...process.env, ADW_HOME: tmp.dir };
const adw = (...args: string[]) => spawnSync(ADW, args, { env, encoding: 'utf8', timeout: 180_000 });

after(() => {
  adw('down', '--purge');
  tmp.cleanup();
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('adw up starts Kafka and MariaDB in the background (once), they can be used, adw down stops them', {
  timeout: 240_000,
}, async () => {
  const port = await freePort();
  const mariadbPort = await freePort();
  const ports = [
    '--kafka-port',
    String(port),
    '--kafka-controller-port',
    String(await freePort()),
    '--mariadb-port',
    String(mariadbPort),
  ];
  const up = adw('up', ...ports);
  assert.equal(up.status, 0, show(up));
  assert.match(up.stdout, new RegExp(`kafka started at 127.0.0.1:${port}`));
  assert.match(up.stdout, new RegExp(`mariadb started at mysql://adw:adw@127.0.0.1:${mariadbPort}`));
  const again = adw('up', ...ports);
  assert.match(again.stdout, /kafka already running/);
  assert.match(again.stdout, /mariadb already running/);
  // Both outlive the command that started them: the simulator writes its dimensions to one and its events to the other.
  const produced = adw(
    'simulate',
    '--events',
    '1000',
    '--kafka',
    `127.0.0.1:${port}`,
    '--dims-mysql',
    `mysql://adw:adw@127.0.0.1:${mariadbPort}`,
  );
  assert.equal(produced.status, 0, show(produced));
  assert.match(produced.stderr, /wrote 570 dimension rows/);
  assert.match(produced.stderr, /produced 1000 lines/);
  const down = adw('down');
  assert.equal(down.status, 0, show(down));
  assert.match(down.stdout, /stopped kafka, mariadb/);
  assert.equal(await accepts(port), false, 'the broker port is closed');
  assert.equal(await accepts(mariadbPort), false, 'the MariaDB port is closed');
  assert.match(adw('down').stdout, /nothing was running/);
});
