import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Fastify, { type FastifyInstance, type InjectOptions } from 'fastify';
import { buildApi } from '../../src/api/server.ts';
import { useAdwErrors } from '../../src/http/errors.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';

let warehouse: DuckDbWarehouse;
let app: FastifyInstance;

before(async () => {
  warehouse = await DuckDbWarehouse.open(':memory:');
  app = await buildApi({ store: warehouse });
});
after(async () => {
  await app.close();
  await warehouse.close();
});

/** The answer's status and ADW error code, asserting the documented shape {error: {code, message}} and nothing else. */
async function refusal(opts: InjectOptions) {
  const res = await app.inject(opts);
  const body = res.json() as Record<string, any>;
  assert.deepEqual(Object.keys(body), ['error'], `${res.statusCode} ${res.body}`);
  assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message'], res.body);
  assert.match(body.error.code, /^ADW_ERR_[A-Z_]+$/);
  assert.equal(typeof body.error.message, 'string');
  return { status: res.statusCode, code: body.error.code as string, message: body.error.message as string };
}

test('an unknown API route or page answers 404 in the documented shape, and the pages are still served', async () => {
  assert.deepEqual(await refusal({ method: 'GET', url: '/api/nope' }), {
    status: 404,
    code: 'ADW_ERR_NOT_FOUND',
    message: 'not found: GET /api/nope',
  });
  assert.equal((await refusal({ method: 'GET', url: '/nope.html' })).code, 'ADW_ERR_NOT_FOUND');
  assert.equal((await refusal({ method: 'DELETE', url: '/api/query' })).code, 'ADW_ERR_NOT_FOUND');
  for (const page of ['/', '/index.html', '/login', '/vendor/uplot/uPlot.iife.min.js']) {
    assert.equal((await app.inject({ method: 'GET', url: page })).statusCode, 200, page);
  }
});

test("fastify's own refusals (bad JSON, bad content type, bad URL, body too large) come with ADW codes and 4xx statuses", async () => {
  const post = async (type: string, payload: string) => {
    const r = await refusal({ method: 'POST', url: '/api/query', headers: { 'content-type': type }, payload });
    return [r.status, r.code];
  };
  assert.deepEqual(await post('application/json', '{"metrics":'), [400, 'ADW_ERR_BAD_REQUEST']);
  assert.deepEqual(await post('image/png', 'x'), [415, 'ADW_ERR_UNSUPPORTED_MEDIA_TYPE']);
  assert.deepEqual(await post('application/json', `"${'x'.repeat(100 * 1024)}"`), [413, 'ADW_ERR_BODY_TOO_LARGE']);
  const badUrl = await refusal({ method: 'GET', url: '/api/query%zz' });
  assert.deepEqual([badUrl.status, badUrl.code], [400, 'ADW_ERR_BAD_REQUEST']);
});

test('a fault answers 500 "internal error" without its details, and the details go to the operator on stderr', async () => {
  const faulty = Fastify({ logger: false });
  useAdwErrors(faulty);
  faulty.get('/boom', async () => {
    throw new Error('secret detail from deep inside');
  });
  const written: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => written.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const res = await faulty.inject({ method: 'GET', url: '/boom?x=1' });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), { error: { code: 'ADW_ERR_INTERNAL', message: 'internal error' } });
  } finally {
    process.stderr.write = write;
    await faulty.close();
  }
  assert.match(written.join(''), /internal error answering GET \/boom\?x=1: Error: secret detail from deep inside/);
});
