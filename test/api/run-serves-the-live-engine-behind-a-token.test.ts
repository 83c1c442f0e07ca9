import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { startAdwServer } from '../support/adw-server.ts';

test('adw run --api-port serves the live engine behind a token: status follows the run, /metrics needs the token too', {
  timeout: 120_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'adw-run-api-'));
  const token = 'run-api-token-0123456789';
  try {
    const input = join(dir, 'in.ndjson');
    const { lines } = await writeSimulation({ seed: 5, events: 20_000 }, input);
    const run = await startAdwServer(
      ['run', '--input', input, '--db', join(dir, 'w.duckdb'), '--api-port', '0', '--quiet'],
      { ADW_API_TOKEN: token },
    );
    try {
      const get = (path: string, auth = true) =>
        fetch(new URL(path, run.url), auth ? { headers: { authorization: `Bearer ${token}` } } : {});
      assert.equal((await get('/api/status', false)).status, 401);
      assert.equal((await get('/metrics', false)).status, 401);
      let status: Record<string, any> = {};
      for (let i = 0; i < 100; i++) {
        status = (await (await get('/api/status')).json()) as Record<string, any>;
        if (status.pipeline?.counters.recordsIn === lines) break;
        await sleep(100);
      }
      assert.equal(
        status.pipeline.counters.recordsIn,
        lines,
        'the engine, still following the file, has read all of it',
      );
      assert.equal(status.checkpoint.records_in, lines, 'and committed it');
      assert.equal(status.pipeline.lag_unit, 'bytes');
      assert.equal(status.pipeline.consumer_lag, 0, 'a file read to its end has no lag');
      const metrics = await get('/metrics');
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), new RegExp(`^adw_records_in_total ${lines}$`, 'm'));
      const q = (await (await get('/api/query?metrics=requests')).json()) as Record<string, any>;
      assert.ok(q.rows[0].requests > 0);
      // The API's own counters, kept on its thread, are served beside the engine's.
      assert.match(await (await get('/metrics')).text(), /^adw_api_answer_lookups_total\{result="miss"\} [1-9]\d*$/m);
    } finally {
      assert.equal(await run.stop(), 0, `clean exit on Ctrl-C (${run.output().stderr})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
