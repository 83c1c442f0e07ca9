import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Source } from '../connectors/source.ts';
import { DimensionState } from '../state/dimension-state.ts';
import { SpillFile } from '../state/spill-file.ts';
import type { Warehouse } from '../warehouse/warehouse.ts';
import { checkpointCounters, type Counters, emptyCounters } from '../layers/meta.ts';
import { type CheckpointWrites, emptyWrites, releaseWrites } from '../warehouse/checkpoint-writes.ts';
import type { EngineConfig } from './config.ts';
import { FreshnessTracker } from './freshness.ts';
import type { Operator, Output, RunContext } from './operator.ts';
import { instantiate } from './pipeline.ts';
import type { PipelineDefinition } from './stages.ts';
import { emptyStats, type RunStats, type StateSize } from './stats.ts';

/** The engine lets the event loop run at least this often while it works through batches. */
const YIELD_EVERY_MS = 4;

export interface JobOptions {
  /** Stop once the source reports its end and everything is committed. */
  untilEnd: boolean;
  signal?: AbortSignal;
  /** Called after each commit (for progress output and live metrics). */
  onCommit?: (status: JobStatus) => void;
  /** Monitoring hooks: start, each commit in detail, checkpoint failures. */
  observers?: JobObserver[];
}

/** What a monitor learns from a running job. */
export interface JobObserver {
  /** `counters` are the totals restored from the last checkpoint (zero on a fresh start). */
  started(resumed: boolean, counters: Counters): void;
  committed(report: CommitReport): void;
  checkpointFailed(error: unknown): void;
}

/** One commit in detail, for monitoring. */
export interface CommitReport {
  status: JobStatus;
  stats: RunStats;
  /** From the start of sealing the epoch to its commit being durable. */
  checkpointMs: number;
  /** The warehouse write alone. */
  writeMs: number;
  /** Rows written, by table family. */
  rows: Record<'ods' | 'dim_changes' | 'dead_letters' | 'dwd' | 'dwd_unmatched' | 'dwa', number>;
  /** Entry-to-queryable wall time (ms) of each of the epoch's batches, and its records. */
  freshness: { ms: number; n: number }[];
  state: ({ operator: string } & StateSize)[];
  /** How far the source is behind its input, by partition (when the source can tell). */
  lag: Record<string, number>;
}

/** A job's progress, as reported after each commit. */
export interface JobStatus {
  epoch: number;
  position: string;
  counters: Counters;
  watermark: number;
  maxEventMs: number;
  committedAt: number;
}

/** A batch's wall-clock entry time and how many records it carried, for freshness. */
interface Entered {
  at: number;
  n: number;
}

/**
 * Runs a pipeline over a source into a warehouse with exactly-once checkpoints. A checkpoint is one warehouse
 * transaction holding the epoch's ODS, DWD and DWA writes together with the source position and event-time
 * progress; operator state is a cache of committed rows within its horizon, rebuilt from the warehouse on start.
 * One commit runs in the background while the next epoch is processed.
 */
export class Job {
  readonly freshness = new FreshnessTracker();
  /** Wall time spent sealing epochs (mostly late records' warehouse look-ups), in ms. */
  sealMs = 0;
  private readonly ops: Operator<unknown, unknown>[];
  private readonly ctx: RunContext;
  private readonly source: Source;
  private readonly warehouse: Warehouse;
  private inflight: {
    epoch: number;
    done: Promise<number>;
    entered: Entered[];
    status: JobStatus;
    sealedAt: number;
    writeAt: number;
    rows: CommitReport['rows'];
    writes: CheckpointWrites;
  } | null = null;
  private entered: Entered[] = [];
  private lastStatus: JobStatus | null = null;
  /**
   * Housekeeping in flight. It runs beside the loop, its short transactions taking turns with the checkpoints' commits:
   * awaited, each run stopped the loop for its whole length. `failed` holds its error until the loop throws it.
   */
  private housekeeping: { done: Promise<void>; failed: { error: unknown } | null } | null = null;
  /** When the engine last let the event loop run (API requests, timers). */
  private yieldedAt = 0;
  /** Each operator's output, written again for each batch: no operator keeps its input past `processBatch`. */
  private readonly outputs: BatchOutput<unknown>[];

  constructor(def: PipelineDefinition, source: Source, warehouse: Warehouse, config: EngineConfig) {
    this.ops = instantiate(def);
    this.outputs = this.ops.map(() => new BatchOutput());
    this.source = source;
    this.warehouse = warehouse;
    this.ctx = {
      config,
      store: warehouse,
      dims: new DimensionState(),
      spill: config.stateMemoryBytes === null ? null : new SpillFile(warehouse.spillPath),
      counters: emptyCounters(),
      stats: emptyStats(),
      epoch: 1,
      maxEventMs: 0,
      watermark: -config.watermarkDelayMs,
      splits: [],
      flushedUntilMs: 0,
      sealing: false,
      now: Date.now(),
    };
  }

  get status(): JobStatus | null {
    return this.lastStatus;
  }

  async run(options: JobOptions): Promise<JobStatus> {
    try {
      return await this.process(options);
    } finally {
      // The warehouse may be closed once this returns: no housekeeping may still be writing to it.
      await this.housekeeping?.done;
      for (const op of this.ops) await op.close();
      this.ctx.spill?.close();
    }
  }

  private async process(options: JobOptions): Promise<JobStatus> {
    const ctx = this.ctx;
    const cp = await this.warehouse.readCheckpoint(this.source.id);
    if (cp) {
      for (const { name } of checkpointCounters) ctx.counters[name] = cp[name];
      ctx.epoch = cp.epoch + 1;
      ctx.maxEventMs = cp.maxEventMs;
      ctx.flushedUntilMs = cp.flushedUntilMs;
      // Checkpoints written before the watermark was stored: it was then always the highest event time less the delay.
      ctx.watermark = cp.watermarkMs ?? cp.maxEventMs - ctx.config.watermarkDelayMs;
    }
    await this.source.open(cp?.position ?? null, cp?.fingerprint ?? null);
    ctx.splits = this.source.splits?.() ?? [];
    for (const o of options.observers ?? []) o.started(cp !== null, { ...ctx.counters });
    for (const op of this.ops) await op.open(ctx);
    let lastCheckpoint = performance.now();
    let lastMaintenance = performance.now();
    let end = false;
    while (!end && !options.signal?.aborted) {
      const poll = await this.source.poll(ctx.config.batchSize);
      end = poll.end && options.untilEnd;
      if (poll.records.length > 0) {
        ctx.now = Date.now();
        this.entered.push({ at: performance.now(), n: poll.records.length });
        await this.advance(poll.records, () => this.ctx.watermark);
      }
      if (performance.now() - lastCheckpoint >= ctx.config.checkpointIntervalMs) {
        await this.checkpoint(options);
        lastCheckpoint = performance.now();
        this.throwIfHousekeepingFailed();
        if (!this.housekeeping && performance.now() - lastMaintenance >= ctx.config.maintenanceIntervalMs) {
          this.startHousekeeping(ctx.watermark - ctx.config.allowedLatenessMs - 60_000);
          lastMaintenance = performance.now();
        }
      }
    }
    if (end) {
      // The input is complete: nothing waits for records that cannot come any more.
      await this.seal();
      ctx.flushedUntilMs = ctx.maxEventMs;
      await this.advance([], () => Number.POSITIVE_INFINITY);
    }
    await this.checkpoint(options);
    await this.settle(options);
    await this.housekeeping?.done;
    this.throwIfHousekeepingFailed();
    return this.lastStatus!;
  }

  /** Starts a housekeeping run over what settled before `settledBeforeMs`. */
  private startHousekeeping(settledBeforeMs: number): void {
    const run = { done: Promise.resolve(), failed: null as { error: unknown } | null };
    run.done = this.warehouse.maintain(settledBeforeMs, this.ctx.config.odsRetentionDays).then(
      () => {
        this.housekeeping = null;
      },
      (error: unknown) => {
        run.failed = { error };
      },
    );
    this.housekeeping = run;
  }

  private throwIfHousekeepingFailed(): void {
    const failed = this.housekeeping?.failed;
    if (failed) throw failed.error;
  }

  /** Pushes a batch through the operators, each followed by the watermark (read once the batch has moved it). */
  private async advance(batch: unknown[], watermark: () => number): Promise<void> {
    let input = batch;
    for (let i = 0; i < this.ops.length; i++) {
      const op = this.ops[i]!;
      const out = this.outputs[i]!;
      out.count = 0;
      // Operators' awaits resolve at once, so without this a batch held the thread from poll to sink (measured up to
      // 0.5 s with adw bench --serve): API requests served by this process waited for whole batches. At most every
      // YIELD_EVERY_MS, not before every operator: that was nine turns of the event loop per batch.
      if (input.length > 0 && performance.now() - this.yieldedAt >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        this.yieldedAt = performance.now();
      }
      if (input.length > 0 || this.ctx.sealing) await op.processBatch(input, out, this.ctx);
      op.onWatermark(watermark(), out, this.ctx);
      input = out.written();
    }
  }

  /** Lets every operator finish the work it deferred to the end of the epoch. */
  private async seal(): Promise<void> {
    const started = performance.now();
    this.ctx.sealing = true;
    try {
      await this.advance([], () => this.ctx.watermark);
    } finally {
      this.ctx.sealing = false;
      this.sealMs += performance.now() - started;
    }
  }

  /** Seals the current epoch: gathers every operator's writes and starts their commit once the previous one is done. */
  private async checkpoint(options: JobOptions): Promise<void> {
    const ctx = this.ctx;
    const sealedAt = performance.now();
    await this.seal();
    const writes = emptyWrites(ctx.epoch, this.source.id);
    writes.position = this.source.position();
    writes.fingerprint = this.source.fingerprint();
    writes.maxEventMs = ctx.maxEventMs;
    writes.watermarkMs = ctx.watermark;
    writes.flushedUntilMs = ctx.flushedUntilMs;
    writes.counters = { ...ctx.counters };
    for (const op of this.ops) op.onCheckpoint(writes, ctx);
    await this.settle(options);
    const status: JobStatus = {
      epoch: ctx.epoch,
      position: writes.position,
      counters: writes.counters,
      watermark: ctx.watermark,
      maxEventMs: ctx.maxEventMs,
      committedAt: 0,
    };
    const rows = {
      ods: writes.ods.length,
      dim_changes: writes.dimChanges.length,
      dead_letters: writes.deadLetters.length,
      dwd: writes.dwd.length + writes.dwdLate.length,
      dwd_unmatched: writes.dwdUnmatched.length,
      dwa: writes.dwa.length,
    };
    const writeAt = performance.now();
    const done = this.warehouse.commit(writes).then(() => performance.now());
    done.catch(() => undefined); // awaited in settle(); this only keeps Node from calling it unhandled meanwhile
    this.inflight = { epoch: ctx.epoch, done, entered: this.entered, status, sealedAt, writeAt, rows, writes };
    this.entered = [];
    ctx.epoch++;
  }

  /** Waits for the commit in flight, then lets operators release what it made durable. */
  private async settle(options: JobOptions): Promise<void> {
    const f = this.inflight;
    if (!f) return;
    this.inflight = null;
    let committedAt: number;
    try {
      committedAt = await f.done;
    } catch (e) {
      for (const o of options.observers ?? []) o.checkpointFailed(e);
      throw e;
    }
    releaseWrites(f.writes);
    const freshness = f.entered.map((e) => ({ ms: committedAt - e.at, n: e.n }));
    for (const e of freshness) this.freshness.record(e.ms, e.n);
    for (const op of this.ops) op.onCommit(f.epoch, this.ctx);
    f.status.committedAt = Date.now();
    this.lastStatus = f.status;
    this.freshness.newestCommittedAt = f.status.committedAt;
    this.source.committed?.(f.status.position);
    options.onCommit?.(f.status);
    const observers = options.observers ?? [];
    if (observers.length === 0) return;
    const report: CommitReport = {
      status: f.status,
      stats: this.ctx.stats,
      checkpointMs: committedAt - f.sealedAt,
      writeMs: committedAt - f.writeAt,
      rows: f.rows,
      freshness,
      state: this.ops.flatMap((op) => {
        const size = op.stateSize();
        return size ? [{ operator: op.name, ...size }] : [];
      }),
      lag: this.source.lag?.() ?? {},
    };
    for (const o of observers) o.committed(report);
  }
}

/**
 * An operator's output for one batch after another, written by index into one array: emptied by `length = 0`, an
 * array gives its storage back to V8, and each batch grew it again a push at a time (8% of what a 2-million-event
 * bench allocated, 2026-12-07).
 */
class BatchOutput<T> implements Output<T> {
  private readonly items: T[] = [];
  /** Records written for the batch at hand. */
  count = 0;

  push(item: T): void {
    this.items[this.count++] = item;
  }

  /** The batch's records: the array cut to them (kept whole while a batch is about as long as the one before). */
  written(): T[] {
    this.items.length = this.count;
    return this.items;
  }
}
