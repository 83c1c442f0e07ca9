import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAdwServer } from '../support/adw-server.ts';

test('adw demo serves a live warehouse that grows within seconds, and stops cleanly on Ctrl-C', {
  timeout: 60_000,
}, async () => {
  const demo = await startAdwServer(['demo', '--port', '0', '--rate', '3000']);
  try {
    const requests = async () => {
      const r = await fetch(`${demo.url}/api/query?metrics=requests,exposures`);
      assert.equal(r.status, 200);
      const body = await r.json();
      return {
        n: (body.rows[0]?.requests as number | null) ?? 0,
        fresh: body.freshness.newest_event_time as string | null,
      };
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
    const page = await fetch(`${demo.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>ADW/);
    const status = await (await fetch(`${demo.url}/api/status`)).json();
    assert.ok(status.pipeline.counters.recordsIn > 0);
    const metrics = await fetch(`${demo.url}/metrics`);
    assert.equal(metrics.status, 200);
    const records = /^adw_records_in_total (\d+)$/m.exec(await metrics.text());
    assert.ok(records && Number(records[1]) > 0, 'Prometheus metrics on the demo port count the records');
  } finally {
    assert.equal(await demo.stop(), 0, `clean exit (stderr: ${demo.output().stderr})`);
  }
  assert.match(demo.output().stdout, /stopped cleanly/);
});
