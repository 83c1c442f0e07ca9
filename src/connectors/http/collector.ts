import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import { errorHandler } from '../../api/errors.ts';
import { errors } from '../../errors.ts';
import { defaultLimits, validateLine } from '../../events/validate.ts';
import { METRIC_PREFIX as P } from '../../metrics/registry.ts';
import { metricsRoutes } from '../../metrics/routes.ts';
import { batchLines, beaconRecord } from './beacon.ts';

/** Where the collector hands records: resolves once they are durably acknowledged. */
export interface RecordSink {
  send(lines: readonly string[]): Promise<void>;
}

export interface CollectorOptions {
  /** Accepted records, as NDJSON lines. */
  sink: RecordSink;
  /** Refused records, kept as JSON lines {reason, error, payload, received_at, client}. */
  deadLetters: RecordSink;
  registry: Registry;
  /** Largest POST body, in bytes (413 beyond). */
  maxBodyBytes?: number;
  /** Most records in one POST (413 beyond). */
  maxBatch?: number;
  /** Requests per client address per second (429 beyond). */
  rateLimit?: number;
}

/** A transparent 1x1 GIF, the answer to a pixel beacon. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const MAX_KEPT_PAYLOAD = 16 * 1024;

/**
 * The beacon collector: GET /v1/pixel (query-string beacons) and POST /v1/events (NDJSON or a JSON array) for
 * requests, exposures, viewable exposures and clicks. It validates with the engine's own rules, produces valid
 * records and answers only once the broker acknowledged them; invalid records are refused (400, or listed in the
 * answer of a batch), counted, and kept on the dead-letter topic. It is separate from the analytics API.
 */
export async function buildCollector(opts: CollectorOptions): Promise<FastifyInstance> {
  const maxBatch = opts.maxBatch ?? 1000;
  const app = Fastify({ logger: false, bodyLimit: opts.maxBodyBytes ?? 1024 * 1024 });
  app.setErrorHandler(errorHandler);
  const registers = [opts.registry];
  const requests = new Counter({ name: `${P}collector_requests_total`, help: 'collector HTTP requests by route and status', labelNames: ['route', 'status'], registers });
  const records = new Counter({ name: `${P}collector_records_total`, help: 'beacon records accepted (produced) or rejected (dead-lettered)', labelNames: ['result'], registers });
  const produce = new Histogram({ name: `${P}collector_produce_seconds`, help: 'time for the broker to acknowledge a request\'s records', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers });
  app.addHook('onResponse', async (req, reply) => {
    requests.inc({ route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });
  await app.register(rateLimit, { max: opts.rateLimit ?? 1000, timeWindow: 1000 });
  app.addContentTypeParser(['application/x-ndjson', 'text/plain', 'application/json'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  /** Validates lines; produces the good ones and keeps the bad ones; returns the bad ones' verdicts. */
  async function accept(lines: string[], client: string, now: number) {
    const good: string[] = [];
    const bad: { index: number; reason: string; error: string }[] = [];
    const kept: string[] = [];
    lines.forEach((line, index) => {
      const v = validateLine(line, Buffer.byteLength(line), defaultLimits, now);
      if (v.ok && v.record.kind !== 'dim') good.push(line);
      else {
        const verdict = v.ok ? { reason: 'unknown_type', error: 'dimension records come from the dimension database, not from beacons' } : { reason: v.reason, error: v.error };
        bad.push({ index, ...verdict });
        kept.push(JSON.stringify({ ...verdict, payload: line.slice(0, MAX_KEPT_PAYLOAD), received_at: new Date(now).toISOString(), client }));
      }
    });
    const started = performance.now();
    await Promise.all([good.length > 0 ? opts.sink.send(good) : null, kept.length > 0 ? opts.deadLetters.send(kept) : null]);
    produce.observe((performance.now() - started) / 1000);
    records.inc({ result: 'accepted' }, good.length);
    records.inc({ result: 'rejected' }, bad.length);
    return { accepted: good.length, rejected: bad };
  }

  app.get('/v1/pixel', async (req, reply) => {
    const now = Date.now();
    const line = JSON.stringify(beaconRecord(req.query as Record<string, string>, now));
    const result = await accept([line], req.ip, now);
    if (result.rejected.length > 0) throw errors.badBeacon(`${result.rejected[0].reason}: ${result.rejected[0].error}`);
    return reply.header('cache-control', 'no-store').type('image/gif').send(PIXEL);
  });

  app.post('/v1/events', async (req) => {
    let lines: string[];
    try {
      lines = batchLines(String(req.body ?? ''), req.headers['content-type']);
    } catch {
      throw errors.badBeacon('the body is neither NDJSON nor a JSON array');
    }
    if (lines.length === 0) throw errors.badBeacon('no records in the body');
    if (lines.length > maxBatch) throw errors.batchTooLarge(lines.length, maxBatch);
    const result = await accept(lines, req.ip, Date.now());
    if (result.accepted === 0) throw errors.badBeacon(`every record was refused; first: ${result.rejected[0].reason}: ${result.rejected[0].error}`);
    return result;
  });

  await app.register(metricsRoutes, { registry: opts.registry });
  return app;
}
