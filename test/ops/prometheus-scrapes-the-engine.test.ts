import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPrometheus, type RunningPrometheus } from '../../src/stack/prometheus.ts';
import { ADW, adwSync, show } from '../support/cli.ts';
import { queryDb, queryRow, scratch } from '../support/pipeline.ts';

const OPS = new URL('../../ops/', import.meta.url).pathname;
const EVENTS = 30_000;
let s: ReturnType<typeof scratch>;
let engine: ChildProcess;
let stderr = '';
let prometheus: RunningPrometheus;
let db: string;
let lines: number;

type Sample = { metric: Record<string, string>; value: [number, string] };

async function promQuery(expr: string): Promise<{ status: string; data?: { result: Sample[] }; error?: string }> {
  const r = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  return (await r.json()) as { status: string; data?: { result: Sample[] }; error?: string };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; engine stderr:\n${stderr}`);
    await sleep(250);
  }
}

before(async () => {
  s = scratch('adw-prometheus-');
  const input = join(s.dir, 'in.ndjson');
  db = join(s.dir, 'w.duckdb');
  const sim = adwSync(s.dir, ['simulate', '--seed', '9', '--events', String(EVENTS), '--out', input]);
  assert.equal(sim.status, 0, show(sim));
  lines = readFileSync(input, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0).length;
  // Without --until-end the engine keeps following the file: a long-running engine to scrape.
  engine = spawn(
    ADW,
    ['run', '--input', input, '--db', db, '--quiet', '--metrics-port', '0', '--reconcile-interval', '1s'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  engine.stderr!.on('data', (d) => (stderr += d));
  const target = await until('the metrics address', async () => /metrics at http:\/\/(\S+)\/metrics/.exec(stderr)?.[1]);
  prometheus = await startPrometheus({
    dir: s.dir,
    targets: [target],
    ruleFiles: [join(OPS, 'prometheus/adw-alerts.yml')],
  });
});

after(async () => {
  await prometheus?.stop();
  if (engine && engine.exitCode === null) {
    engine.kill('SIGKILL');
    await once(engine, 'exit');
  }
  s.cleanup();
});

test('a real Prometheus scrapes the engine and sees every input record counted', async () => {
  await until('all records counted', async () => {
    const r = await promQuery('adw_records_in_total{job="adw"}');
    return Number(r.data?.result[0]?.value[1] ?? -1) === lines ? true : undefined;
  });
  const up = await promQuery('up{job="adw"}');
  assert.equal(up.data?.result[0]?.value[1], '1');
});

test('the series an on-call engineer needs are there', async () => {
  const names = new Set(
    ((await (await fetch(`${prometheus.url}/api/v1/label/__name__/values`)).json()) as { data: string[] }).data,
  );
  for (const name of [
    'adw_records_in_total',
    'adw_records_accepted_total',
    'adw_events_in_total',
    'adw_dead_letters_total',
    'adw_duplicates_dropped_total',
    'adw_late_events_total',
    'adw_join_total',
    'adw_consumer_lag',
    'adw_freshness_seconds_bucket',
    'adw_event_freshness_seconds_bucket',
    'adw_checkpoint_duration_seconds_bucket',
    'adw_checkpoint_failures_total',
    'adw_last_checkpoint_timestamp_seconds',
    'adw_engine_starts_total',
    'adw_state_keys',
    'adw_state_bytes',
    'adw_sink_write_seconds_bucket',
    'adw_sink_batch_rows_bucket',
    'adw_process_cpu_seconds_total',
    'adw_process_resident_memory_bytes',
    'adw_memory_limit_bytes',
    'adw_reconcile_accuracy',
    'adw_spend_total',
  ])
    assert.ok(names.has(name), `${name} is scraped`);
  const join = await promQuery('adw_join_total{result="hit"}');
  const [hits] = join.data!.result;
  assert.ok(hits, 'join hits scraped');
  assert.ok(Number(hits.value[1]) > 0, 'join hits counted');
  const state = await promQuery('adw_state_keys{operator="dedup"}');
  assert.deepEqual(state.data!.result.map((r) => r.metric.tier).sort(), ['disk', 'memory']);
  const accuracy = await until('a scheduled reconciliation', async () => {
    const r = await promQuery('adw_reconcile_accuracy{metric="requests"}');
    return r.data?.result[0]?.value[1];
  });
  assert.equal(accuracy, '1', 'requests reconcile exactly');
});

test('the alert rules load and evaluate without errors against the real series', async () => {
  type Rule = { name: string; health: string; lastError?: string; lastEvaluation: string };
  const rules = await until('every rule evaluated', async () => {
    const body = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: Rule[] }[] };
    };
    const all = body.data.groups.flatMap((g) => g.rules);
    return all.length > 0 && all.every((r) => !r.lastEvaluation.startsWith('0001')) ? all : undefined;
  });
  assert.ok(rules.length >= 9);
  for (const r of rules) assert.equal(r.health, 'ok', `${r.name}: ${r.lastError ?? ''}`);
});

test('every Grafana panel query is valid PromQL over metric names the engine exports', async () => {
  const exported = new Set(
    ((await (await fetch(`${prometheus.url}/api/v1/label/__name__/values`)).json()) as { data: string[] }).data,
  );
  const dir = join(OPS, 'grafana/dashboards');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 2, 'a pipeline and a business dashboard');
  let checked = 0;
  for (const f of files) {
    const dashboard = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
      panels: { title: string; targets: { expr: string }[] }[];
    };
    for (const panel of dashboard.panels) {
      for (const t of panel.targets) {
        const expr = t.expr.replaceAll('$instance', '.*');
        const r = await promQuery(expr);
        assert.equal(r.status, 'success', `${f} "${panel.title}": ${expr}: ${r.error}`);
        for (const name of expr.match(/\badw_[a-z_]+/g) ?? [])
          assert.ok(exported.has(name), `${f} "${panel.title}" uses ${name}, which the engine does not export`);
        checked++;
      }
    }
  }
  assert.ok(checked > 20);
});

// Last: it stops the engine, which holds the warehouse, to compare the scraped counts with what it wrote.
test("the counts Prometheus holds are the warehouse's: records by type as in ODS, dead letters as in the dead-letter table", async () => {
  const byType = await promQuery('adw_events_in_total{job="adw"}');
  const promCounts = Object.fromEntries(byType.data!.result.map((x) => [x.metric.type, Number(x.value[1])]));
  const dead = await promQuery('sum(adw_dead_letters_total{job="adw"})');
  engine.kill('SIGINT');
  await once(engine, 'exit');
  const ods = await queryDb(db, 'SELECT event_type, count(*)::BIGINT AS n FROM ods_ad_event GROUP BY event_type');
  assert.ok(ods.length >= 4);
  for (const row of ods)
    assert.equal(promCounts[row.event_type as string], Number(row.n), `${row.event_type} in Prometheus and in ODS`);
  const dl = await queryRow(db, 'SELECT count(*)::BIGINT AS n FROM ods_dead_letter');
  const [deadSum] = dead.data!.result;
  assert.ok(deadSum, 'dead letters scraped');
  assert.ok(Number(dl.n) > 0);
  assert.equal(Number(deadSum.value[1]), Number(dl.n));
});
