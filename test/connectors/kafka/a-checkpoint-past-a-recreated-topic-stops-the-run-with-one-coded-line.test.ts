import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { KafkaSink } from '../../../src/connectors/kafka/sink.ts';
import { EngineChild, runEngine } from '../../support/engine-child.ts';
import { startTestKafka } from '../../support/kafka.ts';
import { queryRow, scratch } from '../../support/pipeline.ts';

const tmp = scratch('adw-kafka-recreated-');
const TOPIC = 'recreated';
const T0 = Date.UTC(2026, 0, 1);
let kafka: Awaited<ReturnType<typeof startTestKafka>>;

/** `n` unmatched exposures in each of two partitions, ids unique to `run`. */
async function produce(run: string, n: number): Promise<void> {
  const sink = new KafkaSink({ brokers: kafka.brokers, topic: TOPIC, partitions: 2 });
  try {
    await sink.sendKeyed(
      [0, 1].flatMap((partition) =>
        Array.from({ length: n }, (_, i) => ({
          partition,
          value: JSON.stringify({ type: 'exposure', event_id: `${run}${partition}-${i}`, request_id: 'r', ts: T0 + i }),
        })),
      ),
    );
  } finally {
    await sink.close();
  }
}

before(async () => {
  kafka = await startTestKafka(tmp.dir);
});

after(async () => {
  await kafka?.stop();
  tmp.cleanup();
});

test('an engine whose checkpoint is past the log of a recreated topic stops with one coded line naming the partition', {
  timeout: 120_000,
}, async () => {
  const db = join(tmp.dir, 'recreated.duckdb');
  await produce('a', 50);
  await runEngine(['--kafka', kafka.brokers, '--topic', TOPIC, '--db', db, '--until-end'], null);
  assert.equal(Number((await queryRow(db, 'SELECT records_in FROM adw_checkpoint')).records_in), 100);

  // The topic deleted and made again with fewer records: the checkpoint's offsets (50) are past its log end (10).
  const admin = new Admin({ clientId: 'test', bootstrapBrokers: [kafka.brokers] });
  try {
    await admin.deleteTopics({ topics: [TOPIC] });
    for (let i = 0; (await admin.listTopics()).includes(TOPIC); i++) {
      assert.ok(i < 100, 'the topic was not deleted within 10 s');
      await sleep(100);
    }
  } finally {
    await admin.close();
  }
  await produce('b', 10);

  // Reading on from the start of the new log would count records the checkpoint never covered, silently.
  const engine = new EngineChild(['--kafka', kafka.brokers, '--topic', TOPIC, '--db', db, '--until-end']);
  const exit = await Promise.race([engine.exited, sleep(60_000, 'hung' as const, { ref: false })]);
  if (exit === 'hung') engine.child.kill('SIGKILL');
  assert.deepEqual(exit, { code: 1, signal: null }, engine.stderr);
  const lines = engine.stderr.trim().split('\n');
  assert.equal(lines.length, 1, engine.stderr);
  assert.match(
    lines[0]!,
    /^adw: source kafka:recreated failed: partition [01] has no offset 50 \(its log ends at 10\): its records were deleted \(retention\) or the topic was recreated, and the checkpoint cannot resume exactly(; partition [01] has no offset 50 \(its log ends at 10\): .*)? \[ADW_ERR_SOURCE_FAILED\]$/,
  );
  assert.equal(Number((await queryRow(db, 'SELECT records_in FROM adw_checkpoint')).records_in), 100);
});

test('a record without a value (a tombstone) or with an empty one is dead-lettered with its offset, not lost', {
  timeout: 120_000,
}, async () => {
  const topic = 'tombstones';
  const sink = new KafkaSink({ brokers: kafka.brokers, topic, partitions: 1 });
  try {
    const ok = (i: number) => ({ type: 'exposure', event_id: `t-${i}`, request_id: 'r', ts: T0 + i });
    await sink.sendKeyed([{ partition: 0, value: JSON.stringify(ok(0)) }]);
  } finally {
    await sink.close();
  }
  const producer = new Producer({
    clientId: 'test',
    bootstrapBrokers: [kafka.brokers],
    serializers: stringSerializers,
  });
  try {
    // Offsets 1 and 2: no value at all, then an empty one.
    await producer.send({ messages: [{ topic, partition: 0, key: 'k' }] });
    await producer.send({ messages: [{ topic, partition: 0, key: 'k', value: '' }] });
  } finally {
    await producer.close();
  }
  const db = join(tmp.dir, 'tombstones.duckdb');
  await runEngine(['--kafka', kafka.brokers, '--topic', topic, '--db', db, '--until-end'], null);
  const cp = await queryRow(db, 'SELECT records_in, dead_lettered FROM adw_checkpoint');
  assert.deepEqual([Number(cp.records_in), Number(cp.dead_lettered)], [3, 2]);
  const dead = await queryRow(
    db,
    'SELECT list(seq ORDER BY seq) AS seqs, list(DISTINCT reason) AS reasons, sum(payload_bytes) AS bytes FROM ods_dead_letter',
  );
  assert.deepEqual([(dead.seqs as unknown[]).map(Number), dead.reasons, Number(dead.bytes)], [[1, 2], ['bad_json'], 0]);
});
