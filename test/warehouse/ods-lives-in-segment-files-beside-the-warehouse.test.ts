import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { zstdCompressSync } from 'node:zlib';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { copyWarehouse, queryDb, queryRow, runFile, scratch } from '../support/pipeline.ts';

const DAY = 86_400_000;
const tmp = scratch();
after(tmp.cleanup);
const input = join(tmp.dir, 'in.ndjson');
/** A warehouse with a segment per batch of 500 records, made once; tests work on copies. */
const made = join(tmp.dir, 'made.duckdb');
before(async () => {
  await writeSimulation({ seed: 7, events: 6_000, spanMs: 2 * DAY }, input);
  await runFile(input, made, { batchSize: 500, checkpointIntervalMs: 0 });
});

/** Every ODS row, in a stable order. */
async function odsRows(db: string): Promise<string[]> {
  return (await queryDb(db, 'SELECT * FROM ods_ad_event ORDER BY source, seq')).map((r) => JSON.stringify(r));
}
const segmentFiles = (db: string) => readdirSync(`${db}.ods`).sort();
function copyOfMade(name: string): string {
  const db = join(tmp.dir, name);
  copyWarehouse(made, db);
  return db;
}

test('ODS events are kept as received in compressed segment files beside the warehouse file', async () => {
  const files = segmentFiles(made);
  assert.ok(files.length >= 10, `a segment per checkpoint: ${files.length}`);
  assert.ok(
    files.every((f) => f.endsWith('.csv.zst')),
    files.join(' '),
  );
  const counts = await queryRow(
    made,
    `SELECT (SELECT count(*) FROM ods_ad_event)::INT AS ods, (SELECT count(*) FROM ods_dim_change)::INT AS dims,
            (SELECT sum(rows) FROM ods_segment)::INT AS manifest, (SELECT accepted FROM adw_checkpoint)::INT AS accepted`,
  );
  assert.equal(Number(counts.ods) + Number(counts.dims), counts.accepted, 'every accepted record is in ODS');
  assert.equal(counts.manifest, counts.ods, 'the manifest counts what the files hold');
  // Each row's payload is a line of the input, byte for byte, at the offset its seq names.
  const text = readFileSync(input);
  for (const r of await queryDb(made, 'SELECT seq, raw, event_type, event_id FROM ods_ad_event USING SAMPLE 200')) {
    const seq = Number(r.seq);
    assert.equal(text.subarray(seq, seq + Buffer.byteLength(String(r.raw))).toString(), r.raw);
    assert.equal(JSON.parse(String(r.raw)).type, r.event_type);
  }
});

test('a segment no checkpoint committed is never read, and opening for writing deletes it', async () => {
  const db = copyOfMade('stray.duckdb');
  const rows = await odsRows(db);
  // What a crash between writing a checkpoint's segment and committing it leaves: a well-formed file.
  const stray = join(`${db}.ods`, 'stray-1.csv.zst');
  writeFileSync(stray, zstdCompressSync(Buffer.from('1\x01click\x01never-committed\x011767225600000\x01{}\n')));
  assert.deepEqual(await odsRows(db), rows, 'read-only, the stray file is not read');
  const w = await DuckDbWarehouse.open(db);
  await w.close();
  assert.ok(!segmentFiles(db).includes('stray-1.csv.zst'), 'deleted on open');
  assert.deepEqual(await odsRows(db), rows);
});

test('housekeeping merges small segments and drops expired ones; ODS reads the same until retention cuts', async () => {
  const db = copyOfMade('merged.duckdb');
  const rows = await odsRows(db);
  const before = segmentFiles(db);
  const maxMs = Number((await queryRow(db, 'SELECT max_event_ms AS n FROM adw_checkpoint')).n);
  const w = await DuckDbWarehouse.open(db);
  await w.maintain(maxMs, 3650);
  await w.close();
  const after = segmentFiles(db);
  assert.equal(after.length, 1, `${before.length} small segments merged into one: ${after.join(' ')}`);
  assert.deepEqual(await odsRows(db), rows, 'the same rows');

  // A day later than every event with a retention of one day: every row is before the cut-off.
  const again = await DuckDbWarehouse.open(db);
  await again.maintain(maxMs + 2 * DAY, 1);
  assert.equal((await again.query('SELECT count(*)::INT AS n FROM ods_ad_event'))[0]!.n, 0);
  await again.close();
  assert.deepEqual(segmentFiles(db), [], 'the expired segment is deleted');
  assert.equal(
    (await queryRow(db, 'SELECT count(*)::INT AS n FROM dwd_ad_event')).n,
    (await queryRow(made, 'SELECT count(*)::INT AS n FROM dwd_ad_event')).n,
    'DWD keeps its rows',
  );
});

test('a warehouse moved with its folder reads its own segments; without the folder it refuses with a coded line', async () => {
  const rows = await odsRows(made);
  const moved = copyOfMade('moved.duckdb');
  const original = copyOfMade('original.duckdb');
  copyWarehouse(original, join(tmp.dir, 'moved-twice.duckdb'));
  rmSync(`${original}.ods`, { recursive: true });
  assert.deepEqual(await odsRows(moved), rows, 'read-only, from its own folder');
  assert.deepEqual(await odsRows(join(tmp.dir, 'moved-twice.duckdb')), rows, 'after the original folder is gone');
  const w = await DuckDbWarehouse.open(moved);
  assert.equal((await w.query('SELECT count(*)::INT AS n FROM ods_ad_event'))[0]!.n, rows.length, 'and for writing');
  await w.close();

  const alone = join(tmp.dir, 'alone.duckdb');
  cpSync(made, alone);
  for (const readOnly of [true, false])
    await assert.rejects(DuckDbWarehouse.open(alone, { readOnly }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ADW_ERR_DB_UNREADABLE');
      assert.match(e.message, /alone\.duckdb\.ods/);
      return true;
    });
});

test('an older warehouse file with ODS as a table keeps every row: opening it for writing moves them to a segment', async () => {
  const rows = await odsRows(made);
  const db = copyOfMade('older.duckdb');
  // As files were before segments: ODS a table in the file.
  const w = await DuckDbWarehouse.open(db);
  for (const sql of [
    'CREATE TABLE ods_rows AS SELECT * FROM ods_ad_event',
    'DROP VIEW ods_ad_event',
    'ALTER TABLE ods_rows RENAME TO ods_ad_event',
    'DROP TABLE ods_segment',
  ])
    await w.query(sql);
  await w.close();
  rmSync(`${db}.ods`, { recursive: true });
  assert.deepEqual(await odsRows(db), rows, 'read-only, the table reads as it is');

  const upgraded = await DuckDbWarehouse.open(db);
  await upgraded.close();
  const kind = await queryRow(
    db,
    "SELECT table_type AS t FROM information_schema.tables WHERE table_catalog = 'adw' AND table_name = 'ods_ad_event'",
  );
  assert.equal(kind.t, 'VIEW');
  assert.equal(segmentFiles(db).length, 1);
  assert.deepEqual(await odsRows(db), rows, 'the same rows, now from the segment');
});
