import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { errors } from '../errors.ts';
import { fetchMavenArtifacts, LOG4J_SLF4J } from './maven.ts';
import { processAlive } from '../processes.ts';
import { stopProcess } from './process.ts';

/** The Apache Kafka release the local stack runs, from Maven Central. */
export const KAFKA_VERSION = '4.1.1';
/** Fixed so that a restarted broker keeps its identity and data; any base64 UUID works. */
const CLUSTER_ID = 'QURXLWxvY2FsLWthZmthLQ';

/** Where the broker's jars are cached (once per machine). */
export function kafkaLibDir(): string {
  return join(process.env.ADW_CACHE_DIR ?? join(homedir(), '.cache', 'adw'), `kafka-${KAFKA_VERSION}`, 'libs');
}

/** Fetches the broker and its runtime dependencies unless they are cached already. Returns the directory of jars. */
export function ensureKafka(log: (line: string) => void = () => {}): string {
  return fetchMavenArtifacts(
    'kafka',
    `Apache Kafka ${KAFKA_VERSION}`,
    kafkaLibDir(),
    `kafka_2.13-${KAFKA_VERSION}.jar`,
    [`org.apache.kafka:kafka_2.13:${KAFKA_VERSION}`, LOG4J_SLF4J],
    log,
  );
}

export interface KafkaOptions {
  /** The broker's own directory: configuration, data, log and pid file. */
  dir: string;
  port: number;
  controllerPort: number;
  /** Partitions of topics created without a count. */
  partitions?: number;
  /** Keep running after this process exits (adw up); otherwise it is this process's child. */
  detached?: boolean;
}

/** A running single-node KRaft broker on loopback. */
export interface RunningKafka {
  brokers: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts (or restarts, on the same directory) a single-node KRaft broker and waits until it answers metadata requests.
 */
export async function startKafka(opts: KafkaOptions): Promise<RunningKafka> {
  const libs = ensureKafka();
  const data = join(opts.dir, 'data');
  mkdirSync(opts.dir, { recursive: true });
  const config = join(opts.dir, 'server.properties');
  writeFileSync(
    config,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.bootstrap.servers=127.0.0.1:${opts.controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${opts.port},CONTROLLER://127.0.0.1:${opts.controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${opts.port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      `log.dirs=${data}`,
      `num.partitions=${opts.partitions ?? 4}`,
      // One broker: every internal topic has one replica, and acks=all means that one.
      'offsets.topic.replication.factor=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      '',
    ].join('\n'),
  );
  const java = (main: string, args: string[]) => [
    '-Xms128m',
    '-Xmx512m',
    '-XX:+UseG1GC',
    '-Djava.awt.headless=true',
    '-cp',
    `${libs}/*`,
    main,
    ...args,
  ];
  if (!existsSync(join(data, 'meta.properties'))) {
    const f = spawnSync(
      'java',
      java('kafka.tools.StorageTool', ['format', '--standalone', '-t', CLUSTER_ID, '-c', config]),
      { encoding: 'utf8', timeout: 120_000 },
    );
    if (f.status !== 0)
      throw errors.stackUnavailable(
        'kafka',
        `formatting the storage failed: ${(f.stdout + f.stderr).trim().split('\n').slice(-2).join(' ')}`,
      );
  }
  const log = join(opts.dir, 'kafka.log');
  const fd = openSync(log, 'a');
  const child = spawn('java', java('kafka.Kafka', [config]), {
    stdio: ['ignore', fd, fd],
    detached: opts.detached ?? false,
  });
  closeSync(fd);
  if (opts.detached) child.unref();
  const pid = child.pid!;
  writeFileSync(join(opts.dir, 'kafka.pid'), String(pid));
  const brokers = `127.0.0.1:${opts.port}`;
  const stop = () => stopProcess(pid);
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (!processAlive(pid)) break;
    const admin = new Admin({
      clientId: 'adw-stack',
      bootstrapBrokers: [brokers],
      connectTimeout: 1000,
      timeout: 2000,
      retries: 0,
    });
    try {
      await admin.metadata({ topics: [] });
      return { brokers, pid, stop };
    } catch {
      await sleep(250);
    } finally {
      await admin.close().catch(() => undefined);
    }
  }
  await stop();
  throw errors.stackUnavailable(
    'kafka',
    `the broker did not start: ${readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' ')}`,
  );
}
