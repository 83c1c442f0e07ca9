import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { writeSimulation } from '../../../src/simulator/simulate.ts';
import { dwaDifferences, queryRow, scratch } from '../../support/pipeline.ts';

const ADW = new URL('../../../bin/adw', import.meta.url).pathname;
const tmp = scratch();
after(tmp.cleanup);

function runStdin(db: string, input: Buffer): Record<string, number> {
  const r = spawnSync(ADW, ['run', '--input', '-', '--db', db, '--quiet'], { input, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('adw run --input - reads stdin; fed the same stream again (or a longer one) it resumes where it stopped', async () => {
  const file = join(tmp.dir, 'in.ndjson');
  const db = join(tmp.dir, 'w.duckdb');
  const { lines } = await writeSimulation({ seed: 8, events: 5000, spanMs: 3_600_000 }, file);
  const all = readFileSync(file);
  const cut = all.indexOf(10, Math.floor(all.length / 2)) + 1;

  const first = runStdin(db, all.subarray(0, cut));
  const firstLines = all.subarray(0, cut).toString('utf8').split('\n').length - 1;
  assert.equal(first.recordsIn, firstLines);
  const second = runStdin(db, all);
  assert.equal(second.recordsIn, lines, 'the second run counted only what the first had not');
  const third = runStdin(db, all);
  assert.equal(third.recordsIn, lines, 'nothing new, nothing counted again');

  const ods = await queryRow(db, 'SELECT count(*)::INT AS n FROM ods_ad_event');
  const dims = await queryRow(db, 'SELECT count(*)::INT AS n FROM ods_dim_change');
  assert.equal(Number(ods.n) + Number(dims.n), third.accepted);
  assert.deepEqual(await dwaDifferences(db), []);

  const other = Buffer.concat([Buffer.from('{"type":"bogus"}\n'), all]);
  const r = spawnSync(ADW, ['run', '--input', '-', '--db', db, '--quiet'], { input: other, encoding: 'utf8' });
  assert.notEqual(r.status, 0, 'another stream is refused');
  assert.match(r.stderr, /ADW_ERR_INPUT_MISMATCH/);
});
