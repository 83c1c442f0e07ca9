import { join } from 'node:path';
import { freePort } from '../../src/stack/free-port.ts';
import { startMariaDb } from '../../src/stack/mariadb.ts';
import { restartable } from './restartable.ts';

/** A MariaDB of the test's own, in `dir`, on a free loopback port; `restart()` starts it again on the same data. */
export async function startTestMariaDb(dir: string) {
  const opts = { dir: join(dir, 'mariadb'), port: await freePort() };
  return restartable(() => startMariaDb(opts));
}
