import assert from 'node:assert/strict';
import { test } from 'node:test';
import { flinkTopics, resultsSource } from '../../src/flink/run.ts';
import { freePort } from '../../src/stack/free-port.ts';

test('the loader of a Flink run with no broker there says what it waits for, and ends when told', {
  timeout: 60_000,
}, async () => {
  const brokers = `127.0.0.1:${await freePort()}`;
  const topics = flinkTopics('adw-waits');
  const lines: string[] = [];
  const stop = new AbortController();
  const source = resultsSource({ brokers, log: (line) => lines.push(line) }, topics, false, stop.signal);
  const opened = source.open(null, null).then(
    () => 'opened',
    (e: { code?: string }) => e.code,
  );
  try {
    // The changelogs' sources open one after the other: the first one says it waits.
    const deadline = Date.now() + 30_000;
    while (lines.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(lines, [`waiting for Kafka at ${brokers} (topic ${topics.dwd})`]);
  } finally {
    stop.abort();
  }
  assert.equal(await opened, 'ADW_ERR_INTERRUPTED');
  await source.close();
});
