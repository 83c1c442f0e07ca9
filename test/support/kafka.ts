import { join } from 'node:path';
import { freePort } from '../../src/stack/free-port.ts';
import { startKafka } from '../../src/stack/kafka.ts';
import { restartable } from './restartable.ts';

/** A broker of the test's own, in `dir`, on free loopback ports; `restart()` starts it again on the same data. */
export async function startTestKafka(dir: string) {
  const opts = { dir: join(dir, 'kafka'), port: await freePort(), controllerPort: await freePort() };
  return restartable(() => startKafka(opts));
}
