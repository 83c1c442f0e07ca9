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

/**
 * Runs `adw run` as a child process. With a kill point, it is killed with SIGKILL `delayMs` after it reported its
 * `checkpoints`-th checkpoint of this run (so the kill lands mid-run however fast the machine is), unless it finished first.
 */
function runChild(db: string, kill: { checkpoints: number; delayMs: number } | null): Promise<'killed' | 'finished'> {
  return new Promise((resolve, reject) => {
    const child = spawn(ADW, ['run', '--input', input, '--db', db, '--until-end', '--batch-size', '500', '--checkpoint-interval', '50ms'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timer: NodeJS.Timeout | null = null;
    child.stderr.on('data', (d) => {
      stderr += d;
      const seen = stderr.split('\n').filter((l) => l.startsWith('checkpoint ')).length;
      if (kill && timer === null && seen >= kill.checkpoints) timer = setTimeout(() => child.kill('SIGKILL'), kill.delayMs);
    });
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('finished');
      else reject(new Error(`adw run exited ${code}: ${stderr.slice(-2000)}`));
    });
  });
}

/** A small seeded generator of kill points, so a failing sequence can be replayed. */
function killPoints(seed: number): () => { checkpoints: number; delayMs: number } {
  let s = seed >>> 0;
  const next = () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0);
  return () => ({ checkpoints: 1 + (next() % 4), delayMs: next() % 60 });
}

test('kill -9 at random instants, then restart: nothing lost, nothing counted twice', { timeout: 300_000 }, async () => {
  const seed = Number(process.env.ADW_KILL_SEED ?? Date.now() % 100_000);
  const next = killPoints(seed);
  const db = join(tmp.dir, 'killed.duckdb');
  let kills = 0;
  while (kills < 5 && (await runChild(db, next())) === 'killed') kills++;
  if (kills === 5) assert.equal(await runChild(db, null), 'finished');
  assert.equal(kills, 5, `the run was killed mid-way 5 times (seed ${seed})`);

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
