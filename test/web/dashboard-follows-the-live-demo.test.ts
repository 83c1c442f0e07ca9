import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startAdwServer } from '../support/adw-server.ts';
import { launchChromium } from '../support/browser.ts';

test('the demo opens onto the dashboard, which follows the live warehouse every second', {
  timeout: 90_000,
}, async () => {
  const demo = await startAdwServer(['demo', '--port', '0', '--rate', '3000']);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${demo.url}/`);
    assert.equal(new URL(page.url()).pathname, '/', 'the demo needs no sign-in');
    const requests = async () =>
      Number((await page.locator('#tiles [data-metric="requests"]').getAttribute('data-value')) || 0);
    await page.waitForFunction(
      () => Number(document.querySelector('#tiles [data-metric="requests"]')?.getAttribute('data-value') || 0) > 0,
      null,
      { timeout: 20_000 },
    );
    await page.locator('#chart-traffic canvas').waitFor();
    await page.evaluate(
      () => ((document.querySelector('#chart-traffic canvas') as HTMLCanvasElement & { tag?: string }).tag = 'first'),
    );
    const first = await requests();
    await page.waitForFunction(
      (n) => Number(document.querySelector('#tiles [data-metric="requests"]')?.getAttribute('data-value') || 0) > n,
      first,
      { timeout: 10_000 },
    );
    assert.ok((await requests()) > first, 'the tiles grow without a reload');
    assert.equal(
      await page.evaluate(
        () => (document.querySelector('#chart-traffic canvas') as HTMLCanvasElement & { tag?: string }).tag,
      ),
      'first',
      'the chart is updated in place',
    );
    await page.waitForFunction(
      () =>
        Number(document.querySelector('#health-list [data-key="ingest_rate"]')?.getAttribute('data-value') || 0) > 0,
      null,
      { timeout: 10_000 },
    );
    assert.match(await page.locator('#health-mode').innerText(), /engine running/);
    const age = Number(await page.locator('#health-list [data-key="checkpoint_age"]').getAttribute('data-value'));
    assert.ok(age < 10_000, `checkpoints are recent (${age} ms)`);
    const freshness = Number(await page.locator('#tiles [data-metric="freshness"]').getAttribute('data-value'));
    assert.ok(freshness < 60_000, `live data is seconds old (${freshness} ms)`);
    assert.match(
      await page.locator('#pacing-day').innerText(),
      new RegExp(`^${new Date().toISOString().slice(0, 10)}`),
      'pacing is for today',
    );
    assert.ok((await page.locator('#pacing-table tbody tr').count()) > 0);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    assert.equal(await demo.stop(), 0, `the demo stops cleanly (${demo.output().stderr})`);
  }
});
