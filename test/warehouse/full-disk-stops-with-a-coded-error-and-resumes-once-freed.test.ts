import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { ADW, adwSync, show } from '../support/cli.ts';
import { EngineChild } from '../support/engine-child.ts';
import { aggregateSnapshot, dwaDifferences, dwdSnapshot, queryRow, runFile, scratch } from '../support/pipeline.ts';

const tmp = scratch();
const disk = join(tmp.dir, 'disk');
// 40 MB holds the whole run below (its WAL and, at the end, the checkpointed file beside it) with room to spare;
// the failure comes from a filler file, not from the run outgrowing the disk, so it lands where the test says.
const DISK_MB = 40;

/** Mounts a size-limited tmpfs at `disk`; returns why not (so the tests skip) when this process may not. */
function mountDisk(): string | false {
  if (process.getuid?.() !== 0) return 'needs root to mount a size-limited tmpfs';
  mkdirSync(disk);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_MB}m`, 'tmpfs', disk], { encoding: 'utf8' });
  return r.status === 0
    ? false
    : `mount -t tmpfs refused: ${(r.stderr || r.error?.message || `status ${r.status}`).trim()}`;
}
const skip = mountDisk();
after(() => {
  // A lazy unmount if something still holds the disk, so the mount never outlives the test.
  if (!skip && spawnSync('umount', [disk]).status !== 0) spawnSync('umount', ['-l', disk]);
  tmp.cleanup();
});

/** Writes zeros to `path` until the disk refuses (ENOSPC), down to page granularity: the disk is then full. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 4096]) {
      const zeros = Buffer.alloc(size);
      try {
        for (;;) writeSync(fd, zeros);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
      }
    }
  } finally {
    closeSync(fd);
  }
  const fs = statfsSync(disk);
  assert.equal(fs.bavail, 0, 'the disk is full');
}

/** Empties the disk between tests. */
function clearDisk(): void {
  for (const f of readdirSync(disk)) rmSync(join(disk, f), { recursive: true, force: true });
}

/**
 * Asserts that a failed `adw` run printed exactly one line, the coded warehouse-write error, and exited 1 by itself.
 */
function assertWriteFailure(
  r: { status: number | null; signal: NodeJS.Signals | null; stderr: string },
  what: string,
): void {
  const detail = `${what}: status ${r.status}, signal ${r.signal}, stderr:\n${r.stderr.slice(-2000)}`;
  assert.equal(r.signal, null, `not ended by a signal (${detail})`);
  assert.equal(r.status, 1, `exits 1 (${detail})`);
  const lines = r.stderr.trimEnd().split('\n');
  const errorLines = lines.filter((l) => !l.startsWith('checkpoint '));
  assert.equal(errorLines.length, 1, `one error line, no stack trace (${detail})`);
  assert.match(
    lines.at(-1) ?? '',
    /^adw: warehouse write failed: .*no space left on device.* \[ADW_ERR_WAREHOUSE_WRITE\]$/i,
    detail,
  );
}

/** The stored checkpoint and the row counts it must agree with. */
async function storedCounts(db: string): Promise<{
  recordsIn: number;
  accepted: number;
  deadLettered: number;
  ods: number;
  dims: number;
  deadLetters: number;
}> {
  const row = await queryRow(
    db,
    `SELECT records_in, accepted, dead_lettered, (SELECT count(*) FROM ods_ad_event)::INT AS ods, (SELECT count(*) FROM ods_dim_change)::INT AS dims,
            (SELECT count(*) FROM ods_dead_letter)::INT AS dl FROM adw_checkpoint`,
  );
  return {
    recordsIn: Number(row.records_in),
    accepted: Number(row.accepted),
    deadLettered: Number(row.dead_lettered),
    ods: Number(row.ods),
    dims: Number(row.dims),
    deadLetters: Number(row.dl),
  };
}

function assertConsistent(c: Awaited<ReturnType<typeof storedCounts>>, what: string): void {
  assert.equal(c.accepted + c.deadLettered, c.recordsIn, `${what}: records in = accepted + dead-lettered`);
  assert.equal(c.ods + c.dims, c.accepted, `${what}: ODS holds each accepted record exactly once`);
  assert.equal(c.deadLetters, c.deadLettered, `${what}: each bad record dead-lettered exactly once`);
}

test('a run that fills the disk stops with one coded line, keeps its last checkpoint, and resumes exactly once space is freed', {
  skip,
  timeout: 120_000,
}, async () => {
  clearDisk();
  const input = join(tmp.dir, 'in.ndjson');
  const { lines } = await writeSimulation({ seed: 11, events: 20_000, spanMs: 3 * 3600_000 }, input);
  const db = join(disk, 'w.duckdb');
  const filler = join(disk, 'filler');
  // A checkpoint every batch: many commits, so the one after the fill is well inside the run.
  const args = ['--input', input, '--db', db, '--until-end', '--batch-size', '500', '--checkpoint-interval', '0ms'];

  // The engine is stopped while the disk fills, so its next commit meets a full disk however fast the machine is.
  let filled = false;
  const engine = new EngineChild(args, (e) => {
    if (filled || e.checkpoints < 5) return;
    filled = true;
    e.child.kill('SIGSTOP');
    try {
      fillDisk(filler);
    } finally {
      e.child.kill('SIGCONT');
    }
  });
  const { code, signal } = await engine.exited;
  assert.ok(filled, `the disk was filled mid-run: ${engine.stderr.slice(-2000)}`);
  assertWriteFailure({ status: code, signal, stderr: engine.stderr }, 'the run that filled the disk');

  // The warehouse opens (read-only, while the disk is still full) at the last checkpoint the run reported.
  const stopped = await storedCounts(db);
  assert.equal(stopped.recordsIn, engine.recordsIn, 'the warehouse holds exactly the checkpoints the run reported');
  assert.ok(
    stopped.recordsIn > 0 && stopped.recordsIn < lines,
    `it stopped mid-run (${stopped.recordsIn} of ${lines})`,
  );
  assertConsistent(stopped, 'after the failure');

  const again = adwSync(tmp.dir, ['run', ...args]);
  assertWriteFailure(
    { status: again.status, signal: again.signal, stderr: again.stderr },
    'a rerun on the still-full disk',
  );
  assert.deepEqual(await storedCounts(db), stopped, 'a failed rerun changes nothing');

  rmSync(filler);
  const resumed = adwSync(tmp.dir, ['run', ...args]);
  assert.equal(resumed.status, 0, show(resumed));

  const reference = join(tmp.dir, 'reference.duckdb');
  await runFile(input, reference);
  const final = await storedCounts(db);
  assert.equal(final.recordsIn, lines, 'every input line counted once');
  assertConsistent(final, 'after the resumed run');
  assert.deepEqual(await dwaDifferences(db), [], 'DWA equals the offline recomputation from ODS');
  assert.deepEqual(await dwdSnapshot(db), await dwdSnapshot(reference), 'DWD equals an uninterrupted run');
  assert.deepEqual(
    await aggregateSnapshot(db),
    await aggregateSnapshot(reference),
    'DWA and APP equal an uninterrupted run',
  );
});

/** An empty disk and a small workload, with the `adw run` arguments that write it to warehouse `name` there. */
async function smallRun(name: string): Promise<{ lines: number; db: string; filler: string; args: string[] }> {
  clearDisk();
  const input = join(tmp.dir, 'small.ndjson');
  const { lines } = await writeSimulation({ seed: 12, events: 2_000 }, input);
  const db = join(disk, name);
  return { lines, db, filler: join(disk, 'filler'), args: ['run', '--input', input, '--db', db, '--until-end'] };
}

test('a new warehouse on a full disk: one coded line, and it is created once space is freed', {
  skip,
  timeout: 60_000,
}, async () => {
  const { lines, db, filler, args } = await smallRun('new.duckdb');
  fillDisk(filler);
  assertWriteFailure(adwSync(tmp.dir, args), 'creating a warehouse on a full disk');

  rmSync(filler);
  const r = adwSync(tmp.dir, args);
  assert.equal(r.status, 0, show(r));
  assert.equal((await storedCounts(db)).recordsIn, lines);
});

test('reopening a finished warehouse on a full disk: one coded line, and nothing lost', {
  skip,
  timeout: 60_000,
}, async () => {
  const { lines, db, filler, args } = await smallRun('done.duckdb');
  const first = adwSync(tmp.dir, args);
  assert.equal(first.status, 0, show(first));
  // A clean close folds the WAL into the file: reopening must write a new one, which a full disk refuses.
  assert.equal(existsSync(`${db}.wal`), false, 'no WAL after a clean close');
  const done = await storedCounts(db);

  fillDisk(filler);
  assertWriteFailure(adwSync(tmp.dir, args), 'reopening on a full disk');
  assert.deepEqual(await storedCounts(db), done, 'nothing lost, nothing counted twice');
  assert.equal(done.recordsIn, lines);
});

// Staging files go to /dev/shm: a private mount namespace gives the run a tiny one without touching anyone else's.
const privateShm = (() => {
  if (skip) return skip;
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /dev/shm'], { encoding: 'utf8' });
  return r.status === 0
    ? false
    : `unshare -m refused: ${(r.stderr || r.error?.message || `status ${r.status}`).trim()}`;
})();

test('a full staging area stops the run with the same coded line, and a rerun with space completes it', {
  skip: privateShm,
  timeout: 60_000,
}, async () => {
  const input = join(tmp.dir, 'small.ndjson');
  const { lines } = await writeSimulation({ seed: 12, events: 2_000 }, input);
  const db = join(tmp.dir, 'staging.duckdb');
  const args = ['run', '--input', input, '--db', db, '--until-end'];
  // 64 kB holds less than one checkpoint's staged rows.
  const r = spawnSync(
    'unshare',
    ['-m', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs /dev/shm && exec "$0" "$@"', ADW, ...args],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assertWriteFailure(r, 'a run whose staging area is full');

  const rerun = adwSync(tmp.dir, args);
  assert.equal(rerun.status, 0, show(rerun));
  const done = await storedCounts(db);
  assert.equal(done.recordsIn, lines, 'every input line counted once');
  assertConsistent(done, 'after the rerun');
});
