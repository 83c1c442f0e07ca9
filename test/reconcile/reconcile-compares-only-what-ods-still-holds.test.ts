import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import { ReconcileMetrics } from '../../src/metrics/reconcile-metrics.ts';
import { METRIC_PREFIX } from '../../src/http/metrics-registry.ts';
import { type Agreement, type ReconcileReport, reconcile } from '../../src/reconcile/accuracy.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { adwJson, adwSync, show } from '../support/cli.ts';
import { filledRequest } from '../support/records.ts';
import { copyWarehouse, queryRow, runFile, scratch, writeLines } from '../support/pipeline.ts';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);
let s: ReturnType<typeof scratch>;
let db: string;
let report: ReconcileReport;

/** Reconciles a warehouse file in-process, read-only. */
async function reconcileFile(path: string): Promise<ReconcileReport> {
  const w = await DuckDbWarehouse.open(path, { readOnly: true });
  try {
    return await reconcile(w, { dimensions: ['campaign_id'] });
  } finally {
    await w.close();
  }
}

/** Runs statements on a warehouse file (test surgery on what the engine wrote). */
async function change(path: string, ...sql: string[]): Promise<void> {
  const w = await DuckDbWarehouse.open(path);
  try {
    for (const q of sql) await w.query(q);
  } finally {
    await w.close();
  }
}

/**
 * Adds, at every midnight of the traffic, a request ten minutes before it and its click ten minutes after, each
 * where its event time falls in the stream: whichever day retention cuts at, a click follows it whose request is
 * gone from ODS.
 */
function withClicksAcrossMidnight(input: string): void {
  const lines = readFileSync(input, 'utf8').trimEnd().split('\n');
  const template = JSON.parse(lines.find((l) => l.includes('"filled":true'))!) as object;
  const eventTime = (line: string) => {
    try {
      return (JSON.parse(line) as { ts?: unknown }).ts;
    } catch {
      return undefined; // a malformed line of the simulation
    }
  };
  for (let d = 1; d <= 5; d++) {
    const id = `midnight-${d}`;
    const midnight = START + d * DAY;
    const request = { ...template, request_id: id, ts: midnight - 600_000 };
    const click = { type: 'click', event_id: `${id}-c`, request_id: id, ts: midnight + 600_000 };
    for (const r of [request, click]) {
      const at = lines.findIndex((l) => {
        const ts = eventTime(l);
        return typeof ts === 'number' && ts > r.ts;
      });
      lines.splice(at < 0 ? lines.length : at, 0, JSON.stringify(r));
    }
  }
  writeFileSync(input, `${lines.join('\n')}\n`);
}

/** One metric's agreement in a report. */
function metric(r: ReconcileReport, name: string): Agreement {
  const a = r.metrics[name];
  assert.ok(a, `${name} is reconciled`);
  return a;
}

const count = async (path: string, sql: string) => Number((await queryRow(path, sql)).n);

before(async () => {
  s = scratch('adw-reconcile-retention-');
  const input = join(s.dir, 'in.ndjson');
  db = join(s.dir, 'w.duckdb');
  // Five days of traffic; a join window longer than any click delay (at most a day) makes the real-time DWA the
  // offline truth. Housekeeping after every checkpoint, with one day of ODS kept, drops the older days on the way.
  await writeSimulation({ seed: 11, events: 40_000, spanMs: 5 * DAY, startMs: START }, input);
  withClicksAcrossMidnight(input);
  await runFile(input, db, {
    joinWindowMs: 2 * DAY,
    odsRetentionDays: 1,
    checkpointIntervalMs: 0,
    maintenanceIntervalMs: 0,
    batchSize: 2000,
  });
  report = await reconcileFile(db);
});

after(() => s.cleanup());

test('retention dropped days DWA still holds, and only the days ODS still holds are compared: 100% everywhere', async () => {
  const odsFirstDay = (await queryRow(db, 'SELECT min(day)::TIMESTAMP AS d FROM ods_ad_event')).d;
  const dwaFirstMinute = (await queryRow(db, 'SELECT min(minute) AS m FROM dwa_ad_minute')).m;
  assert.ok(String(dwaFirstMinute) < String(odsFirstDay), `DWA from ${dwaFirstMinute}, ODS from ${odsFirstDay}`);
  assert.equal(report.period.from, odsFirstDay, 'compared from the first day ODS still holds');
  const last = (await queryRow(db, 'SELECT (max(minute) + INTERVAL 1 MINUTE) AS m FROM dwa_ad_minute')).m;
  assert.equal(report.period.to, last, 'up to the end of the newest minute');

  for (const [metric, a] of Object.entries(report.metrics)) assert.equal(a.accuracy, 1, `${metric}: ${a.accuracy}`);
  const from = String(report.period.from);
  const inPeriod = await count(db, `SELECT sum(requests) AS n FROM dwa_ad_minute WHERE minute >= '${from}'`);
  const all = await count(db, 'SELECT sum(requests) AS n FROM dwa_ad_minute');
  assert.equal(metric(report, 'requests').realtime, inPeriod, 'real-time totals of the compared period only');
  assert.ok(inPeriod < all, 'the older requests are left out');
  assert.ok(metric(report, 'clicks').offline > 0);
  // Clicks just after the cut-off whose request came before it: ODS lost the request, the comparison still joins it.
  const crossing = await count(
    db,
    `SELECT count(*) AS n FROM dwd_ad_event WHERE join_status = 'matched' AND event_time >= '${from}' AND event_time - to_milliseconds(join_delay_ms) < '${from}'`,
  );
  assert.ok(crossing > 0, 'some follow events in the period belong to requests before it');
});

test('the scheduled reconciliation applies the same rule: every accuracy gauge at 1, so no alert fires', async () => {
  const registry = new Registry();
  const w = await DuckDbWarehouse.open(db, { readOnly: true });
  try {
    await new ReconcileMetrics(registry, w).runOnce();
  } finally {
    await w.close();
  }
  const gauge = await registry.getSingleMetric(`${METRIC_PREFIX}reconcile_accuracy`)?.get();
  const values = Object.fromEntries((gauge?.values ?? []).map((v) => [v.labels.metric, v.value]));
  assert.deepEqual(Object.keys(values).sort(), Object.keys(report.metrics).sort());
  for (const [m, v] of Object.entries(values)) assert.equal(v, 1, m);
});

test('a real-time row missing inside the compared period lowers accuracy; one before it changes nothing', async () => {
  const from = String(report.period.from);
  const cell = (where: string) =>
    `SELECT minute, campaign_id FROM dwa_ad_minute WHERE ${where} GROUP BY ALL HAVING sum(requests) > 0 ORDER BY ALL LIMIT 1`;
  const outside = await queryRow(db, cell(`minute < '${from}'`));
  const inside = await queryRow(db, cell(`minute >= '${from}' AND campaign_id IS NOT NULL`));
  const remove = (c: Record<string, unknown>) =>
    `DELETE FROM dwa_ad_minute WHERE minute = '${c.minute}' AND campaign_id = ${c.campaign_id}`;

  const before = join(s.dir, 'before.duckdb');
  copyWarehouse(db, before);
  await change(before, remove(outside));
  assert.deepEqual(await reconcileFile(before), report, 'a row before the period is not compared');

  const inPeriod = join(s.dir, 'in-period.duckdb');
  copyWarehouse(db, inPeriod);
  const lost = await count(
    db,
    `SELECT sum(requests) AS n FROM dwa_ad_minute WHERE minute = '${inside.minute}' AND campaign_id = ${inside.campaign_id}`,
  );
  await change(inPeriod, remove(inside));
  const missing = await reconcileFile(inPeriod);
  assert.equal(metric(missing, 'requests').realtime, metric(report, 'requests').realtime - lost);
  assert.equal(metric(missing, 'requests').offline, metric(report, 'requests').offline);
  assert.ok(metric(missing, 'requests').accuracy < 1, `requests: ${metric(missing, 'requests').accuracy}`);
  const slice = missing.slices.campaign_id?.find((x) => x.value === inside.campaign_id);
  assert.ok(slice && slice.metrics.requests!.accuracy < 1, 'and so does its campaign');
});

test('a record arriving for a dropped day is processed, but ODS does not show that day again', async () => {
  const late = join(s.dir, 'late.duckdb');
  copyWarehouse(db, late);
  const input = join(s.dir, 'late.ndjson');
  writeLines(input, [{ ...filledRequest, request_id: 'late-1', ts: START + 3_600_000 }]);
  await runFile(input, late);
  const kept = await queryRow(
    late,
    "SELECT (SELECT count(*) FROM dwd_ad_event WHERE request_id = 'late-1')::INT AS dwd, (SELECT count(*) FROM ods_ad_event WHERE event_id = 'late-1')::INT AS ods, (SELECT min(day)::TIMESTAMP FROM ods_ad_event) AS first_day",
  );
  assert.equal(kept.dwd, 1, 'the late request is in DWD');
  assert.equal(kept.ods, 0, 'ODS leaves out the days retention dropped, even for rows that came after');
  assert.ok(String(kept.first_day) >= String(report.period.from), `ODS starts at ${kept.first_day}`);
  const again = await reconcileFile(late);
  assert.deepEqual(again, report);
});

test('a warehouse written before the cut-off was recorded is compared from the first day ODS holds', async () => {
  const older = join(s.dir, 'older.duckdb');
  copyWarehouse(db, older);
  // As such a file was: ODS a table holding what retention left of it, and no record of the cut-off.
  await change(
    older,
    'CREATE TABLE ods_rows AS SELECT * FROM ods_ad_event',
    'DROP VIEW ods_ad_event',
    'ALTER TABLE ods_rows RENAME TO ods_ad_event',
    'DROP TABLE ods_segment',
    'DROP TABLE adw_ods_coverage',
  );
  assert.deepEqual(await reconcileFile(older), report);
});

test('adw reconcile names the compared period, in its table and in --json', () => {
  const json = adwJson(s.dir, ['reconcile', '--db', db, '--json', '--by', 'campaign_id']) as unknown as ReconcileReport;
  assert.deepEqual(json.period, report.period);
  assert.deepEqual(json.metrics, report.metrics);
  const text = adwSync(s.dir, ['reconcile', '--db', db, '--by', 'campaign_id']);
  assert.equal(text.status, 0, show(text));
  assert.match(text.stdout, new RegExp(`^compared ${report.period.from} to ${report.period.to}: `, 'm'));
});
