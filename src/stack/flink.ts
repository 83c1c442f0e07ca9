import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors } from '../errors.ts';
import { clusterOverview, taskManagerIds } from '../flink/job-manager.ts';
import { writeFlinkConfig } from './flink-config.ts';
import { fetchMavenArtifacts, LOG4J_SLF4J } from './maven.ts';
import { processAlive } from '../processes.ts';
import { stopProcess } from './process.ts';

/** The Apache Flink release the local stack runs, from Maven Central (the 1.20 LTS line: Kafka and JDBC connectors exist for it). */
export const FLINK_VERSION = '1.20.3';

/** Where the cluster's jars are cached (once per machine). */
export function flinkLibDir(): string {
  return join(process.env.ADW_CACHE_DIR ?? join(homedir(), '.cache', 'adw'), `flink-${FLINK_VERSION}`, 'libs');
}

/** The StarRocks connector's build for Flink 1.19, the newest Maven Central serves; it plans and runs on 1.20. */
export const STARROCKS_CONNECTOR = 'com.starrocks:flink-connector-starrocks:1.2.10_flink-1.19';

/**
 * Where the StarRocks connector is cached: a directory of its own, after Flink's on the classpath. It is one shaded
 * jar, but with MySQL Connector/J 5.1.49 unshaded inside, which registers for every `jdbc:mysql:` URL; that the
 * JDBC dimension tables still get MariaDB's driver is by naming it (see compile.ts), not by where this jar sits.
 */
export function starRocksConnectorDir(): string {
  return join(flinkLibDir(), '..', 'starrocks');
}

/** The classpath of the cluster's processes: Flink's jars, then the StarRocks connector. */
const classpath = () => `${flinkLibDir()}/*:${starRocksConnectorDir()}/*`;

/**
 * Fetches Flink's runtime, SQL planner, SQL Gateway and the connectors ADW's jobs use (Kafka, JDBC, StarRocks), unless
 * cached. Returns the directory of Flink's jars.
 */
export function ensureFlink(log: (line: string) => void = () => {}): string {
  const flink = [
    'flink-clients',
    'flink-runtime',
    'flink-runtime-web',
    'flink-streaming-java',
    'flink-table-api-java',
    'flink-table-api-java-bridge',
    'flink-table-planner-loader',
    'flink-table-runtime',
    'flink-sql-gateway',
    'flink-json',
    'flink-csv',
    'flink-connector-files',
    // The Kafka and JDBC connectors ask for an older one; the cluster's own must win.
    'flink-connector-base',
  ].map((a) => `org.apache.flink:${a}:${FLINK_VERSION}`);
  const [, artifact, version] = STARROCKS_CONNECTOR.split(':');
  fetchMavenArtifacts(
    'flink',
    'the StarRocks connector for Flink',
    starRocksConnectorDir(),
    `${artifact}-${version}.jar`,
    [STARROCKS_CONNECTOR],
    log,
  );
  return fetchMavenArtifacts(
    'flink',
    `Apache Flink ${FLINK_VERSION}`,
    flinkLibDir(),
    `flink-sql-gateway-${FLINK_VERSION}.jar`,
    [
      ...flink,
      'org.apache.flink:flink-connector-kafka:3.4.0-1.20',
      'org.apache.flink:flink-connector-jdbc:3.3.0-1.20',
      'org.mariadb.jdbc:mariadb-java-client:3.5.1',
      LOG4J_SLF4J,
    ],
    log,
  );
}

/** Opens what Flink reaches into on Java 17 (the `env.java.opts.all` of Flink 1.20's own config.yaml). */
const JAVA_17_FLAGS = [
  ...['java.base/sun.net.util', 'java.rmi/sun.rmi.registry', 'java.security.jgss/sun.security.krb5']
    .concat(['api', 'file', 'parser', 'tree', 'util'].map((p) => `jdk.compiler/com.sun.tools.javac.${p}`))
    .map((p) => `--add-exports=${p}=ALL-UNNAMED`),
  ...['lang', 'net', 'io', 'nio', 'lang.reflect', 'text', 'time', 'util', 'util.concurrent']
    .map((p) => `java.${p}`)
    .concat(['java.util.concurrent.atomic', 'java.util.concurrent.locks', 'sun.nio.ch'])
    .map((p) => `--add-opens=java.base/${p}=ALL-UNNAMED`),
];

/** The three processes of a session cluster, by the name of their log and pid files, with their main class. */
export const flinkProcesses = {
  jobmanager: 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint',
  taskmanager: 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner',
  'sql-gateway': 'org.apache.flink.table.gateway.SqlGateway',
} as const;
type FlinkProcess = keyof typeof flinkProcesses;

/** How to start a session cluster. */
export interface FlinkOptions {
  /** The cluster's own directory: configuration, checkpoints, savepoints, logs and pid files. */
  dir: string;
  /** The JobManager's REST API and web UI. */
  restPort: number;
  /** The SQL Gateway's REST endpoint. */
  gatewayPort: number;
  /** Task slots of the task manager (default 2). */
  slots?: number;
  /** The task manager's process memory, as Flink writes sizes (default 1536m: enough for the tests' workloads). */
  taskManagerMemory?: string;
  /** Keep running after this process exits (adw up); otherwise the processes are this process's children. */
  detached?: boolean;
}

/** A running session cluster on loopback: one JobManager, one TaskManager, one SQL Gateway. */
export interface RunningFlink {
  /** The JobManager's REST API, e.g. http://127.0.0.1:8081 */
  restUrl: string;
  /** The SQL Gateway's REST API, e.g. http://127.0.0.1:8083 */
  gatewayUrl: string;
  /** The current pid of each process. */
  pids: Record<FlinkProcess, number>;
  /** Stops the gateway, the task manager and the job manager. */
  stop(): Promise<void>;
  /** Kills the task manager without warning (SIGKILL), as a crash would. */
  killTaskManager(): Promise<void>;
  /** Starts a new task manager and waits until it has registered with the job manager. */
  startTaskManager(): Promise<void>;
}

/** The memory flags and properties Flink's start scripts compute for a job or task manager (BashJavaUtils). */
function resourceParams(libs: string, conf: string, which: 'JM' | 'TM'): { jvm: string[]; dynamic: string[] } {
  const r = spawnSync(
    'java',
    [
      '-cp',
      `${libs}/*`,
      'org.apache.flink.runtime.util.bash.BashJavaUtils',
      `GET_${which}_RESOURCE_PARAMS`,
      '--configDir',
      conf,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  const results = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('BASH_JAVA_UTILS_EXEC_RESULT:'))
    .map((l) => l.slice('BASH_JAVA_UTILS_EXEC_RESULT:'.length).trim().split(/\s+/));
  const [jvm, dynamic] = results.slice(-2);
  if (r.status !== 0 || !jvm || !dynamic)
    throw errors.stackUnavailable(
      'flink',
      `cannot compute the ${which} memory: ${(r.stdout + r.stderr).trim().split('\n').slice(-3).join(' ')}`,
    );
  return { jvm, dynamic };
}

/** Starts (or restarts, on the same directory) a session cluster with a SQL Gateway; resolves once both REST APIs answer. */
export async function startFlink(opts: FlinkOptions): Promise<RunningFlink> {
  const libs = ensureFlink();
  const conf = await writeFlinkConfig(opts.dir, opts.restPort, opts.slots ?? 2, opts.taskManagerMemory ?? '1536m');
  const jm = resourceParams(libs, conf, 'JM');
  const tm = resourceParams(libs, conf, 'TM');
  const gatewayUrl = `http://127.0.0.1:${opts.gatewayPort}`;
  const restUrl = `http://127.0.0.1:${opts.restPort}`;
  const launch = (name: FlinkProcess, jvm: string[], args: string[]): number => {
    const fd = openSync(join(opts.dir, `${name}.log`), 'a');
    const child = spawn(
      'java',
      [
        ...jvm,
        ...JAVA_17_FLAGS,
        // Also what marks the process as this cluster's: its directory is in the command line.
        `-Dlog4j.configurationFile=file:${join(conf, 'log4j.properties')}`,
        '-cp',
        classpath(),
        flinkProcesses[name],
        ...args,
      ],
      { stdio: ['ignore', fd, fd], detached: opts.detached ?? false, env: { ...process.env, FLINK_CONF_DIR: conf } },
    );
    closeSync(fd);
    if (opts.detached) child.unref();
    writeFileSync(join(opts.dir, `${name}.pid`), String(child.pid));
    return child.pid!;
  };
  let taskManagerId = '';
  const launchTaskManager = () => {
    // A fresh id each time, so that the job manager never mistakes a replacement for the task manager it lost.
    taskManagerId = `taskmanager-${Date.now()}`;
    return launch('taskmanager', tm.jvm, [
      '--configDir',
      conf,
      ...tm.dynamic,
      '-D',
      `taskmanager.resource-id=${taskManagerId}`,
    ]);
  };
  const pids: Record<FlinkProcess, number> = {
    jobmanager: launch('jobmanager', jm.jvm, ['--configDir', conf, ...jm.dynamic]),
    taskmanager: launchTaskManager(),
    'sql-gateway': launch(
      'sql-gateway',
      ['-Xmx512m'],
      [
        '-Dsql-gateway.endpoint.rest.address=127.0.0.1',
        `-Dsql-gateway.endpoint.rest.port=${opts.gatewayPort}`,
        // Statements run on this cluster, found through the rest.address and rest.port of the shared configuration.
        '-Dexecution.target=remote',
      ],
    ),
  };
  const stop = async () => {
    for (const name of ['sql-gateway', 'taskmanager', 'jobmanager'] as const) await stopProcess(pids[name]);
  };
  /** Polls `ready` until it holds; if a process dies or time runs out, stops the cluster and reports the logs. */
  const waitUntil = async (what: string, ready: () => Promise<boolean>) => {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline && Object.values(pids).every(processAlive)) {
      if (await ready().catch(() => false)) return;
      await sleep(250);
    }
    const dead = (Object.keys(pids) as FlinkProcess[]).filter((name) => !processAlive(pids[name]));
    await stop();
    throw errors.stackUnavailable(
      'flink',
      `${what}: ${(dead.length > 0 ? dead : (Object.keys(pids) as FlinkProcess[]))
        .map((name) => `${name}${dead.includes(name) ? ' exited' : ''}: ${lastLines(join(opts.dir, `${name}.log`))}`)
        .join('; ')}`,
    );
  };
  // Its own task manager's id, not just any answer: another cluster may hold the port while this one fails to bind it.
  const registered = async () => (await taskManagerIds(restUrl)).includes(taskManagerId);
  await waitUntil('the cluster did not start', async () => {
    const info = await fetch(`${gatewayUrl}/v1/info`, { signal: AbortSignal.timeout(5000) });
    return info.ok && (await registered()) && (await clusterOverview(restUrl))['slots-total'] >= 1;
  });
  return {
    restUrl,
    gatewayUrl,
    pids,
    stop,
    killTaskManager: async () => {
      process.kill(pids.taskmanager, 'SIGKILL');
      while (processAlive(pids.taskmanager)) await sleep(50);
    },
    startTaskManager: async () => {
      pids.taskmanager = launchTaskManager();
      await waitUntil('the new task manager did not register', registered);
    },
  };
}

/** The last lines of a log file, on one line, without stack frames (a failure's causes are what tell why). */
function lastLines(log: string): string {
  if (!existsSync(log)) return '(no log)';
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  return lines
    .filter((line) => !/^\s/.test(line))
    .slice(-3)
    .join(' ');
}
