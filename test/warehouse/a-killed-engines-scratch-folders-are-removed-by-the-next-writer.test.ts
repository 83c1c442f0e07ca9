import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { scratchBase } from '../../src/scratch.ts';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { EngineChild } from '../support/engine-child.ts';
import { scratch } from '../support/pipeline.ts';

const tmp = scratch();
after(tmp.cleanup);

/** The staging folders of a process in memory-backed storage. */
const stagingOf = (pid: number) => readdirSync(scratchBase).filter((n) => n.startsWith(`adw-${pid}-`));

test('the staging folder a kill -9 leaves in memory is removed when a warehouse is next opened for writing', {
  timeout: 120_000,
}, async () => {
  const input = join(tmp.dir, 'in.ndjson');
  await writeSimulation({ seed: 3, events: 200_000 }, input);
  const engine = new EngineChild([
    '--input',
    input,
    '--db',
    join(tmp.dir, 'a.duckdb'),
    '--checkpoint-interval',
    '50ms',
  ]);
  await engine.until('a checkpoint', () => engine.checkpoints >= 1);
  const killed = engine.child.pid!;
  engine.child.kill('SIGKILL');
  await engine.exited;
  assert.equal(stagingOf(killed).length, 1, 'a killed engine cannot remove its staging folder');

  // A folder named for a process that is still running, and one whose name is not a process's: both stay.
  const sleeper = spawn('sleep', ['60']);
  const live = join(scratchBase, `adw-${sleeper.pid}-test01`);
  const foreign = join(scratchBase, `adw-notapid-test01`);
  // And an in-memory warehouse's ODS folder of a process that has gone.
  const gone = spawn(process.execPath, ['-e', '']);
  await once(gone, 'exit');
  const odsOfGone = join(scratchBase, `adw-ods-${gone.pid}-0a1b2c3d`);
  for (const d of [live, foreign, odsOfGone]) {
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, '1.csv'), 'x\n');
  }
  try {
    const wh = await DuckDbWarehouse.open(':memory:');
    await wh.close();
    assert.deepEqual(stagingOf(killed), [], "the killed engine's staging folder is gone");
    assert.equal(existsSync(odsOfGone), false, "an in-memory warehouse's ODS folder of a gone process is removed");
    assert.equal(existsSync(live), true, "a running process's folder stays");
    assert.equal(existsSync(foreign), true, 'a folder not named for a process stays');
  } finally {
    sleeper.kill();
    for (const d of [live, foreign, odsOfGone]) rmSync(d, { recursive: true, force: true });
  }
});
