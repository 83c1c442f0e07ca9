import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { deadLetterReasons, type DeadLetterReason } from '../../src/errors.ts';
import { readCanonical } from '../../src/events/canonical.ts';
import { defaultLimits, validateLine, type ValidationLimits, type Validated } from '../../src/events/validate.ts';
import { filledRequest, NOW, TS, unfilledRequest } from '../support/records.ts';

/**
 * Validates a line both ways the engine does: JSON.parse's path, and the canonical reader of a line's bytes, which
 * must read it alike or leave it to the first (null).
 */
function check(obj: unknown, limits: ValidationLimits = defaultLimits, now = NOW): Validated {
  const line = typeof obj === 'string' ? obj : JSON.stringify(obj);
  const v = validateLine(line, Buffer.byteLength(line), limits, now);
  const bytes = Buffer.from(line);
  const fast = readCanonical(bytes, 0, bytes.length, bytes.length, limits, now);
  if (fast !== null) assert.deepEqual({ ok: true, record: fast }, v, `the canonical reader differs on ${line}`);
  return v;
}

/** Ad event lines the canonical reader must read itself: printable ASCII, no escapes, flat, numbers short and plain. */
function canonical(line: string): boolean {
  return /^\{[\x20-\x7e]*\}$/.test(line) && !/[\\{}[\]]/.test(line.slice(1, -1)) && !/\d{16}|\d[eE]/.test(line);
}

function accepted(obj: unknown): Record<string, unknown> {
  const v = check(obj);
  assert.equal(v.ok, true, `expected ${JSON.stringify(obj)} to be accepted, got ${JSON.stringify(v)}`);
  const { seq, split, raw, rawAt, rawEnd, late, ...fields } = (v as { ok: true; record: Record<string, unknown> })
    .record;
  // Where the record was received is the ingest's to fill in; validation leaves it empty.
  assert.deepEqual(
    { seq, split, raw, rawAt, rawEnd, late },
    {
      seq: 0,
      split: 0,
      raw: Buffer.alloc(0),
      rawAt: 0,
      rawEnd: 0,
      late: false,
    },
  );
  const line = typeof obj === 'string' ? obj : JSON.stringify(obj);
  if (fields.kind !== 'dim' && canonical(line)) {
    const bytes = Buffer.from(line);
    assert.notEqual(readCanonical(bytes, 0, bytes.length, bytes.length, defaultLimits, NOW), null, line);
  }
  return fields;
}

function rejected(obj: unknown, reason: DeadLetterReason, limits?: ValidationLimits, now?: number): void {
  const v = check(obj, limits, now);
  assert.equal(
    v.ok,
    false,
    `expected ${typeof obj === 'string' ? obj : JSON.stringify(obj)} to be rejected as ${reason}`,
  );
  const bad = v as { ok: false; reason: DeadLetterReason; error: string };
  assert.equal(
    bad.reason,
    reason,
    `wrong reason for ${typeof obj === 'string' ? obj : JSON.stringify(obj)}: ${bad.error}`,
  );
  assert.equal(typeof bad.error, 'string');
  assert.ok(bad.error.length > 0, 'a rejection carries a non-empty error message');
}

const with_ = (base: object, patch: Record<string, unknown>) => ({ ...base, ...patch });
const without = (base: object, key: string) => {
  const o: Record<string, unknown> = { ...base };
  delete o[key];
  return o;
};

describe('valid lines are accepted with their parsed fields', () => {
  test('a filled request', () => {
    assert.deepEqual(accepted(filledRequest), {
      kind: 'request',
      id: 'req-1',
      ts: TS,
      userId: 'user:42',
      os: 'ios',
      deviceType: 'phone',
      region: 'US-CA',
      slotId: 3,
      filled: true,
      adId: 17,
      bidMicros: 2_500_000,
    });
  });

  test('bid prices become whole micros', () => {
    assert.equal(accepted(with_(filledRequest, { bid_price: 0.000001 })).bidMicros, 1);
    assert.equal(accepted(with_(filledRequest, { bid_price: 1.1 })).bidMicros, 1_100_000);
    assert.equal(accepted(with_(filledRequest, { bid_price: 0 })).bidMicros, 0);
  });

  test('an unfilled request has no ad and no price', () => {
    assert.deepEqual(accepted(unfilledRequest), {
      kind: 'request',
      id: 'req_2.b',
      ts: TS + 1,
      userId: 'u7',
      os: 'android',
      deviceType: 'tablet',
      region: 'DE',
      slotId: 9,
      filled: false,
      adId: null,
      bidMicros: 0,
    });
    // An unfilled request's ad and price are ignored, even when present.
    const r = accepted(with_(unfilledRequest, { ad_id: 5, bid_price: 3 }));
    assert.equal(r.adId, null);
    assert.equal(r.bidMicros, 0);
  });

  for (const type of ['exposure', 'viewable', 'click'] as const) {
    test(`a ${type}`, () => {
      assert.deepEqual(accepted({ type, event_id: `${type}-9`, request_id: 'req-1', ts: TS + 500 }), {
        kind: type,
        id: `${type}-9`,
        requestId: 'req-1',
        ts: TS + 500,
      });
    });
  }

  test('a dimension upsert of each table', () => {
    assert.deepEqual(
      accepted({ type: 'dim', table: 'advertiser', op: 'upsert', row: { advertiser_id: 1, name: 'Acme' } }),
      {
        kind: 'dim',
        table: 'advertiser',
        op: 'upsert',
        row: { advertiser_id: 1, name: 'Acme' },
      },
    );
    assert.deepEqual(
      accepted({
        type: 'dim',
        table: 'campaign',
        op: 'upsert',
        row: { campaign_id: 2, advertiser_id: 1, name: 'Spring', billing: 'CPC', price: 0.4, budget: 1000 },
      }),
      {
        kind: 'dim',
        table: 'campaign',
        op: 'upsert',
        row: { campaign_id: 2, advertiser_id: 1, name: 'Spring', billing: 'CPC', price: 0.4, budget: 1000 },
      },
    );
    assert.deepEqual(
      accepted({ type: 'dim', table: 'ad', op: 'upsert', row: { ad_id: 3, campaign_id: 2, name: 'Banner A' } }),
      {
        kind: 'dim',
        table: 'ad',
        op: 'upsert',
        row: { ad_id: 3, campaign_id: 2, name: 'Banner A' },
      },
    );
    assert.deepEqual(
      accepted({ type: 'dim', table: 'slot', op: 'upsert', row: { slot_id: 4, name: 'Top', site: 'news.example' } }),
      {
        kind: 'dim',
        table: 'slot',
        op: 'upsert',
        row: { slot_id: 4, name: 'Top', site: 'news.example' },
      },
    );
  });

  test('a dimension delete', () => {
    assert.deepEqual(accepted({ type: 'dim', table: 'campaign', op: 'delete', key: 12 }), {
      kind: 'dim',
      table: 'campaign',
      op: 'delete',
      key: 12,
    });
  });

  test('limits are inclusive: 64-character ids, the oldest and newest accepted times, a line of exactly the byte limit', () => {
    accepted(with_(filledRequest, { request_id: 'a'.repeat(64) }));
    accepted(with_(filledRequest, { ts: defaultLimits.minTs }));
    accepted(with_(filledRequest, { ts: NOW + defaultLimits.maxFutureMs }));
    const line = JSON.stringify(filledRequest);
    const v = validateLine(
      line,
      Buffer.byteLength(line),
      { ...defaultLimits, maxRecordBytes: Buffer.byteLength(line) },
      NOW,
    );
    assert.equal(v.ok, true);
  });
});

describe('each dead-letter reason comes from a matching bad line', () => {
  test('bad_json: truncated or not JSON at all', () => {
    const line = JSON.stringify(filledRequest);
    rejected(line.slice(0, line.length - 5), 'bad_json');
    rejected('{', 'bad_json');
    rejected('', 'bad_json');
    rejected("{'type':'request'}", 'bad_json');
  });

  test('not_an_object: arrays, strings, null, numbers', () => {
    rejected('[1,2]', 'not_an_object');
    rejected('"x"', 'not_an_object');
    rejected('null', 'not_an_object');
    rejected('42', 'not_an_object');
  });

  test('unknown_type', () => {
    rejected(with_(filledRequest, { type: 'impression' }), 'unknown_type');
    rejected(with_(filledRequest, { type: 'Request' }), 'unknown_type');
    rejected(with_(filledRequest, { type: 7 }), 'unknown_type');
  });

  test('missing_field: no ts, no type, a null field, no request_id on a follow event', () => {
    rejected(without(filledRequest, 'ts'), 'missing_field');
    rejected(without(filledRequest, 'type'), 'missing_field');
    rejected(with_(filledRequest, { type: null }), 'missing_field');
    rejected(with_(filledRequest, { user_id: null }), 'missing_field');
    rejected({ type: 'click', event_id: 'c1', ts: TS }, 'missing_field');
    rejected({ type: 'dim', table: 'slot', op: 'upsert', row: { slot_id: 4, name: 'Top' } }, 'missing_field');
  });

  test('bad_field: ids with bad characters or 65 characters', () => {
    rejected(with_(filledRequest, { request_id: 'req 1' }), 'bad_field');
    rejected(with_(filledRequest, { request_id: 'req/1' }), 'bad_field');
    rejected(with_(filledRequest, { user_id: 'ü' }), 'bad_field');
    rejected(with_(filledRequest, { request_id: '' }), 'bad_field');
    rejected(with_(filledRequest, { request_id: 'a'.repeat(65) }), 'bad_field');
    rejected(with_(filledRequest, { request_id: 12345 }), 'bad_field');
    rejected({ type: 'exposure', event_id: 'e1', request_id: 'x'.repeat(65), ts: TS }, 'bad_field');
  });

  test('bad_field: os, device type and region outside their lists', () => {
    rejected(with_(filledRequest, { os: 'ios16' }), 'bad_field');
    rejected(with_(filledRequest, { os: 'IOS' }), 'bad_field');
    rejected(with_(filledRequest, { device_type: 'watch' }), 'bad_field');
    rejected(with_(filledRequest, { region: 'us' }), 'bad_field');
    rejected(with_(filledRequest, { region: 'us-ca' }), 'bad_field');
    rejected(with_(filledRequest, { region: 'USA' }), 'bad_field');
  });

  test('bad_field: slot_id not a positive integer', () => {
    rejected(with_(filledRequest, { slot_id: 0 }), 'bad_field');
    rejected(with_(filledRequest, { slot_id: 1.5 }), 'bad_field');
    rejected(with_(filledRequest, { slot_id: -3 }), 'bad_field');
    rejected(with_(filledRequest, { slot_id: '3' }), 'bad_field');
  });

  test('bad_field: filled not boolean', () => {
    rejected(with_(filledRequest, { filled: 'true' }), 'bad_field');
    rejected(with_(filledRequest, { filled: 1 }), 'bad_field');
  });

  test('a filled request without an ad is rejected: missing_field when absent, bad_field when not a positive integer', () => {
    rejected(without(filledRequest, 'ad_id'), 'missing_field');
    rejected(with_(filledRequest, { ad_id: 0 }), 'bad_field');
    rejected(with_(filledRequest, { ad_id: '17' }), 'bad_field');
  });

  test('bad_field: bid_price negative, too large or not a number', () => {
    rejected(with_(filledRequest, { bid_price: -0.01 }), 'bad_field');
    rejected(with_(filledRequest, { bid_price: 1_000_001 }), 'bad_field');
    rejected(with_(filledRequest, { bid_price: '2.5' }), 'bad_field');
  });

  test('bad_field: dimension table, op, row and billing', () => {
    rejected({ type: 'dim', table: 'creative', op: 'upsert', row: { creative_id: 1, name: 'x' } }, 'bad_field');
    rejected({ type: 'dim', table: 'ad', op: 'replace', row: { ad_id: 3, campaign_id: 2, name: 'x' } }, 'bad_field');
    rejected({ type: 'dim', table: 'ad', op: 'upsert', row: [3, 2, 'x'] }, 'bad_field');
    rejected({ type: 'dim', table: 'ad', op: 'delete', key: 'three' }, 'bad_field');
    rejected(
      {
        type: 'dim',
        table: 'campaign',
        op: 'upsert',
        row: { campaign_id: 2, advertiser_id: 1, name: 'Spring', billing: 'CPA', price: 0.4, budget: 1000 },
      },
      'bad_field',
    );
    rejected({ type: 'dim', table: 'advertiser', op: 'upsert', row: { advertiser_id: 1, name: 'a\nb' } }, 'bad_field');
    rejected(
      { type: 'dim', table: 'advertiser', op: 'upsert', row: { advertiser_id: 1, name: 'n'.repeat(201) } },
      'bad_field',
    );
  });

  test('bad_timestamp: not an integer, before the minimum, too far in the future', () => {
    rejected(with_(filledRequest, { ts: String(TS) }), 'bad_timestamp');
    rejected(with_(filledRequest, { ts: '2026-07-01T11:00:00Z' }), 'bad_timestamp');
    rejected(with_(filledRequest, { ts: TS + 0.5 }), 'bad_timestamp');
    rejected(with_(filledRequest, { ts: Date.UTC(1970, 0, 2) }), 'bad_timestamp');
    rejected(with_(filledRequest, { ts: defaultLimits.minTs - 1 }), 'bad_timestamp');
    rejected(with_(filledRequest, { ts: NOW + defaultLimits.maxFutureMs + 1 }), 'bad_timestamp');
    rejected({ type: 'click', event_id: 'c1', request_id: 'req-1', ts: NOW + 365 * 86_400_000 }, 'bad_timestamp');
    // "Far future" is relative to `now`: the same line is fine a year later.
    const nextYear = { type: 'click', event_id: 'c1', request_id: 'req-1', ts: NOW + 365 * 86_400_000 };
    assert.equal(check(nextYear, defaultLimits, NOW + 365 * 86_400_000).ok, true);
  });

  test('oversized: byteLength over limits.maxRecordBytes, whatever the content', () => {
    const line = JSON.stringify(filledRequest);
    const bytes = Buffer.byteLength(line);
    const limits = { ...defaultLimits, maxRecordBytes: bytes - 1 };
    const v = validateLine(line, bytes, limits, NOW);
    assert.equal(v.ok, false);
    assert.equal((v as { reason: string }).reason, 'oversized');
    // The reader's byte count is what counts (e.g. a line cut by the reader is still oversized).
    const cut = validateLine('{"type":', 20_000, defaultLimits, NOW);
    assert.equal((cut as { reason: string }).reason, 'oversized');
    const big = JSON.stringify(with_(filledRequest, { pad: 'p'.repeat(defaultLimits.maxRecordBytes) }));
    rejected(big, 'oversized');
  });

  test('bad_encoding: a line holding U+FFFD (invalid UTF-8 decoded by the reader)', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"type":"click","event_id":"c'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('","request_id":"r","ts":1}'),
    ]);
    const line = bytes.toString('utf8');
    assert.ok(line.includes('\uFFFD'));
    const v = validateLine(line, bytes.length, defaultLimits, NOW);
    assert.equal(v.ok, false);
    assert.equal((v as { reason: string }).reason, 'bad_encoding');
    rejected(JSON.stringify(with_(filledRequest, { user_id: 'u\uFFFD' })), 'bad_encoding');
  });
});

/** mulberry32: a small deterministic generator, so any failure replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function assertWellFormed(v: Validated, input: Buffer): void {
  if (v.ok) {
    assert.equal(typeof v.record, 'object', `accepted ${input.toString('hex')} without a record`);
  } else {
    assert.ok(
      (deadLetterReasons as readonly string[]).includes(v.reason),
      `unknown reason ${v.reason} for ${input.toString('hex')}`,
    );
  }
}

describe('validateLine never throws', () => {
  test('on a few thousand random byte strings', () => {
    const next = rng(20260701);
    const reasons = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const len = Math.floor(next() * 120);
      const bytes = Buffer.alloc(len);
      for (let j = 0; j < len; j++) bytes[j] = Math.floor(next() * 256);
      const line = bytes.toString('utf8');
      let v: Validated;
      try {
        v = validateLine(line, bytes.length, defaultLimits, NOW);
      } catch (e) {
        assert.fail(`threw ${(e as Error).message} on bytes ${bytes.toString('hex')}`);
      }
      assertWellFormed(v, bytes);
      if (!v.ok) reasons.add(v.reason);
    }
    // Random bytes are almost never valid: they end as bad JSON or bad encoding.
    assert.ok(reasons.has('bad_encoding') || reasons.has('bad_json'));
  });

  test('on a few thousand valid lines with random bytes changed, cut or inserted', () => {
    const next = rng(7);
    const seeds = [
      filledRequest,
      unfilledRequest,
      { type: 'click', event_id: 'c1', request_id: 'req-1', ts: TS },
      {
        type: 'dim',
        table: 'campaign',
        op: 'upsert',
        row: { campaign_id: 2, advertiser_id: 1, name: 'Spring', billing: 'CPM', price: 0.4, budget: 1000 },
      },
      { type: 'dim', table: 'slot', op: 'delete', key: 4 },
    ].map((o) => Buffer.from(JSON.stringify(o)));
    // Bytes that steer JSON into other shapes: quotes, brackets, digits, null/true fragments.
    const alphabet = Buffer.from('"{}[]:,0123456789-.eEnulltruefalse \\');
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const seed = seeds[i % seeds.length];
      assert.ok(seed);
      const bytes = Buffer.from(seed);
      const edits = 1 + Math.floor(next() * 3);
      let out = bytes;
      for (let k = 0; k < edits; k++) {
        const at = Math.floor(next() * out.length);
        const b = next() < 0.5 ? alphabet[Math.floor(next() * alphabet.length)] : Math.floor(next() * 256);
        assert.ok(b !== undefined);
        const op = next();
        if (op < 0.6) out[at] = b;
        else if (op < 0.8) out = Buffer.concat([out.subarray(0, at), Buffer.from([b]), out.subarray(at)]);
        else out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)]);
      }
      const line = out.toString('utf8');
      let v: Validated;
      try {
        v = validateLine(line, out.length, defaultLimits, NOW);
      } catch (e) {
        assert.fail(`threw ${(e as Error).message} on ${JSON.stringify(line)}`);
      }
      assertWellFormed(v, out);
      seen.add(v.ok ? 'ok' : v.reason);
    }
    // The mutations reach past the JSON parser into the field checks.
    assert.ok(seen.has('bad_json'));
    assert.ok(seen.size >= 4, `only reached ${[...seen].join(', ')}`);
  });
});
