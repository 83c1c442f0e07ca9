import { Admin } from '@platformatic/kafka';
import { brokerList, defaultKafkaPartitions } from './options.ts';

/** Creates the events topic unless it exists (one replica per partition: a local broker). */
export async function ensureTopic(brokers: string, topic: string, partitions = defaultKafkaPartitions): Promise<void> {
  const admin = new Admin({ clientId: 'adw-admin', bootstrapBrokers: brokerList(brokers) });
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
  } finally {
    await admin.close();
  }
}
