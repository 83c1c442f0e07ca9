import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { lineRecord, type Source, type SourcePoll } from '../source.ts';
import type { TakeLines, TrafficThreadData } from './traffic-thread.ts';

/** Options of the live simulator source. */
export interface LiveSimulatorOptions {
  seed: number;
  /** Event lines per second of wall time. */
  rate: number;
}

/**
 * Simulated traffic stamped with the wall clock, released as it "arrives": the demo's source.
 * Each start is a new stream (its id carries the start time), so it never resumes another one's checkpoint.
 * The traffic is drawn on a thread of its own: drawing 20,000 events/s took a sixth of the thread the engine shares
 * with the API (CPU profile of adw bench --serve), work that live input arriving from outside does not cost.
 */
export class LiveSimulatorSource implements Source {
  readonly id: string;
  private readonly data: TrafficThreadData;
  private thread: Worker | null = null;
  private count = 0;

  constructor(options: LiveSimulatorOptions) {
    const startMs = Date.now();
    this.data = { seed: options.seed, startMs, rate: options.rate };
    this.id = `simulator:${options.seed}@${new Date(startMs).toISOString()}`;
  }

  async open(): Promise<void> {
    this.thread = new Worker(new URL('./traffic-thread.ts', import.meta.url), { workerData: this.data });
    // Held only while a poll waits for it: an engine stopped without close() does not keep the process alive.
    this.thread.unref();
  }

  async poll(max: number, wait = true): Promise<SourcePoll> {
    const thread = this.thread!;
    thread.ref();
    const answer = once(thread, 'message');
    thread.postMessage({ untilMs: Date.now(), max } satisfies TakeLines);
    const [lines] = (await answer.finally(() => thread.unref())) as [string[]];
    if (lines.length === 0 && wait) await sleep(50);
    const records = lines.map((line) => lineRecord(line, this.count++));
    return { records, end: false };
  }

  position(): string {
    return String(this.count);
  }

  fingerprint(): string {
    return this.id;
  }

  async close(): Promise<void> {
    await this.thread?.terminate();
    this.thread = null;
  }
}
