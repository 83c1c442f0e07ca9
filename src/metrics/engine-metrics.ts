import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { type CounterName, type Counters, checkpointCounters } from '../layers/meta.ts';
import type { CommitReport, JobObserver } from '../engine/job.ts';
import { METRIC_PREFIX as P } from '../http/metrics-registry.ts';

/**
 * The Prometheus counter of each checkpoint counter; dead letters are counted by reason from the run's stats instead.
 */
const counterMetrics: Record<CounterName, { name: string; help: string } | null> = {
  recordsIn: { name: `${P}records_in_total`, help: 'input records read (accepted + dead-lettered)' },
  accepted: { name: `${P}records_accepted_total`, help: 'input records that passed validation' },
  deadLettered: null,
  duplicates: { name: `${P}duplicates_dropped_total`, help: 'repeated records (client retries) dropped by id' },
  late: { name: `${P}late_events_total`, help: 'records later than the allowed lateness (still processed exactly)' },
};

/**
 * The engine's Prometheus metrics, fed by the job's observer hooks once per commit (nothing per record): counters
 * advance by what the run's tallies grew since the last commit.
 */
export class EngineMetrics implements JobObserver {
  private readonly counters: [CounterName, Counter][];
  private readonly eventsIn: Counter<'type'>;
  private readonly deadLetters: Counter<'reason'>;
  private readonly join: Counter<'result'>;
  private readonly spend: Counter;
  private readonly lag: Gauge<'partition'>;
  private readonly freshness: Histogram;
  private readonly eventFreshness: Histogram;
  private readonly checkpointDuration: Histogram;
  private readonly checkpointFailures: Counter;
  private readonly lastCheckpoint: Gauge;
  private readonly epoch: Gauge;
  private readonly watermark: Gauge;
  private readonly starts: Counter<'resumed'>;
  private readonly stateKeys: Gauge<'operator' | 'tier'>;
  private readonly stateBytes: Gauge<'operator' | 'tier'>;
  private readonly sinkWrite: Histogram;
  private readonly sinkRows: Histogram<'table'>;
  /** Tallies as of the previous commit: counters advance by the difference. */
  private seen = new Map<string, number>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.counters = checkpointCounters.flatMap(({ name }) => {
      const m = counterMetrics[name];
      return m ? [[name, new Counter({ ...m, registers })] as [CounterName, Counter]] : [];
    });
    this.eventsIn = new Counter({
      name: `${P}events_in_total`,
      help: 'accepted records by type (request, exposure, viewable, click, dim)',
      labelNames: ['type'],
      registers,
    });
    this.deadLetters = new Counter({
      name: `${P}dead_letters_total`,
      help: 'records sent to the dead-letter table, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.join = new Counter({
      name: `${P}join_total`,
      help: 'follow events emitted joined to their request (hit) or without it (miss)',
      labelNames: ['result'],
      registers,
    });
    this.spend = new Counter({
      name: `${P}spend_total`,
      help: 'spend of the emitted detail rows, in currency units',
      registers,
    });
    this.lag = new Gauge({
      name: `${P}consumer_lag`,
      help: 'how far the source is behind its input, by partition (records; bytes for files)',
      labelNames: ['partition'],
      registers,
    });
    this.freshness = new Histogram({
      name: `${P}freshness_seconds`,
      help: 'wall time from a batch entering the engine to its checkpoint being queryable',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers,
    });
    this.eventFreshness = new Histogram({
      name: `${P}event_freshness_seconds`,
      help: 'wall clock at commit minus the newest committed event time (live traffic: how old the newest queryable event is)',
      buckets: [1, 2, 5, 10, 30, 60, 300, 900, 3600],
      registers,
    });
    this.checkpointDuration = new Histogram({
      name: `${P}checkpoint_duration_seconds`,
      help: 'from sealing an epoch to its commit being durable',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.checkpointFailures = new Counter({
      name: `${P}checkpoint_failures_total`,
      help: 'checkpoints whose warehouse commit failed',
      registers,
    });
    this.lastCheckpoint = new Gauge({
      name: `${P}last_checkpoint_timestamp_seconds`,
      help: 'wall-clock time of the last committed checkpoint',
      registers,
    });
    this.epoch = new Gauge({ name: `${P}checkpoint_epoch`, help: 'epoch of the last committed checkpoint', registers });
    this.watermark = new Gauge({
      name: `${P}watermark_timestamp_seconds`,
      help: 'event-time watermark at the last commit',
      registers,
    });
    this.starts = new Counter({
      name: `${P}engine_starts_total`,
      help: 'engine starts in this process, resumed from a checkpoint or fresh',
      labelNames: ['resumed'],
      registers,
    });
    this.stateKeys = new Gauge({
      name: `${P}state_keys`,
      help: 'keys of operator state: held in memory, or left to the warehouse file (tier disk)',
      labelNames: ['operator', 'tier'],
      registers,
    });
    this.stateBytes = new Gauge({
      name: `${P}state_bytes`,
      help: 'size of operator state: memory (tier memory), or an estimate of the warehouse file it takes (tier disk)',
      labelNames: ['operator', 'tier'],
      registers,
    });
    this.sinkWrite = new Histogram({
      name: `${P}sink_write_seconds`,
      help: 'warehouse write time of one checkpoint',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    });
    this.sinkRows = new Histogram({
      name: `${P}sink_batch_rows`,
      help: 'rows written per checkpoint, by table family',
      labelNames: ['table'],
      buckets: [10, 100, 1_000, 10_000, 100_000, 1_000_000],
      registers,
    });
  }

  started(resumed: boolean, restored: Counters): void {
    this.starts.inc({ resumed: String(resumed) });
    // Checkpointed totals carry over restarts; this process's counters count from where it started.
    for (const [name] of this.counters) this.seen.set(name, restored[name]);
  }

  checkpointFailed(): void {
    this.checkpointFailures.inc();
  }

  committed(r: CommitReport): void {
    const c = r.status.counters;
    const s = r.stats;
    for (const [name, counter] of this.counters) this.advance(counter, name, c[name]);
    for (const [type, n] of Object.entries(s.eventsByType)) this.advance(this.eventsIn, `type:${type}`, n, { type });
    for (const [reason, n] of Object.entries(s.deadLettersByReason))
      this.advance(this.deadLetters, `reason:${reason}`, n, { reason });
    this.advance(this.join, 'hit', s.joinHits, { result: 'hit' });
    this.advance(this.join, 'miss', s.joinMisses, { result: 'miss' });
    this.advance(this.spend, 'spend', s.spendNanos / 1e9);
    for (const [partition, n] of Object.entries(r.lag)) this.lag.set({ partition }, n);
    for (const f of r.freshness) this.freshness.observe(f.ms / 1000);
    if (r.status.maxEventMs > 0)
      this.eventFreshness.observe(Math.max(0, (r.status.committedAt - r.status.maxEventMs) / 1000));
    this.checkpointDuration.observe(r.checkpointMs / 1000);
    this.sinkWrite.observe(r.writeMs / 1000);
    for (const [table, n] of Object.entries(r.rows)) if (n > 0) this.sinkRows.observe({ table }, n);
    for (const st of r.state) {
      this.stateKeys.set({ operator: st.operator, tier: 'memory' }, st.keys);
      this.stateBytes.set({ operator: st.operator, tier: 'memory' }, st.bytes);
      this.stateKeys.set({ operator: st.operator, tier: 'disk' }, st.diskKeys);
      this.stateBytes.set({ operator: st.operator, tier: 'disk' }, st.diskBytes);
    }
    this.lastCheckpoint.set(r.status.committedAt / 1000);
    this.epoch.set(r.status.epoch);
    if (r.status.watermark > 0) this.watermark.set(r.status.watermark / 1000);
  }

  private advance<L extends string>(
    counter: Counter<L>,
    key: string,
    total: number,
    labels?: Partial<Record<L, string>>,
  ): void {
    const before = this.seen.get(key);
    this.seen.set(key, total);
    const delta = total - (before ?? 0);
    if (delta > 0) {
      if (labels) counter.inc(labels, delta);
      else counter.inc(delta);
    }
  }
}
