import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { metric, startMemoryCollector } from '../../support/collector.ts';

let c: Awaited<ReturnType<typeof startMemoryCollector>>;
before(async () => {
  c = await startMemoryCollector();
});
after(async () => {
  await c?.app.close();
});

const T0 = Date.now() - 60_000;
const kept = () => c.deadLetters.lines.map((l) => JSON.parse(l) as { reason: string; error: string; payload: string });

test('HEAD on a valid pixel answers like the GET but records nothing', async () => {
  const head = await fetch(`${c.url}/v1/pixel?type=exposure&event_id=h1&request_id=r1&ts=${T0}`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-type'), 'image/gif');
  assert.equal(c.sink.lines.length, 0, 'nothing reached the sink');
  assert.equal(c.deadLetters.lines.length, 0, 'nor the dead letters');
  assert.equal(await metric(c.registry, 'adw_collector_records_total', { result: 'accepted' }), 0);
  const get = await fetch(`${c.url}/v1/pixel?type=exposure&event_id=h1&request_id=r1&ts=${T0}`);
  assert.equal(get.status, 200);
  assert.equal(c.sink.lines.length, 1, 'the GET does record');
});

test('a refused pixel still gets the 1x1 GIF (200), with its reason in a header; it is dead-lettered and counted', async () => {
  const before = await metric(c.registry, 'adw_collector_records_total', { result: 'rejected' });
  const bad = await fetch(`${c.url}/v1/pixel?type=click&event_id=c1`);
  assert.equal(bad.status, 200);
  assert.equal(bad.headers.get('content-type'), 'image/gif');
  assert.equal(bad.headers.get('cache-control'), 'no-store');
  assert.equal(bad.headers.get('x-adw-rejected'), 'missing_field');
  assert.equal((await bad.arrayBuffer()).byteLength, 42);
  assert.equal(await metric(c.registry, 'adw_collector_records_total', { result: 'rejected' }), before + 1);
  assert.equal(kept().at(-1)?.reason, 'missing_field');
});

test('a pixel with ts=notanumber is refused as a bad timestamp that is not a number, not as a missing ts', async () => {
  await fetch(`${c.url}/v1/pixel?type=exposure&event_id=t1&request_id=r1&ts=notanumber`);
  const last = kept().at(-1);
  assert.equal(last?.reason, 'bad_timestamp');
  assert.match(last?.error ?? '', /"ts" is not a number/);
  await fetch(
    `${c.url}/v1/pixel?type=request&request_id=r2&ts=${T0}&user_id=u1&os=ios&device_type=phone&region=US&slot_id=abc&filled=false`,
  );
  assert.equal(kept().at(-1)?.reason, 'bad_field', 'another numeric field that is not a number');
  assert.match(kept().at(-1)?.error ?? '', /"slot_id"/);
});

test('a throttled pixel also gets the GIF, records nothing, and the refusal is counted', async () => {
  const limited = await startMemoryCollector({ rateLimit: 2 });
  try {
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(await fetch(`${limited.url}/v1/pixel?type=exposure&event_id=q${i}&request_id=r1&ts=${T0}`));
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.equal(a.headers.get('content-type'), 'image/gif');
      assert.equal((await a.arrayBuffer()).byteLength, 42);
    }
    assert.deepEqual(
      answers.map((a) => a.headers.get('x-adw-rejected')),
      [null, null, 'rate_limited', 'rate_limited'],
    );
    assert.equal(limited.sink.lines.length, 2, 'only the beacons within the limit were produced');
    assert.equal(await metric(limited.registry, 'adw_collector_client_errors_total', { reason: 'rate_limited' }), 2);
    const post = await fetch(`${limited.url}/v1/events`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/x-ndjson' },
    });
    assert.equal(post.status, 429, 'a POST from a script is still told to slow down');
    assert.equal((await post.json()).error.code, 'ADW_ERR_RATE_LIMITED');
  } finally {
    await limited.app.close();
  }
});
