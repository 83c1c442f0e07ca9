import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { KafkaSink } from '../../../src/connectors/kafka/sink.ts';
import { KafkaSource } from '../../../src/connectors/kafka/source.ts';
import { runEngine } from '../../support/engine-child.ts';
import { startTestKafka } from '../../support/kafka.ts';
import { queryRow, scratch } from '../../support/pipeline.ts';

const tmp = scratch('adw-kafka-later-');
const TOPIC = 'later';
const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const PER_PARTITION = 3000;
let kafka: Awaited<ReturnType<typeof startTestKafka>>;

/** Unmatched exposures of one partition, a second apart from `startMs` (ids unique across partitions). */
const exposures = (partition: number, startMs: number) =>
  Array.from({ length: PER_PARTITION }, (_, i) => ({
    partition,
    value: JSON.stringify({
      type: 'exposure',
      event_id: `e${partition}-${i}`,
      request_id: `r${partition}-${i}`,
      ts: startMs + i * 1000,
    }),
  }));

before(async () => {
  kafka = await startTestKafka(tmp.dir);
  // Partition 0 holds the hour after partition 1's; partition 2 stays empty.
  const sink = new KafkaSink({ brokers: kafka.brokers, topic: TOPIC, partitions: 3 });
  try {
    await sink.sendKeyed([...exposures(0, T0 + 60 * MIN), ...exposures(1, T0)]);
  } finally {
    await sink.close();
  }
});

after(async () => {
  await kafka?.stop();
  tmp.cleanup();
});

test('the Kafka source names the partitions with records past its position, not the empty ones', {
  timeout: 60_000,
}, async () => {
  const fromStart = new KafkaSource({ brokers: kafka.brokers, topic: TOPIC, group: 'splits-a' });
  try {
    await fromStart.open(null, null);
    assert.deepEqual([...fromStart.splits()].sort(), [0, 1]);
  } finally {
    await fromStart.close();
  }
  const partOneRead = new KafkaSource({ brokers: kafka.brokers, topic: TOPIC, group: 'splits-b' });
  try {
    await partOneRead.open(JSON.stringify({ 0: '0', 1: String(PER_PARTITION), 2: '0' }), null);
    assert.deepEqual(partOneRead.splits(), [0]);
  } finally {
    await partOneRead.close();
  }
});

test('a partition an hour behind the others, whichever is delivered first, has none of its records late', {
  timeout: 120_000,
}, async () => {
  const db = join(tmp.dir, 'later.duckdb');
  await runEngine(['--kafka', kafka.brokers, '--topic', TOPIC, '--db', db, '--until-end'], null);
  const cp = await queryRow(db, 'SELECT records_in, late FROM adw_checkpoint');
  assert.equal(Number(cp.records_in), 2 * PER_PARTITION);
  assert.equal(Number(cp.late), 0);
});
