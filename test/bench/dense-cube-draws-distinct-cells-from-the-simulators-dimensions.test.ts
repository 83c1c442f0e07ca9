import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DenseCube } from '../../src/bench/dense-cube.ts';
import { buildDimensions } from '../../src/simulator/dimensions.ts';
import { defaultSimulatorOptions } from '../../src/simulator/options.ts';
import { CsvRows, FIELD_SEPARATOR } from '../../src/warehouse/csv.ts';
import { dwaStagedColumns } from '../../src/layers/dwa.ts';

const MINUTE = 60_000;

/** The rows of `minutes` minutes, parsed back from the CSV the cube writes. */
function draw(rowsPerMinute: number, minutes: number, seed: number) {
  const cube = new DenseCube(rowsPerMinute, seed);
  const csv = new CsvRows();
  let requests = 0;
  for (let m = 0; m < minutes; m++) requests += cube.minute(m * MINUTE, csv);
  const text = Buffer.concat(csv.bytes()).toString();
  const rows = text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.split(FIELD_SEPARATOR));
  return { rows, requests, text };
}

test('each minute holds exactly the cells asked for, each a combination the simulator can draw, summing consistently', () => {
  const perMinute = 300;
  const { rows, requests } = draw(perMinute, 5, 1);
  assert.equal(rows.length, perMinute * 5);
  const dims = buildDimensions({ ...defaultSimulatorOptions, seed: 1 });
  const campaignOf = new Map(dims.ads.map((a) => [a.ad_id, a.campaign_id]));
  const advertiserOf = new Map(dims.campaigns.map((c) => [c.campaign_id, c.advertiser_id]));
  const slots = new Set(dims.slots.map((s) => s.slot_id));
  const cells = new Set<string>();
  let counted = 0;
  let unfilled = 0;
  for (const r of rows) {
    assert.equal(r.length, dwaStagedColumns.length, r.join('|'));
    // Read by the staged rows' column names: the warehouse reads them so.
    const f = Object.fromEntries(dwaStagedColumns.map((c, i) => [c.name, r[i]!]));
    const [minute, advertiser, campaign, ad, slot, os, device, region] = [
      f.minute_ms,
      f.advertiser_id,
      f.campaign_id,
      f.ad_id,
      f.slot_id,
      f.os,
      f.device_type,
      f.region,
    ];
    const [req, fills, exp, view, clicks, spend, sketch] = [
      f.requests,
      f.fills,
      f.exposures,
      f.viewable_exposures,
      f.clicks,
      f.spend_nanos,
      f.user_sketch,
    ];
    assert.equal(Number(minute) % MINUTE, 0);
    cells.add([minute, advertiser, campaign, ad, slot, os, device, region].join('|'));
    if (ad === '') {
      unfilled++;
      assert.ok(advertiser === '' && campaign === '', 'an unfilled request has no campaign or advertiser');
      assert.equal(Number(fills) + Number(exp) + Number(spend), 0);
    } else {
      assert.equal(Number(campaign), campaignOf.get(Number(ad)), `ad ${ad} belongs to campaign ${campaign}`);
      assert.equal(Number(advertiser), advertiserOf.get(Number(campaign)));
      assert.ok(Number(spend) > 0 || Number(clicks) === 0, 'a CPM exposure or a CPC click is billed');
    }
    assert.ok(slots.has(Number(slot)), `slot ${slot}`);
    assert.ok(os && device && region);
    assert.ok(Number(fills) <= Number(req) && Number(exp) === Number(fills));
    assert.ok(Number(view) <= Number(exp) && Number(clicks) <= Number(exp));
    const users = JSON.parse(sketch!) as number[];
    assert.ok(users.length >= 1 && users.length <= Number(req), `${users.length} users for ${req} requests`);
    counted += Number(req);
  }
  assert.equal(cells.size, rows.length, 'one row per cell and minute');
  assert.equal(counted, requests, 'the requests reported are those the rows count');
  // The simulator fills 85% of requests: about that share of cells has no ad.
  assert.ok(unfilled > rows.length * 0.05 && unfilled < rows.length * 0.3, `${unfilled} unfilled cells`);
});

test('the same seed draws the same rows, another seed other rows', () => {
  const seven = draw(200, 2, 7).text;
  assert.equal(draw(200, 2, 7).text, seven);
  assert.notEqual(draw(200, 2, 8).text, seven);
});
