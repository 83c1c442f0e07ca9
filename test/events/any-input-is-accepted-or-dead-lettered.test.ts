import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { deadLetterReasons } from '../../src/errors.ts';
import { defaultLimits, validateLine } from '../../src/events/validate.ts';
import { queryRow, runFile, scratch } from '../support/pipeline.ts';
import { filledRequest, NOW, TS, unfilledRequest } from '../support/records.ts';

const tmp = scratch();
after(tmp.cleanup);

const valid: Record<string, unknown>[] = [
  filledRequest,
  unfilledRequest,
  { type: 'exposure', event_id: 'e1', request_id: 'req-1', ts: TS + 10 },
  { type: 'click', event_id: 'c1', request_id: 'req-1', ts: TS + 20 },
  {
    type: 'dim',
    table: 'campaign',
    op: 'upsert',
    row: { campaign_id: 4, advertiser_id: 2, name: 'C <b>4</b>', billing: 'CPC', price: 0.5, budget: 100 },
  },
  { type: 'dim', table: 'slot', op: 'delete', key: 7 },
];

/**
 * Any JSON value, including the awkward ones: huge and fractional numbers, markup, control characters, deep nesting.
 */
const hostile = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    1e308,
    -1,
    0,
    2 ** 53,
    1.5,
    '',
    '<img src=x onerror=alert(1)>',
    '\u0000',
    'a'.repeat(300),
    '__proto__',
    'request',
    'click',
  ),
);

/** A valid record with one field replaced, removed, or an extra one added: the shapes real mistakes take. */
const mutated = fc
  .tuple(
    fc.constantFrom(...valid),
    fc.oneof(
      fc.constantFrom(
        'type',
        'ts',
        'request_id',
        'event_id',
        'slot_id',
        'filled',
        'ad_id',
        'bid_price',
        'region',
        'row',
        'table',
        'op',
        'key',
      ),
      fc.string({ maxLength: 10 }),
    ),
    fc.option(hostile),
  )
  .map(([base, key, v]) => {
    const o: Record<string, unknown> = { ...base };
    if (v === null) delete o[key];
    else o[key] = v;
    return JSON.stringify(o);
  });

const anyLine = fc.oneof(
  mutated,
  fc.string({ maxLength: 200, unit: 'binary' }),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? 'undefined'),
);

test('the validator answers any line with an accepted record or a dead-letter reason, and never throws', () => {
  fc.assert(
    fc.property(anyLine, (line) => {
      const v = validateLine(line, Buffer.byteLength(line), defaultLimits, NOW);
      if (v.ok) {
        assert.ok(['request', 'exposure', 'viewable', 'click', 'dim'].includes(v.record.kind));
        if (v.record.kind !== 'dim')
          assert.ok(v.record.ts >= defaultLimits.minTs && v.record.ts <= NOW + defaultLimits.maxFutureMs);
      } else {
        assert.ok((deadLetterReasons as readonly string[]).includes(v.reason), v.reason);
        assert.ok(v.error.length > 0);
      }
    }),
    { numRuns: 5000 },
  );
});

test('any bytes through the engine: records in = accepted + dead-lettered, each kept once', async () => {
  // Lines of arbitrary bytes (invalid UTF-8 included) and mutated records, one per line.
  const byteLine = fc.uint8Array({ maxLength: 120 }).map((b) => Buffer.from(b.filter((x) => x !== 0x0a)));
  const lines = fc.sample(
    fc.oneof(
      byteLine,
      mutated.map((s) => Buffer.from(s)),
      fc.constantFrom(...valid).map((o) => Buffer.from(JSON.stringify({ ...o, ts: Date.now() - 60_000 }))),
    ),
    { numRuns: 600, seed: 11 },
  );
  const input = join(tmp.dir, 'hostile.ndjson');
  writeFileSync(input, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
  const db = join(tmp.dir, 'hostile.duckdb');
  await runFile(input, db);
  const cp = await queryRow(db, 'SELECT records_in, accepted, dead_lettered FROM adw_checkpoint');
  const ods = await queryRow(
    db,
    'SELECT (SELECT count(*) FROM ods_ad_event)::INT + (SELECT count(*) FROM ods_dim_change)::INT AS kept, (SELECT count(*) FROM ods_dead_letter)::INT AS dead',
  );
  const records = lines.length;
  assert.equal(Number(cp.records_in), records, 'every line read once');
  assert.equal(Number(cp.accepted) + Number(cp.dead_lettered), records, 'each record accepted or dead-lettered');
  assert.equal(Number(ods.kept), Number(cp.accepted), 'each accepted record kept in ODS once');
  assert.equal(Number(ods.dead), Number(cp.dead_lettered), 'each refused record kept in the dead-letter table once');
  assert.ok(Number(cp.dead_lettered) > 0 && Number(cp.accepted) > 0, 'the sample held both kinds');
});
