import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

/**
 * Writes the configuration of the cluster in `dir` into `dir/conf` and returns that directory: the REST port given, the
 * RPC port a free one, the blob server's any (bound by the job manager itself), state, checkpoints and savepoints under
 * `dir`, the task manager's memory as given, and a log4j configuration.
 */
export async function writeFlinkConfig(
  dir: string,
  restPort: number,
  slots: number,
  taskManagerMemory: string,
): Promise<string> {
  const conf = join(dir, 'conf');
  const settings: Record<string, string | number> = {
    'jobmanager.rpc.address': '127.0.0.1',
    'jobmanager.bind-host': '127.0.0.1',
    'jobmanager.rpc.port': await freePort(),
    // Bound by the job manager itself and told to task managers as they register: a port picked for it beforehand
    // can be taken before the bind.
    'blob.server.port': 0,
    'rest.address': '127.0.0.1',
    'rest.bind-address': '127.0.0.1',
    'rest.port': restPort,
    'taskmanager.host': '127.0.0.1',
    'taskmanager.bind-host': '127.0.0.1',
    // Any free port, chosen by each task manager as it starts: a replacement bound to its predecessor's address was
    // not accepted by the job manager within two minutes (seen here after a SIGKILL), one on new ports is.
    'taskmanager.rpc.port': 0,
    'taskmanager.data.port': 0,
    'taskmanager.numberOfTaskSlots': slots,
    'jobmanager.memory.process.size': '1024m',
    'taskmanager.memory.process.size': taskManagerMemory,
    // Heap state needs no managed memory; leave more of the process to the task heap.
    'taskmanager.memory.managed.fraction': 0.1,
    'state.backend.type': 'hashmap',
    'state.checkpoints.dir': `file://${join(dir, 'checkpoints')}`,
    'state.savepoints.dir': `file://${join(dir, 'savepoints')}`,
    'restart-strategy.type': 'fixed-delay',
    'restart-strategy.fixed-delay.attempts': 1000,
    'restart-strategy.fixed-delay.delay': '1 s',
    // A task manager that died is noticed sooner than after the default 50 s, but not one in a long garbage
    // collection: with 10 s, a busy task manager on two cores was dropped again and again (seen on 1 million events).
    'heartbeat.interval': '2 s',
    'heartbeat.timeout': '30 s',
    // A task manager started beside its job manager retries soon, not after the default 10 s.
    'cluster.registration.error-delay': '1 s',
    'io.tmp.dirs': join(dir, 'tmp'),
  };
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  mkdirSync(conf, { recursive: true });
  writeFileSync(
    join(conf, 'config.yaml'),
    `${Object.entries(settings)
      .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`)
      .join('\n')}\n`,
  );
  // Everything at INFO to the console, which is the process's log file.
  writeFileSync(
    join(conf, 'log4j.properties'),
    [
      'rootLogger.level = INFO',
      'rootLogger.appenderRef.console.ref = console',
      'appender.console.name = console',
      'appender.console.type = Console',
      'appender.console.layout.type = PatternLayout',
      'appender.console.layout.pattern = %d{yyyy-MM-dd HH:mm:ss,SSS} %-5p %c{1} - %m%n',
      'logger.pekko.name = org.apache.pekko',
      'logger.pekko.level = WARN',
      '',
    ].join('\n'),
  );
  return conf;
}
