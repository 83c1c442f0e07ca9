import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sketchUnionSql, userSketchEntry, userSketchEntrySql } from '../../src/catalogue/user-sketch.ts';
import { dwaDimensionColumns } from '../../src/layers/dwa.ts';
import { runQuery } from '../../src/query/planner.ts';
import type { QueryRequest } from '../../src/query/request.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { assertSameRows, dwaSketchesSql, runFile, scratch, writeLines } from '../support/pipeline.ts';

const tmp = scratch();
const db = join(tmp.dir, 'w.duckdb');

before(async () => {
  const input = join(tmp.dir, 'in.ndjson');
  // Two days, so slices by day and by hour both have several periods.
  await writeSimulation({ seed: 15, events: 150_000, spanMs: 40 * 3600_000 }, input);
  await runFile(input, db);
});
after(() => tmp.cleanup());

/** The slices asked for: every rollup the planner answers from APP or DWA, by catalogue dimension and period. */
const slices: { name: string; by: string[]; granularity?: 'hour' | 'day' }[] = [
  { name: 'total', by: [] },
  { name: 'by campaign', by: ['campaign_id'] },
  { name: 'by region', by: ['region'] },
  { name: 'by hour', by: [], granularity: 'hour' },
  { name: 'by day', by: [], granularity: 'day' },
  { name: 'by campaign and day', by: ['campaign_id'], granularity: 'day' },
  { name: 'by region and hour', by: ['region'], granularity: 'hour' },
  // No rollup keeps slots with regions: DWA's minute cells answer.
  { name: 'by slot and region', by: ['slot_id', 'region'] },
];

/** A slice's key: its period and dimension values. */
const keyOf = (row: Record<string, unknown>, s: (typeof slices)[number]) =>
  JSON.stringify([s.granularity ? row.time : null, ...s.by.map((d) => row[d])]);

/** Exact distinct users and requests per slice, from DWD's request rows. */
async function exact(
  w: DuckDbWarehouse,
  s: (typeof slices)[number],
): Promise<Map<string, { users: number; requests: number }>> {
  const groups = [...(s.granularity ? [`date_trunc('${s.granularity}', event_time) AS time`] : []), ...s.by];
  const rows = await w.query(
    `SELECT ${[...groups, 'count(DISTINCT user_id) AS users', 'count(*) AS requests'].join(', ')}
     FROM dwd_ad_event WHERE event_type = 'request'${groups.length ? ` GROUP BY ALL` : ''}`,
  );
  return new Map(rows.map((r) => [keyOf(r, s), { users: Number(r.users), requests: Number(r.requests) }]));
}

/** Asks every slice of `w` and checks each against DWD; returns the sources that answered. */
async function checkSlices(w: DuckDbWarehouse): Promise<Set<string>> {
  const sources = new Set<string>();
  for (const s of slices) {
    const q: QueryRequest = { metrics: ['requests', 'unique_users'], by: s.by as QueryRequest['by'], limit: 100_000 };
    if (s.granularity) q.granularity = s.granularity;
    const answer = await runQuery(w, q);
    sources.add(answer.source);
    const truth = await exact(w, s);
    assert.ok(truth.size > (s.by.length || s.granularity ? 1 : 0), `${s.name}: ${truth.size} slices`);
    const answered = new Set(answer.rows.map((row) => keyOf(row, s)));
    for (const key of truth.keys()) assert.ok(answered.has(key), `${s.name}: ${key} answered`);
    for (const row of answer.rows) {
      // A slice of follow events only (without their request: no region) has no requests, so no users.
      const t = truth.get(keyOf(row, s)) ?? { users: 0, requests: 0 };
      const users = Number(row.unique_users);
      assert.equal(row.requests, t.requests, `${s.name} ${keyOf(row, s)}: requests`);
      assert.ok(users <= t.requests, `${s.name} ${keyOf(row, s)}: ${users} users for ${t.requests} requests`);
      assert.ok(
        Math.abs(users - t.users) <= 0.02 * t.users,
        `${s.name} ${keyOf(row, s)}: ${users} users estimated, ${t.users} exactly (from ${answer.source})`,
      );
    }
  }
  return sources;
}

test('unique users by campaign, region, hour, day and in total stay within 2% of DWD and never exceed requests', async () => {
  const w = await DuckDbWarehouse.open(db, { readOnly: true });
  try {
    const sources = await checkSlices(w);
    assert.ok(!sources.has('dwd_ad_event'), `answered from APP and DWA, not DWD: ${[...sources]}`);
    assert.ok(sources.has('dwa_ad_minute') && [...sources].some((t) => t.startsWith('app_')), [...sources].join());
  } finally {
    await w.close();
  }
});

test("each DWA cell's sketch is exactly that of its DWD requests, hashed by DuckDB's md5 as by node:crypto", async () => {
  const w = await DuckDbWarehouse.open(db, { readOnly: true });
  try {
    const fromDwd = await w.query(
      `SELECT date_trunc('minute', event_time) AS minute, ${dwaDimensionColumns.join(', ')}, ${sketchUnionSql(`[${userSketchEntrySql('user_id')}]`)} AS u
       FROM dwd_ad_event WHERE event_type = 'request' GROUP BY ALL ORDER BY ALL`,
    );
    assert.ok(fromDwd.length > 1000, `${fromDwd.length} cells with users`);
    assertSameRows(await w.query(dwaSketchesSql), fromDwd, 'DWA sketches');
  } finally {
    await w.close();
  }
});

test('compaction merges the sketches of DWA and APP: the answers stay within the bound', async () => {
  const w = await DuckDbWarehouse.open(db);
  try {
    const before = await w.query('SELECT count(*) AS n FROM dwa_ad_minute');
    const [span] = await w.query(
      'SELECT epoch_ms(min(minute)) AS first, epoch_ms(max(minute)) AS last FROM dwa_ad_minute',
    );
    // As the engine runs housekeeping: every so often, each run compacting what settled since the last.
    const step = 6 * 3_600_000;
    for (let settled = Number(span!.first) + step; settled < Number(span!.last) + step; settled += step)
      await w.maintain(settled, 10_000);
    await w.maintain(Number(span!.last) + 60_000, 10_000);
    const after = await w.query('SELECT count(*) AS n FROM dwa_ad_minute');
    assert.ok(Number(after[0]!.n) < Number(before[0]!.n), 'compaction folded delta rows');
    await checkSlices(w);
  } finally {
    await w.close();
  }
});

test('the estimate never exceeds the requests it counts users of', async () => {
  // 8,200 users, one request each, on 8,200 different registers: linear counting alone would say 8,201.
  const users: string[] = [];
  const registers = new Set<number>();
  for (let i = 0; users.length < 8_200; i++) {
    const register = userSketchEntry(`user-${i}`) >> 6;
    if (registers.has(register)) continue;
    registers.add(register);
    users.push(`user-${i}`);
  }
  const t0 = Date.UTC(2026, 0, 1);
  const records = users.map((u, i) => ({
    type: 'request',
    request_id: `r${i}`,
    ts: t0 + i,
    user_id: u,
    os: 'ios',
    device_type: 'phone',
    region: 'US',
    slot_id: 1,
    filled: false,
  }));
  const dir = scratch();
  try {
    const input = join(dir.dir, 'in.ndjson');
    const file = join(dir.dir, 'w.duckdb');
    writeLines(input, records);
    await runFile(input, file);
    const w = await DuckDbWarehouse.open(file, { readOnly: true });
    try {
      const r = await runQuery(w, { metrics: ['requests', 'unique_users'] });
      assert.deepEqual(r.rows, [{ requests: 8_200, unique_users: 8_200 }]);
      const [raw] = await w.query(
        `SELECT round(${2 ** 25} * ln(${2 ** 25} / (${2 ** 25} - sum(len(user_sketch))))) AS lc FROM dwa_ad_minute`,
      );
      assert.equal(Number(raw!.lc), 8_201, 'unclamped, linear counting says one more');
    } finally {
      await w.close();
    }
  } finally {
    dir.cleanup();
  }
});
