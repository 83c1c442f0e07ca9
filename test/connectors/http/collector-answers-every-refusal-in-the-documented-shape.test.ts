import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { metric, startMemoryCollector } from '../../support/collector.ts';

let c: Awaited<ReturnType<typeof startMemoryCollector>>;
before(async () => {
  c = await startMemoryCollector({ maxBodyBytes: 1024 });
});
after(async () => {
  await c?.app.close();
});

/** Status and ADW code of an answer, asserting the documented shape {error: {code, message}} and nothing else. */
async function refusal(res: Response): Promise<[number, string]> {
  const text = await res.text();
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/, text);
  const body = JSON.parse(text) as Record<string, any>;
  assert.deepEqual(Object.keys(body), ['error'], text);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message'], text);
  return [res.status, body.error.code];
}

/** Sends raw bytes and returns all the server answered before it closed the connection. */
function raw(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
    socket.write(data);
  });
}

/** A raw HTTP answer's status and ADW code. */
function rawRefusal(answer: string): [number, string] {
  const [head, body] = answer.split('\r\n\r\n');
  assert.ok(head !== undefined && body !== undefined, answer);
  const parsed = JSON.parse(body) as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(parsed.error).sort(), ['code', 'message'], answer);
  return [Number(head.split(' ')[1]), parsed.error.code];
}

test('an unknown path answers 404 in the documented shape', async () => {
  assert.deepEqual(await refusal(await fetch(`${c.url}/nope`)), [404, 'ADW_ERR_NOT_FOUND']);
  assert.deepEqual(
    await refusal(await fetch(`${c.url}/v1/events`)),
    [404, 'ADW_ERR_NOT_FOUND'],
    'GET on the POST route',
  );
  assert.deepEqual(await refusal(await fetch(`${c.url}/v1/nope`, { method: 'POST', body: 'x' })), [
    404,
    'ADW_ERR_NOT_FOUND',
  ]);
});

test("fastify's refusals of a POST (content type, body size, bad URL) come with ADW codes and 4xx statuses", async () => {
  const post = (type: string, body: string, path = '/v1/events') =>
    fetch(`${c.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
  assert.deepEqual(await refusal(await post('image/png', 'x')), [415, 'ADW_ERR_UNSUPPORTED_MEDIA_TYPE']);
  assert.deepEqual(await refusal(await post('application/x-ndjson', 'x'.repeat(2048))), [
    413,
    'ADW_ERR_BODY_TOO_LARGE',
  ]);
  assert.deepEqual(await refusal(await post('application/x-ndjson', '{}', '/v1/ev%zznts')), [
    400,
    'ADW_ERR_BAD_REQUEST',
  ]);
  assert.deepEqual(
    await refusal(await post('application/json', '{"type":')),
    [400, 'ADW_ERR_BAD_BEACON'],
    'the collector parses JSON itself',
  );
  assert.equal(c.sink.lines.length, 0);
});

test("Node's own refusals (oversized headers, malformed HTTP) come in the same shape, and are counted", async () => {
  const oversized = await raw(c.port, `GET /v1/pixel HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assert.deepEqual(rawRefusal(oversized), [431, 'ADW_ERR_HEADERS_TOO_LARGE']);
  assert.deepEqual(rawRefusal(await raw(c.port, 'NOT HTTP AT ALL\r\n\r\n')), [400, 'ADW_ERR_BAD_REQUEST']);
  assert.equal(await metric(c.registry, 'adw_collector_client_errors_total', { reason: 'headers_too_large' }), 1);
  assert.equal(await metric(c.registry, 'adw_collector_client_errors_total', { reason: 'bad_request' }), 1);
});

test('a client over its rate limit gets 429 in the same shape', async () => {
  const limited = await startMemoryCollector({ rateLimit: 2 });
  try {
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        fetch(`${limited.url}/v1/events`, {
          method: 'POST',
          body: '{}',
          headers: { 'content-type': 'application/x-ndjson' },
        }),
      ),
    );
    const throttled = answers.filter((r) => r.status === 429);
    const [first] = throttled;
    assert.ok(first, 'some requests were throttled');
    assert.deepEqual(await refusal(first), [429, 'ADW_ERR_RATE_LIMITED']);
  } finally {
    await limited.app.close();
  }
});
