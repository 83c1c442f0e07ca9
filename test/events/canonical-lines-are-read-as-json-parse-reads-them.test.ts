import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readCanonical } from '../../src/events/canonical.ts';
import { defaultLimits, validateLine } from '../../src/events/validate.ts';
import { simulateLines } from '../../src/simulator/simulate.ts';
import { filledRequest, NOW, TS, unfilledRequest } from '../support/records.ts';

/** The canonical reader on `line`, placed in a buffer between other bytes it must not read. */
function fast(line: string, before = '', after = '') {
  const data = Buffer.from(before + line + after);
  const at = Buffer.byteLength(before);
  const end = at + Buffer.byteLength(line);
  return readCanonical(data, at, end, end - at, defaultLimits, NOW);
}

/** The reader agrees with JSON.parse's path: the same record, or none (left to that path). */
function agrees(line: string, before = '', after = ''): void {
  const got = fast(line, before, after);
  const v = validateLine(line, Buffer.byteLength(line), defaultLimits, NOW);
  if (got === null) return;
  assert.ok(v.ok, `the canonical reader accepted a line JSON.parse's path refuses: ${line}`);
  assert.deepEqual(got, v.record, line);
}

const follow = { type: 'exposure', event_id: 'e1', request_id: 'req-1', ts: TS + 10 };

/** Every field of the records, and keys the reader must pass over or refuse. */
const keys = fc.constantFrom(
  ...new Set([...Object.keys(filledRequest), ...Object.keys(follow)]),
  'extra',
  '__proto__',
  'tś',
  't"s',
);

/** Values as they come, the awkward included: decimals, huge and negative numbers, markup, escapes, nesting. */
const values = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.integer({ min: 0, max: 2 ** 53 + 10 }),
  fc.constantFrom(0, -0, 1.5, 0.825, 7.882, 1e6, 1e6 + 0.5, 2 ** 53, 123456789012345, 1234567890123456, TS, NOW * 10),
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    'ios',
    'phone',
    'US-CA',
    'request',
    'click',
    '<b>x</b>',
    'a"b',
    'a\\b',
    'é',
    '\u0000',
    'x'.repeat(70),
  ),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A valid record with fields changed, added or removed, keys in a random order. */
const records = fc
  .tuple(
    fc.constantFrom(filledRequest, unfilledRequest, follow),
    fc.array(fc.tuple(keys, fc.option(values)), { maxLength: 3 }),
    fc.integer(),
  )
  .map(([base, changes, seed]) => {
    const o: Record<string, unknown> = { ...base };
    for (const [k, v] of changes) {
      if (v === null) delete o[k];
      else o[k] = v;
    }
    const entries = Object.entries(o);
    // A fixed shuffle by seed: the reader may meet fields in any order.
    entries.sort((a, b) => ((a[0].length * 31 + seed) % 7) - ((b[0].length * 31 + seed) % 7));
    return JSON.stringify(Object.fromEntries(entries));
  });

/** Texts JSON allows, or nearly, that JSON.stringify never writes: whitespace, repeated keys, other number forms. */
const edits = fc.constantFrom(
  (l: string) => l.replace(':', ' : '),
  (l: string) => `${l} `,
  (l: string) => l.replace('}', ',"ts":1}'),
  (l: string) => l.replace(/"ts":(\d+)/, '"ts":$1.0'),
  (l: string) => l.replace(/"ts":(\d+)/, '"ts":$1e0'),
  (l: string) => l.replace(/"ts":(\d+)/, '"ts":0$1'),
  (l: string) => l.replace(/"ts":(\d+)/, '"ts":-$1'),
  (l: string) => l.replace(/"ts":(\d+)/, '"ts":$1.'),
  (l: string) => l.replace(/"ts":(\d+)/, '"ts":$1.000000000000000001'),
  (l: string) => l.replace(/"slot_id":(\d+)/, '"slot_id":$1.5'),
  (l: string) => l.replace(/"bid_price":([\d.]+)/, '"bid_price":$1E+2'),
  (l: string) => l.replace(/"bid_price":([\d.]+)/, '"bid_price":-$1'),
  (l: string) => l.replace('"type"', '"typ\\u0065"'),
  (l: string) => l.replace('true', 'tru'),
  (l: string) => l.replace('true', 'trueish'),
  (l: string) => l.slice(0, -1),
  (l: string) => `${l}}`,
  (l: string) => `[${l}]`,
  (l: string) => l.replace(/,/, ',,'),
  (l: string) => l.replace('{', '{,'),
  (l: string) => l,
);

test('every line the canonical reader reads, it reads as validation through JSON.parse does', () => {
  fc.assert(
    fc.property(
      records,
      edits,
      fc.constantFrom('', '{"a":', '"'),
      fc.constantFrom('', '"', '5', 'e5', '}', ',"x":1}'),
      (l, edit, before, after) => {
        agrees(edit(l), before, after);
      },
    ),
    { numRuns: 20_000 },
  );
});

test('numbers read from their digits equal JSON.parse to the last bit', () => {
  const decimal = fc
    .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 15n - 1n }), fc.integer({ min: 0, max: 15 }))
    .map(([neg, digits, point]) => {
      const d = digits.toString().padStart(point + 1, '0');
      const text = point === 0 ? d : `${d.slice(0, -point)}.${d.slice(-point)}`;
      return (neg ? '-' : '') + text.replace(/^0+(?=\d)/, '');
    });
  fc.assert(
    fc.property(decimal, (text) => {
      const line = JSON.stringify({ ...filledRequest, bid_price: 0 }).replace('"bid_price":0', `"bid_price":${text}`);
      const v = validateLine(line, line.length, defaultLimits, NOW);
      const got = fast(line);
      if (v.ok) assert.deepEqual(got, v.record, text);
      else assert.equal(got, null, text);
      // Inside the price range, the reader reads the line itself.
      const n = JSON.parse(text) as number;
      if (n >= 0 && n <= 1_000_000) assert.notEqual(got, null, text);
    }),
    { numRuns: 20_000 },
  );
});

test("the simulator's lines are read by the canonical reader, bar the malformed and the dimension rows", () => {
  let read = 0;
  let events = 0;
  for (const line of simulateLines({ seed: 5, events: 20_000 })) {
    const v = validateLine(line, Buffer.byteLength(line), defaultLimits, Number.MAX_SAFE_INTEGER);
    const got = readCanonical(
      Buffer.from(line),
      0,
      Buffer.byteLength(line),
      Buffer.byteLength(line),
      defaultLimits,
      Number.MAX_SAFE_INTEGER,
    );
    if (!v.ok || v.record.kind === 'dim') {
      assert.equal(got, null, line);
      continue;
    }
    events++;
    if (got !== null) read++;
    assert.deepEqual(got, v.record, line);
  }
  assert.ok(events > 19_000, `${events} valid events`);
  assert.equal(read, events, 'every valid event line is read without JSON.parse');
});
