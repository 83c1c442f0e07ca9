import type { Counters } from '../layers/meta.ts';
import type { CheckpointWrites } from '../warehouse/checkpoint-writes.ts';
import type { EngineConfig } from './config.ts';
import type { EngineStore } from '../warehouse/warehouse.ts';
import type { DimensionState } from '../state/dimension-state.ts';
import type { SpillFile } from '../state/spill-file.ts';
import type { RunStats, StateSize } from './stats.ts';

/** What every operator of a running pipeline can see. */
export interface RunContext {
  readonly config: EngineConfig;
  readonly store: EngineStore;
  readonly dims: DimensionState;
  /** Where keyed state bounded by a memory budget spills what memory cannot hold; null with the whole window in memory. */
  readonly spill: SpillFile | null;
  readonly counters: Counters;
  /** This process's tallies for monitoring (not checkpointed). */
  readonly stats: RunStats;
  /** The checkpoint epoch being filled. */
  epoch: number;
  /** Highest event time seen (over all splits; the watermark follows the slowest split, see the watermark operator). */
  maxEventMs: number;
  watermark: number;
  /** The splits the source had records to deliver in when it opened (`Source.splits`); set before operators open. */
  splits: readonly number[];
  /** Where a finite input last ended: follow events up to here went out unmatched without waiting longer. */
  flushedUntilMs: number;
  /**
   * Set while the epoch is being sealed for a checkpoint: operators finish deferred work now (late records wait
   * for this, so their warehouse look-ups happen once per checkpoint rather than once per batch).
   */
  sealing: boolean;
  /** Wall clock, for validation of absurd future timestamps. */
  now: number;
}

/** Where an operator puts the records it passes on (an array will do). */
export interface Output<T> {
  push(item: T): void;
}

/**
 * A pipeline operator. Every operator has the same hooks, called by the job runner in this order:
 * open once (restore state from the committed warehouse), then per batch processBatch and onWatermark,
 * per checkpoint a sealing pass (processBatch with ctx.sealing set, possibly on an empty batch), onCheckpoint (add this
 * epoch's writes), and onCommit once that checkpoint is durable; close once the run ends. `batch` and `out` are the
 * runner's, used again for the next batch: an operator keeps records, never them.
 */
export interface Operator<I = unknown, O = unknown> {
  readonly name: string;
  open(ctx: RunContext): Promise<void>;
  processBatch(batch: I[], out: Output<O>, ctx: RunContext): void | Promise<void>;
  onWatermark(watermark: number, out: Output<O>, ctx: RunContext): void;
  onCheckpoint(writes: CheckpointWrites, ctx: RunContext): void;
  onCommit(epoch: number, ctx: RunContext): void;
  /** How much keyed state the operator holds now (for monitoring); null for operators that keep none. */
  stateSize(): StateSize | null;
  /** Releases what the operator holds outside the process (connections), once the run is over. */
  close(): Promise<void>;
}

/** Default no-op hooks, so an operator spells out only what it does. */
export abstract class BaseOperator<I, O> implements Operator<I, O> {
  abstract readonly name: string;
  async open(_ctx: RunContext): Promise<void> {}
  abstract processBatch(batch: I[], out: Output<O>, ctx: RunContext): void | Promise<void>;
  onWatermark(_watermark: number, _out: Output<O>, _ctx: RunContext): void {}
  onCheckpoint(_writes: CheckpointWrites, _ctx: RunContext): void {}
  onCommit(_epoch: number, _ctx: RunContext): void {}
  stateSize(): StateSize | null {
    return null;
  }
  async close(): Promise<void> {}
}
