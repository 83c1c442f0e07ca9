import { Producer, stringSerializers, type MessageToProduce } from '@platformatic/kafka';
import { brokerList, defaultKafkaPartitions, type KafkaConnectionOptions } from './options.ts';
import { ensureTopic } from './topic.ts';

const REQUEST_ID = /"request_id"\s*:\s*"([^"\\]{1,64})"/;
const DIMENSION = /^\s*\{\s*"type"\s*:\s*"dim"/;

/** A value to produce, to the partition of its key or to the partition given. */
export interface KeyedValue {
  key?: string;
  partition?: number;
  value: string;
}

/**
 * Produces NDJSON records to the events topic with an idempotent producer and acks from all in-sync replicas;
 * `send` resolves only once the broker has acknowledged every record. Records are keyed by request id, so a request
 * and its follow events share a partition. Dimension records go to every partition, ahead of the events that use
 * them there: the engine reads partitions independently (in production dimensions come from the binlog source).
 */
export class KafkaSink {
  private readonly producer: Producer<string, string, string, string>;
  private readonly opts: KafkaConnectionOptions & { partitions: number };
  private ready: Promise<void> | null = null;

  constructor(opts: KafkaConnectionOptions & { partitions?: number }) {
    this.opts = { ...opts, partitions: opts.partitions ?? defaultKafkaPartitions };
    this.producer = new Producer({
      clientId: 'adw-producer',
      bootstrapBrokers: brokerList(opts.brokers),
      serializers: stringSerializers,
      idempotent: true,
      acks: -1,
      retries: 10,
      retryDelay: 500,
    });
  }

  /** Sends one batch of lines; resolves once all are acknowledged. */
  async send(lines: readonly string[]): Promise<void> {
    await this.sendKeyed(
      lines.flatMap((value): KeyedValue[] => {
        if (DIMENSION.test(value))
          return Array.from({ length: this.opts.partitions }, (_, partition) => ({ value, partition }));
        const key = REQUEST_ID.exec(value)?.[1];
        return [key === undefined ? { value } : { key, value }];
      }),
    );
  }

  /** Sends values with the keys (or partitions) given; resolves once all are acknowledged. */
  async sendKeyed(messages: readonly KeyedValue[]): Promise<void> {
    this.ready ??= ensureTopic(this.opts.brokers, this.opts.topic, this.opts.partitions);
    await this.ready;
    const topic = this.opts.topic;
    await this.producer.send({
      messages: messages.map((m): MessageToProduce<string, string, string, string> => ({ topic, ...m })),
    });
  }

  async close(): Promise<void> {
    await this.producer.close();
  }
}
