import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KafkaSource } from '../../../src/connectors/kafka/source.ts';
import { ensureTopic } from '../../../src/connectors/kafka/topic.ts';
import { EngineChild } from '../../support/engine-child.ts';
import { startTestKafka } from '../../support/kafka.ts';
import { scratch } from '../../support/pipeline.ts';

const tmp = scratch('adw-kafka-idle-');
const TOPIC = 'idle';
let kafka: Awaited<ReturnType<typeof startTestKafka>>;

before(async () => {
  kafka = await startTestKafka(tmp.dir);
  await ensureTopic(kafka.brokers, TOPIC);
});

after(async () => {
  await kafka?.stop();
  tmp.cleanup();
});

test('polling an empty topic many times raises no MaxListenersExceededWarning', { timeout: 60_000 }, async () => {
  const warnings: string[] = [];
  const onWarning = (w: Error) => {
    if (w.name === 'MaxListenersExceededWarning') warnings.push(w.message);
  };
  process.on('warning', onWarning);
  const source = new KafkaSource({ brokers: kafka.brokers, topic: TOPIC });
  try {
    await source.open(null, null);
    // Each idle poll waits up to 100 ms for data: 40 of them, four times the default listener limit.
    for (let i = 0; i < 40; i++) assert.equal((await source.poll(100)).records.length, 0);
    await sleep(10);
  } finally {
    await source.close();
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings, []);
});

test('an engine idle on an empty topic for seconds prints no MaxListenersExceededWarning', {
  timeout: 60_000,
}, async () => {
  const engine = new EngineChild([
    '--kafka',
    kafka.brokers,
    '--topic',
    TOPIC,
    '--db',
    join(tmp.dir, 'idle.duckdb'),
    '--checkpoint-interval',
    '200ms',
  ]);
  await engine.until('a first checkpoint', () => engine.checkpoints > 0, 30_000);
  await sleep(4000);
  assert.equal(await engine.interrupt(), 0, engine.stderr.slice(-2000));
  assert.doesNotMatch(engine.stderr, /MaxListenersExceededWarning/);
});
