import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLimits, validateLine } from '../src/events/validate.ts';
import type { AdEvent, InputRecord } from '../src/events/schema.ts';
import { buildDimensions } from '../src/simulator/dimensions.ts';
import { resolveSimulatorOptions, type SimulatorOptions } from '../src/simulator/options.ts';
import { simulateLines, writeSimulation } from '../src/simulator/simulate.ts';
import { TrafficGenerator, type TrafficStats } from '../src/simulator/traffic.ts';

const NOW = Date.UTC(2026, 6, 1);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function validate(line: string) {
  return validateLine(line, Buffer.byteLength(line), defaultLimits, NOW);
}

interface Run {
  lines: string[];
  arrivals: number[];
  stats: TrafficStats;
}

function run(options: Partial<SimulatorOptions>): Run {
  const gen = new TrafficGenerator(options);
  const lines: string[] = [];
  const arrivals: number[] = [];
  for (let at = gen.peekArrival(); at !== undefined; at = gen.peekArrival()) {
    arrivals.push(at);
    lines.push(gen.next()!);
  }
  return { lines, arrivals, stats: gen.stats() };
}

/** One default-rate run of 50k events, shared by the shape tests. */
const base = run({ seed: 11, events: 50_000 });
const baseEvents = base.lines.map(validate).flatMap((v) => (v.ok ? [v.record as AdEvent] : []));

test('the same seed gives byte-identical output, another seed differs', () => {
  const a = [...simulateLines({ seed: 5, events: 10_000 })].join('\n');
  const b = [...simulateLines({ seed: 5, events: 10_000 })].join('\n');
  const c = [...simulateLines({ seed: 6, events: 10_000 })].join('\n');
  assert.equal(a, b);
  assert.notEqual(a, c);
});

test('produces exactly `events` event lines, after the dimension lines', () => {
  for (const events of [0, 1, 7, 1234]) {
    const gen = new TrafficGenerator({ seed: 3, events });
    let n = 0;
    while (gen.next() !== undefined) n++;
    assert.equal(n, events);
    assert.equal(gen.next(), undefined);
    assert.equal(gen.peekArrival(), undefined);
    assert.equal(gen.stats().lines, events);
  }
  const o = resolveSimulatorOptions({ seed: 3, events: 500 });
  const dimCount = o.advertisers * (1 + o.campaignsPerAdvertiser * (1 + o.adsPerCampaign)) + o.slots;
  const lines = [...simulateLines(o)];
  assert.equal(lines.length, dimCount + 500);
  const tables = lines.slice(0, dimCount).map((l) => JSON.parse(l).table as string);
  assert.deepEqual([...new Set(tables)], ['advertiser', 'campaign', 'ad', 'slot']);
  assert.ok(lines.slice(dimCount).every((l) => !l.includes('"type":"dim"')));
});

test('dimension rows are valid, deterministic and priced per their billing type', () => {
  const o = resolveSimulatorOptions({ seed: 9 });
  const dims = buildDimensions(o);
  assert.deepEqual(buildDimensions(o), dims);
  assert.equal(dims.advertisers.length, 20);
  assert.equal(dims.campaigns.length, 100);
  assert.equal(dims.ads.length, 400);
  assert.equal(dims.slots.length, 50);
  for (const line of [...simulateLines({ ...o, events: 0 })]) assert.ok(validate(line).ok, line);
  for (const c of dims.campaigns) {
    const [lo, hi] = c.billing === 'CPM' ? [0.5, 8] : [0.1, 2];
    assert.ok(c.price >= lo && c.price <= hi, `price ${c.price} of ${c.billing}`);
    assert.equal(Math.round(c.price * 1000) / 1000, c.price);
    assert.ok(c.budget > 0);
  }
  const cpm = dims.campaigns.filter((c) => c.billing === 'CPM').length / dims.campaigns.length;
  assert.ok(cpm > 0.55 && cpm < 0.85, `CPM share ${cpm}`);
  // A filled request's bid is its ad's campaign price.
  const priceOfAd = new Map(dims.ads.map((a) => [a.ad_id, dims.campaigns[a.campaign_id - 1]?.price]));
  for (const line of simulateLines({ seed: 9, events: 2000, malformedRate: 0 })) {
    const r = validate(line);
    assert.ok(r.ok);
    if (r.record.kind === 'request' && r.record.filled)
      assert.equal(r.record.bidMicros, Math.round(priceOfAd.get(r.record.adId!)! * 1e6));
  }
});

test('good lines pass validation and malformed lines fail it, with every kind of fault', () => {
  for (const line of run({ seed: 2, events: 20_000, malformedRate: 0 }).lines) assert.ok(validate(line).ok, line);
  const failures = base.lines.map(validate).flatMap((v) => (v.ok ? [] : [v.reason]));
  assert.ok(base.stats.malformed >= 30);
  assert.equal(failures.length, base.stats.malformed);
  assert.deepEqual(
    new Set(failures),
    new Set(['bad_json', 'missing_field', 'bad_timestamp', 'unknown_type', 'oversized']),
  );
});

test('funnel shape: fill, viewability and click-through rates', () => {
  const requests = baseEvents.filter((e) => e.kind === 'request');
  const count = (kind: AdEvent['kind']) => baseEvents.filter((e) => e.kind === kind).length;
  const fill = requests.filter((r) => r.filled).length / requests.length;
  const exposures = count('exposure');
  assert.ok(fill > 0.8 && fill < 0.9, `fill ${fill}`);
  assert.ok(count('viewable') / exposures > 0.6 && count('viewable') / exposures < 0.7);
  assert.ok(count('click') / exposures > 0.005 && count('click') / exposures < 0.02);
  assert.ok(base.stats.lostRequests > 0);
});

test('retries re-emit identical copies of earlier lines', () => {
  const seen = new Set<string>();
  let repeats = 0;
  for (const line of base.lines) {
    if (seen.has(line)) repeats++;
    seen.add(line);
  }
  assert.ok(repeats > 100);
  assert.equal(repeats, base.stats.duplicates);
});

test('lines come in arrival order, which interleaves event times and types', () => {
  let previous = -Infinity;
  for (const arrival of base.arrivals) {
    assert.ok(arrival >= previous);
    previous = arrival;
  }
  const requestSeen = new Set<string>();
  let exposureFirst = 0;
  let timeGoesBack = 0;
  let lastTs = 0;
  for (const e of baseEvents) {
    if (e.kind === 'request') requestSeen.add(e.id);
    else if (e.kind === 'exposure' && !requestSeen.has(e.requestId)) exposureFirst++;
    if (e.ts < lastTs) timeGoesBack++;
    lastTs = e.ts;
  }
  assert.ok(exposureFirst > 0);
  assert.ok(timeGoesBack > 0);
});

test('some lines arrive more than 5 minutes after their event time', () => {
  let late = 0;
  base.lines.forEach((line, i) => {
    const v = validate(line);
    const arrival = base.arrivals[i];
    assert.ok(arrival !== undefined, 'one arrival time per line');
    if (v.ok && 'ts' in v.record && arrival - v.record.ts > 5 * MINUTE) late++;
  });
  assert.ok(base.stats.late > 50);
  // Retried copies of late lines are late too.
  assert.ok(late >= base.stats.late && late < base.stats.late * 1.2);
});

test('click delays are long-tailed: 1-6% of clicks come more than 4 hours after their request', () => {
  const { lines } = run({ seed: 4, events: 50_000, ctr: 0.2 });
  const requestTs = new Map<string, number>();
  const clicks: { requestId: string; ts: number }[] = [];
  for (const line of lines) {
    const v = validate(line);
    if (!v.ok) continue;
    const r: InputRecord = v.record;
    if (r.kind === 'request') requestTs.set(r.id, r.ts);
    else if (r.kind === 'click') clicks.push(r);
  }
  const delays = clicks.flatMap((c) => (requestTs.has(c.requestId) ? [c.ts - requestTs.get(c.requestId)!] : []));
  assert.ok(delays.length > 1000);
  const tail = delays.filter((d) => d > 4 * HOUR).length / delays.length;
  assert.ok(tail > 0.01 && tail < 0.06, `tail ${tail}`);
  delays.sort((a, b) => a - b);
  const median = delays[delays.length >> 1];
  assert.ok(median !== undefined);
  assert.ok(median > 2 * MINUTE && median < 12 * MINUTE, `median ${median}`);
});

test('requests span about spanMs of event time from startMs', () => {
  const o = resolveSimulatorOptions({});
  const ts = baseEvents.filter((e) => e.kind === 'request').map((e) => e.ts);
  const min = Math.min(...ts);
  const max = Math.max(...ts);
  assert.ok(min >= o.startMs && min < o.startMs + MINUTE);
  assert.ok(Math.abs(max - min - o.spanMs) < o.spanMs * 0.1, `span ${(max - min) / HOUR} h`);
  assert.ok(baseEvents.every((e) => e.ts >= o.startMs));
});

test('takeUntil returns the lines arrived by a time, at most max of them', () => {
  const startMs = Date.UTC(2026, 3, 1, 12);
  const gen = new TrafficGenerator({ seed: 8, events: 10_000, startMs, spanMs: HOUR });
  assert.deepEqual(gen.takeUntil(startMs - 1, 100), []);
  const first = gen.takeUntil(startMs + MINUTE, 5);
  assert.equal(first.length, 5);
  const rest = gen.takeUntil(startMs + MINUTE, Infinity);
  assert.ok(rest.length > 50);
  assert.ok(gen.peekArrival()! > startMs + MINUTE);
  const again = run({ seed: 8, events: 10_000, startMs, spanMs: HOUR });
  assert.deepEqual([...first, ...rest], again.lines.slice(0, first.length + rest.length));
  assert.equal(again.arrivals.filter((a) => a <= startMs + MINUTE).length, first.length + rest.length);
});

test('writeSimulation writes the same NDJSON as simulateLines', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'adw-sim-'));
  try {
    const file = join(dir, 'out.ndjson');
    const options = { seed: 12, events: 5000 };
    const result = await writeSimulation(options, file);
    const expected = `${[...simulateLines(options)].join('\n')}\n`;
    const text = await readFile(file, 'utf8');
    assert.equal(text, expected);
    assert.deepEqual(result, { lines: expected.split('\n').length - 1, bytes: Buffer.byteLength(expected) });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('rejects impossible options', () => {
  assert.throws(() => resolveSimulatorOptions({ fillRate: 1.5 }), { code: 'ADW_ERR_BAD_OPTION' });
  assert.throws(() => resolveSimulatorOptions({ events: -1 }), { code: 'ADW_ERR_BAD_OPTION' });
  assert.throws(() => resolveSimulatorOptions({ seed: 0.5 }), { code: 'ADW_ERR_BAD_OPTION' });
  assert.equal(resolveSimulatorOptions({ ctr: undefined }).ctr, 0.01);
});
