import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { adwJson, adwSync, show } from '../support/cli.ts';
import { queryRow, scratch } from '../support/pipeline.ts';

type Agreement = { realtime: number; offline: number; accuracy: number };
// The reconciled metrics and followed event types: the first test of each command checks these are all there.
type Metric = 'clicks' | 'exposures' | 'fills' | 'requests' | 'spend' | 'viewable_exposures';
type FollowType = 'exposure' | 'viewable' | 'click';
type Report = {
  metrics: Record<Metric, Agreement>;
  slices: Partial<Record<string, { value: unknown; metrics: Record<string, Agreement> }[]>>;
  worst: (Agreement & { dimension: string; metric: string })[];
};
type Advice = {
  observed: { joined: Record<FollowType, number>; unmatched: Record<FollowType, number> };
  windows: {
    window: string;
    window_ms: number;
    accuracy: Record<FollowType | 'all', number>;
    state_keys: number;
    state_bytes: number;
  }[];
  recommendations: { target: number; window: string | null; window_ms: number | null }[];
};

const HOUR = 3_600_000;
let s: ReturnType<typeof scratch>;
let input: string;
/** The warehouse built with this attribution window ('24h': the default settings). */
const db = (window: string) => join(s.dir, `w-${window}.duckdb`);

before(() => {
  s = scratch('adw-reconcile-');
  input = join(s.dir, 'in.ndjson');
  // Twelve hours of traffic, so click delays beyond the 4 h join window occur and are followed.
  const sim = adwSync(s.dir, ['simulate', '--seed', '5', '--events', '200000', '--span', '12h', '--out', input]);
  assert.equal(sim.status, 0, show(sim));
  for (const [window, options] of [
    // Default settings: requests 4 h in memory, attributed for 24 h (older ones through the warehouse).
    ['24h', []],
    ['4h', ['--attribution-window', '4h']],
    ['15m', ['--attribution-window', '15m', '--join-window', '15m']],
  ] as const) {
    const run = adwSync(s.dir, ['run', '--input', input, '--db', db(window), '--until-end', '--quiet', ...options]);
    assert.equal(run.status, 0, show(run));
  }
});

after(() => s.cleanup());

describe('adw reconcile --json', () => {
  let full: Report;
  let wide: Report;
  let narrow: Report;
  before(() => {
    full = adwJson(s.dir, ['reconcile', '--db', db('24h'), '--json']) as unknown as Report;
    wide = adwJson(s.dir, ['reconcile', '--db', db('4h'), '--json']) as unknown as Report;
    narrow = adwJson(s.dir, ['reconcile', '--db', db('15m'), '--json']) as unknown as Report;
  });

  test('reports realtime, offline and accuracy for every additive metric, and slices and worst slices', () => {
    const report = wide;
    assert.deepEqual(Object.keys(report.metrics).sort(), [
      'clicks',
      'exposures',
      'fills',
      'requests',
      'spend',
      'viewable_exposures',
    ]);
    for (const [name, a] of Object.entries(report.metrics)) {
      assert.ok(a.accuracy >= 0 && a.accuracy <= 1, `${name} accuracy is a fraction`);
      assert.ok(a.offline > 0, `${name} has offline volume`);
    }
    assert.ok((report.slices.campaign_id?.length ?? 0) > 1, 'slices by campaign');
    assert.ok(report.worst.length > 0 && report.worst.length <= 10);
    const accuracies = report.worst.map((w) => w.accuracy);
    assert.deepEqual(
      accuracies,
      accuracies.toSorted((a, b) => a - b),
      'worst slices come first',
    );
  });

  test("totals are the warehouse's own: real-time from DWA, offline from deduplicated ODS", async () => {
    const report = wide;
    const dwa = await queryRow(
      db('4h'),
      'SELECT sum(requests)::BIGINT AS requests, sum(clicks)::BIGINT AS clicks FROM dwa_ad_minute',
    );
    const ods = await queryRow(
      db('4h'),
      "SELECT count(DISTINCT event_id) FILTER (WHERE event_type = 'click') AS clicks, count(DISTINCT event_id) FILTER (WHERE event_type = 'request') AS requests FROM ods_ad_event",
    );
    assert.equal(report.metrics.requests.realtime, Number(dwa.requests));
    assert.equal(report.metrics.clicks.realtime, Number(dwa.clicks));
    assert.equal(report.metrics.clicks.offline, Number(ods.clicks));
    assert.equal(report.metrics.requests.offline, Number(ods.requests));
  });

  test('with default settings, clicks and spend are at least 99.9% and every other metric exact', () => {
    for (const m of ['requests', 'fills', 'exposures', 'viewable_exposures'] as const)
      assert.equal(full.metrics[m].accuracy, 1, m);
    assert.ok(full.metrics.clicks.accuracy >= 0.999, `clicks: ${full.metrics.clicks.accuracy}`);
    assert.ok(full.metrics.spend.accuracy >= 0.999, `spend: ${full.metrics.spend.accuracy}`);
    // The 4 h join window alone would not: the clicks past it were found in the warehouse.
    assert.ok(
      wide.metrics.clicks.accuracy < full.metrics.clicks.accuracy - 0.01,
      `4 h: ${wide.metrics.clicks.accuracy}`,
    );
  });

  test('requests and exposures are exact; clicks lose what the attribution window cut off, more with 15 minutes than 4 hours', () => {
    for (const m of ['requests', 'fills', 'exposures'] as const) assert.equal(wide.metrics[m].accuracy, 1, m);
    assert.ok(
      wide.metrics.clicks.accuracy >= 0.95,
      `4 h attributes at least 95% of clicks: ${wide.metrics.clicks.accuracy}`,
    );
    assert.ok(wide.metrics.clicks.accuracy < 1, 'some clicks come more than 4 h after their request');
    assert.ok(
      narrow.metrics.clicks.accuracy < wide.metrics.clicks.accuracy - 0.1,
      `15 m: ${narrow.metrics.clicks.accuracy}`,
    );
    assert.ok(narrow.metrics.spend.accuracy < wide.metrics.spend.accuracy, 'missed CPC clicks are missed spend');
    // The click total is the same either way: unattributed clicks are counted, not dropped.
    assert.equal(narrow.metrics.clicks.realtime, narrow.metrics.clicks.offline);
  });
});

describe('adw advise-window --json', () => {
  let advice: Advice;
  before(() => {
    // From the default warehouse, which attributed every click of its 24 h: the delays it observed are all of them.
    advice = adwJson(s.dir, ['advise-window', '--db', db('24h'), '--json']) as unknown as Advice;
  });

  test('accuracy never falls as the window grows, and neither does the state held', () => {
    for (let i = 1; i < advice.windows.length; i++) {
      const [a, b] = [advice.windows[i - 1], advice.windows[i]];
      assert.ok(a && b, 'i - 1 and i are within the list');
      assert.ok(a.window_ms < b.window_ms);
      for (const t of ['exposure', 'viewable', 'click', 'all'] as const)
        assert.ok(a.accuracy[t] <= b.accuracy[t], `${t}: ${a.window} -> ${b.window}`);
      assert.ok(a.state_keys <= b.state_keys && a.state_bytes <= b.state_bytes);
    }
  });

  test('the reference finding: 4 h attributes at least 95% of clicks, shorter windows fall below', () => {
    const at = (w: string) => advice.windows.find((x) => x.window === w)!.accuracy.click;
    assert.ok(at('4h') >= 0.95, `4h: ${at('4h')}`);
    assert.ok(at('1h') < 0.95 && at('15m') < 0.95 && at('5m') < 0.95, `1h: ${at('1h')}`);
  });

  test('agrees with the engine: with a 4 h attribution window, click accuracy is what the delays predict for 4 h', () => {
    const report = adwJson(s.dir, ['reconcile', '--db', db('4h'), '--json']) as unknown as Report;
    const { joined, unmatched } = advice.observed;
    // Clicks with no request at all are unattributed in both, so they count as agreeing.
    const predicted =
      (advice.windows.find((x) => x.window_ms === 4 * HOUR)!.accuracy.click * joined.click + unmatched.click) /
      (joined.click + unmatched.click);
    assert.ok(
      Math.abs(report.metrics.clicks.accuracy - predicted) < 1e-9,
      `engine ${report.metrics.clicks.accuracy}, delays ${predicted}`,
    );
  });

  test('each recommendation is the smallest whole-minute window reaching its target', () => {
    assert.deepEqual(
      advice.recommendations.map((r) => r.target),
      [0.95, 0.99, 0.999],
    );
    for (const r of advice.recommendations) {
      assert.ok(r.window_ms !== null && r.window_ms % 60_000 === 0);
      const below = `${r.window_ms / 60_000 - 1}m`;
      const check = adwJson(s.dir, [
        'advise-window',
        '--db',
        db('24h'),
        '--json',
        '--windows',
        `${below},${r.window}`,
      ]) as unknown as Advice;
      const [smaller, chosen] = check.windows;
      assert.ok(smaller && chosen, 'one outcome per window asked for');
      for (const t of ['exposure', 'viewable', 'click'] as const)
        assert.ok(chosen.accuracy[t] >= r.target, `${r.window} reaches ${r.target} for ${t}`);
      assert.ok(smaller.accuracy.click < r.target, `${below} does not reach ${r.target}`);
    }
  });
});
