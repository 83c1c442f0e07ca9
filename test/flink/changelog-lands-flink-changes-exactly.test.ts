import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileSource } from '../../src/connectors/file/source.ts';
import { defaultEngineConfig } from '../../src/engine/config.ts';
import { Job } from '../../src/engine/job.ts';
import { resultsPipeline } from '../../src/flink/pipelines.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { queryDb, scratch } from '../support/pipeline.ts';

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

const added = (row: object) => JSON.stringify({ before: null, after: row, op: 'c' });
const removed = (row: object) => JSON.stringify({ before: row, after: null, op: 'd' });

const input = join(tmp.dir, 'changes.ndjson');
const db = join(tmp.dir, 'w.duckdb');

/** Appends changes to the input and lands what is new in one run. */
async function land(lines: string[]): Promise<void> {
  appendFileSync(input, `${lines.join('\n')}\n`);
  const warehouse = await DuckDbWarehouse.open(db);
  const source = new FileSource({ path: input });
  try {
    await new Job(resultsPipeline, source, warehouse, defaultEngineConfig).run({ untilEnd: true });
  } finally {
    await source.close();
    await warehouse.close();
  }
}

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
