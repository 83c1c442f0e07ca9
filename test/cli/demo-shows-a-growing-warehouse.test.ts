import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

const ADW = new URL('../../bin/adw', import.meta.url).pathname;

test('adw demo serves a live warehouse that grows within seconds, and stops cleanly on Ctrl-C', { timeout: 60_000 }, async () => {
  const child = spawn(ADW, ['demo', '--port', '0', '--rate', '3000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  try {
    let url: string | undefined;
    for (let i = 0; i < 100 && !url; i++) {
      url = /running at (http:\/\/\S+?)\/? /.exec(stdout)?.[1];
      if (!url) await sleep(100);
    }
    assert.ok(url, `the demo printed its URL (stdout: ${stdout}, stderr: ${stderr})`);
    const requests = async () => {
      const r = await fetch(`${url}/api/query?metrics=requests,exposures`);
      assert.equal(r.status, 200);
      const body = await r.json();
      return { n: (body.rows[0]?.requests as number | null) ?? 0, fresh: body.freshness.newest_event_time as string | null };
    };
    let first = await requests();
    for (let i = 0; i < 50 && first.n === 0; i++) {
      await sleep(200);
      first = await requests();
    }
    assert.ok(first.n > 0, 'requests are queryable within seconds');
    assert.ok(first.fresh && Date.now() - Date.parse(first.fresh) < 60_000, `event times are live (${first.fresh})`);
    await sleep(2500);
    const second = await requests();
    assert.ok(second.n > first.n, `the warehouse grows (${first.n} -> ${second.n})`);
    const page = await fetch(`${url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>ADW/);
    const status = await (await fetch(`${url}/api/status`)).json();
    assert.ok(status.pipeline.counters.recordsIn > 0);
    const metrics = await fetch(`${url}/metrics`);
    assert.equal(metrics.status, 200);
    const records = /^adw_records_in_total (\d+)$/m.exec(await metrics.text());
    assert.ok(records && Number(records[1]) > 0, 'Prometheus metrics on the demo port count the records');
  } finally {
    child.kill('SIGINT');
  }
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, `clean exit (stderr: ${stderr})`);
  assert.match(stdout, /stopped cleanly/);
});
