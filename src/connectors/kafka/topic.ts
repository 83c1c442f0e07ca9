import { Admin } from '@platformatic/kafka';
import { errors } from '../../errors.ts';
import { brokerList, defaultKafkaPartitions } from './options.ts';

/** Creates the events topic unless it exists (one replica per partition: a local broker). */
export async function ensureTopic(brokers: string, topic: string, partitions = defaultKafkaPartitions): Promise<void> {
  const admin = new Admin({ clientId: 'adw-admin', bootstrapBrokers: brokerList(brokers) });
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } catch (e) {
    throw errors.sourceUnreachable(`Kafka at ${brokers}`, rootCause(e));
  } finally {
    await admin.close();
  }
}

/** The innermost cause of a client error ("connect ECONNREFUSED ..."), which says more than its wrappers. */
export function rootCause(e: unknown): string {
  let c = e as { message?: string; cause?: unknown; errors?: unknown[] } | undefined;
  for (let i = 0; i < 10 && c && (c.cause ?? c.errors?.[0]); i++) c = (c.cause ?? c.errors?.[0]) as typeof c;
  return c?.message ?? String(e);
}
