import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { appDatasets } from '../../src/layers/app.ts';
import { dimTables } from '../../src/layers/dim.ts';
import { dwaAdMinute, userSketchColumn } from '../../src/layers/dwa.ts';
import { dwdAdEventJoined } from '../../src/layers/dwd.ts';
import { odsTables } from '../../src/layers/ods.ts';
import type { TableDef } from '../../src/layers/table.ts';
import { starRocksDatabase } from '../../src/warehouse/starrocks/ddl.ts';
import { adwSync, show } from '../support/cli.ts';
import { scratch } from '../support/pipeline.ts';

const tmp = scratch('adw-starrocks-ddl-');
after(() => tmp.cleanup());

interface Created {
  columns: string[];
  notNull: string[];
  type: string;
  key: string[];
  body: string;
}

/** The tables and materialized views of a DDL script, by name. */
function parse(ddl: string, db: string): { tables: Map<string, Created>; views: Map<string, string> } {
  const tables = new Map<string, Created>();
  const views = new Map<string, string>();
  for (const s of ddl.split(/;\n/)) {
    const table = new RegExp(
      `CREATE TABLE IF NOT EXISTS \`${db}\`\\.\`(\\w+)\` \\(\\n([\\s\\S]*?)\\n\\)\\n(\\w+) KEY \\(([^)]*)\\)`,
    ).exec(s);
    if (table) {
      const lines = table[2]!.split(',\n').map((l) => l.trim());
      tables.set(table[1]!, {
        columns: lines.map((l) => /^`(\w+)`/.exec(l)![1]!),
        notNull: lines.filter((l) => / NOT NULL/.test(l)).map((l) => /^`(\w+)`/.exec(l)![1]!),
        type: table[3]!,
        key: table[4]!.split(', ').map((k) => k.replaceAll('`', '')),
        body: s,
      });
    }
    const view = new RegExp(`CREATE MATERIALIZED VIEW IF NOT EXISTS \`${db}\`\\.\`(\\w+)\``).exec(s);
    if (view) views.set(view[1]!, s);
  }
  return { tables, views };
}

/** A table's columns as StarRocks must order them: its key's first, then the rest in layer order. */
const keyFirst = (t: TableDef, key: string[]) => [
  ...key,
  ...t.columns.map((c) => c.name).filter((c) => !key.includes(c)),
];

test('adw starrocks ddl declares every layer column, the stated keys and every APP view', () => {
  const r = adwSync(tmp.dir, ['starrocks', 'ddl', '--db', 'adw_test']);
  assert.equal(r.status, 0, show(r));
  assert.match(r.stdout, /^CREATE DATABASE IF NOT EXISTS `adw_test`;/);
  const { tables, views } = parse(r.stdout, 'adw_test');

  const expected: [TableDef, string, string, string[]][] = [
    ...odsTables.map((t): [TableDef, string, string, string[]] => [t, t.name, 'DUPLICATE', [t.columns[0]!.name]]),
    ...dimTables.map((t): [TableDef, string, string, string[]] => [t, t.name, 'PRIMARY', [...t.key]]),
    [dwdAdEventJoined, 'dwd_ad_event', 'PRIMARY', ['event_id', 'event_type', 'event_time']],
    [
      // The user sketch stays out: the Flink job that loads StarRocks does not compute it.
      { ...dwaAdMinute, columns: dwaAdMinute.columns.filter((c) => c !== userSketchColumn) },
      'dwa_ad_minute',
      'PRIMARY',
      ['minute', 'advertiser_id', 'campaign_id', 'ad_id', 'slot_id', 'os', 'device_type', 'region'],
    ],
  ];
  assert.deepEqual([...tables.keys()].sort(), expected.map(([, name]) => name).sort());
  for (const [def, name, type, key] of expected) {
    const t = tables.get(name)!;
    assert.equal(t.type, type, name);
    assert.deepEqual(t.key, key, name);
    assert.deepEqual(t.columns, keyFirst(def, key), `${name}: every layer column, key first`);
    assert.deepEqual(t.notNull, type === 'PRIMARY' ? key : [], `${name}: primary key columns are NOT NULL`);
  }
  for (const name of ['ods_ad_event', 'dwd_ad_event'])
    assert.match(tables.get(name)!.body, /"partition_live_number" = "30"/, `${name} keeps 30 days`);
  assert.match(tables.get('dwa_ad_minute')!.body, /PARTITION BY date_trunc\('day', `minute`\)/);
  assert.doesNotMatch(r.stdout, /adw_checkpoint/);

  assert.equal(views.size, appDatasets.length);
  for (const d of appDatasets) {
    const v = views.get(d.table.name);
    assert.ok(v, `${d.table.name} is a materialized view`);
    assert.match(v, /REFRESH ASYNC EVERY \(INTERVAL 1 MINUTE\)/);
    assert.match(v, /FROM `adw_test`\.`dwa_ad_minute`/);
    const select = /AS SELECT (.*)\n/.exec(v)![1]!;
    const names = [...select.matchAll(/(?:AS )?`(\w+)`(?:, |$)/g)].map((m) => m[1]);
    assert.deepEqual(
      names,
      d.table.columns.filter((c) => c !== userSketchColumn).map((c) => c.name),
      `${d.table.name}: the APP table's columns in order, but the user sketch`,
    );
    assert.match(
      v,
      new RegExp(`GROUP BY date_trunc\\('${d.grain}', \`minute\`\\)${d.by.map((b) => `, \`${b}\``).join('')}$`),
    );
  }
});

test('a hostile database name is refused with one coded line, and nothing is printed', () => {
  const hostile = ['adw`; DROP DATABASE adw; --', 'a;b', 'adw db', '9adw', ''];
  // Every name against the check both commands use, in this process (each CLI start costs a second)...
  for (const db of hostile)
    assert.throws(() => starRocksDatabase(db, '--db'), { code: 'ADW_ERR_BAD_OPTION' }, JSON.stringify(db));
  assert.equal(starRocksDatabase('adw_test', '--db'), 'adw_test');
  // ...and the worst of them through each command, as a user types it.
  for (const args of [
    ['starrocks', 'ddl', '--db', hostile[0]!],
    ['flink', 'sql', '--sink', 'starrocks', '--starrocks-db', hostile[0]!],
  ]) {
    const r = adwSync(tmp.dir, args);
    assert.equal(r.status, 2, show(r));
    assert.equal(r.stdout, '', show(r));
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, show(r));
    assert.match(lines[0]!, /^adw: option --(db|starrocks-db): .* \[ADW_ERR_BAD_OPTION\]$/, show(r));
  }
});

test('adw flink sql --sink starrocks takes the password from the environment and declares the tables’ keys', () => {
  const r = adwSync(tmp.dir, ['flink', 'sql', '--sink', 'starrocks', '--starrocks-db', 'adw_test'], 60_000);
  assert.equal(r.status, 0, show(r));
  assert.match(r.stdout, /'password' = ''/);
  assert.match(r.stdout, /PRIMARY KEY \(`event_id`, `event_type`, `event_time`\) NOT ENFORCED/);
  process.env.ADW_STARROCKS_PASSWORD = "it's secret";
  try {
    const env = adwSync(tmp.dir, ['flink', 'sql', '--sink', 'starrocks']);
    assert.match(env.stdout, /'password' = 'it''s secret'/, show(env));
  } finally {
    delete process.env.ADW_STARROCKS_PASSWORD;
  }
});
