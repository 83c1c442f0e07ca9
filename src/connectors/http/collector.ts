import rateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import { adwErrorOptions, toAdwError, useAdwErrors } from '../../http/errors.ts';
import { errors } from '../../errors.ts';
import { defaultLimits, validateLine } from '../../events/validate.ts';
import { METRIC_PREFIX as P } from '../../http/metrics-registry.ts';
import { metricsRoutes } from '../../http/metrics-route.ts';
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
  /** Time a client has, from connecting, to send its request headers, in ms (408 and closed beyond). */
  headersTimeoutMs?: number;
  /** Time a client has, from connecting, to send its whole request, in ms (408 and closed beyond). */
  requestTimeoutMs?: number;
  /** A connection silent this long in mid-request, in ms, is closed (say, a client that stops reading the answer). */
  socketTimeoutMs?: number;
  /** An idle keep-alive connection is closed this long after its last answer, in ms (plus Node's 1 s allowance). */
  keepAliveTimeoutMs?: number;
  /** Most open connections; further ones are closed at once, unanswered. */
  maxConnections?: number;
}

/**
 * Defaults of the bounds above. Beacons are a few hundred bytes sent at once: the timeouts are far above what one
 * needs.
 */
export const collectorDefaults = {
  maxBodyBytes: 1024 * 1024,
  maxBatch: 1000,
  rateLimit: 1000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  socketTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 10_000,
} as const;

/** A transparent 1x1 GIF, the answer to a pixel beacon. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const MAX_KEPT_PAYLOAD = 16 * 1024;

/**
 * The beacon collector: GET /v1/pixel (query-string beacons) and POST /v1/events (NDJSON or a JSON array) for
 * requests, exposures, viewable exposures and clicks. It validates with the engine's own rules, produces valid
 * records and answers only once the broker acknowledged them; invalid records are refused (a pixel still gets its GIF;
 * a batch lists them in its answer, or gets 400), counted, and kept on the dead-letter topic. Slow, oversized and
 * malformed requests are cut off in bounded time and counted. It is separate from the analytics API.
 */
export async function buildCollector(opts: CollectorOptions): Promise<FastifyInstance> {
  const maxBatch = opts.maxBatch ?? collectorDefaults.maxBatch;
  const registers = [opts.registry];
  const clientErrors = new Counter({
    name: `${P}collector_client_errors_total`,
    help: 'connections refused before any route: slow, oversized or malformed requests, connections over the cap',
    labelNames: ['reason'],
    registers,
  });
  const headersTimeout = opts.headersTimeoutMs ?? collectorDefaults.headersTimeoutMs;
  const app = Fastify({
    logger: false,
    bodyLimit: opts.maxBodyBytes ?? collectorDefaults.maxBodyBytes,
    requestTimeout: opts.requestTimeoutMs ?? collectorDefaults.requestTimeoutMs,
    connectionTimeout: opts.socketTimeoutMs ?? collectorDefaults.socketTimeoutMs,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? collectorDefaults.keepAliveTimeoutMs,
    // Node enforces headersTimeout and requestTimeout only when it checks its connections (every 30 s by default).
    http: { headersTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout) },
    ...adwErrorOptions((e) => clientErrors.inc({ reason: reasonOf(e.code) })),
  });
  app.server.maxConnections = opts.maxConnections ?? collectorDefaults.maxConnections;
  app.server.on('drop', () => clientErrors.inc({ reason: 'too_many_connections' }));
  useAdwErrors(app);
  const requests = new Counter({
    name: `${P}collector_requests_total`,
    help: 'collector HTTP requests by route and status',
    labelNames: ['route', 'status'],
    registers,
  });
  const records = new Counter({
    name: `${P}collector_records_total`,
    help: 'beacon records accepted (produced) or rejected (dead-lettered)',
    labelNames: ['result'],
    registers,
  });
  const produce = new Histogram({
    name: `${P}collector_produce_seconds`,
    help: "time for the broker to acknowledge a request's records",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  app.addHook('onResponse', async (req, reply) => {
    requests.inc({ route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });
  await app.register(rateLimit, { max: opts.rateLimit ?? collectorDefaults.rateLimit, timeWindow: 1000 });
  app.addContentTypeParser(
    ['application/x-ndjson', 'text/plain', 'application/json'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  /** Validates lines; produces the good ones and keeps the bad ones; returns the bad ones' verdicts. */
  async function accept(lines: string[], client: string, now: number) {
    const good: string[] = [];
    const bad: { index: number; reason: string; error: string }[] = [];
    const kept: string[] = [];
    lines.forEach((line, index) => {
      const v = validateLine(line, Buffer.byteLength(line), defaultLimits, now);
      if (v.ok && v.record.kind !== 'dim') good.push(line);
      else {
        const verdict = v.ok
          ? { reason: 'unknown_type', error: 'dimension records come from the dimension database, not from beacons' }
          : { reason: v.reason, error: v.error };
        bad.push({ index, ...verdict });
        kept.push(
          JSON.stringify({
            ...verdict,
            payload: line.slice(0, MAX_KEPT_PAYLOAD),
            received_at: new Date(now).toISOString(),
            client,
          }),
        );
      }
    });
    const started = performance.now();
    await Promise.all([
      good.length > 0 ? opts.sink.send(good) : null,
      kept.length > 0 ? opts.deadLetters.send(kept) : null,
    ]);
    produce.observe((performance.now() - started) / 1000);
    records.inc({ result: 'accepted' }, good.length);
    records.inc({ result: 'rejected' }, bad.length);
    return { accepted: good.length, rejected: bad };
  }

  // A refused beacon still gets the GIF (200): a JSON answer would be a broken image on the publisher's page. The
  // refusal is counted and dead-lettered, and its reason is in a header for whoever debugs the tag.
  // A pixel refused before it is read (a client over the rate limit) gets the GIF too, and the refusal is counted.
  const pixelRefused = (error: Error, _req: unknown, reply: FastifyReply) => {
    const e = toAdwError(error);
    if (e.statusCode >= 500) throw error;
    clientErrors.inc({ reason: reasonOf(e.code) });
    return gif(reply.header('x-adw-rejected', reasonOf(e.code))).send(PIXEL);
  };
  app.get('/v1/pixel', { exposeHeadRoute: false, errorHandler: pixelRefused }, async (req, reply) => {
    const now = Date.now();
    const line = JSON.stringify(beaconRecord(req.query as Record<string, string>, now));
    const result = await accept([line], req.ip, now);
    const [refusal] = result.rejected;
    if (refusal) void reply.header('x-adw-rejected', refusal.reason);
    return gif(reply).send(PIXEL);
  });
  // Link prefetchers and crawlers send HEAD: it is answered like the GET but records nothing, or counts would inflate.
  app.head('/v1/pixel', async (_req, reply) => gif(reply).header('content-length', PIXEL.length).send());

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
    // lines is not empty, so when none was accepted there is a first refusal.
    const [first] = result.rejected;
    if (result.accepted === 0 && first)
      throw errors.badBeacon(`every record was refused; first: ${first.reason}: ${first.error}`);
    return result;
  });

  await app.register(metricsRoutes, { registry: opts.registry });
  return app;
}

/** A reply set up to carry the pixel: a GIF that no cache keeps (each load is a beacon). */
function gif(reply: FastifyReply): FastifyReply {
  return reply.status(200).header('cache-control', 'no-store').type('image/gif');
}

/** A metric label for an error code: ADW_ERR_REQUEST_TIMEOUT as request_timeout. */
function reasonOf(code: string): string {
  return code.replace(/^ADW_ERR_/, '').toLowerCase();
}
