import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MemoryState, type StateCodec, timeOnly } from '../../src/state/memory-state.ts';
import { type RequestInfo, requestCodec } from '../../src/engine/records.ts';
import { dwaDimensionColumns, dwaStagedDimensions } from '../../src/layers/dwa.ts';
import { dwdRequestColumns } from '../../src/layers/dwd.ts';
import { FIELD_SEPARATOR } from '../../src/warehouse/csv.ts';
import { hash32 } from '../../src/state/spill-index.ts';
import { Random } from '../../src/simulator/random.ts';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const text: StateCodec<string> = { encode: (v) => v, decode: (v) => v };

/** Keys that share prefixes and lengths, with characters of one, two and three UTF-8 bytes and beyond 255. */
const keyArb = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((i) => `k${i}`),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('', 'é', 'ü', 'ÿ', '\u0100', '日本', '😀', 'k1\u0000', '<b>&amp;</b>'),
);
/** Payloads of every size, so rewrites happen in place and at the arena's end, and the arena grows and compacts. */
const valueArb = fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.constantFrom('', 'x', 'é'.repeat(300)));
const opArb = fc.oneof(
  fc.record({ op: fc.constant('set' as const), key: keyArb, value: valueArb, minute: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ op: fc.constant('delete' as const), key: keyArb }),
  fc.record({ op: fc.constant('expire' as const), minute: fc.integer({ min: 0, max: 31 }) }),
);

/** Lone surrogates are written as U+FFFD, as every UTF-8 writer of the rows does. */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

test('any sequence of sets, deletes and expiries leaves exactly what a Map would hold', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
      const s = new MemoryState(text);
      const model = new Map<string, { value: string; ts: number }>();
      for (const o of ops) {
        if (o.op === 'set') {
          const ts = T0 + o.minute * MINUTE + 7;
          s.set(o.key, o.value, ts);
          model.set(o.key, { value: wellFormed(o.value), ts });
        } else if (o.op === 'delete') {
          s.delete(o.key);
          model.delete(o.key);
        } else {
          const horizon = T0 + o.minute * MINUTE;
          const gone = [...model].filter(([, e]) => e.ts < horizon).map(([k]) => k);
          assert.equal(s.expire(horizon), gone.length);
          for (const k of gone) model.delete(k);
        }
        assert.equal(s.size, model.size);
      }
      for (const [k, e] of model) assert.equal(s.get(k), e.value, `key ${JSON.stringify(k)}`);
      for (const o of ops) if (o.op !== 'expire' && !model.has(o.key)) assert.equal(s.has(o.key), false);
    }),
    { numRuns: 300 },
  );
});

test('120,000 keys through growth, rehashing and compaction: each found with its own value and time', () => {
  const s = new MemoryState(text);
  const n = 120_000; // a multiple of 60: half the keys in each half hour
  for (let i = 0; i < n; i++) s.set(`req-${i}`, `v${i}:${'x'.repeat(i % 97)}`, T0 + (i % 60) * MINUTE);
  // Every other key rewritten longer, so it moves to the arena's end and leaves garbage behind.
  for (let i = 0; i < n; i += 2) s.set(`req-${i}`, `w${i}:${'y'.repeat(200)}`, T0 + (i % 60) * MINUTE);
  const before = s.bytes;
  assert.equal(s.expire(T0 + 30 * MINUTE), n / 2, 'minutes 0 - 29 go');
  assert.equal(s.size, n / 2);
  for (let i = 0; i < n; i++) {
    const kept = i % 60 >= 30;
    assert.equal(s.has(`req-${i}`), kept, `req-${i}`);
    if (kept) assert.equal(s.get(`req-${i}`), i % 2 === 0 ? `w${i}:${'y'.repeat(200)}` : `v${i}:${'x'.repeat(i % 97)}`);
  }
  assert.ok(s.bytes < before, `the arena was compacted after half the entries left (${s.bytes} < ${before} bytes)`);
  assert.equal(s.expire(T0 + 60 * MINUTE), n / 2);
  assert.equal(s.size, 0);
  assert.equal(s.get('req-119999'), undefined);
});

test('keys set, deleted and set again at random as the hash table grows: each found as a Map would', () => {
  // About 16,000 keys held (a third of the operations delete), just under the hash table's 16,384 heads: chains of
  // several keys form and lose keys from their start, middle and end.
  const s = new MemoryState(text);
  const model = new Map<string, string>();
  const random = new Random(14, 0);
  for (let n = 0; n < 200_000; n++) {
    const key = `id-${random.int(0, 23_999)}`;
    if (random.next() < 1 / 3) {
      s.delete(key);
      model.delete(key);
    } else {
      s.set(key, `${n}`, T0 + random.int(0, 4) * MINUTE);
      model.set(key, `${n}`);
    }
  }
  assert.equal(s.size, model.size);
  for (let i = 0; i < 24_000; i++) assert.equal(s.get(`id-${i}`), model.get(`id-${i}`), `id-${i}`);
});

test('a compaction moves runs of entries written one after the other, broken by deletes and rewrites, each found after', () => {
  const s = new MemoryState(text);
  const value = (k: string) => `${k}:${'v'.repeat(k.length * 3)}`;
  // Minute 0 holds most of the arena, so expiring it leaves more than half of the arena garbage: a compaction.
  for (let i = 0; i < 30_000; i++) s.set(`a${i}`, value(`a${i}`), T0);
  const kept = new Map<string, string>();
  for (let i = 0; i < 10_000; i++) {
    // Each minute's keys are written one after the other, so their bytes follow each other in the arena.
    s.set(`b${i}`, value(`b${i}`), T0 + MINUTE);
    s.set(`c${i}`, value(`c${i}`), T0 + 2 * MINUTE);
  }
  for (let i = 0; i < 10_000; i++) {
    kept.set(`b${i}`, value(`b${i}`));
    kept.set(`c${i}`, value(`c${i}`));
  }
  for (let i = 0; i < 10_000; i += 7) {
    s.delete(`b${i}`);
    kept.delete(`b${i}`);
  }
  for (let i = 0; i < 10_000; i += 11) {
    s.set(`c${i}`, `${value(`c${i}`)}, longer`, T0 + 2 * MINUTE);
    kept.set(`c${i}`, `${value(`c${i}`)}, longer`);
  }
  const before = s.bytes;
  assert.equal(s.expire(T0 + MINUTE), 30_000);
  assert.ok(s.bytes < before, `compacted (${s.bytes} < ${before} bytes)`);
  assert.equal(s.size, kept.size);
  for (const [k, v] of kept) assert.equal(s.get(k), v, k);
  // Written after the compaction, found with the others.
  s.set('d', 'after', T0 + 2 * MINUTE);
  assert.equal(s.get('d'), 'after');
  for (const [k, v] of kept) assert.equal(s.get(k), v, k);
});

test('keys of the same hash are told apart by their characters, in either storage width', () => {
  /** Two keys of one hash, found by the birthday bound among ids of one form. */
  const collision = (form: (i: number) => string): [string, string] => {
    const seen = new Map<number, string>();
    for (let i = 0; ; i++) {
      const k = form(i);
      const other = seen.get(hash32(k));
      if (other !== undefined) return [other, k];
      seen.set(hash32(k), k);
    }
  };
  for (const [a, b] of [collision((i) => `c${i}`), collision((i) => `\u0100${i}`)]) {
    const s = new MemoryState(text);
    s.set(a, 'A', T0);
    assert.equal(s.get(b), undefined, `${a} and ${b} share a hash`);
    s.set(b, 'B', T0);
    assert.equal(s.get(a), 'A');
    assert.equal(s.get(b), 'B');
    s.delete(a);
    assert.equal(s.get(a), undefined);
    assert.equal(s.get(b), 'B');
  }
});

test('a time-only state gives back each entry time, the latest one set', () => {
  const s = new MemoryState(timeOnly);
  s.set('a', T0, T0);
  s.set('b', T0 + 5, T0 + 5);
  s.set('a', T0 + MINUTE, T0 + MINUTE);
  assert.equal(s.get('a'), T0 + MINUTE);
  assert.equal(s.get('b'), T0 + 5);
  assert.equal(s.get('c'), undefined);
});

test('requests come back from the join state as they went in, whatever their fragments hold, keyed by their dimensions', () => {
  // A request's DWD fragment from its columns by name; its DWA key, the dimensions as staged, from the same names.
  const request = (
    id: string,
    ts: number,
    filled: boolean,
    bidMicros: number,
    billing: RequestInfo['billing'],
    cols: Record<string, string>,
  ): RequestInfo => {
    // Its billing type, fill and bid among the columns too, as enrichment writes them (NULL: an empty field).
    const facts: Record<string, string> = {
      billing: billing ?? '',
      filled: String(filled),
      bid_micros: String(bidMicros),
    };
    const value = (name: string) => facts[name] ?? cols[name] ?? '';
    const dwdFragment = dwdRequestColumns.map((c) => value(c.name)).join(FIELD_SEPARATOR);
    const dimKey = dwaStagedDimensions.map(value).join(FIELD_SEPARATOR);
    return { id, ts, filled, bidMicros, billing, dwdFragment, dimKey };
  };
  const infos: RequestInfo[] = [
    request('r1', T0, true, 1234, 'CPM', {
      user_id: 'u1',
      os: 'ios',
      device_type: 'phone',
      region: 'FR',
      slot_id: '3',
      ad_id: '12',
      campaign_id: '4',
      advertiser_id: '1',
    }),
    // An unmatched ad: no campaign, advertiser or billing; nothing at all.
    request('r2', T0 + 1, false, 0, null, { user_id: 'u2', os: 'android', slot_id: '9', ad_id: '999' }),
    request('r2b', T0 + 1, false, 0, null, {}),
    request('r3-日本', T0 + 2, true, 0.5, 'CPC', {
      user_id: '"<script>alert(1)</script>"',
      os: '😀',
      region: 'a,b',
      device_type: '日本',
      advertiser_id: '1',
    }),
  ];
  const s = new MemoryState(requestCodec);
  for (const r of infos) s.set(r.id, r, r.ts);
  for (const r of infos) assert.deepEqual(s.get(r.id), r);
  assert.equal(infos[0]!.dimKey.split(FIELD_SEPARATOR).length, dwaDimensionColumns.length);
  // The key holds the request's dimensions and nothing else: none of its user, billing or bid.
  assert.deepEqual(
    s.get('r3-日本')!.dimKey.split(FIELD_SEPARATOR).sort(),
    ['', '', '', '1', 'a,b', '日本', '😀'].sort(),
  );
});
