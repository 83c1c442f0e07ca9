import { Admin } from '@platformatic/kafka';
import { errors } from '../../errors.ts';
import { brokerList } from './options.ts';
import { KafkaSource } from './source.ts';
import { rootCause } from './topic.ts';

/** The offsets a consumer group has committed on a topic, by partition (partitions it never committed are absent). */
async function committedOffsets(brokers: string, topic: string, group: string): Promise<Map<number, bigint>> {
  const admin = new Admin({ clientId: 'adw-admin', bootstrapBrokers: brokerList(brokers) });
  try {
    const [found] = await admin.listConsumerGroupOffsets({ groups: [group] });
    const partitions = found?.topics.find((t) => t.name === topic)?.partitions ?? [];
    return new Map(partitions.filter((p) => p.committedOffset >= 0n).map((p) => [p.partitionIndex, p.committedOffset]));
  } catch (e) {
    throw errors.sourceUnreachable(`Kafka at ${brokers}`, rootCause(e));
  } finally {
    await admin.close();
  }
}

/**
 * Whether a consumer group has committed past every committed record of a topic. Its offsets are compared by
 * reading, not with the log end: a transactional topic ends with markers (and aborted records) that a consumer
 * never receives, so a group that has consumed everything may still commit an offset short of the end.
 */
export async function groupConsumedAll(brokers: string, topic: string, group: string): Promise<boolean> {
  const offsets = await committedOffsets(brokers, topic, group);
  const probe = new KafkaSource({ brokers, topic, group: `${group}.probe`, untilCaughtUp: true });
  try {
    await probe.open(JSON.stringify(Object.fromEntries([...offsets].map(([p, o]) => [p, String(o)]))), null);
    for (;;) {
      const poll = await probe.poll(1);
      if (poll.records.length > 0) return false;
      if (poll.end) return true;
    }
  } finally {
    await probe.close();
  }
}
