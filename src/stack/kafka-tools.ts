import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { KAFKA_VERSION, kafkaLibDir } from './kafka.ts';
import { fetchMavenArtifacts, LOG4J_SLF4J } from './maven.ts';

/**
 * Apache Kafka's own command-line tools that ADW runs, named as their kafka-<name>.sh scripts, with their main class.
 */
export const kafkaTools = {
  'consumer-groups': 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
  topics: 'org.apache.kafka.tools.TopicCommand',
  'get-offsets': 'org.apache.kafka.tools.GetOffsetShell',
} as const;
export type KafkaToolName = keyof typeof kafkaTools;

/** Where the tools' jars are cached: apart from the broker's, whose class path they would otherwise join. */
export function kafkaToolsDir(): string {
  return join(kafkaLibDir(), '..', 'tools');
}

/**
 * Fetches org.apache.kafka:kafka-tools (the broker's version) and its runtime dependencies unless cached. Returns the
 * directory of jars.
 */
export function ensureKafkaTools(log: (line: string) => void = () => {}): string {
  return fetchMavenArtifacts(
    'kafka',
    `Apache Kafka ${KAFKA_VERSION} tools`,
    kafkaToolsDir(),
    `kafka-tools-${KAFKA_VERSION}.jar`,
    [`org.apache.kafka:kafka-tools:${KAFKA_VERSION}`, LOG4J_SLF4J],
    log,
  );
}

/** Runs one of Kafka's tools on the machine's Java, its output on this process's; resolves to its exit status. */
export async function runKafkaTool(tool: KafkaToolName, args: string[]): Promise<number> {
  const libs = ensureKafkaTools();
  const child = spawn('java', ['-Xmx256m', '-Djava.awt.headless=true', '-cp', `${libs}/*`, kafkaTools[tool], ...args], {
    stdio: 'inherit',
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  return code ?? 1;
}
