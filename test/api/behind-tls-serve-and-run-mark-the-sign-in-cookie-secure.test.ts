import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { startAdwServer } from '../support/adw-server.ts';
import { adwSync } from '../support/cli.ts';
import { runFile, scratch } from '../support/pipeline.ts';

const TOKEN = 'behind-tls-token-0123456789';
const tmp = scratch();
const input = join(tmp.dir, 'in.ndjson');
const db = join(tmp.dir, 'w.duckdb');

before(async () => {
  await writeSimulation({ seed: 4, events: 500 }, input);
  await runFile(input, db);
});
after(() => tmp.cleanup());

/** Starts `adw args`, signs in, stops it; resolves to the Set-Cookie header of the sign-in. */
async function signInCookie(args: string[]): Promise<string> {
  const server = await startAdwServer(args, { ADW_API_TOKEN: TOKEN });
  try {
    const r = await fetch(new URL('/api/login', server.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: TOKEN }),
    });
    assert.equal(r.status, 200);
    return r.headers.get('set-cookie') ?? '';
  } finally {
    assert.equal(await server.stop(), 0, `clean exit (${server.output().stderr})`);
  }
}

describe('--behind-tls', { timeout: 120_000 }, () => {
  test('is documented in the help of adw serve, adw run and adw demo', () => {
    for (const command of ['serve', 'run', 'demo']) {
      const r = adwSync(tmp.dir, [command, '--help']);
      assert.match(r.stdout, /--behind-tls\s+.*TLS/, `adw ${command} --help`);
    }
  });

  test('adw serve marks the sign-in cookie Secure with it, and not without', async () => {
    assert.match(await signInCookie(['serve', '--db', db, '--port', '0', '--behind-tls']), /^adw_token=.*; Secure/);
    const plain = await signInCookie(['serve', '--db', db, '--port', '0']);
    assert.match(plain, /^adw_token=/);
    assert.doesNotMatch(plain, /Secure/);
  });

  test('adw run --api-port marks it Secure with it', async () => {
    const cookie = await signInCookie([
      'run',
      '--input',
      input,
      '--db',
      join(tmp.dir, 'run.duckdb'),
      '--api-port',
      '0',
      '--behind-tls',
      '--quiet',
    ]);
    assert.match(cookie, /^adw_token=.*; Secure/);
  });
});
