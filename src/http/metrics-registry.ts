import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** Every ADW metric name starts with this. */
export const METRIC_PREFIX = 'adw_';

/**
 * A registry with the process metrics (CPU, memory, event loop, GC) under the adw_ prefix, plus the memory limit
 * the process runs under, so "memory near limit" is a ratio an alert can test.
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  new Gauge({
    name: `${METRIC_PREFIX}memory_limit_bytes`,
    help: 'memory available to this process: the cgroup limit if there is one, else the machine',
    registers: [registry],
  }).set(memoryLimitBytes());
  return registry;
}

function memoryLimitBytes(): number {
  try {
    const limit = readFileSync('/sys/fs/cgroup/memory.max', 'utf8').trim();
    if (limit !== 'max') return Math.min(Number(limit), totalmem());
  } catch {
    // No cgroup v2 limit readable: the machine's memory is the limit.
  }
  return totalmem();
}
