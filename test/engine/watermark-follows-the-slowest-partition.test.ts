import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyWrites } from '../../src/warehouse/checkpoint-writes.ts';
import { defaultEngineConfig } from '../../src/engine/config.ts';
import type { RunContext } from '../../src/engine/operator.ts';
import { IDLE_AFTER_RECORDS, WatermarkOperator } from '../../src/engine/operators/watermark.ts';
import type { Tracked } from '../../src/engine/records.ts';
import { emptyStats } from '../../src/engine/stats.ts';
import type { AdEvent } from '../../src/events/schema.ts';

const config = { ...defaultEngineConfig, watermarkDelayMs: 5_000, allowedLatenessMs: 60_000 };
const MIN = 60_000;

function context(): RunContext {
  return {
    config,
    store: null as never,
    dims: null as never,
    spill: null,
    counters: emptyWrites(1, 'test').counters,
    stats: emptyStats(),
    epoch: 1,
    maxEventMs: 0,
    watermark: -config.watermarkDelayMs,
    splits: [],
    flushedUntilMs: 0,
    sealing: false,
    now: Date.now(),
  };
}

const rec = (split: number, ts: number) =>
  ({ kind: 'click', ts, split, seq: 0, raw: '', late: false }) as unknown as Tracked<AdEvent>;

function push(op: WatermarkOperator, ctx: RunContext, records: Tracked<AdEvent>[]): Tracked<AdEvent>[] {
  const out: Tracked<AdEvent>[] = [];
  op.processBatch(records, out, ctx);
  return out;
}

test("a partition read far ahead does not make the others late: the watermark is the slowest partition's", () => {
  const op = new WatermarkOperator();
  const ctx = context();
  // Both partitions start together; then partition 0 is read an hour ahead of partition 1.
  push(op, ctx, [rec(0, 0), rec(1, 0), rec(0, 30 * MIN), rec(0, 60 * MIN)]);
  assert.equal(ctx.watermark, 0 - config.watermarkDelayMs, 'held back by partition 1');
  assert.equal(ctx.maxEventMs, 60 * MIN);
  const slow = push(op, ctx, [rec(1, 10 * MIN), rec(1, 9 * MIN)]);
  assert.deepEqual(
    slow.map((r) => r.late),
    [false, false],
    "partition 1's records are on time for partition 1",
  );
  assert.equal(ctx.counters.late, 0);
  // Partition 1 catches up; a record now older than the watermark minus the lateness is late, as before.
  push(op, ctx, [rec(1, 50 * MIN)]);
  assert.equal(ctx.watermark, 50 * MIN - config.watermarkDelayMs);
  const [old] = push(op, ctx, [rec(0, 40 * MIN)]);
  assert.equal(old!.late, true);
  assert.equal(ctx.counters.late, 1);
});

test('one split (a file) behaves as a single watermark trailing the highest event time', () => {
  const op = new WatermarkOperator();
  const ctx = context();
  const out = push(op, ctx, [
    rec(0, 10 * MIN),
    rec(0, 12 * MIN),
    rec(0, 12 * MIN - config.watermarkDelayMs - config.allowedLatenessMs - 1),
    rec(0, 11 * MIN),
  ]);
  assert.deepEqual(
    out.map((r) => r.late),
    [false, false, true, false],
  );
  assert.equal(ctx.watermark, 12 * MIN - config.watermarkDelayMs);
});

test('a split gone idle stops holding the watermark back, and the watermark never moves backwards', () => {
  const op = new WatermarkOperator();
  const ctx = context();
  push(op, ctx, [rec(0, 0), rec(1, 0)]);
  const batch: Tracked<AdEvent>[] = [];
  for (let i = 1; i <= IDLE_AFTER_RECORDS + 70_000; i++) batch.push(rec(0, i * 10));
  push(op, ctx, batch);
  assert.ok(ctx.watermark > 0, `partition 1 went quiet, so partition 0 moves the watermark on (${ctx.watermark})`);
  const before = ctx.watermark;
  const [back] = push(op, ctx, [rec(1, 1)]);
  assert.equal(
    back!.late,
    true,
    'the idle split comes back behind the watermark: its record is late (processed exactly via look-ups)',
  );
  assert.equal(ctx.watermark, before, 'and the watermark does not regress');
});

test('the partitions the source has records in hold the watermark from the start, until each delivers', async () => {
  const op = new WatermarkOperator();
  const ctx = { ...context(), splits: [0, 1, 2] };
  await op.open(ctx);
  // Partition 0 is delivered first, an hour ahead; 1 and 2 have not delivered anything yet.
  push(op, ctx, [rec(0, 0), rec(0, 60 * MIN)]);
  assert.equal(ctx.watermark, -config.watermarkDelayMs, 'held back by the partitions not delivered yet');
  const early = push(op, ctx, [rec(1, 1 * MIN), rec(1, 2 * MIN)]);
  assert.deepEqual(
    early.map((r) => r.late),
    [false, false],
  );
  assert.equal(ctx.watermark, -config.watermarkDelayMs, 'partition 2 still holds it');
  const [third] = push(op, ctx, [rec(2, 3 * MIN)]);
  assert.equal(third!.late, false);
  assert.equal(ctx.watermark, 2 * MIN - config.watermarkDelayMs, 'now the slowest delivered partition');
  assert.equal(ctx.counters.late, 0);
});

test('a partition the source has records in but that never delivers goes idle like any other', async () => {
  const op = new WatermarkOperator();
  const ctx = { ...context(), splits: [0, 1] };
  await op.open(ctx);
  const batch: Tracked<AdEvent>[] = [];
  for (let i = 1; i <= IDLE_AFTER_RECORDS + 70_000; i++) batch.push(rec(0, i * 10));
  push(op, ctx, batch);
  assert.ok(ctx.watermark > 0, `partition 1 never came, so partition 0 moves the watermark on (${ctx.watermark})`);
});
