import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CheckpointClock, freshnessOf } from '../../src/query/freshness.ts';

// The freshness definition (docs/domain.md, section 5) on the three kinds of traffic whose clocks differ: live,
// a replay far in the past, and clients whose clocks run hours ahead.
const NOW = Date.UTC(2026, 11, 2, 10, 30, 17, 250);
const SECOND = 1000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const WATERMARK_DELAY = 5 * SECOND;

/** A running source's last checkpoint: newest event at `maxEventMs`, committed at `committedMs`. */
const running = (maxEventMs: number, committedMs: number): CheckpointClock => ({
  maxEventMs,
  watermarkMs: maxEventMs - WATERMARK_DELAY,
  flushedUntilMs: 0,
  committedMs,
});
const minuteOf = (ms: number) => new Date(Math.floor(ms / 60_000) * 60_000).toISOString();

describe('freshness', () => {
  test('live traffic: both clocks are seconds, and the watermark minute is still filling', () => {
    const f = freshnessOf([running(NOW - 1500, NOW - 400)], NOW);
    assert.equal(f.lag_ms, 400);
    assert.equal(f.event_lag_ms, 1500);
    assert.equal(f.as_of, new Date(NOW - 1500).toISOString());
    assert.equal(f.newest_event_time, f.as_of);
    assert.equal(f.clock_ahead_ms, 0);
    assert.equal(f.filling_from, minuteOf(NOW - 1500 - WATERMARK_DELAY));
  });

  test('a replay far in the past is seconds fresh, and its months behind are event-time lag', () => {
    const newest = NOW - 335 * DAY;
    const f = freshnessOf([running(newest, NOW - 2 * SECOND)], NOW);
    assert.equal(f.lag_ms, 2 * SECOND, 'data freshness is the wall-clock age of the last commit');
    assert.equal(f.event_lag_ms, 335 * DAY);
    assert.equal(f.as_of, new Date(newest).toISOString(), "the replay's own last event is its now");
    assert.equal(f.clock_ahead_ms, 0);
    assert.equal(f.filling_from, minuteOf(newest - WATERMARK_DELAY), "still filling while the replay's input runs");
  });

  test('clients hours ahead: nothing goes negative, and as_of stays at the commit', () => {
    const committed = NOW - 800;
    const f = freshnessOf([running(NOW + 3 * HOUR, committed)], NOW);
    assert.equal(f.lag_ms, 800);
    assert.equal(
      f.as_of,
      new Date(committed).toISOString(),
      'no event happened after the commit that made it queryable',
    );
    assert.equal(f.event_lag_ms, 800, 'never negative');
    assert.equal(f.clock_ahead_ms, 3 * HOUR + 800);
    assert.equal(f.newest_event_time, new Date(NOW + 3 * HOUR).toISOString(), 'the stamped time is still reported');
    assert.equal(f.filling_from, minuteOf(committed), 'the watermark, dragged ahead, is capped like as_of');
  });

  test("a stopped pipeline ages by the wall clock; a reader whose clock trails the writer's reads 0, not less", () => {
    const stopped = freshnessOf([running(NOW - 3 * HOUR - 4 * SECOND, NOW - 3 * HOUR)], NOW);
    assert.equal(stopped.lag_ms, 3 * HOUR);
    assert.equal(stopped.event_lag_ms, 3 * HOUR + 4 * SECOND);
    const trailing = freshnessOf([running(NOW + 900, NOW + 1200)], NOW);
    assert.equal(trailing.lag_ms, 0);
    assert.equal(trailing.event_lag_ms, 0);
    assert.equal(trailing.clock_ahead_ms, 0);
  });

  test('an ended input has nothing still filling; an empty warehouse has no freshness at all', () => {
    const newest = NOW - 40 * DAY;
    const ended = freshnessOf([{ ...running(newest, NOW - HOUR), flushedUntilMs: newest }], NOW);
    assert.equal(ended.filling_from, null);
    assert.equal(ended.as_of, new Date(newest).toISOString());
    assert.deepEqual(freshnessOf([], NOW), {
      newest_event_time: null,
      committed_at: null,
      lag_ms: null,
      as_of: null,
      event_lag_ms: null,
      clock_ahead_ms: null,
      filling_from: null,
    });
    const idle = freshnessOf([{ maxEventMs: 0, watermarkMs: 0, flushedUntilMs: 0, committedMs: NOW - 300 }], NOW);
    assert.equal(idle.lag_ms, 300, 'a pipeline with no events yet is still committing');
    assert.equal(idle.as_of, null);
    assert.equal(idle.filling_from, null);
  });

  test('with an old replay and live traffic in one warehouse, the live source speaks for the data', () => {
    const replay = { ...running(NOW - 200 * DAY, NOW - 50 * DAY), flushedUntilMs: NOW - 200 * DAY };
    const live = running(NOW - 3 * SECOND, NOW - 1 * SECOND);
    for (const clocks of [
      [replay, live],
      [live, replay],
    ]) {
      const f = freshnessOf(clocks, NOW);
      assert.equal(f.as_of, new Date(NOW - 3 * SECOND).toISOString());
      assert.equal(f.lag_ms, SECOND);
      assert.equal(f.filling_from, minuteOf(NOW - 3 * SECOND - WATERMARK_DELAY));
    }
  });
});
