import type { Registry } from 'prom-client';
import type { QueryStore } from '../warehouse/warehouse.ts';
import { EngineMetrics } from './engine-metrics.ts';
import { ReconcileMetrics } from './reconcile-metrics.ts';
import { createMetricsRegistry } from '../http/metrics-registry.ts';

/** Everything a long-running engine exports: process, engine and scheduled reconciliation metrics on one registry. */
export interface EngineMonitor {
  registry: Registry;
  engine: EngineMetrics;
  stop(): Promise<void>;
}

/** Creates the registry and starts reconciling every `reconcileIntervalMs` (0: never). */
export function startEngineMonitor(store: QueryStore, reconcileIntervalMs: number): EngineMonitor {
  const registry = createMetricsRegistry();
  const engine = new EngineMetrics(registry);
  const reconciler = new ReconcileMetrics(registry, store);
  if (reconcileIntervalMs > 0) reconciler.start(reconcileIntervalMs);
  return { registry, engine, stop: () => reconciler.stop() };
}
