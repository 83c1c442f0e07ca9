import { Admin } from '@platformatic/kafka';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { publishLines } from '../../../src/connectors/kafka/publish.ts';
import { KafkaSink } from '../../../src/connectors/kafka/sink.ts';
import { simulateLines, writeSimulation } from '../../../src/simulator/simulate.ts';
import { adwSync, show } from '../../support/cli.ts';
import { EngineChild, killPoints, runEngine } from '../../support/engine-child.ts';
import { startTestKafka } from '../../support/kafka.ts';
import { aggregateSnapshot, dwaDifferences, queryRow, runFile, scratch } from '../../support/pipeline.ts';

const PARTITIONS = 4;
const tmp = scratch('adw-kafka-');
let kafka: Awaited<ReturnType<typeof startTestKafka>>;
let file: string;
let lines = 0;
let dimLines = 0;

function produce(seed: number, events: number, topic: string): void {
  const r = adwSync(tmp.dir, [
    'simulate',
    '--seed',
    String(seed),
    '--events',
    String(events),
    '--span',
    '2h',
    '--kafka',
    kafka.brokers,
    '--topic',
    topic,
  ]);
  assert.equal(r.status, 0, show(r));
}

before(async () => {
  kafka = await startTestKafka(tmp.dir);
  file = join(tmp.dir, 'in.ndjson');
  lines = (await writeSimulation({ seed: 11, events: 60_000, spanMs: 2 * 3600_000 }, file)).lines;
  dimLines = lines - 60_000;
  produce(11, 60_000, 'events-a');
});

after(async () => {
  await kafka?.stop();
  tmp.cleanup();
});

/** The checkpoint's counters, and ODS counts, of a warehouse. */
async function counts(db: string) {
  const cp = await queryRow(db, 'SELECT records_in, accepted, dead_lettered, position FROM adw_checkpoint');
  const ods = await queryRow(db, 'SELECT count(*)::BIGINT AS n FROM ods_ad_event');
  return {
    recordsIn: Number(cp.records_in),
    accepted: Number(cp.accepted),
    deadLettered: Number(cp.dead_lettered),
    ods: Number(ods.n),
    position: JSON.parse(cp.position as string) as Record<string, string>,
  };
}

test('adw run --kafka --until-end builds the warehouse a file run builds, equal to the offline recomputation', {
  timeout: 300_000,
}, async () => {
  const db = join(tmp.dir, 'kafka.duckdb');
  assert.equal(
    await runEngine(['--kafka', kafka.brokers, '--topic', 'events-a', '--db', db, '--until-end'], null),
    'finished',
  );
  const c = await counts(db);
  // Dimension lines go to every partition, so each partition's events find them first.
  assert.equal(c.recordsIn, lines + dimLines * (PARTITIONS - 1), 'every record of the topic read once');
  assert.equal(c.accepted + c.deadLettered, c.recordsIn);
  assert.deepEqual(Object.keys(c.position).sort(), ['0', '1', '2', '3'], 'the position holds every partition');
  const admin = new Admin({ clientId: 'adw-test', bootstrapBrokers: [kafka.brokers] });
  try {
    const [group] = await admin.listConsumerGroupOffsets({ groups: ['adw-engine'] });
    const committed = Object.fromEntries(
      group!.topics
        .find((t) => t.name === 'events-a')!
        .partitions.map((p) => [String(p.partitionIndex), String(p.committedOffset)]),
    );
    assert.deepEqual(
      committed,
      c.position,
      "the group's committed offsets (what Kafka's lag tools read) are the checkpoint's position",
    );
  } finally {
    await admin.close();
  }
  const diff = await dwaDifferences(db);
  assert.equal(
    diff.length,
    0,
    `DWA equals the offline recomputation from ODS; first differences: ${JSON.stringify(diff.slice(0, 4))}`,
  );

  const reference = join(tmp.dir, 'file.duckdb');
  await runFile(file, reference);
  assert.deepEqual(
    await aggregateSnapshot(db),
    await aggregateSnapshot(reference),
    'DWA and APP equal the same traffic read from a file',
  );
});

test('kill -9 of the engine several times mid-stream, then restarts: nothing lost, nothing counted twice', {
  timeout: 300_000,
}, async () => {
  const seed = Number(process.env.ADW_KILL_SEED ?? Date.now() % 100_000);
  const next = killPoints(seed, 2, 100);
  const db = join(tmp.dir, 'killed.duckdb');
  const args = [
    '--kafka',
    kafka.brokers,
    '--topic',
    'events-a',
    '--db',
    db,
    '--until-end',
    '--checkpoint-interval',
    '50ms',
    '--batch-size',
    '200',
  ];
  let kills = 0;
  while (kills < 3 && (await runEngine(args, next())) === 'killed') kills++;
  if (kills === 3) assert.equal(await runEngine(args, null), 'finished');
  assert.equal(kills, 3, `the engine was killed mid-stream 3 times (seed ${seed})`);
  const c = await counts(db);
  assert.equal(c.recordsIn, lines + dimLines * (PARTITIONS - 1), `every record counted once (seed ${seed})`);
  const diff = await dwaDifferences(db);
  assert.equal(
    diff.length,
    0,
    `DWA equals the offline recomputation (seed ${seed}); first differences: ${JSON.stringify(diff.slice(0, 4))}`,
  );
  assert.deepEqual(
    await aggregateSnapshot(db),
    await aggregateSnapshot(join(tmp.dir, 'kafka.duckdb')),
    'DWA and APP equal an uninterrupted run',
  );
});

test('the broker restarted mid-stream: the engine rides it out and the warehouse stays exact', {
  timeout: 300_000,
}, async () => {
  const db = join(tmp.dir, 'restart.duckdb');
  const topic = 'events-b';
  // One simulation (one set of dimensions), produced half before and half after the broker restart.
  const all = [...simulateLines({ seed: 12, events: 40_000, spanMs: 2 * 3600_000 })];
  const sink = new KafkaSink({ brokers: kafka.brokers, topic });
  await publishLines(all.slice(0, all.length / 2), sink);
  await sink.close();
  const engine = new EngineChild([
    '--kafka',
    kafka.brokers,
    '--topic',
    topic,
    '--db',
    db,
    '--checkpoint-interval',
    '100ms',
  ]);
  await engine.until('a first checkpoint', () => engine.recordsIn > 0);
  await kafka.restart();
  const again = new KafkaSink({ brokers: kafka.brokers, topic });
  await publishLines(all.slice(all.length / 2), again);
  await again.close();
  const total = 40_000 + dimLines * PARTITIONS;
  await engine.until('the engine to catch up after the restart', () => engine.recordsIn === total);
  assert.equal(await engine.interrupt(), 0, engine.stderr.slice(-2000));
  // The loss and the recovery are said, not ridden out in silence: the last word is that the broker is back.
  const what = `Kafka at ${kafka.brokers} \\(topic ${topic}\\)`;
  const lost = new RegExp(`^lost ${what}: retrying$`);
  const back = new RegExp(`^${what} answers again after \\d+\\.\\d s$`);
  const notices = engine.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('checkpoint '));
  assert.ok(notices.some((l) => lost.test(l)) && notices.length >= 2, engine.stderr);
  assert.ok(notices.every((l) => lost.test(l) || back.test(l)) && back.test(notices.at(-1)!), engine.stderr);
  // A backfill run on the same warehouse finds nothing new, so the input is complete: what waits for requests is
  // released.
  assert.equal(
    await runEngine(['--kafka', kafka.brokers, '--topic', topic, '--db', db, '--until-end'], null),
    'finished',
  );
  const c = await counts(db);
  assert.equal(c.recordsIn, total, 'every record counted once across the restart');
  assert.equal(c.ods, 40_000 - c.deadLettered, 'each event landed in ODS once');
  const diff = await dwaDifferences(db);
  assert.equal(
    diff.length,
    0,
    `DWA equals the offline recomputation; first differences: ${JSON.stringify(diff.slice(0, 4))}`,
  );
});
