import { setTimeout as sleep } from 'node:timers/promises';
import { errors } from '../../errors.ts';

/**
 * Sends NDJSON batches to a beacon collector's POST /v1/events; resolves once the collector (and so the broker)
 * accepted them.
 */
export class CollectorClient {
  private readonly url: string;
  /** Records the collector accepted and refused so far. */
  accepted = 0;
  refused = 0;

  constructor(baseUrl: string) {
    this.url = new URL('/v1/events', baseUrl).toString();
  }

  async send(lines: readonly string[]): Promise<void> {
    let r = await this.post(lines);
    // Throttled: wait as long as the collector asks, then send the same batch again.
    for (let attempt = 0; r.status === 429 && attempt < 30; attempt++) {
      await sleep(1000 * Math.max(1, Number(r.headers.get('retry-after') ?? 1)));
      r = await this.post(lines);
    }
    // A batch with some refused records is still accepted (200): the collector keeps those on its dead-letter topic.
    if (r.status === 400) {
      // Every record of the batch was refused (and kept by the collector).
      this.refused += lines.length;
      return;
    }
    if (!r.ok)
      throw errors.sourceFailed(this.url, `the collector answered ${r.status}: ${(await r.text()).slice(0, 200)}`);
    const body = (await r.json()) as { accepted: number; rejected: unknown[] };
    this.accepted += body.accepted;
    this.refused += body.rejected.length;
  }

  private post(lines: readonly string[]): Promise<Response> {
    return fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: lines.join('\n'),
    });
  }

  async close(): Promise<void> {}
}
