import { setTimeout as sleep } from 'node:timers/promises';
/** Where published lines go: resolves once they are acknowledged. */
export interface LineSink {
  send(lines: readonly string[]): Promise<void>;
}

/**
 * Sends lines through a sink in batches, at most `rate` lines per second when given; resolves to how many were sent.
 */
export async function publishLines(
  lines: Iterable<string>,
  sink: LineSink,
  opts: { rate?: number; batch?: number } = {},
): Promise<number> {
  const batchSize = opts.batch ?? 5000;
  const started = performance.now();
  let sent = 0;
  let batch: string[] = [];
  const flush = async () => {
    await sink.send(batch);
    sent += batch.length;
    batch = [];
    if (opts.rate) {
      const due = started + (sent / opts.rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
  };
  for (const line of lines) {
    batch.push(line);
    if (batch.length >= (opts.rate ? Math.max(1, Math.min(batchSize, Math.ceil(opts.rate / 10))) : batchSize))
      await flush();
  }
  if (batch.length > 0) await flush();
  return sent;
}
