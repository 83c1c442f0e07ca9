import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ServeBenchResult } from '../../src/bench/serve-bench.ts';
import { adwJson } from '../support/cli.ts';

let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'adw-serve-bench-test-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

// Speed is not asserted (that is the benchmark's job); what is asserted is that its figures are what they claim.
test('adw bench --serve --json reports queries, refreshes and the engine with and without the dashboards', () => {
  const clients = 3;
  const seconds = 3;
  const r = adwJson(dir, [
    'bench',
    '--serve',
    '--clients',
    String(clients),
    '--rate',
    '2000',
    '--seconds',
    String(seconds),
    '--json',
  ]) as unknown as ServeBenchResult;
  assert.deepEqual([r.clients, r.rate, r.seconds], [clients, 2000, seconds]);
  const q = r.queries;
  const refreshes = r.refreshes;
  assert.equal(q.errors, 0, JSON.stringify(r));
  // Every refresh ran: a status, then at least the tiles, two series, breakdown and pacing queries.
  assert.ok(refreshes.count >= clients, JSON.stringify(refreshes));
  assert.ok(q.count >= 5 * (refreshes.count - clients) && q.count <= 6 * refreshes.count, JSON.stringify(r));
  assert.ok(q.per_sec > 0 && q.p50_ms > 0 && q.p50_ms <= q.p99_ms, JSON.stringify(q));
  assert.ok(refreshes.on_time <= refreshes.count);
  assert.equal(refreshes.on_time_share, Math.round((refreshes.on_time / refreshes.count) * 1000) / 1000);
  // Reads answered by the warehouse, shared or joined; the viewers share the default view, so some are shared.
  const answers = r.answers;
  assert.ok(answers.miss! > 0 && (answers.hit ?? 0) + (answers.joined ?? 0) > 0, JSON.stringify(answers));
  // Commits came at every checkpoint interval while the dashboards asked: what they asked was read ahead at the commits.
  assert.ok(answers.refresh! > 0, JSON.stringify(answers));
  // Each refresh's status named a checkpoint committed before it was answered, and checkpoints come every interval.
  const lag = r.answer_lag;
  assert.ok(lag.p50_ms >= 0 && lag.p50_ms <= lag.p99_ms && lag.p99_ms < 60_000, JSON.stringify(lag));
  for (const phase of ['unloaded', 'loaded'] as const) {
    const f = r[phase];
    assert.ok(f.ingest_rate > 0, `${phase}: ${JSON.stringify(f)}`);
    assert.ok(f.freshness_p50_ms > 0 && f.freshness_p50_ms <= f.freshness_p99_ms, `${phase}: ${JSON.stringify(f)}`);
    // The loop was sampled every 10 ms: at least that late, and the worst delay at least the 99th percentile.
    assert.ok(
      f.event_loop_p99_ms >= 10 && f.event_loop_p99_ms <= f.event_loop_max_ms,
      `${phase}: ${JSON.stringify(f)}`,
    );
    assert.ok(f.event_loop_busy > 0 && f.event_loop_busy <= 1, `${phase}: ${JSON.stringify(f)}`);
  }
});
