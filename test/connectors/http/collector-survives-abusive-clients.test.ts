import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { metric, startMemoryCollector } from '../../support/collector.ts';

// Small bounds so that the test is quick; the defaults are seconds (see CollectorOptions).
const BOUNDS = { headersTimeoutMs: 300, requestTimeoutMs: 600, socketTimeoutMs: 2000, keepAliveTimeoutMs: 200 };
const T0 = Date.now() - 60_000;
let c: Awaited<ReturnType<typeof startMemoryCollector>>;
let beacons = 0;

before(async () => {
  c = await startMemoryCollector(BOUNDS);
});
after(async () => {
  await c?.app.close();
});

/**
 * Opens a raw connection that collects what the server answers; `closed` resolves with it once the server hangs up,
 * or once this client gives up after 5 s, so that a server that never hangs up fails the test instead of hanging it.
 */
function open(port: number): { socket: Socket; closed: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  const giveUp = setTimeout(() => socket.destroy(), 5000);
  socket.on('close', () => clearTimeout(giveUp));
  let out = '';
  socket.on('data', (d) => (out += d));
  const closed = new Promise<string>((resolve) => {
    socket.on('close', () => resolve(out));
    socket.on('error', () => undefined);
  });
  return { socket, closed };
}

/** Writes `first`, then one more byte every 50 ms until the server hangs up; returns what it answered. */
async function trickle(port: number, first: string, drip: string): Promise<string> {
  const { socket, closed } = open(port);
  socket.write(first);
  const timer = setInterval(() => socket.writable && socket.write(drip), 50);
  try {
    return await closed;
  } finally {
    clearInterval(timer);
  }
}

/** The ADW code of a raw HTTP answer. */
function codeOf(answer: string): string {
  const [, body] = answer.split('\r\n\r\n');
  assert.ok(body !== undefined, answer);
  return (JSON.parse(body) as { error: { code: string } }).error.code;
}

/** A valid beacon is still answered and produced. */
async function stillServes(url: string): Promise<void> {
  beacons++;
  const r = await fetch(`${url}/v1/pixel?type=exposure&event_id=ok${beacons}&request_id=r1&ts=${T0}`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('x-adw-rejected'), null);
  assert.ok(
    c.sink.lines.some((l) => l.includes(`"ok${beacons}"`)),
    'the valid beacon reached the sink',
  );
}

test('a client trickling its headers is cut off with a 408 in the ADW shape, counted, and the collector still serves', {
  timeout: 10_000,
}, async () => {
  const answer = await trickle(c.port, 'GET /v1/pixel?type=exposure HTTP/1.1\r\nHost: x\r\n', 'X');
  assert.match(answer, /^HTTP\/1\.1 408 /);
  assert.equal(codeOf(answer), 'ADW_ERR_REQUEST_TIMEOUT');
  assert.ok((await metric(c.registry, 'adw_collector_client_errors_total', { reason: 'request_timeout' })) >= 1);
  await stillServes(c.url);
});

test('a client trickling its body is cut off, nothing of it is produced, and the collector still serves', {
  timeout: 10_000,
}, async () => {
  const before = await metric(c.registry, 'adw_collector_client_errors_total', { reason: 'request_timeout' });
  const line = JSON.stringify({ type: 'exposure', event_id: 'slow1', request_id: 'r1', ts: T0 });
  const answer = await trickle(
    c.port,
    `POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${line.length + 1000}\r\n\r\n${line}\n`,
    ' ',
  );
  assert.match(answer, /^HTTP\/1\.1 408 /);
  assert.equal(codeOf(answer), 'ADW_ERR_REQUEST_TIMEOUT');
  assert.ok((await metric(c.registry, 'adw_collector_client_errors_total', { reason: 'request_timeout' })) > before);
  assert.ok(!c.sink.lines.some((l) => l.includes('slow1')));
  await stillServes(c.url);
});

test('oversized headers, again and again, get 431 in the ADW shape and the collector still serves', {
  timeout: 10_000,
}, async () => {
  for (let i = 0; i < 20; i++) {
    const { socket, closed } = open(c.port);
    socket.write(`GET /v1/pixel HTTP/1.1\r\nHost: x\r\nCookie: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    const answer = await closed;
    assert.match(answer, /^HTTP\/1\.1 431 /);
    assert.equal(codeOf(answer), 'ADW_ERR_HEADERS_TOO_LARGE');
  }
  assert.equal(await metric(c.registry, 'adw_collector_client_errors_total', { reason: 'headers_too_large' }), 20);
  await stillServes(c.url);
});

test('invalid UTF-8 in a POST body is dead-lettered as bad_encoding, never a crash', { timeout: 10_000 }, async () => {
  const good = JSON.stringify({ type: 'exposure', event_id: 'utf1', request_id: 'r1', ts: T0 });
  const broken = Buffer.concat([
    Buffer.from('{"type":"exposure","event_id":"utf2","request_id":"r'),
    Buffer.from([0xff, 0xfe, 0xc3]),
    Buffer.from(`","ts":${T0}}`),
  ]);
  const ndjson = await fetch(`${c.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: Buffer.concat([broken, Buffer.from(`\n${good}\n`)]),
  });
  assert.equal(ndjson.status, 200);
  const body = (await ndjson.json()) as { accepted: number; rejected: { index: number; reason: string }[] };
  assert.equal(body.accepted, 1);
  assert.deepEqual(
    body.rejected.map((r) => [r.index, r.reason]),
    [[0, 'bad_encoding']],
  );
  const array = await fetch(`${c.url}/v1/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: Buffer.concat([Buffer.from('['), broken, Buffer.from(']')]),
  });
  assert.equal(array.status, 400, 'a batch whose only record is refused');
  assert.equal(((await array.json()) as { error: { code: string } }).error.code, 'ADW_ERR_BAD_BEACON');
  const kept = c.deadLetters.lines.map((l) => JSON.parse(l) as { reason: string });
  assert.equal(kept.filter((k) => k.reason === 'bad_encoding').length, 2);
  assert.ok(!c.sink.lines.some((l) => l.includes('utf2')));
  await stillServes(c.url);
});

test('connections over the cap are dropped and counted; idle ones are closed in bounded time; then the collector serves again', {
  timeout: 15_000,
}, async () => {
  const capped = await startMemoryCollector({ ...BOUNDS, maxConnections: 8 });
  try {
    const idle = Array.from({ length: 8 }, () => open(capped.port));
    await Promise.all(idle.map(({ socket }) => new Promise((r) => socket.once('connect', r))));
    const over = open(capped.port);
    assert.equal(await over.closed, '', 'the ninth connection is closed unanswered');
    assert.equal(
      await metric(capped.registry, 'adw_collector_client_errors_total', { reason: 'too_many_connections' }),
      1,
    );
    // Sockets that never send a request are closed when their headers are overdue.
    for (const answer of await Promise.all(idle.map((s) => s.closed)))
      assert.equal(codeOf(answer), 'ADW_ERR_REQUEST_TIMEOUT');
    // A keep-alive connection left idle after its answer is closed too.
    const kept = open(capped.port);
    kept.socket.write(`GET /v1/pixel?type=exposure&event_id=ka1&request_id=r1&ts=${T0} HTTP/1.1\r\nHost: x\r\n\r\n`);
    assert.match(await kept.closed, /^HTTP\/1\.1 200 /);
    const r = await fetch(`${capped.url}/v1/pixel?type=exposure&event_id=after&request_id=r1&ts=${T0}`);
    assert.equal(r.status, 200);
    assert.deepEqual(
      capped.sink.lines.map((l) => (JSON.parse(l) as { event_id: string }).event_id),
      ['ka1', 'after'],
    );
  } finally {
    await capped.app.close();
  }
});
