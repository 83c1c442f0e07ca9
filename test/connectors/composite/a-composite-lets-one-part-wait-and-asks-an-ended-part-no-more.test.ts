import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CompositeSource } from '../../../src/connectors/composite/source.ts';
import { lineRecord, type Source, type SourcePoll } from '../../../src/connectors/source.ts';

/**
 * A part that hands out its polls' answers in turn (then nothing, still running) and notes how each poll was asked:
 * whether it might wait.
 */
function part(id: string, answers: { lines: number; end: boolean }[], unbounded = false) {
  const asked: boolean[] = [];
  let seq = 0;
  const source: Source = {
    id,
    ...(unbounded ? { unbounded } : {}),
    async open() {},
    async poll(_max: number, wait = true): Promise<SourcePoll> {
      asked.push(wait);
      const a = answers.shift() ?? { lines: 0, end: false };
      return { records: Array.from({ length: a.lines }, () => lineRecord(`{"${id}":${seq}}`, seq++)), end: a.end };
    },
    position: () => String(seq),
    fingerprint: () => id,
    async close() {},
  };
  return { source, asked };
}

test('with records in one part, no part is asked to wait: the part with nothing new does not hold the poll', async () => {
  const dwd = part('dwd', []);
  const dwa = part('dwa', [{ lines: 3, end: false }]);
  const composite = new CompositeSource([dwd.source, dwa.source]);
  await composite.open(null, null);
  const poll = await composite.poll(1024);
  assert.equal(poll.records.length, 3);
  assert.deepEqual([dwd.asked, dwa.asked], [[false], [false]]);
});

test('with no records anywhere, one part waits: the last running one that is not a change stream', async () => {
  const binlog = part('binlog', [], true);
  const events = part('events', []);
  const composite = new CompositeSource([binlog.source, events.source]);
  await composite.open(null, null);
  const poll = await composite.poll(1024);
  assert.deepEqual(poll, { records: [], end: false });
  // Asked without waiting first, then once more with the events part waiting (a binlog answers at once).
  assert.deepEqual(
    [binlog.asked, events.asked],
    [
      [false, false],
      [false, true],
    ],
  );
  // Asked by a caller that will not wait, none waits.
  await composite.poll(1024, false);
  assert.deepEqual([binlog.asked.at(-1), events.asked.at(-1)], [false, false]);
});

test('a part that ended is asked no more; the composite ends when every finite part has', async () => {
  const dwd = part('dwd', [
    { lines: 2, end: false },
    { lines: 0, end: true },
  ]);
  const dwa = part('dwa', [
    { lines: 5, end: false },
    { lines: 5, end: false },
    { lines: 1, end: false },
    { lines: 0, end: true },
  ]);
  const composite = new CompositeSource([dwd.source, dwa.source]);
  await composite.open(null, null);
  const lines: number[] = [];
  for (let i = 0; i < 10; i++) {
    const poll = await composite.poll(1024);
    lines.push(poll.records.length);
    if (poll.end) break;
  }
  assert.deepEqual(lines, [7, 5, 1, 0]);
  assert.equal(dwd.asked.length, 2, 'the ended part was polled until it said so, then not again');
  assert.equal(dwa.asked.length, 4);
  assert.ok(
    dwa.asked.every((w) => !w),
    'with records to hand out, or an end to say, nothing waited',
  );
});
