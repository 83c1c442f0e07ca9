import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineChild } from '../../support/engine-child.ts';
import { scratch } from '../../support/pipeline.ts';

const tmp = scratch();
after(tmp.cleanup);

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('adw run --kafka with no broker there says what it waits for, and SIGTERM ends the wait with one coded line', {
  timeout: 60_000,
}, async () => {
  const brokers = `127.0.0.1:${await closedPort()}`;
  const engine = new EngineChild(['--kafka', brokers, '--db', join(tmp.dir, 'w.duckdb'), '--until-end']);
  await engine.until('the waiting line', () => engine.stderr.includes('waiting for'), 30_000);
  assert.equal(engine.stderr.trim(), `waiting for Kafka at ${brokers} (topic adw.events)`);
  engine.child.kill('SIGTERM');
  // Unreferenced, so a timer left over does not keep the test process alive.
  const exit = await Promise.race([engine.exited, sleep(20_000, 'hung' as const, { ref: false })]);
  if (exit === 'hung') engine.child.kill('SIGKILL');
  assert.notEqual(exit, 'hung', `the engine ignored SIGTERM: ${engine.stderr}`);
  assert.deepEqual(exit, { code: 1, signal: null });
  const lines = engine.stderr.trim().split('\n');
  assert.equal(lines.length, 2, engine.stderr);
  assert.equal(
    lines[1],
    `adw: interrupted while waiting for Kafka at ${brokers} (topic adw.events) [ADW_ERR_INTERRUPTED]`,
  );
});
