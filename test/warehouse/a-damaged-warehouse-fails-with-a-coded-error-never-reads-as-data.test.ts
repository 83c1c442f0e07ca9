import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { unreadable } from '../../src/warehouse/duckdb/failures.ts';
import { SegmentLog } from '../../src/warehouse/duckdb/segments.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { adwSync, show } from '../support/cli.ts';
import { copyWarehouse, queryDb, queryRow, runFile, scratch } from '../support/pipeline.ts';

const tmp = scratch();
after(tmp.cleanup);
/** A warehouse with a few segments per layer, made once; tests damage copies. */
const made = join(tmp.dir, 'made.duckdb');
before(async () => {
  const input = join(tmp.dir, 'in.ndjson');
  await writeSimulation({ seed: 3, events: 3_000 }, input);
  await runFile(input, made, { batchSize: 1_000, checkpointIntervalMs: 0 });
});

let copies = 0;
/** A copy of the made warehouse and the path of its largest segment in `folder` (.ods or .dwd). */
function copyWithSegment(folder: '.ods' | '.dwd'): { db: string; segment: string } {
  const db = join(tmp.dir, `copy-${++copies}.duckdb`);
  copyWarehouse(made, db);
  const files = readdirSync(`${db}${folder}`).map((f) => join(`${db}${folder}`, f));
  const segment = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
  return { db, segment };
}

const LAYER_SQL = {
  '.ods': 'SELECT * FROM ods_ad_event ORDER BY source, seq',
  '.dwd': 'SELECT * FROM dwd_ad_event_joined ORDER BY event_id, event_type',
} as const;

test('a segment cut short is refused when the warehouse opens, even where every row left would still read', async () => {
  for (const folder of ['.ods', '.dwd'] as const) {
    // Four bytes: only the checksum of the last frame, so DuckDB alone would read every row and not notice.
    const { db, segment } = copyWithSegment(folder);
    truncateSync(segment, statSync(segment).size - 4);
    for (const readOnly of [true, false])
      await assert.rejects(DuckDbWarehouse.open(db, { readOnly }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'ADW_ERR_DB_UNREADABLE', e.message);
        assert.match(e.message, /segment file\(s\) in .* damaged/);
        assert.ok(e.message.includes(segment.split('/').pop()!), e.message);
        assert.match(e.message, /restore the warehouse/);
        return true;
      });
    const r = adwSync(tmp.dir, ['reconcile', '--db', db]);
    assert.equal(r.status, 2, show(r));
    assert.match(r.stderr, /^adw: cannot open warehouse .* damaged .*\[ADW_ERR_DB_UNREADABLE\]\n$/, show(r));
  }
});

test('a segment with a flipped bit anywhere fails its read with a coded error, never reads as other rows', async () => {
  for (const folder of ['.ods', '.dwd'] as const) {
    const { db, segment } = copyWithSegment(folder);
    const original = readFileSync(segment);
    const w = await DuckDbWarehouse.open(db, { readOnly: true });
    try {
      const intact = await w.query(LAYER_SQL[folder]);
      assert.ok(intact.length > 1000, `${intact.length} rows`);
      // Thirty places across the file, frame headers and checksums among them.
      for (let k = 0; k < 30; k++) {
        const at = Math.floor(((original.length - 1) * k) / 29);
        const damaged = Buffer.from(original);
        damaged[at]! ^= 0x08;
        writeFileSync(segment, damaged);
        await assert.rejects(
          w.query(LAYER_SQL[folder]),
          (e: Error & { code?: string }) => {
            assert.equal(e.code, 'ADW_ERR_WAREHOUSE_DAMAGED', `byte ${at} of ${original.length}: ${e.message}`);
            assert.match(e.message, /^the warehouse's files cannot be read back \(.+\): restore the warehouse/);
            assert.doesNotMatch(e.message, /\n/);
            return true;
          },
          `byte ${at} of ${original.length} of ${folder}`,
        );
      }
      writeFileSync(segment, original);
      assert.deepEqual(await w.query(LAYER_SQL[folder]), intact, 'restored, it reads as before');
      // Deleted while the warehouse is open (opening checks that every segment is there).
      rmSync(segment);
      await assert.rejects(w.query(LAYER_SQL[folder]), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'ADW_ERR_WAREHOUSE_DAMAGED', e.message);
        return true;
      });
    } finally {
      await w.close();
    }
  }
});

test('on the command line a damaged segment is one coded line, not an internal error', () => {
  const { db, segment } = copyWithSegment('.ods');
  const damaged = readFileSync(segment);
  damaged[damaged.length >> 1]! ^= 0x08;
  writeFileSync(segment, damaged);
  const r = adwSync(tmp.dir, ['reconcile', '--db', db]);
  assert.equal(r.status, 1, show(r));
  assert.match(
    r.stderr,
    /^adw: the warehouse's files cannot be read back \(.+\): .*\[ADW_ERR_WAREHOUSE_DAMAGED\]\n$/,
    show(r),
  );
});

test('only a file’s damage is reported as such: a full disk or a lack of memory is not, and no folder is named', () => {
  for (const other of [
    'IO Error: Could not write file "/tmp/duckdb_temp_storage-0.tmp": No space left on device',
    'Out of Memory Error: failed to allocate data of size 4.0 MiB (256.0 MiB/256.0 MiB used)',
    'Binder Error: Referenced column "x" not found',
  ])
    assert.equal(unreadable(new Error(other)), null, other);
  const csv = unreadable(
    new Error(
      'Invalid Input Error: CSV Error on Line: 12\nOriginal Line: x\n\n  file = /srv/secret/w.duckdb.ods/ab-1.csv.zst\n',
    ),
  );
  assert.equal(csv?.code, 'ADW_ERR_WAREHOUSE_DAMAGED');
  assert.match(csv!.message, /\(Invalid Input Error: CSV Error on Line: 12, in ab-1\.csv\.zst\)/);
  assert.doesNotMatch(csv!.message, /secret/);
});

test('adw check reads every segment through: a whole warehouse passes, a damaged segment is named, exit 1', async () => {
  const { db, segment } = copyWithSegment('.dwd');
  const whole = adwSync(tmp.dir, ['check', '--db', db, '--json']);
  assert.equal(whole.status, 0, show(whole));
  const report = JSON.parse(whole.stdout) as {
    file: { tables: number; rows: number; damaged: number };
    logs: { log: string; segments: number; rows: number; damaged: number }[];
    damaged: unknown[];
  };
  const tables = await queryRow(db, "SELECT count(*)::INT AS n FROM duckdb_tables() WHERE database_name = 'adw'");
  assert.equal(report.file.tables, tables.n);
  assert.ok(report.file.rows > 0);
  assert.equal(report.file.damaged, 0);
  const ods = await queryRow(db, 'SELECT count(*)::INT AS n FROM ods_ad_event');
  const dwd = await queryRow(db, 'SELECT sum(rows)::INT AS n FROM dwd_segment');
  assert.deepEqual(
    { logs: report.logs, damaged: report.damaged },
    {
      logs: [
        { log: 'ODS', segments: readdirSync(`${db}.ods`).length, rows: ods.n, damaged: 0 },
        { log: 'DWD', segments: readdirSync(`${db}.dwd`).length, rows: dwd.n, damaged: 0 },
      ],
      damaged: [],
    },
  );
  const text = adwSync(tmp.dir, ['check', '--db', db]);
  assert.equal(text.status, 0, show(text));
  assert.equal(
    text.stdout,
    `file: ${report.file.tables} tables, ${report.file.rows} rows: all read back\nODS: ${report.logs[0]!.segments} segment file(s), ${ods.n} rows: all read back\nDWD: ${report.logs[1]!.segments} segment file(s), ${dwd.n} rows: all read back\n`,
  );

  const damaged = readFileSync(segment);
  damaged[damaged.length >> 1]! ^= 0x08;
  writeFileSync(segment, damaged);
  const r = adwSync(tmp.dir, ['check', '--db', db, '--json']);
  assert.equal(r.status, 1, show(r));
  const file = basename(segment);
  const found = (
    JSON.parse(r.stdout) as { damaged: { log: string; file: string; read: number | null; problem: string }[] }
  ).damaged;
  assert.deepEqual(
    found.map((d) => [d.log, d.file, d.read]),
    [['DWD', file, null]],
  );
  assert.match(found[0]!.problem, /^IO Error: /);
  assert.match(
    r.stderr,
    new RegExp(
      `^adw: the warehouse's files cannot be read back \\(1 damaged, first DWD segment ${file.replaceAll('.', '\\.')}\\): .*\\[ADW_ERR_WAREHOUSE_DAMAGED\\]\\n$`,
    ),
    show(r),
  );
});

test('a segment that reads back with other rows than its checkpoint wrote is damaged too', async () => {
  const log = SegmentLog.ods(made);
  log.load(await queryDb(made, 'SELECT * FROM ods_segment'), made);
  const checks = await log.check(async () => 7);
  assert.ok(checks.length > 1);
  for (const c of checks) {
    assert.equal(c.read, 7);
    assert.equal(c.problem, `7 rows read back where ${c.rows} were written`);
  }
  const whole = await log.check(
    async (sql) => (await queryRow(made, sql.replace('count(*)', 'count(*)::INT AS n'))).n as number,
  );
  assert.deepEqual(
    whole.map((c) => c.problem),
    whole.map(() => null),
  );
  assert.deepEqual(
    whole.map((c) => c.read),
    whole.map((c) => c.rows),
  );
});

/** A copy of the made warehouse with one bit of its DuckDB file flipped at `at`. */
function copyWithFileBitFlipped(at: number): string {
  const db = join(tmp.dir, `copy-${++copies}.duckdb`);
  copyWarehouse(made, db);
  const bytes = readFileSync(db);
  bytes[at]! ^= 0x08;
  writeFileSync(db, bytes);
  return db;
}

test('a warehouse file whose header fails its checksum, or cut short, is refused as damaged, not as locked or unwritable', async () => {
  // The second of DuckDB's database headers, whose checksum error names "block at location 4096".
  const db = copyWithFileBitFlipped(5000);
  for (const readOnly of [true, false])
    await assert.rejects(DuckDbWarehouse.open(db, { readOnly }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ADW_ERR_DB_UNREADABLE', e.message);
      assert.match(e.message, /Corrupt database file: .*; restore the warehouse/);
      return true;
    });
  // Cut short: damaged too, whether opened to read or to write (not "a write failed").
  const short = join(tmp.dir, `copy-${++copies}.duckdb`);
  copyWarehouse(made, short);
  truncateSync(short, Math.floor(statSync(short).size / 2));
  for (const readOnly of [true, false])
    await assert.rejects(DuckDbWarehouse.open(short, { readOnly }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ADW_ERR_DB_UNREADABLE', e.message);
      assert.match(e.message, /Could not read enough bytes .*; restore the warehouse/);
      return true;
    });
  // While another process holds the file, that is what is said.
  const held = join(tmp.dir, `copy-${++copies}.duckdb`);
  copyWarehouse(made, held);
  const w = await DuckDbWarehouse.open(held);
  try {
    const r = adwSync(tmp.dir, ['query', '--db', held, '--metrics', 'requests']);
    assert.equal(r.status, 2, show(r));
    assert.match(r.stderr, /^adw: database .* is in use by another process \[ADW_ERR_DB_LOCKED\]\n$/);
  } finally {
    await w.close();
  }
});

test('a block of the warehouse file that fails its checksum is found by adw check and fails reads with a coded error', async () => {
  const BLOCK = 262_144;
  const size = statSync(made).size;
  let found = 0;
  // Past the three 4 KiB headers, a bit in the middle of each block: some hold a table's rows.
  for (let at = 12_288 + BLOCK / 2; at < size; at += BLOCK) {
    const db = copyWithFileBitFlipped(at);
    // A block of the file's own metadata, or of a table it reads as it opens: refused there, with a coded error.
    const w = await DuckDbWarehouse.open(db, { readOnly: true }).catch((e: Error & { code?: string }) => {
      assert.ok(['ADW_ERR_DB_UNREADABLE', 'ADW_ERR_WAREHOUSE_DAMAGED'].includes(e.code ?? ''), e.message);
      assert.match(e.message, /Corrupt database file: .*restore the warehouse/);
      return null;
    });
    if (!w) continue;
    try {
      const { tables } = await w.check();
      const bad = tables.filter((t) => t.problem !== null);
      if (bad.length === 0) continue;
      found++;
      for (const t of bad) assert.match(t.problem!, /^IO Error: Corrupt database file: computed checksum/, t.table);
      await assert.rejects(
        w.query(`SELECT sum(hash(t)) FROM ${bad[0]!.table} AS t`),
        (e: Error & { code?: string }) => {
          assert.equal(e.code, 'ADW_ERR_WAREHOUSE_DAMAGED', e.message);
          return true;
        },
      );
      const r = adwSync(tmp.dir, ['check', '--db', db]);
      assert.equal(r.status, 1, show(r));
      assert.match(r.stdout, new RegExp(`^damaged: table ${bad[0]!.table}: IO Error: Corrupt database file`, 'm'));
    } finally {
      await w.close();
    }
  }
  assert.ok(found > 0, 'no block of the file held rows');
});
