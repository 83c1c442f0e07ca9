import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileSource } from '../../src/connectors/file/source.ts';
import { lineOf } from '../../src/connectors/source.ts';
import { defaultEngineConfig } from '../../src/engine/config.ts';
import { Job } from '../../src/engine/job.ts';
import { adPipeline } from '../../src/engine/pipeline.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { dwaDifferences, queryDb, queryRow, runFile, scratch, writeLines } from '../support/pipeline.ts';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const HOUR = 3_600_000;

const dims = [
  { type: 'dim', table: 'advertiser', op: 'upsert', row: { advertiser_id: 1, name: 'Acme' } },
  {
    type: 'dim',
    table: 'campaign',
    op: 'upsert',
    row: { campaign_id: 10, advertiser_id: 1, name: 'CPM one', billing: 'CPM', price: 2, budget: 100 },
  },
  {
    type: 'dim',
    table: 'campaign',
    op: 'upsert',
    row: { campaign_id: 11, advertiser_id: 1, name: 'CPC one', billing: 'CPC', price: 0.5, budget: 100 },
  },
  { type: 'dim', table: 'ad', op: 'upsert', row: { ad_id: 100, campaign_id: 10, name: 'A' } },
  { type: 'dim', table: 'ad', op: 'upsert', row: { ad_id: 101, campaign_id: 11, name: 'B' } },
  { type: 'dim', table: 'slot', op: 'upsert', row: { slot_id: 5, name: 'Top', site: 'news' } },
];
const request = (id: string, ts: number, ad = 100, bid = 2) => ({
  type: 'request',
  request_id: id,
  ts,
  user_id: `u-${id}`,
  os: 'ios',
  device_type: 'phone',
  region: 'US-CA',
  slot_id: 5,
  filled: true,
  ad_id: ad,
  bid_price: bid,
});
const follow = (type: string, id: string, rid: string, ts: number) => ({ type, event_id: id, request_id: rid, ts });
/** Requests that move the watermark forward to `ts`. */
const clock = (n: string, ts: number) => request(`clock-${n}`, ts);

const tmp = scratch();
after(tmp.cleanup);
let runNo = 0;

/** A case's input (the dimensions, then `records`) written, and where its warehouse goes. */
function caseFiles(records: object[]) {
  const dir = join(tmp.dir, `case-${++runNo}`);
  const input = `${dir}.ndjson`;
  writeLines(input, [...dims, ...records]);
  return { input, db: `${dir}.duckdb` };
}

async function build(records: object[], config = {}) {
  const { input, db } = caseFiles(records);
  await runFile(input, db, config);
  return { input, db };
}

async function dwdRow(db: string, id: string) {
  const rows = await queryDb(
    db,
    `SELECT event_type, join_status, campaign_id, spend_nanos, join_delay_ms, late FROM dwd_ad_event WHERE event_id = ?`,
    [id],
  );
  assert.equal(rows.length, 1, `one DWD row for ${id}`);
  return rows[0]!;
}

/** An exposure that first went out unmatched, of a CPM request 1 s before it, corrected: matched and billed, once. */
async function assertCorrected(db: string, id: string) {
  assert.deepEqual(await dwdRow(db, id), {
    event_type: 'exposure',
    join_status: 'matched',
    campaign_id: 10,
    spend_nanos: 2_000_000,
    join_delay_ms: 1000,
    late: false,
  });
  assert.deepEqual(await dwaDifferences(db), []);
}

describe('interval join: the outcome depends on which records exist, not on their order', () => {
  test('an exposure that arrives before its request joins it', async () => {
    const { db } = await build([follow('exposure', 'x1', 'r1', T0 + 1500), request('r1', T0 + 1000)]);
    assert.deepEqual(await dwdRow(db, 'x1'), {
      event_type: 'exposure',
      join_status: 'matched',
      campaign_id: 10,
      spend_nanos: 2_000_000,
      join_delay_ms: 500,
      late: false,
    });
    assert.deepEqual(await dwaDifferences(db), []);
  });

  test('a click within the attribution window is billed on a CPC campaign; one past it is unmatched and unbilled', async () => {
    const { db } = await build(
      [
        request('r1', T0, 101, 0.5),
        follow('click', 'c1', 'r1', T0 + 30 * MIN),
        follow('click', 'c2', 'r1', T0 + 2 * HOUR),
      ],
      { joinWindowMs: HOUR, attributionWindowMs: HOUR },
    );
    assert.equal((await dwdRow(db, 'c1')).spend_nanos, 500_000_000);
    assert.deepEqual(await dwdRow(db, 'c2'), {
      event_type: 'click',
      join_status: 'unmatched',
      campaign_id: null,
      spend_nanos: 0,
      join_delay_ms: null,
      late: false,
    });
    assert.deepEqual(await dwaDifferences(db, HOUR), []);
  });

  // With a checkpoint per record the request has left the engine's memory (the join window) long before the click
  // comes, and the click is attributed through a warehouse look-up; in one batch it is still in memory. Either way the
  // attribution window decides, and past it the click is not attributed.
  for (const [label, config] of [
    [
      'a checkpoint per record, the whole window in memory: the request long out of it, read back from the warehouse',
      { batchSize: 1, checkpointIntervalMs: 0, stateMemoryBytes: null },
    ],
    [
      'a checkpoint per record, state on disk with no room in memory: the request spilled, read back from the spill file',
      { batchSize: 1, checkpointIntervalMs: 0, stateMemoryBytes: 1 },
    ],
    ['one batch: the request still in memory', { batchSize: 4096, checkpointIntervalMs: 500 }],
  ] as const) {
    test(`a click 20 hours after its request is attributed and billed (${label})`, async () => {
      const { db } = await build(
        [
          request('r1', T0, 101, 0.5),
          request('r2', T0 + MIN, 101, 0.5),
          ...[1, 2, 3, 4, 5, 6, 8, 10, 15, 20].map((h) => clock(`${h}h`, T0 + h * HOUR)),
          follow('click', 'c-20h', 'r1', T0 + 20 * HOUR),
          clock('21h', T0 + 21 * HOUR),
          clock('25h', T0 + 25 * HOUR + 2 * MIN),
          follow('click', 'c-25h', 'r2', T0 + 25 * HOUR + 2 * MIN),
          clock('26h', T0 + 26 * HOUR),
        ],
        config,
      );
      assert.deepEqual(await dwdRow(db, 'c-20h'), {
        event_type: 'click',
        join_status: 'matched',
        campaign_id: 11,
        spend_nanos: 500_000_000,
        join_delay_ms: 20 * HOUR,
        late: false,
      });
      assert.equal((await dwdRow(db, 'c-25h')).join_status, 'unmatched', 'past the 24 h attribution window');
      assert.deepEqual(await dwaDifferences(db), []);
    });
  }

  test('an event whose request never comes is counted as unattributed', async () => {
    const { db } = await build([request('r1', T0), follow('exposure', 'x-lost', 'never', T0 + 1000)]);
    assert.equal((await dwdRow(db, 'x-lost')).join_status, 'unmatched');
    const cells = await queryRow(db, `SELECT sum(exposures)::INT AS e FROM dwa_ad_minute WHERE campaign_id IS NULL`);
    assert.equal(cells.e, 1);
    assert.deepEqual(await dwaDifferences(db), []);
  });

  for (const [label, config] of [
    ['while the unmatched row is still in memory', { batchSize: 4096, checkpointIntervalMs: 60_000 }],
    ['after the unmatched row was committed', { batchSize: 1, checkpointIntervalMs: 0 }],
  ] as const) {
    test(`a request later than the allowed lateness corrects its unmatched events (${label})`, async () => {
      const { db } = await build(
        [
          follow('exposure', 'x1', 'r-late', T0 + 2000),
          clock('a', T0 + 20 * MIN),
          clock('b', T0 + 40 * MIN),
          request('r-late', T0 + 1000),
        ],
        config,
      );
      await assertCorrected(db, 'x1');
      const late = await queryRow(db, `SELECT late FROM dwd_ad_event WHERE event_id = 'r-late'`);
      assert.equal(late.late, true);
      const unattributed = await queryRow(
        db,
        `SELECT coalesce(sum(exposures), 0)::INT AS e FROM dwa_ad_minute WHERE campaign_id IS NULL`,
      );
      assert.equal(unattributed.e, 0, 'the exposure moved out of the unattributed cell');
    });
  }

  test('a late request whose unmatched event committed while the next epoch was being sealed corrects it once', async () => {
    // The exposure goes out unmatched in one epoch; the request comes in the next, after a pause in which that epoch's
    // commit lands, and is sealed before the engine hears of the commit: the unmatched row is then both in the
    // warehouse (found by the request's look-up) and still pending in memory. Corrected by both, it would count twice.
    const { input, db } = caseFiles([
      follow('exposure', 'x1', 'r-late', T0 + 2000),
      clock('a', T0 + 40 * MIN),
      request('r-late', T0 + 1000),
    ]);
    const lateRequest = '"type":"request","request_id":"r-late"';
    class PausingBeforeTheRequest extends FileSource {
      override async poll(max: number) {
        const p = await super.poll(max);
        if (p.records.some((r) => lineOf(r).includes(lateRequest))) await sleep(1000);
        return p;
      }
    }
    const warehouse = await DuckDbWarehouse.open(db);
    const source = new PausingBeforeTheRequest({ path: input });
    let foundCommitted = 0;
    try {
      const config = { ...defaultEngineConfig, batchSize: 1, checkpointIntervalMs: 0 };
      const lookUps = warehouse.findUnmatched.bind(warehouse);
      warehouse.findUnmatched = async (...args) => {
        const rows = await lookUps(...args);
        foundCommitted += rows.length;
        return rows;
      };
      await new Job(adPipeline, source, warehouse, config).run({ untilEnd: true });
    } finally {
      await source.close();
      await warehouse.close();
    }
    assert.equal(foundCommitted, 1, 'the look-up found the committed unmatched row');
    await assertCorrected(db, 'x1');
    const exposures = await queryRow(db, `SELECT sum(exposures)::INT AS e FROM dwa_ad_minute`);
    assert.equal(exposures.e, 1, 'the exposure counted once');
  });

  // Within the join window the copies are caught by state (in memory, or spilled with no room there); after it, only
  // the warehouse look-ups can catch them. (The later clock records let the commit that expires state settle before
  // the copies come.)
  for (const [when, after, stateMemoryBytes] of [
    ['after the lateness', 30 * MIN, null],
    ['after the lateness, with no room in memory: the ids spilled, read back from the spill file', 30 * MIN, 1],
    ['after the join window and the lateness', 4 * 60 * MIN + 30 * MIN, null],
  ] as const) {
    test(`a duplicate arriving ${when}, when its original is committed, is dropped`, async () => {
      const { db } = await build(
        [
          request('r1', T0),
          follow('exposure', 'x1', 'r1', T0 + 1000),
          // Newer ids, so that with no room in memory the original's is one that spills.
          follow('viewable', 'v1', 'r1', T0 + 2000),
          follow('viewable', 'v2', 'r1', T0 + 3000),
          clock('a', T0 + after),
          clock('b', T0 + after),
          clock('c', T0 + after),
          follow('exposure', 'x1', 'r1', T0 + 1000),
          request('r1', T0),
        ],
        { batchSize: 1, checkpointIntervalMs: 0, stateMemoryBytes },
      );
      const n = await queryRow(db, `SELECT count(*)::INT AS n FROM dwd_ad_event WHERE event_id IN ('x1', 'r1')`);
      assert.equal(n.n, 2);
      const cp = await queryDb(db, `SELECT duplicates, late FROM adw_checkpoint`);
      assert.deepEqual(cp[0], { duplicates: 2, late: 2 });
      assert.deepEqual(await dwaDifferences(db), []);
    });
  }

  test('a later run that brings the request of events released at the end of an earlier input corrects them', async () => {
    const { input, db } = await build([request('r1', T0), follow('exposure', 'x-wait', 'r2', T0 + 3000)]);
    assert.equal((await dwdRow(db, 'x-wait')).join_status, 'unmatched');
    appendFileSync(input, `${JSON.stringify(request('r2', T0 + 2000))}\n`);
    await runFile(input, db);
    await assertCorrected(db, 'x-wait');
  });
});
