import type { KafkaSink } from '../../connectors/kafka/sink.ts';
import { streamRecord } from '../../events/stream-record.ts';
import { BaseOperator, type Output, type RunContext } from '../operator.ts';
import type { Tracked } from '../records.ts';
import type { Stage } from '../stages.ts';

/** Every dimension change goes to one partition, so a reader sees the changes of a row in order. */
const DIMENSION_KEY = 'dim';

/**
 * Sends each validated record on to another engine's stream topic as a stream record (src/events/stream-record.ts),
 * keyed by request id, and passes it on. A batch is acknowledged by the broker before the next is taken, so a
 * checkpoint covers only records already sent; after a crash the records since the last checkpoint are sent again,
 * identical, and the other engine's deduplication drops the copies.
 */
export class ForwardOperator extends BaseOperator<Tracked, Tracked> {
  readonly name = 'forward';
  private readonly stage: Stage<'forward'>;
  private sink: KafkaSink | null = null;

  constructor(stage: Stage<'forward'>) {
    super();
    this.stage = stage;
  }

  // The Kafka client is loaded here, not with the pipeline: a third of a second that only a forwarding run pays.
  override async open(_ctx: RunContext): Promise<void> {
    const { KafkaSink } = await import('../../connectors/kafka/sink.ts');
    this.sink = new KafkaSink({ brokers: this.stage.brokers, topic: this.stage.topic });
  }

  async processBatch(batch: Tracked[], out: Output<Tracked>): Promise<void> {
    await this.sink!.sendKeyed(
      batch.map((r) => ({
        key: r.kind === 'dim' ? DIMENSION_KEY : r.kind === 'request' ? r.id : r.requestId,
        value: JSON.stringify(streamRecord(r, r.late)),
      })),
    );
    for (const r of batch) out.push(r);
  }

  override async close(): Promise<void> {
    await this.sink?.close();
  }
}
