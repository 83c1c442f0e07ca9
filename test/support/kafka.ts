import { join } from 'node:path';
import { freePort } from '../../src/stack/free-port.ts';
import { startKafka, type RunningKafka } from '../../src/stack/kafka.ts';

/** A broker of the test's own, in `dir`, on free loopback ports; `restart()` starts it again on the same data. */
export async function startTestKafka(dir: string): Promise<RunningKafka & { restart(): Promise<void> }> {
  const opts = { dir: join(dir, 'kafka'), port: await freePort(), controllerPort: await freePort() };
  let current = await startKafka(opts);
  return {
    brokers: current.brokers,
    get pid() {
      return current.pid;
    },
    stop: () => current.stop(),
    restart: async () => {
      await current.stop();
      current = await startKafka(opts);
    },
  };
}
