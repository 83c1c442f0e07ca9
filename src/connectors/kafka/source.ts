import { Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
import { errors } from '../../errors.ts';
import type { Source, SourcePoll, SourceRecord } from '../source.ts';
import { brokerList, defaultConsumerGroup, type KafkaConnectionOptions } from './options.ts';

type Msg = Message<Buffer, Buffer, Buffer, Buffer>;

/** A record taken from its message as it arrives, with its offset for the position. */
interface Buffered extends SourceRecord {
  split: number;
  offset: bigint;
}

/** `seq` of a Kafka record: partition and offset in one safe integer (partitions below 8192, offsets below 2^40). */
export function kafkaSeq(partition: number, offset: bigint): number {
  return partition * 2 ** 40 + Number(offset);
}

/** Records buffered ahead of the engine before the stream is paused. */
const BUFFER_HIGH = 50_000;
/** How long joining the topic may take before the wait is reported (the client retries an absent broker forever). */
const WAIT_NOTICE_MS = 5_000;

/** What a Kafka source is given besides its connection: who hears of a long wait, and what ends it. */
export interface KafkaSourceOptions extends KafkaConnectionOptions {
  group?: string;
  /** End once every partition is read to its log end (a backfill). */
  untilCaughtUp?: boolean;
  /** Told once when the broker has not answered for a few seconds at start-up. */
  onWaiting?: (what: string) => void;
  /** Ends a start-up wait for the broker (Ctrl-C, SIGTERM). */
  signal?: AbortSignal;
}

/**
 * The events topic as a source, read as a consumer group with auto-commit off. The position is a JSON map of
 * partition -> next offset, stored in the engine's checkpoint with the warehouse writes; on start the consumer
 * seeks there, whatever the group's committed offsets say, so a restart resumes exactly at the last checkpoint.
 */
export class KafkaSource implements Source {
  readonly id: string;
  readonly lagUnit = 'records';
  private readonly opts: KafkaSourceOptions & { group: string; untilCaughtUp: boolean };
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | null = null;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | null = null;
  /**
   * Records waiting for the engine, taken from their messages as they arrive: the client's message objects (headers,
   * key, value's view, offsets) held here for up to tens of thousands of records outlived young-generation
   * collections, and their copies in the old generation started full collections.
   */
  private buffer: Buffered[] = [];
  private head = 0;
  private failure: Error | null = null;
  /** Ends the current idle wait: called on data or an error, so waiting adds no listener per poll. */
  private wake: (() => void) | null = null;
  /** Next offset to read, by partition: the position. */
  private readonly next = new Map<number, bigint>();
  /**
   * The partitions with records past the position when the source opened (see `Source.splits`). A transactional
   * topic's last commit marker counts as one: such a partition holds the watermark until it delivers or goes idle.
   */
  private awaited: number[] = [];
  /** Log-end offsets by partition, refreshed in the background for lag. */
  private readonly ends = new Map<number, bigint>();
  private lagTimer: NodeJS.Timeout | null = null;
  /** Group offset commits run one at a time, newest position only: an older one never lands after a newer one. */
  private commitQueued: string | null = null;
  private committing: Promise<void> | null = null;

  constructor(opts: KafkaSourceOptions) {
    this.opts = { ...opts, group: opts.group ?? defaultConsumerGroup, untilCaughtUp: opts.untilCaughtUp ?? false };
    this.id = `kafka:${this.opts.topic}`;
  }

  async open(position: string | null, fingerprint: string | null): Promise<void> {
    if (fingerprint !== null && fingerprint !== this.fingerprint())
      throw errors.inputMismatch(this.id, `the checkpoint is of ${fingerprint}`);
    if (position !== null) {
      for (const [p, o] of Object.entries(JSON.parse(position) as Record<string, string>))
        this.next.set(Number(p), BigInt(o));
    }
    this.consumer = new Consumer({
      clientId: 'adw-engine',
      groupId: this.opts.group,
      groupInstanceId: `${this.opts.group}-1`,
      bootstrapBrokers: brokerList(this.opts.brokers),
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      retries: Number.MAX_SAFE_INTEGER,
      retryDelay: 500,
    });
    const offsets = [...this.next].map(([partition, offset]) => ({ topic: this.opts.topic, partition, offset }));
    const consuming = this.consumer.consume({
      // Small per-partition fetches keep the partitions' event times close together, so the slowest partition's
      // watermark trails the others little (measured: 2 MB per partition was no faster).
      topics: [this.opts.topic],
      autocommit: false,
      maxWaitTime: 100,
      maxBytes: 8 * 1024 * 1024,
      maxBytesPerPartition: 256 * 1024,
      // Partitions without a stored offset start at the beginning: nothing of them was committed yet.
      ...(offsets.length > 0 ? { mode: 'manual', offsets, fallbackMode: 'earliest' } : { mode: 'earliest' }),
    });
    this.stream = await this.untilJoined(consuming);
    this.stream.on('data', (m: Msg) => {
      this.buffer.push({
        line: m.value.toString('utf8'),
        bytes: m.value.length,
        seq: kafkaSeq(m.partition, m.offset),
        split: m.partition,
        offset: m.offset,
      });
      if (this.buffer.length - this.head >= BUFFER_HIGH) this.stream!.pause();
      this.wake?.();
    });
    this.stream.on('error', (e: Error) => {
      this.failure = e;
      this.wake?.();
    });
    // Without the log ends (the broker did not answer) no partition is awaited: the watermark follows those delivered.
    await this.refreshEnds();
    this.awaited = [...this.ends].filter(([p, end]) => (this.next.get(p) ?? 0n) < end).map(([p]) => p);
    this.lagTimer = setInterval(() => void this.refreshEnds(), 2000);
    this.lagTimer.unref();
  }

  /** Waits for the consumer to join, saying once if the broker is slow to answer, and giving up when interrupted. */
  private async untilJoined<T>(joining: Promise<T>): Promise<T> {
    const what = `Kafka at ${this.opts.brokers} (topic ${this.opts.topic})`;
    const notice = setTimeout(() => this.opts.onWaiting?.(what), WAIT_NOTICE_MS);
    const abort = new AbortController();
    try {
      return await Promise.race([
        joining,
        new Promise<never>((_, reject) => {
          const fail = () => reject(errors.interrupted(`while waiting for ${what}`));
          if (this.opts.signal?.aborted) fail();
          this.opts.signal?.addEventListener('abort', fail, { signal: abort.signal });
        }),
      ]);
    } finally {
      clearTimeout(notice);
      abort.abort();
    }
  }

  async poll(max: number): Promise<SourcePoll> {
    if (this.failure) throw errors.sourceFailed(this.id, this.failure.message);
    if (this.head === this.buffer.length) await this.idle(100);
    const records: SourceRecord[] = [];
    const end = Math.min(this.buffer.length, this.head + max);
    for (; this.head < end; this.head++) {
      // head < end <= buffer.length, so the slot exists.
      const r = this.buffer[this.head]!;
      const seen = this.next.get(r.split);
      // A fetch may repeat records before the stored position (a replay after a reconnect): skip them.
      if (seen !== undefined && r.offset < seen) continue;
      records.push(r);
      this.next.set(r.split, r.offset + 1n);
    }
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
      if (this.stream!.isPaused()) this.stream!.resume();
    }
    return { records, end: records.length === 0 && this.opts.untilCaughtUp && (await this.caughtUp()) };
  }

  /** Waits until data arrives, an error occurs or `ms` pass, whichever is first. */
  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /**
   * Whether every partition has been read to its log end, as the broker reports it now. Where the fetcher has gone
   * further than the records delivered, its offset counts: a transactional topic ends with commit markers, which are
   * never delivered as records (with nothing left in the stream's buffer, nothing fetched is still on its way).
   */
  private async caughtUp(): Promise<boolean> {
    await this.refreshEnds();
    const stream = this.stream!;
    if (this.ends.size === 0 || stream.readableLength > 0) return false;
    for (const [p, end] of this.ends) {
      const delivered = this.next.get(p) ?? 0n;
      const fetched = stream.offsetsToFetch.get(`${this.opts.topic}:${p}`) ?? 0n;
      if ((delivered > fetched ? delivered : fetched) < end) return false;
    }
    return true;
  }

  splits(): readonly number[] {
    return this.awaited;
  }

  position(): string {
    return JSON.stringify(
      Object.fromEntries([...this.next].sort((a, b) => a[0] - b[0]).map(([p, o]) => [p, String(o)])),
    );
  }

  fingerprint(): string {
    return `kafka:${this.opts.topic}`;
  }

  /**
   * Commits the checkpointed offsets to the consumer group, in the background (failures are retried with the next
   * checkpoint).
   */
  committed(position: string): void {
    this.commitQueued = position;
    this.committing ??= this.commitLoop();
  }

  private async commitLoop(): Promise<void> {
    while (this.commitQueued !== null && this.consumer) {
      const position = JSON.parse(this.commitQueued) as Record<string, string>;
      this.commitQueued = null;
      const offsets = Object.entries(position).map(([p, o]) => ({
        topic: this.opts.topic,
        partition: Number(p),
        offset: BigInt(o),
        leaderEpoch: -1,
      }));
      await this.consumer.commit({ offsets }).catch(() => undefined);
    }
    this.committing = null;
  }

  /** Records between the position and the log end, by partition (refreshed every 2 s). */
  lag(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [p, end] of this.ends) out[p] = Math.max(0, Number(end - (this.next.get(p) ?? 0n)));
    return out;
  }

  private async refreshEnds(): Promise<void> {
    try {
      const offsets = await this.consumer!.listOffsets({ topics: [this.opts.topic] });
      for (const [p, end] of (offsets.get(this.opts.topic) ?? []).entries()) this.ends.set(p, end);
    } catch {
      // Lag is advisory: the next refresh tries again.
    }
  }

  async close(): Promise<void> {
    if (this.lagTimer) clearInterval(this.lagTimer);
    await this.committing;
    await this.stream?.close().catch(() => undefined);
    await this.consumer?.close(true).catch(() => undefined);
  }
}
