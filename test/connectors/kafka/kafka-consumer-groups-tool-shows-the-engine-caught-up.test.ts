import { Admin } from '@platformatic/kafka';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { adwAsync } from '../../support/cli.ts';
import { runEngine } from '../../support/engine-child.ts';
import { startTestKafka } from '../../support/kafka.ts';
import { scratch } from '../../support/pipeline.ts';

const tmp = scratch('adw-kafka-tool-');
const TOPIC = 'events';
let kafka: Awaited<ReturnType<typeof startTestKafka>>;

before(async () => {
  kafka = await startTestKafka(tmp.dir);
});

after(async () => {
  await kafka?.stop();
  tmp.cleanup();
});

test("adw kafka-tool consumer-groups --describe (Kafka's own tool) shows the engine's group at the topic's end offsets, lag 0", {
  timeout: 60_000,
}, async () => {
  const sim = await adwAsync(tmp.dir, [
    'simulate',
    '--seed',
    '3',
    '--events',
    '3000',
    '--kafka',
    kafka.brokers,
    '--topic',
    TOPIC,
  ]);
  assert.equal(sim.status, 0, sim.stderr);
  assert.equal(
    await runEngine(
      ['--kafka', kafka.brokers, '--topic', TOPIC, '--db', join(tmp.dir, 'w.duckdb'), '--until-end'],
      null,
    ),
    'finished',
  );
  const r = await adwAsync(tmp.dir, [
    'kafka-tool',
    'consumer-groups',
    '--bootstrap-server',
    kafka.brokers,
    '--describe',
    '--group',
    'adw-engine',
  ]);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const table = r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((cols) => cols.length > 1);
  const header = table.find((cols) => cols[0] === 'GROUP');
  assert.ok(header, r.stdout);
  const col = (name: string) => header.indexOf(name);
  const rows = table.filter((cols) => cols[0] === 'adw-engine' && cols[col('TOPIC')] === TOPIC);
  const shown = Object.fromEntries(
    rows.map((cols) => [
      cols[col('PARTITION')],
      { current: cols[col('CURRENT-OFFSET')], end: cols[col('LOG-END-OFFSET')], lag: cols[col('LAG')] },
    ]),
  );
  const admin = new Admin({ clientId: 'adw-test', bootstrapBrokers: [kafka.brokers] });
  let ends: { partitionIndex: number; offset: bigint }[];
  try {
    // Timestamp -1: the log-end offset of each partition.
    const [topic] = await admin.listOffsets({
      topics: [{ name: TOPIC, partitions: [0, 1, 2, 3].map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }],
    });
    ends = topic!.partitions;
  } finally {
    await admin.close();
  }
  assert.equal(ends.length, 4);
  assert.deepEqual(
    shown,
    Object.fromEntries(
      ends.map((p) => [String(p.partitionIndex), { current: String(p.offset), end: String(p.offset), lag: '0' }]),
    ),
  );
});

test('adw kafka-tool with an unknown tool name fails with one coded line naming the known tools', {
  timeout: 30_000,
}, async () => {
  const r = await adwAsync(tmp.dir, ['kafka-tool', 'no-such-tool', '--help']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^adw: .*consumer-groups.* \[ADW_ERR_BAD_OPTION\]\n$/);
});
