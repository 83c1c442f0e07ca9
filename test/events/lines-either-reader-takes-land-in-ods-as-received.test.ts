import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { queryDb, runFile, scratch, writeLines } from '../support/pipeline.ts';
import { filledRequest, TS } from '../support/records.ts';

const tmp = scratch();
after(tmp.cleanup);

test('lines read from their bytes and lines read by JSON.parse land in ODS and DWD as received, CRs made spaces', async () => {
  const request = JSON.stringify(filledRequest);
  // Each line with the event id it must be read with; canonical ones are read from their bytes, the others through
  // JSON.parse (whitespace, a CR, an escape, characters beyond ASCII).
  const lines: [string, string][] = [
    [request, 'req-1'],
    [request.replace('"req-1"', '"req-ws"').replaceAll('":', '": '), 'req-ws'],
    [request.replace('"req-1"', '"req-cr"').replace(',', ',\r'), 'req-cr'],
    [request.replace('"req-1"', '"req-uni"').replace('{', '{"note":"café 😀 <b>x</b>",'), 'req-uni'],
    [`{"type":"exposure","event_id":"e\\u0031","request_id":"req-1","ts":${TS + 10}}`, 'e1'],
    [`{"type":"click","event_id":"first","event_id":"last","request_id":"req-1","ts":${TS + 20}.0}`, 'last'],
  ];
  const input = join(tmp.dir, 'odd.ndjson');
  writeLines(
    input,
    lines.map(([l]) => l),
  );
  const db = join(tmp.dir, 'odd.duckdb');
  await runFile(input, db);
  const bytes = readFileSync(input);
  const ods = await queryDb(db, 'SELECT seq, event_id, raw, epoch_ms(event_time) AS ms FROM ods_ad_event ORDER BY seq');
  assert.deepEqual(
    ods.map((r) => r.event_id),
    lines.map(([, id]) => id),
    'every line accepted, with its id read as JSON.parse reads it',
  );
  for (const r of ods) {
    const seq = Number(r.seq);
    const received = bytes.subarray(seq, bytes.indexOf(0x0a, seq)).toString('utf8');
    assert.equal(r.raw, received.replaceAll('\r', ' '), `the line at ${seq} as received`);
  }
  assert.equal(ods.at(-1)?.ms, TS + 20, 'an event time written with a decimal point is the integer it is');
  const dwd = await queryDb(db, 'SELECT event_id, join_status FROM dwd_ad_event ORDER BY event_id');
  assert.deepEqual(
    dwd.map((r) => `${r.event_id} ${r.join_status}`),
    ['e1 matched', 'last matched', 'req-1 request', 'req-cr request', 'req-uni request', 'req-ws request'],
  );
});
