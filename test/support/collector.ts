import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { buildCollector, type CollectorOptions, type RecordSink } from '../../src/connectors/http/collector.ts';
import { createMetricsRegistry } from '../../src/http/metrics-registry.ts';

/** A RecordSink that keeps what it is sent, for tests whose subject is the collector's HTTP layer rather than Kafka. */
export class MemorySink implements RecordSink {
  readonly lines: string[] = [];
  async send(lines: readonly string[]): Promise<void> {
    this.lines.push(...lines);
  }
}

/** A collector on a free local port with in-memory sinks. */
export async function startMemoryCollector(opts: Partial<CollectorOptions> = {}): Promise<{
  app: FastifyInstance;
  url: string;
  port: number;
  sink: MemorySink;
  deadLetters: MemorySink;
  registry: Registry;
}> {
  const sink = new MemorySink();
  const deadLetters = new MemorySink();
  const registry = createMetricsRegistry();
  const app = await buildCollector({ sink, deadLetters, registry, ...opts });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;
  return { app, url: `http://127.0.0.1:${port}`, port, sink, deadLetters, registry };
}

/**
 * The value of one metric series (0 when absent), e.g. metric(registry, 'adw_collector_records_total', {result:
 * 'rejected'}).
 */
export async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const found = (await registry.getSingleMetric(name)?.get())?.values.find((v) =>
    Object.entries(labels).every(([k, x]) => v.labels[k] === x),
  );
  return found?.value ?? 0;
}
