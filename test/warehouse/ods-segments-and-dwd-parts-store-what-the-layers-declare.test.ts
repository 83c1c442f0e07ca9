import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { zstdCompressSync, zstdDecompressSync } from 'node:zlib';
import { defaultEngineConfig } from '../../src/engine/config.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { dwdFields } from '../../src/warehouse/duckdb/segments.ts';
import { readCsvSql } from '../../src/warehouse/duckdb/staging.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import {
  copyWarehouse,
  followFileAndStop,
  queryDb,
  queryRow,
  runFile,
  scratch,
  writeLines,
} from '../support/pipeline.ts';

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
/** Every row of DWD's joined part, in a stable order. */
async function dwdRows(db: string): Promise<string[]> {
  return (await queryDb(db, 'SELECT * FROM dwd_ad_event_joined ORDER BY event_id, event_type')).map((r) =>
    JSON.stringify(r),
  );
}
const segmentFiles = (db: string, folder = '.ods') => readdirSync(`${db}${folder}`).sort();
/** The four bytes every zstd frame starts with (0xFD2FB528, little-endian). */
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
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

test("DWD's joined rows written within their lateness are kept in segment files too, each with its time range", async () => {
  assert.ok(segmentFiles(made, '.dwd').length >= 10, `a segment per checkpoint: ${segmentFiles(made, '.dwd').length}`);
  const c = await queryRow(
    made,
    `SELECT (SELECT count(*) FROM dwd_ad_event_joined)::INT AS joined, (SELECT count(*) FROM dwd_ad_event_late)::INT AS late,
            (SELECT count(*) FROM dwd_ad_event_ontime)::INT AS table_rows, (SELECT sum(rows) FROM dwd_segment)::INT AS manifest,
            (SELECT count(*) FROM dwd_ad_event)::INT AS dwd, (SELECT count(*) FROM dwd_ad_event_unmatched)::INT AS unmatched`,
  );
  assert.equal(c.table_rows, 0, 'the engine writes none of them to the table');
  assert.ok(Number(c.manifest) > 0);
  assert.equal(Number(c.manifest) + Number(c.late), c.joined, 'the joined part reads the segments and the late table');
  assert.equal(Number(c.joined) + Number(c.unmatched), c.dwd);
  // Every row lies within the range its segment declares: look-ups skip segments by it.
  for (const seg of await queryDb(made, 'SELECT file, rows, min_event_ms, max_event_ms FROM dwd_segment')) {
    const inFile = await queryRow(
      made,
      `SELECT count(*)::INT AS n, min(event_ms) AS lo, max(event_ms) AS hi FROM ${readCsvSql(join(`${made}.dwd`, String(seg.file)), dwdFields, 'zstd')}`,
    );
    assert.equal(inFile.n, seg.rows, String(seg.file));
    assert.ok(
      Number(inFile.lo) >= Number(seg.min_event_ms) && Number(inFile.hi) <= Number(seg.max_event_ms),
      String(seg.file),
    );
  }
});

test("one checkpoint's rows of several blocks are one stream, compressed block by block as they filled", async () => {
  // In a single checkpoint, ODS's rows fill several 1 MB blocks, each compressed as it filled, into one zstd frame.
  const big = join(tmp.dir, 'big.ndjson');
  await writeSimulation({ seed: 8, events: 20_000, spanMs: 2 * DAY }, big);
  const db = join(tmp.dir, 'one-checkpoint.duckdb');
  await runFile(big, db, { checkpointIntervalMs: 3_600_000 });
  assert.equal(segmentFiles(db).length, 1, 'one segment');
  const bytes = readFileSync(join(`${db}.ods`, segmentFiles(db)[0]!));
  let frames = 0;
  for (let at = bytes.indexOf(ZSTD_MAGIC); at >= 0; at = bytes.indexOf(ZSTD_MAGIC, at + 4)) frames++;
  assert.equal(frames, 1, 'one stream');
  assert.ok(zstdDecompressSync(bytes).length > 2 * 1024 * 1024, 'of several blocks');
  const c = await queryRow(
    db,
    'SELECT (SELECT count(*) FROM ods_ad_event)::INT AS ods, (SELECT sum(rows) FROM ods_segment)::INT AS manifest',
  );
  assert.ok(Number(c.ods) > 19_000, `${c.ods} rows`);
  assert.equal(c.ods, c.manifest, 'every frame is read, not the first alone');
  const batched = join(tmp.dir, 'big-batched.duckdb');
  await runFile(big, batched, { batchSize: 500, checkpointIntervalMs: 0 });
  assert.deepEqual(await odsRows(db), await odsRows(batched), 'ODS as with a segment per batch');
  assert.deepEqual(await dwdRows(db), await dwdRows(batched), "DWD's joined rows too");
});

test('a segment no checkpoint committed is never read, and opening for writing deletes it', async () => {
  const db = copyOfMade('stray.duckdb');
  const rows = await odsRows(db);
  // What a crash between writing a checkpoint's segment and committing it leaves: a well-formed file.
  const stray = join(`${db}.ods`, 'stray-1.csv.zst');
  writeFileSync(stray, zstdCompressSync(Buffer.from('1\x01click\x01never-committed\x011767225600000\x01{}\n')));
  assert.deepEqual(await odsRows(db), rows, 'read-only, the stray file is not read');
  const joined = await dwdRows(db);
  const strayDwd = join(`${db}.dwd`, 'stray-1.csv.zst');
  writeFileSync(strayDwd, zstdCompressSync(Buffer.from('never-committed\x01click\x01r\x011767225600000\n')));
  assert.deepEqual(await dwdRows(db), joined, 'nor a stray DWD segment');
  const w = await DuckDbWarehouse.open(db);
  await w.close();
  assert.ok(!segmentFiles(db).includes('stray-1.csv.zst'), 'deleted on open');
  assert.ok(!segmentFiles(db, '.dwd').includes('stray-1.csv.zst'), 'both');
  assert.deepEqual(await odsRows(db), rows);
  assert.deepEqual(await dwdRows(db), joined);
});

test("a restart reads DWD's segments of its window only, not the whole history", async () => {
  // Exposures of a request not yet seen, then stopped as Ctrl-C stops a follower: they are left waiting.
  const lines = readFileSync(input, 'utf8').trimEnd().split('\n');
  // The newest exposure's time (the simulation is in event-time order, give or take seconds).
  const last = Number(/"ts":(\d+)/.exec(lines.findLast((l) => l.startsWith('{"type":"exposure"')) ?? '')?.[1]);
  const followed = join(tmp.dir, 'followed.ndjson');
  const early = [1, 2, 3].map((i) => ({ type: 'exposure', event_id: `early-${i}`, request_id: 'not-yet', ts: last }));
  writeLines(followed, [...lines, ...early]);
  const made = join(tmp.dir, 'stopped.duckdb');
  await followFileAndStop(followed, made, { batchSize: 500, checkpointIntervalMs: 0 });
  const db = join(tmp.dir, 'restart-window.duckdb');
  copyWarehouse(made, db);
  const { watermark } = await queryRow(db, 'SELECT watermark_ms::BIGINT AS watermark FROM adw_checkpoint');
  const { joinWindowMs, attributionWindowMs, allowedLatenessMs } = defaultEngineConfig;
  // What state restores reaches back this far (requests: the attribution window with disk state; ids: the join window).
  const reach = Number(watermark) - allowedLatenessMs - Math.max(joinWindowMs, attributionWindowMs);
  const old = await queryDb(db, `SELECT file FROM dwd_segment WHERE max_event_ms < ${reach - 60_000}`);
  assert.ok(old.length >= 3, `segments older than the window: ${old.length}`);
  const pendingSince = Number(watermark) - allowedLatenessMs;
  const intact = await DuckDbWarehouse.open(made);
  const expected = await intact.loadPending(pendingSince, pendingSince - joinWindowMs);
  await intact.close();
  assert.deepEqual(
    expected.map((p) => (JSON.parse(p.raw) as { event_id: string }).event_id),
    early.map((e) => e.event_id),
    'the early exposures wait for their request',
  );
  // Old segments made unreadable, their sizes kept (opening checks sizes): a restart that read history would fail.
  for (const { file } of old) {
    const path = join(`${db}.dwd`, String(file));
    writeFileSync(path, Buffer.alloc(statSync(path).size, 'x'));
  }
  const w = await DuckDbWarehouse.open(db);
  try {
    assert.deepEqual(
      await w.loadPending(pendingSince, pendingSince - joinWindowMs),
      expected,
      'the same follow events wait for their request',
    );
  } finally {
    await w.close();
  }
  const resumed = await runFile(followed, db);
  const finished = await runFile(followed, made);
  assert.deepEqual(resumed.counters, finished.counters, 'resumed, and finished as the intact warehouse does');
});

test('housekeeping merges small segments and drops expired ones; ODS reads the same until retention cuts', async () => {
  const db = copyOfMade('merged.duckdb');
  const rows = await odsRows(db);
  const joined = await dwdRows(db);
  const before = segmentFiles(db);
  const maxMs = Number((await queryRow(db, 'SELECT max_event_ms AS n FROM adw_checkpoint')).n);
  const w = await DuckDbWarehouse.open(db);
  await w.maintain(maxMs, 3650);
  await w.close();
  const after = segmentFiles(db);
  assert.equal(after.length, 1, `${before.length} small segments merged into one: ${after.join(' ')}`);
  assert.deepEqual(await odsRows(db), rows, 'the same rows');
  assert.equal(segmentFiles(db, '.dwd').length, 1, "DWD's too");
  assert.deepEqual(await dwdRows(db), joined, 'the same DWD rows');

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
  const joined = await dwdRows(made);
  assert.deepEqual(await dwdRows(join(tmp.dir, 'moved-twice.duckdb')), joined, 'DWD too');
  const w = await DuckDbWarehouse.open(moved);
  assert.equal((await w.query('SELECT count(*)::INT AS n FROM ods_ad_event'))[0]!.n, rows.length, 'and for writing');
  assert.equal((await w.query('SELECT count(*)::INT AS n FROM dwd_ad_event_joined'))[0]!.n, joined.length);
  await w.close();

  // A file where a new warehouse's folder goes: one coded error, not a crash.
  const fresh = join(tmp.dir, 'fresh.duckdb');
  writeFileSync(`${fresh}.ods`, 'not a folder');
  await assert.rejects(DuckDbWarehouse.open(fresh), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'ADW_ERR_WAREHOUSE_WRITE', e.message);
    assert.match(e.message, /fresh\.duckdb\.ods/);
    return true;
  });

  // Without the DWD folder alone: the same, naming that folder.
  const half = copyOfMade('half.duckdb');
  rmSync(`${half}.dwd`, { recursive: true });
  for (const readOnly of [true, false])
    await assert.rejects(DuckDbWarehouse.open(half, { readOnly }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ADW_ERR_DB_UNREADABLE');
      assert.match(e.message, /DWD segment file\(s\) missing from .*half\.duckdb\.dwd/);
      return true;
    });

  const alone = join(tmp.dir, 'alone.duckdb');
  cpSync(made, alone);
  for (const readOnly of [true, false])
    await assert.rejects(DuckDbWarehouse.open(alone, { readOnly }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'ADW_ERR_DB_UNREADABLE');
      assert.match(e.message, /alone\.duckdb\.ods/);
      return true;
    });
});

test('an older warehouse file keeps every row: opening it for writing moves ODS to a segment and splits DWD', async () => {
  const rows = await odsRows(made);
  const dwd = async (db: string) =>
    (await queryDb(db, 'SELECT * FROM dwd_ad_event_joined ORDER BY event_id, event_type')).map((r) =>
      JSON.stringify(r),
    );
  const joined = await dwd(made);
  const db = copyOfMade('older.duckdb');
  // As files were before: ODS a table in the file, and DWD's joined part one table.
  const w = await DuckDbWarehouse.open(db);
  for (const sql of [
    'CREATE TABLE ods_rows AS SELECT * FROM ods_ad_event',
    'DROP VIEW ods_ad_event',
    'ALTER TABLE ods_rows RENAME TO ods_ad_event',
    'DROP TABLE ods_segment',
    'DROP TABLE dwd_segment',
    'CREATE TABLE joined_rows AS SELECT * FROM dwd_ad_event_joined',
    'DROP VIEW dwd_ad_event_joined',
    'DROP TABLE dwd_ad_event_ontime',
    'DROP TABLE dwd_ad_event_late',
    'ALTER TABLE joined_rows RENAME TO dwd_ad_event_joined',
  ])
    await w.query(sql);
  await w.close();
  rmSync(`${db}.ods`, { recursive: true });
  rmSync(`${db}.dwd`, { recursive: true });
  const kinds = async () =>
    Object.fromEntries(
      (
        await queryDb(
          db,
          "SELECT table_name, table_type FROM information_schema.tables WHERE table_catalog = 'adw' AND table_name IN ('ods_ad_event', 'dwd_ad_event_joined')",
        )
      ).map((r) => [r.table_name, r.table_type]),
    );
  assert.deepEqual(await kinds(), { ods_ad_event: 'BASE TABLE', dwd_ad_event_joined: 'BASE TABLE' });
  assert.deepEqual(await odsRows(db), rows, 'read-only, the tables read as they are');
  assert.deepEqual(await dwd(db), joined);

  const upgraded = await DuckDbWarehouse.open(db);
  await upgraded.close();
  assert.deepEqual(await kinds(), { ods_ad_event: 'VIEW', dwd_ad_event_joined: 'VIEW' });
  assert.equal(segmentFiles(db).length, 1);
  assert.deepEqual(await odsRows(db), rows, 'the same rows, now from the segment');
  assert.deepEqual(await dwd(db), joined, 'the same joined rows, now from the on-time table');
});

test('DWD rows written past their allowed lateness are stored apart, and read with the rest', async () => {
  const parts = await queryRow(
    made,
    `SELECT (SELECT count(*) FROM dwd_ad_event_ontime)::INT AS ontime, (SELECT count(*) FROM dwd_ad_event_late)::INT AS late,
            (SELECT count(*) FROM dwd_ad_event_joined)::INT AS joined,
            (SELECT count(*) FILTER (WHERE late) FROM dwd_ad_event_joined)::INT AS late_records_joined,
            (SELECT sum(rows) FROM dwd_segment)::INT AS segments,
            (SELECT count(*) FILTER (WHERE late) FROM dwd_ad_event_late)::INT AS late_records`,
  );
  assert.ok(Number(parts.late_records) > 0, 'the workload has late records, and they are in the late part');
  assert.equal(parts.late_records_joined, parts.late_records, 'none in the large part');
  assert.ok(Number(parts.late) >= Number(parts.late_records), 'with the events corrected late');
  assert.equal(
    Number(parts.ontime) + Number(parts.segments) + Number(parts.late),
    parts.joined,
    'the joined part reads all',
  );
});
