import { setTimeout as sleep } from 'node:timers/promises';
import { buildDimensions, dimensionLines } from '../../simulator/dimensions.ts';
import { resolveSimulatorOptions } from '../../simulator/options.ts';
import { TrafficGenerator } from '../../simulator/traffic.ts';
import type { Source, SourcePoll, SourceRecord } from '../source.ts';

/** Options of the live simulator source. */
export interface LiveSimulatorOptions {
  seed: number;
  /** Event lines per second of wall time. */
  rate: number;
}

/**
 * Simulated traffic stamped with the wall clock, released as it "arrives": the demo's source.
 * Each start is a new stream (its id carries the start time), so it never resumes another one's checkpoint.
 */
export class LiveSimulatorSource implements Source {
  readonly id: string;
  private readonly traffic: TrafficGenerator;
  private pending: string[];
  private count = 0;

  constructor(options: LiveSimulatorOptions) {
    const startMs = Date.now();
    const events = Number.MAX_SAFE_INTEGER;
    const o = resolveSimulatorOptions({ seed: options.seed, startMs, events, spanMs: (events / options.rate) * 1000 });
    this.id = `simulator:${options.seed}@${new Date(startMs).toISOString()}`;
    this.traffic = new TrafficGenerator(o);
    this.pending = dimensionLines(buildDimensions(o));
  }

  async open(): Promise<void> {}

  async poll(max: number): Promise<SourcePoll> {
    let lines = this.pending.splice(0, max);
    if (lines.length === 0) lines = this.traffic.takeUntil(Date.now(), max);
    if (lines.length === 0) await sleep(50);
    const records: SourceRecord[] = lines.map((line) => ({ line, bytes: Buffer.byteLength(line), seq: this.count++ }));
    return { records, end: false };
  }

  position(): string {
    return String(this.count);
  }

  fingerprint(): string {
    return this.id;
  }

  async close(): Promise<void> {}
}
