import { join } from 'node:path';
import { freePort } from '../../src/stack/free-port.ts';
import { startMariaDb, type RunningMariaDb } from '../../src/stack/mariadb.ts';

/** A MariaDB of the test's own, in `dir`, on a free loopback port; `restart()` starts it again on the same data. */
export async function startTestMariaDb(dir: string): Promise<RunningMariaDb & { restart(): Promise<void> }> {
  const opts = { dir: join(dir, 'mariadb'), port: await freePort() };
  let current = await startMariaDb(opts);
  return {
    url: current.url,
    get pid() {
      return current.pid;
    },
    stop: () => current.stop(),
    restart: async () => {
      await current.stop();
      current = await startMariaDb(opts);
    },
  };
}
