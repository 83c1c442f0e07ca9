import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { reconcile } from '../reconcile/accuracy.ts';
import type { QueryStore } from '../warehouse/warehouse.ts';
import { METRIC_PREFIX as P } from '../http/metrics-registry.ts';

/** Runs the reconciliation on a schedule in a long-running engine and exports its accuracy per metric. */
export class ReconcileMetrics {
  private readonly accuracy: Gauge<'metric'>;
  private readonly lastRun: Gauge;
  private readonly duration: Histogram;
  private readonly failures: Counter;
  private readonly store: QueryStore;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(registry: Registry, store: QueryStore) {
    const registers = [registry];
    this.store = store;
    this.accuracy = new Gauge({
      name: `${P}reconcile_accuracy`,
      help: 'real-time DWA against the offline recomputation from ODS, per metric (fraction; 1 = identical)',
      labelNames: ['metric'],
      registers,
    });
    this.lastRun = new Gauge({
      name: `${P}reconcile_last_run_timestamp_seconds`,
      help: 'wall-clock time of the last completed reconciliation',
      registers,
    });
    this.duration = new Histogram({
      name: `${P}reconcile_duration_seconds`,
      help: 'time one reconciliation took',
      buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers,
    });
    this.failures = new Counter({
      name: `${P}reconcile_failures_total`,
      help: 'reconciliations that failed',
      registers,
    });
  }

  /** Reconciles every `intervalMs` (the first run after one interval); a run still going is not started twice. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.running ??= this.runOnce().finally(() => (this.running = null));
    }, intervalMs);
    this.timer.unref();
  }

  async runOnce(): Promise<void> {
    const started = performance.now();
    try {
      const report = await reconcile(this.store, { dimensions: [] });
      for (const [metric, a] of Object.entries(report.metrics)) this.accuracy.set({ metric }, a.accuracy);
      this.lastRun.set(Date.now() / 1000);
    } catch {
      // Counted and retried at the next interval: reconciliation must never take the engine down.
      this.failures.inc();
    } finally {
      this.duration.observe((performance.now() - started) / 1000);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
