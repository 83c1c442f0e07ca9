/** Options shared by the Kafka source and sink. */
export interface KafkaConnectionOptions {
  /** Comma-separated host:port list. */
  brokers: string;
  /**
   * One topic for every event type: the NDJSON line carries its `type`, and one topic keeps a request's events in one
   * partition.
   */
  topic: string;
}

export const defaultKafkaTopic = 'adw.events';
/** Partitions of the events topic when ADW creates it. */
export const defaultKafkaPartitions = 4;
/** The engine's consumer group; its static member id lets a restarted engine take its partitions back at once. */
export const defaultConsumerGroup = 'adw-engine';

export function brokerList(brokers: string): string[] {
  return brokers
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
}
