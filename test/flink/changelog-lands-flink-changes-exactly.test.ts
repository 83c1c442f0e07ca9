import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { sketchColumn, sketchUnionSql, userSketchEntry } from '../../src/catalogue/user-sketch.ts';
import { resultsPipeline } from '../../src/flink/pipelines.ts';
import { appDatasets } from '../../src/layers/app.ts';
import { dwaAdMinute } from '../../src/layers/dwa.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { adwAsync } from '../support/cli.ts';
import { queryDb, runDefinition, scratch } from '../support/pipeline.ts';

const tmp = scratch('adw-changelog-');
after(() => tmp.cleanup());

/** A DWD row as the Flink job writes it (debezium-json, timestamps in Flink's SQL form). */
function dwdRow(id: string, type: string, status: string, campaign: number | null) {
  const matched = status !== 'unmatched';
  return {
    event_id: id,
    event_type: type,
    request_id: 'r1',
    event_time: '2026-01-01 10:00:01.5',
    user_id: matched ? 'u1' : null,
    os: matched ? 'ios' : null,
    device_type: matched ? 'phone' : null,
    region: matched ? 'US' : null,
    slot_id: matched ? 5 : null,
    ad_id: matched ? 100 : null,
    campaign_id: campaign,
    advertiser_id: campaign === null ? null : 1,
    billing: matched ? 'CPM' : null,
    filled: matched ? true : null,
    bid_micros: matched ? 2_000_000 : null,
    spend_nanos: status === 'matched' && type === 'exposure' ? 2_000_000 : 0,
    join_status: status,
    join_delay_ms: status === 'matched' ? 500 : null,
    late: false,
  };
}

/** A DWD request row as the Flink job writes it: its campaign null while its dimension rows had not come. */
const requestRow = (id: string, user: string, campaign: number | null) => ({
  ...dwdRow(id, 'request', 'request', campaign),
  request_id: id,
  user_id: user,
});

/** A DWA cell version as the Flink job writes it. */
function dwaRow(campaign: number | null, exposures: number) {
  return {
    minute: '2026-01-01 10:00:00',
    advertiser_id: campaign === null ? null : 1,
    campaign_id: campaign,
    ad_id: campaign === null ? null : 100,
    slot_id: campaign === null ? null : 5,
    os: campaign === null ? null : 'ios',
    device_type: campaign === null ? null : 'phone',
    region: campaign === null ? null : 'US',
    requests: 0,
    fills: 0,
    exposures,
    viewable_exposures: 0,
    clicks: 0,
    spend_nanos: campaign === null ? 0 : exposures * 2_000_000,
  };
}

/** The cell version of `requestRow`s: their ad, slot and audience, their campaign (null before its rows came). */
const requestCell = (campaign: number | null, requests: number) => ({
  ...dwaRow(campaign, 0),
  advertiser_id: campaign === null ? null : 1,
  ad_id: 100,
  slot_id: 5,
  os: 'ios',
  device_type: 'phone',
  region: 'US',
  requests,
});

const added = (row: object) => JSON.stringify({ before: null, after: row, op: 'c' });
const removed = (row: object) => JSON.stringify({ before: row, after: null, op: 'd' });

/** A warehouse that the job's changes land in, from an input file of changes that grows. */
function landing(name: string) {
  const input = join(tmp.dir, `${name}.ndjson`);
  const db = join(tmp.dir, `${name}.duckdb`);
  return {
    db,
    /** Appends changes to the input and lands what is new in one run. */
    async land(lines: string[]): Promise<void> {
      appendFileSync(input, `${lines.join('\n')}\n`);
      await runDefinition(resultsPipeline, input, db);
    },
  };
}

const { db, land } = landing('w');

const dwd = (table: string) =>
  queryDb(
    db,
    `SELECT event_id, event_type, campaign_id, join_status, spend_nanos, epoch_ms(event_time) AS ms FROM ${table} ORDER BY event_id`,
  );
const dwa = () =>
  queryDb(
    db,
    'SELECT campaign_id, sum(exposures)::BIGINT AS exposures, sum(spend_nanos)::BIGINT AS spend FROM dwa_ad_minute GROUP BY ALL HAVING sum(exposures) <> 0 OR sum(spend_nanos) <> 0 ORDER BY campaign_id NULLS FIRST',
  );

test('a follow event corrected within one checkpoint lands once, matched; cell versions land as deltas', async () => {
  const unmatched = dwdRow('x1', 'exposure', 'unmatched', null);
  await land([
    added(unmatched),
    added(dwaRow(null, 1)),
    removed(unmatched),
    added(dwdRow('x1', 'exposure', 'matched', 10)),
    removed(dwaRow(null, 1)),
    added(dwaRow(10, 1)),
  ]);
  assert.deepEqual(await dwd('dwd_ad_event_unmatched'), []);
  assert.deepEqual(await dwd('dwd_ad_event_joined'), [
    {
      event_id: 'x1',
      event_type: 'exposure',
      campaign_id: 10,
      join_status: 'matched',
      spend_nanos: 2_000_000,
      ms: Date.UTC(2026, 0, 1, 10, 0, 1, 500),
    },
  ]);
  assert.deepEqual(await dwa(), [{ campaign_id: 10, exposures: 1, spend: 2_000_000 }]);
});

test('a row committed earlier and changed later is replaced, in either part of DWD', async () => {
  const unmatched = dwdRow('x2', 'exposure', 'unmatched', null);
  await land([added(unmatched), added(dwaRow(null, 1))]);
  assert.equal((await dwd('dwd_ad_event_unmatched')).length, 1);
  // The request comes in a later checkpoint: the unmatched row leaves, the matched one comes.
  await land([
    removed(unmatched),
    added(dwdRow('x2', 'exposure', 'matched', 10)),
    removed(dwaRow(null, 1)),
    removed(dwaRow(10, 1)),
    added(dwaRow(10, 2)),
  ]);
  // Then its campaign is re-enriched (a dimension row came late): the matched row is replaced, not doubled.
  await land([removed(dwdRow('x2', 'exposure', 'matched', 10)), added(dwdRow('x2', 'exposure', 'matched', 11))]);
  assert.deepEqual(await dwd('dwd_ad_event_unmatched'), []);
  assert.deepEqual(
    (await dwd('dwd_ad_event_joined')).map((r) => [r.event_id, r.campaign_id]),
    [
      ['x1', 10],
      ['x2', 11],
    ],
  );
  assert.deepEqual(await dwa(), [{ campaign_id: 10, exposures: 2, spend: 4_000_000 }]);
});

test('output that is not a Flink change stops the run with a coded error', async () => {
  await assert.rejects(land(['{"before": null, "after": null}']), { code: 'ADW_ERR_FLINK_OUTPUT' });
  await assert.rejects(land(['not json']), { code: 'ADW_ERR_FLINK_OUTPUT' });
});

/** The users of each campaign in `table` (DWA, or an APP dataset holding users): its rows' sketches merged. */
const usersByCampaign = (at: string, table: string) =>
  queryDb(
    at,
    `SELECT campaign_id, ${sketchUnionSql(sketchColumn)} AS users FROM ${table} GROUP BY ALL HAVING len(users) > 0 ORDER BY campaign_id NULLS FIRST`,
  );

/** Unique users by campaign as `adw query` answers them. */
async function uniqueUsersByCampaign(at: string): Promise<Record<string, unknown>[]> {
  const r = await adwAsync(tmp.dir, [
    'query',
    '--metrics',
    'requests,unique_users',
    '--by',
    'campaign_id',
    '--db',
    at,
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { rows: Record<string, unknown>[] }).rows;
}

// Three requests joined before their campaign's dimension rows came (campaign NULL), two of them by one user; then
// the first is re-enriched into campaign 10: its user leaves the NULL campaign's cell, where one user made two requests.
const q1 = requestRow('q1', 'u1', null);
const beforeDims = [
  added(q1),
  added(requestRow('q2', 'u2', null)),
  added(requestRow('q3', 'u2', null)),
  added(requestCell(null, 3)),
];
const reEnriched = [
  removed(q1),
  added(requestRow('q1', 'u1', 10)),
  removed(requestCell(null, 3)),
  added(requestCell(null, 2)),
  added(requestCell(10, 1)),
];
const expectedUsers = [
  { campaign_id: null, users: [userSketchEntry('u2')] },
  { campaign_id: 10, users: [userSketchEntry('u1')] },
];
const expectedAnswer = [
  { campaign_id: null, requests: 2, unique_users: 1 },
  { campaign_id: 10, requests: 1, unique_users: 1 },
];
const answerByCampaign = async (at: string) =>
  (await uniqueUsersByCampaign(at))
    .map((r) => ({ campaign_id: r.campaign_id, requests: r.requests, unique_users: r.unique_users }))
    .sort((a, b) => Number(a.campaign_id ?? -1) - Number(b.campaign_id ?? -1));

test('a request re-enriched in a later checkpoint takes its user out of the cell it left', async () => {
  const w = landing('users-left');
  await w.land(beforeDims);
  assert.deepEqual(await usersByCampaign(w.db, dwaAdMinute.name), [
    { campaign_id: null, users: [userSketchEntry('u1'), userSketchEntry('u2')].sort((a, b) => a - b) },
  ]);
  await w.land(reEnriched);
  assert.deepEqual(await usersByCampaign(w.db, dwaAdMinute.name), expectedUsers);
  assert.deepEqual(await answerByCampaign(w.db), expectedAnswer);
});

test("a request re-enriched after housekeeping sketched its hour leaves the hour's APP users too", async () => {
  const w = landing('users-left-sketched');
  await w.land(beforeDims);
  const warehouse = await DuckDbWarehouse.open(w.db);
  try {
    // Settled up to noon: housekeeping gives the 10:00 hour its users in APP.
    await warehouse.maintain(Date.UTC(2026, 0, 1, 12), 30);
  } finally {
    await warehouse.close();
  }
  const ads = appDatasets.find((ds) => ds.name === 'ad_hourly')!;
  assert.equal((await usersByCampaign(w.db, ads.table.name)).length, 1, 'the hour sketched in APP');
  await w.land(reEnriched);
  assert.deepEqual(await usersByCampaign(w.db, dwaAdMinute.name), expectedUsers);
  assert.deepEqual(await usersByCampaign(w.db, ads.table.name), expectedUsers);
  assert.deepEqual(await answerByCampaign(w.db), expectedAnswer);
});
