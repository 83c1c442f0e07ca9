import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { buildDimensions, dimensionLines } from '../../src/simulator/dimensions.ts';
import { resolveSimulatorOptions } from '../../src/simulator/options.ts';
import { simulateLines } from '../../src/simulator/simulate.ts';
import { startAdwServer, type AdwServer } from '../support/adw-server.ts';
import { launchChromium } from '../support/browser.ts';
import { adwJson } from '../support/cli.ts';

// Display names come from the dimension stream (a MySQL binlog in production) and filter values from shared links:
// neither is trusted. A warehouse whose every name is markup must show that markup as text, and run none of it.
const TOKEN = 'hostile-names-token-0123456789';
const HOSTILE = [
  '<img src=x onerror="window.__pwned=1">',
  '"><script>window.__pwned=1</script>',
  "'><svg onload=window.__pwned=1>",
  '&lt;b&gt;not bold&lt;/b&gt;',
];
const dir = mkdtempSync(join(tmpdir(), 'adw-web-hostile-'));
const db = join(dir, 'w.duckdb');
let server: AdwServer;
let browser: Browser;
let page: Page;
const dialogs: string[] = [];

/** Opens `path` (each document starts a fresh record of CSP violations); resolves to its response headers. */
async function open(path: string): Promise<Record<string, string>> {
  const response = await page.goto(`${server.url}${path}`);
  return response!.headers();
}

async function settled(): Promise<void> {
  await page.waitForFunction(() => document.body.dataset.view === location.search, null, { timeout: 10_000 });
}

/** Nothing ran, and the page drew no element out of a name. */
async function assertNothingRan(): Promise<void> {
  const state = await page.evaluate(() => ({
    pwned: (window as unknown as { __pwned?: unknown }).__pwned,
    injected: document.querySelectorAll('body img, body svg, body script:not([src]), body iframe').length,
    violations: (window as unknown as { __violations: string[] }).__violations,
  }));
  assert.equal(state.pwned, undefined, 'no hostile script ran');
  assert.equal(state.injected, 0, 'no element was made from a name');
  assert.deepEqual(dialogs, [], 'no dialog opened');
  assert.deepEqual(state.violations, [], 'the page works within its Content-Security-Policy');
}

const texts = (selector: string) => page.$$eval(selector, (els) => els.map((e) => (e as HTMLElement).innerText));

describe('hostile display names and links, in a real headless Chromium', { timeout: 300_000 }, () => {
  before(async () => {
    const options = resolveSimulatorOptions({ seed: 12, events: 8000, spanMs: 3_600_000 });
    const dims = buildDimensions(options);
    const hostile = (i: number) => HOSTILE[i % HOSTILE.length]!;
    for (const [i, r] of dims.advertisers.entries()) r.name = `${hostile(i)} adv${r.advertiser_id}`;
    for (const [i, r] of dims.campaigns.entries()) r.name = `${hostile(i + 1)} cmp${r.campaign_id}`;
    for (const [i, r] of dims.ads.entries()) r.name = `${hostile(i + 2)} ad${r.ad_id}`;
    for (const [i, r] of dims.slots.entries()) r.name = `${hostile(i + 3)} slot${r.slot_id}`;
    const input = join(dir, 'events.ndjson');
    const out = createWriteStream(input);
    for (const line of [...dimensionLines(dims), ...simulateLines(options, false)]) out.write(`${line}\n`);
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    adwJson(dir, ['run', '--input', input, '--db', db, '--until-end', '--quiet']);
    server = await startAdwServer(['serve', '--db', db, '--port', '0'], { ADW_API_TOKEN: TOKEN });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    // Every CSP violation, reported by the page itself from its first script on.
    await context.addInitScript(() => {
      (window as unknown as { __violations: string[] }).__violations = [];
      document.addEventListener('securitypolicyviolation', (e) =>
        (window as unknown as { __violations: string[] }).__violations.push(`${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    page = await context.newPage();
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) dialogs.push(`console: ${m.text()}`);
    });
    await open('/login');
    await page.fill('#token', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL((u) => u.pathname === '/');
  });

  after(async () => {
    await browser?.close();
    const code = await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, 'adw serve stops cleanly on Ctrl-C');
  });

  test('the page and the sign-in page are served under a CSP without inline script, and framing is refused', async () => {
    for (const path of ['/?range=all', '/login']) {
      const headers = await open(path);
      const csp = headers['content-security-policy'] ?? '';
      assert.match(csp, /(^|;)\s*script-src 'self'(;|$)/, `${path}: scripts only from the server itself (${csp})`);
      assert.match(csp, /(^|;)\s*script-src-attr 'none'(;|$)/, `${path}: no inline event handlers`);
      assert.match(csp, /(^|;)\s*frame-ancestors 'none'(;|$)/, `${path}: no framing`);
      assert.equal(headers['x-frame-options'], 'DENY');
      assert.equal(headers['x-content-type-options'], 'nosniff');
      assert.equal(headers['referrer-policy'], 'no-referrer');
    }
    await open('/?range=all');
    await settled();
    await page.locator('#chart-traffic canvas').waitFor();
    await assertNothingRan();
  });

  test('hostile names show as written in breakdown rows, filter values, chips, crumbs and pacing, and run nothing', async () => {
    await open('/?range=all&by=advertiser_id');
    await settled();
    const rows = await texts('#breakdown-table tbody tr.clickable td:first-child');
    assert.ok(rows.length > 3);
    for (const r of rows)
      assert.ok(
        HOSTILE.some((h) => r.startsWith(h)),
        `breakdown row shows its name as text: ${r}`,
      );
    const options = await texts('#filter-value option');
    assert.ok(
      options.some((o) => o.startsWith(HOSTILE[0]!)),
      'filter values list the names as text',
    );
    // Drill down twice: crumbs and chips carry the advertiser's and the campaign's names.
    await page.click('#breakdown-table tbody tr.clickable >> nth=0');
    await settled();
    await page.click('#breakdown-table tbody tr.clickable >> nth=0');
    await settled();
    const crumbs = await page.locator('#crumbs').innerText();
    const chips = await texts('#chips .chip');
    assert.equal(chips.length, 2);
    // "NAME (id)", NAME being one of the hostile strings followed by its kind and id.
    const named = (text: string, kind: string) =>
      HOSTILE.some((h) => text.includes(`${h} ${kind}`)) && new RegExp(` ${kind}\\d+ \\(\\d+\\)`).test(text);
    assert.ok(named(crumbs, 'adv') && named(crumbs, 'cmp'), `crumbs show both names as text: ${crumbs}`);
    assert.ok(
      named(chips[0]!, 'adv') && named(chips[1]!, 'cmp'),
      `chips show both names as text: ${chips.join(' | ')}`,
    );
    await open('/?range=all&by=slot_id');
    await settled();
    assert.ok((await texts('#breakdown-table tbody tr.clickable td:first-child')).every((r) => / slot\d+/.test(r)));
    const pacing = await texts('#pacing-table tbody td:first-child');
    assert.equal(pacing.length, 15);
    for (const p of pacing)
      assert.ok(
        HOSTILE.some((h) => p.startsWith(h)),
        `pacing shows the campaign name as text: ${p}`,
      );
    const advertisers = await texts('#pacing-table tbody td:nth-child(2)');
    for (const a of advertisers) assert.match(a, / adv\d+$/);
    await assertNothingRan();
  });

  test('a link whose range names a built-in property (toString, __proto__) falls back to the default range', async () => {
    for (const range of ['toString', '__proto__', 'constructor']) {
      await open(`/?range=${range}&by=campaign_id`);
      // Settles only once a refresh has succeeded, and the page writes the view it shows back into the URL.
      await settled();
      assert.equal(new URL(page.url()).searchParams.get('range'), '1h', `range=${range} reads as the default`);
      assert.equal(await page.locator('#error').isHidden(), true, `range=${range}: the page refreshes without error`);
      assert.equal(await page.locator('#ranges button[aria-pressed=true]').innerText(), '1h');
    }
    await assertNothingRan();
  });

  test('a crafted shared link shows its values as text and runs nothing', async () => {
    const markup = '<img src=x onerror=window.__pwned=1>';
    await open(
      `/?f.advertiser_id=${encodeURIComponent(markup)}&f.region=${encodeURIComponent('"><script>window.__pwned=1</script>')}&by=${encodeURIComponent('<svg onload=window.__pwned=1>')}&sort=${encodeURIComponent('"><b>')}`,
    );
    await page.locator('#chips .chip').nth(1).waitFor();
    await page.locator('#error').waitFor({ state: 'visible' });
    assert.ok((await page.locator('#crumbs').innerText()).includes(markup), 'the crumb shows the value as written');
    const chips = await texts('#chips .chip');
    assert.ok(
      chips.some((c) => c.includes(markup)),
      `a chip shows the value as written: ${chips.join(' | ')}`,
    );
    assert.equal(
      await page.locator('#by').inputValue(),
      'advertiser_id',
      'an unknown breakdown falls back to the default',
    );
    await assertNothingRan();
  });
});
