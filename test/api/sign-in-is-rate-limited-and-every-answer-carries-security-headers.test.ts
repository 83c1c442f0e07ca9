import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../src/api/server.ts';
import { errors } from '../../src/errors.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { runFile, scratch } from '../support/pipeline.ts';

const TOKEN = 'hardening-test-token-0123456789';
const tmp = scratch();
let warehouse: DuckDbWarehouse;
let app: FastifyInstance;
let tlsApp: FastifyInstance;

before(async () => {
  const input = join(tmp.dir, 'in.ndjson');
  const db = join(tmp.dir, 'w.duckdb');
  await writeSimulation({ seed: 3, events: 500 }, input);
  await runFile(input, db);
  warehouse = await DuckDbWarehouse.open(db, { readOnly: true });
  app = await buildApi({ store: warehouse, token: TOKEN });
  tlsApp = await buildApi({ store: warehouse, token: TOKEN, behindTls: true });
});
after(async () => {
  await app.close();
  await tlsApp.close();
  await warehouse.close();
  tmp.cleanup();
});

/** POST /api/login from one client address. */
const login = (server: FastifyInstance, token: unknown, remoteAddress = '192.0.2.1') =>
  server.inject({ method: 'POST', url: '/api/login', payload: { token }, remoteAddress });

describe('security headers', () => {
  test('pages, API answers, refusals and vendor files all carry CSP, nosniff, no-referrer and frame denial', async () => {
    const cases = [
      ['/login', {}, 200],
      ['/', { authorization: `Bearer ${TOKEN}` }, 200],
      ['/js/main.js', { authorization: `Bearer ${TOKEN}` }, 200],
      ['/vendor/uplot/uPlot.iife.min.js', { authorization: `Bearer ${TOKEN}` }, 200],
      ['/api/catalogue', { authorization: `Bearer ${TOKEN}` }, 200],
      ['/api/query?metrics=clicks', {}, 401],
      ['/api/health', {}, 200],
    ] as const;
    for (const [url, headers, status] of cases) {
      const r = await app.inject({ method: 'GET', url, headers });
      assert.equal(r.statusCode, status, url);
      const csp = String(r.headers['content-security-policy']);
      const directives = new Map(
        csp.split(';').map((d) => {
          const [k, ...v] = d.trim().split(/\s+/);
          return [k!, v.join(' ')];
        }),
      );
      assert.equal(directives.get('default-src'), "'self'", `${url}: ${csp}`);
      assert.equal(directives.get('script-src'), "'self'", `${url}: no inline script`);
      assert.equal(directives.get('script-src-attr'), "'none'", `${url}: no inline event handlers`);
      assert.equal(directives.get('style-src'), "'self'", `${url}: no inline style sheets either`);
      assert.equal(directives.get('frame-ancestors'), "'none'", url);
      assert.equal(directives.get('object-src'), "'none'", url);
      assert.ok(!directives.has('upgrade-insecure-requests'), `${url}: a plain-HTTP server does not ask for HTTPS`);
      assert.equal(r.headers['x-frame-options'], 'DENY', url);
      assert.equal(r.headers['x-content-type-options'], 'nosniff', url);
      assert.equal(r.headers['referrer-policy'], 'no-referrer', url);
      assert.equal(r.headers['strict-transport-security'], undefined, `${url}: no HSTS over plain HTTP`);
    }
  });

  test('behind TLS, HSTS and upgrade-insecure-requests are added', async () => {
    const r = await tlsApp.inject({ method: 'GET', url: '/login' });
    assert.match(String(r.headers['strict-transport-security']), /max-age=\d+/);
    assert.match(String(r.headers['content-security-policy']), /upgrade-insecure-requests/);
  });
});

describe('sign-in', () => {
  test('wrong tokens of any length, a prefix of the token or the token extended, are refused (the digest comparison never throws)', async () => {
    for (const wrong of ['', 'x', TOKEN.slice(0, -1), `${TOKEN}x`, 'y'.repeat(10_000), 42, null]) {
      const r = await login(app, wrong, '192.0.2.50');
      assert.equal(r.statusCode, 401, `token ${JSON.stringify(wrong)?.slice(0, 20)}`);
      assert.equal(r.json().error.code, errors.unauthorized.code);
    }
    for (const wrong of ['x', TOKEN.slice(0, -1), 'y'.repeat(10_000)]) {
      const r = await app.inject({
        method: 'GET',
        url: '/api/catalogue',
        headers: { authorization: `Bearer ${wrong}` },
      });
      assert.equal(r.statusCode, 401);
    }
  });

  test('attempts beyond the limit answer 429 in the ADW error shape, per client, even with the right token', async () => {
    let last = await login(app, 'not-the-token-0123456789');
    for (let i = 1; last.statusCode === 401 && i < 50; i++) last = await login(app, 'not-the-token-0123456789');
    assert.equal(last.statusCode, 429, 'guessing is cut off');
    assert.deepEqual(Object.keys(last.json()), ['error']);
    assert.equal(last.json().error.code, errors.rateLimited.code);
    assert.match(last.json().error.message, /too many sign-in attempts/);
    assert.ok(Number(last.headers['retry-after']) > 0, 'with Retry-After');
    assert.equal(
      (await login(app, TOKEN)).statusCode,
      429,
      'the limited client cannot sign in either until the window passes',
    );
    const other = await login(app, TOKEN, '192.0.2.2');
    assert.equal(other.statusCode, 200, 'another client is not affected');
    const bearer = await app.inject({
      method: 'GET',
      url: '/api/catalogue',
      headers: { authorization: `Bearer ${TOKEN}` },
      remoteAddress: '192.0.2.1',
    });
    assert.equal(bearer.statusCode, 200, 'scripts with the token keep working');
  });
});

describe('the sign-in cookie', () => {
  const cookieOf = (r: Awaited<ReturnType<typeof login>>) => String(r.headers['set-cookie']);

  test('is HttpOnly and SameSite=Strict, and not Secure on a plain-HTTP server', async () => {
    const r = await login(app, TOKEN, '192.0.2.10');
    assert.equal(r.statusCode, 200);
    assert.match(cookieOf(r), /^adw_token=/);
    assert.match(cookieOf(r), /HttpOnly/);
    assert.match(cookieOf(r), /SameSite=Strict/);
    assert.doesNotMatch(cookieOf(r), /Secure/);
  });

  test('is Secure behind TLS, and so is its removal at sign-out', async () => {
    const r = await login(tlsApp, TOKEN, '192.0.2.11');
    assert.equal(r.statusCode, 200);
    assert.match(cookieOf(r), /; Secure/);
    assert.match(cookieOf(r), /HttpOnly/);
    const out = await tlsApp.inject({ method: 'POST', url: '/api/logout' });
    assert.match(String(out.headers['set-cookie']), /^adw_token=;.*; Secure/);
  });
});
