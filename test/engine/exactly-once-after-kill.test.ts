import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { aggregateSnapshot, dwaDifferences, dwdSnapshot, queryDb, runFile, scratch } from '../support/pipeline.ts';

const ADW = new URL('../../bin/adw', import.meta.url).pathname;
const tmp = scratch();
const input = join(tmp.dir, 'in.ndjson');
let lines = 0;

before(async () => {
  lines = (await writeSimulation({ seed: 5, events: 200_000, spanMs: 3 * 3600_000 }, input)).lines;
});
after(tmp.cleanup);

/** Runs `adw run` as a child process; kills it with SIGKILL after `killAfterMs` unless it finished first. */
function runChild(db: string, killAfterMs: number | null): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const child = spawn(ADW, ['run', '--input', input, '--db', db, '--until-end', '--quiet', '--batch-size', '500', '--checkpoint-interval', '50ms'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('finished');
      else reject(new Error(`adw run exited ${code}: ${stderr}`));
    });
  });
}

/** A small seeded generator, so a failing sequence of kill times can be replayed. */
function delays(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return 700 + (s % 1800);
  };
}

test('kill -9 at random instants, then restart: nothing lost, nothing counted twice', { timeout: 300_000 }, async () => {
  const seed = Number(process.env.ADW_KILL_SEED ?? Date.now() % 100_000);
  const next = delays(seed);
  const db = join(tmp.dir, 'killed.duckdb');
  let kills = 0;
  while (kills < 5 && (await runChild(db, next())) === 'killed') kills++;
  if (kills === 5) assert.equal(await runChild(db, null), 'finished');
  assert.ok(kills >= 3, `the run was killed mid-way at least 3 times (seed ${seed}, ${kills} kills)`);

  const reference = join(tmp.dir, 'reference.duckdb');
  await runFile(input, reference);

  const cp = await queryDb(db, 'SELECT records_in, accepted, dead_lettered, duplicates FROM adw_checkpoint');
  assert.equal(cp[0].records_in, lines, `every input line counted once (seed ${seed})`);
  assert.equal(Number(cp[0].accepted) + Number(cp[0].dead_lettered), lines);
  const ods = await queryDb(db, 'SELECT count(*)::INT AS n FROM ods_ad_event');
  const dl = await queryDb(db, 'SELECT count(*)::INT AS n FROM ods_dead_letter');
  const dims = await queryDb(db, 'SELECT count(*)::INT AS n FROM ods_dim_change');
  assert.equal(Number(ods[0].n) + Number(dims[0].n), cp[0].accepted, 'ODS holds each accepted record exactly once');
  assert.equal(dl[0].n, cp[0].dead_lettered, 'each bad record dead-lettered exactly once');
  assert.deepEqual(await dwaDifferences(db), [], `DWA equals the offline recomputation from ODS (seed ${seed})`);
  assert.deepEqual(await dwdSnapshot(db), await dwdSnapshot(reference), 'DWD equals an uninterrupted run');
  assert.deepEqual(await aggregateSnapshot(db), await aggregateSnapshot(reference), 'DWA and APP equal an uninterrupted run');
});
