import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { errors, isAdwError } from '../../src/errors.ts';
import { startFlink } from '../../src/stack/flink.ts';
import { freePort } from '../../src/stack/free-port.ts';
import { processAlive } from '../../src/processes.ts';
import { scratch } from '../support/pipeline.ts';

const tmp = scratch('adw-flink-taken-');
after(() => tmp.cleanup());

test('a Flink cluster whose REST port is taken fails with the JobManager’s reason and stops what it started', {
  timeout: 180_000,
}, async () => {
  // Answers like another cluster's JobManager would, so only this cluster's own task manager tells the two apart.
  const squatter = createServer((req, res) =>
    res.end(
      JSON.stringify(
        req.url === '/taskmanagers'
          ? { taskmanagers: [{ id: 'someone-elses' }] }
          : { taskmanagers: 1, 'slots-total': 2, 'slots-available': 2, 'jobs-running': 0 },
      ),
    ),
  );
  const restPort = await freePort();
  await new Promise<void>((resolve) => squatter.listen(restPort, '127.0.0.1', resolve));
  const dir = join(tmp.dir, 'cluster');
  try {
    await assert.rejects(startFlink({ dir, restPort, gatewayPort: await freePort() }), (e) => {
      assert.ok(isAdwError(e));
      assert.equal(e.code, errors.stackUnavailable.code);
      assert.match(e.message, /^flink: .*BindException: Could not start rest endpoint/);
      return true;
    });
  } finally {
    squatter.close();
  }
  for (const name of ['jobmanager', 'taskmanager', 'sql-gateway']) {
    const pid = Number(readFileSync(join(dir, `${name}.pid`), 'utf8'));
    assert.equal(processAlive(pid), false, `the ${name} is stopped`);
  }
});
