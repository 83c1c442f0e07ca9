import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { adwJson, adwSync, show } from '../support/cli.ts';
import { scratch } from '../support/pipeline.ts';

const tmp = scratch();
after(tmp.cleanup);

// Speed is not asserted (that is the benchmark's job); what is asserted is that its figures are what they claim.
test('adw bench --query fills DWA at the density asked and answers every dashboard query from the coarsest layer', () => {
  const r = adwJson(tmp.dir, [
    'bench',
    '--query',
    '--rows-per-minute',
    '40',
    '--days',
    '2',
    '--iterations',
    '3',
    '--json',
  ]);
  assert.equal(r.rows_per_minute, 40);
  assert.equal(r.dwa_rows, 40 * 1440 * 2);
  assert.ok((r.requests as number) >= (r.dwa_rows as number), 'every row counts at least one request');
  assert.ok((r.build_seconds as number) > 0 && (r.file_mb as number) > 0);
  const queries = r.queries as Record<string, { source: string; p50_ms: number; p99_ms: number }>;
  assert.equal(queries.creative_drill_7d?.source, 'app_ad_daily');
  assert.equal(queries.regions_today?.source, 'app_audience_daily');
  assert.equal(queries.minute_series_1h?.source, 'dwa_ad_minute');
  for (const [name, q] of Object.entries(queries)) assert.ok(q.p50_ms > 0 && q.p50_ms <= q.p99_ms, name);
});

test('adw bench --query refuses a density it cannot draw, in one coded line', () => {
  const r = adwSync(tmp.dir, ['bench', '--query', '--rows-per-minute', '0']);
  assert.equal(r.status, 2, show(r));
  assert.match(r.stderr, /^adw: option --rows-per-minute: .*\[ADW_ERR_BAD_OPTION\]\n$/, show(r));
});
