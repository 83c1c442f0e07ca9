import { parse } from 'csv-parse/sync';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { writeSimulation } from '../../src/simulator/simulate.ts';
import { DuckDbWarehouse } from '../../src/warehouse/duckdb/warehouse.ts';
import { startAdwServer, type AdwServer } from '../support/adw-server.ts';
import { launchChromium } from '../support/browser.ts';
import { adwJson, adwSync, show } from '../support/cli.ts';

// A finished warehouse served by `adw serve` behind a token: the page's numbers must equal the API's, and the API's
// must equal sums computed here straight from the warehouse tables.
const TOKEN = 'browser-test-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'adw-web-'));
const db = join(dir, 'w.duckdb');
let server: AdwServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

/** Truth from the warehouse, read before the server opens it. */
let truth: {
  totals: Record<string, number>;
  byRegion: Map<string, { clicks: number; requests: number }>;
  campaignsOf: Map<number, Set<number>>;
  adsOf: Map<number, Set<number>>;
  byAd: Map<number, { clicks: number; spendNanos: number }>;
  spendByCampaign: Map<number, number>;
  budgetOf: Map<number, number>;
  deadLetters: number;
};

const nanos = (v: unknown) => Math.round(Number(v) * 1e9);

async function api(path: string): Promise<Record<string, any>> {
  const r = await fetch(new URL(path, server.url), { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
  return (await r.json()) as Record<string, any>;
}

/** Waits until the page has drawn the view its URL describes (each refresh stamps the view it drew). */
async function settled(): Promise<void> {
  await page.waitForFunction(() => document.body.dataset.view === location.search, null, { timeout: 10_000 });
}

const attr = async (selector: string, name = 'data-value') =>
  (await page.locator(selector).first().getAttribute(name))!;
const view = () => new URL(page.url()).searchParams;

/** The breakdown table as the page shows it: dimension value and metric values by column. */
async function tableRows(): Promise<Record<string, string>[]> {
  return page.$$eval('#breakdown-table tbody tr', (trs) =>
    trs.map((tr) =>
      Object.fromEntries([...tr.querySelectorAll('td')].map((td) => [td.dataset.col!, td.dataset.value!])),
    ),
  );
}

describe('the dashboard, driven in a real headless Chromium', { timeout: 300_000 }, () => {
  before(async () => {
    const input = join(dir, 'events.ndjson');
    const sim = adwSync(dir, ['simulate', '--seed', '11', '--events', '60000', '--span', '1h', '--out', input]);
    assert.equal(sim.status, 0, show(sim));
    adwJson(dir, ['run', '--input', input, '--db', db, '--until-end', '--quiet']);
    const wh = await DuckDbWarehouse.open(db, { readOnly: true });
    const q = (sql: string) => wh.query(sql);
    const [t] = await q(
      `SELECT CAST(sum(requests) AS BIGINT) AS requests, CAST(sum(exposures) AS BIGINT) AS exposures, CAST(sum(clicks) AS BIGINT) AS clicks, CAST(sum(spend_nanos) AS BIGINT) AS spend_nanos FROM dwa_ad_minute`,
    );
    truth = {
      totals: Object.fromEntries(Object.entries(t!).map(([k, v]) => [k, Number(v)])),
      byRegion: new Map(
        (
          await q(
            `SELECT region, CAST(sum(clicks) AS BIGINT) AS clicks, CAST(sum(requests) AS BIGINT) AS requests FROM dwa_ad_minute GROUP BY region`,
          )
        ).map((r) => [String(r.region), { clicks: Number(r.clicks), requests: Number(r.requests) }]),
      ),
      campaignsOf: new Map(),
      adsOf: new Map(),
      byAd: new Map(
        (
          await q(
            `SELECT ad_id, CAST(sum(clicks) AS BIGINT) AS clicks, CAST(sum(spend_nanos) AS BIGINT) AS spend FROM dwa_ad_minute WHERE ad_id IS NOT NULL GROUP BY ad_id`,
          )
        ).map((r) => [Number(r.ad_id), { clicks: Number(r.clicks), spendNanos: Number(r.spend) }]),
      ),
      spendByCampaign: new Map(
        (
          await q(
            `SELECT campaign_id, CAST(sum(spend_nanos) AS BIGINT) AS spend FROM dwa_ad_minute WHERE campaign_id IS NOT NULL AND minute < TIMESTAMP '2026-01-02 00:00:00' GROUP BY campaign_id`,
          )
        ).map((r) => [Number(r.campaign_id), Number(r.spend)]),
      ),
      budgetOf: new Map(),
      deadLetters: Number((await q(`SELECT count(*) AS n FROM ods_dead_letter`))[0]!.n),
    };
    for (const r of await q(`SELECT campaign_id, advertiser_id, budget FROM dim_campaign`)) {
      const set = truth.campaignsOf.get(Number(r.advertiser_id)) ?? new Set<number>();
      truth.campaignsOf.set(Number(r.advertiser_id), set.add(Number(r.campaign_id)));
      truth.budgetOf.set(Number(r.campaign_id), Number(r.budget));
    }
    for (const r of await q(`SELECT ad_id, campaign_id FROM dim_ad`)) {
      const set = truth.adsOf.get(Number(r.campaign_id)) ?? new Set<number>();
      truth.adsOf.set(Number(r.campaign_id), set.add(Number(r.ad_id)));
    }
    await wh.close();
    server = await startAdwServer(['serve', '--db', db, '--port', '0'], { ADW_API_TOKEN: TOKEN });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('pageerror', (e) => assert.fail(`the page threw: ${e.message}`));
  });

  after(async () => {
    await browser?.close();
    const code = await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0, 'adw serve stops cleanly on Ctrl-C');
  });

  test('without the token the API refuses and the page asks to sign in; a wrong token is refused, the right one opens the view', async () => {
    assert.equal((await fetch(new URL('/api/query?metrics=clicks', server.url))).status, 401);
    assert.equal(
      (
        await fetch(new URL('/api/query?metrics=clicks', server.url), {
          headers: { authorization: 'Bearer not-the-token-at-all' },
        })
      ).status,
      401,
    );
    assert.equal((await fetch(new URL('/api/health', server.url))).status, 200, 'liveness stays open');
    await page.goto(`${server.url}/?range=all&by=region`);
    assert.equal(new URL(page.url()).pathname, '/login');
    await page.fill('#token', 'not-the-token-at-all');
    await page.click('button[type=submit]');
    await page.locator('#login-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#login-error').innerText(), /not valid/);
    await page.fill('#token', TOKEN);
    await page.click('button[type=submit]');
    await page.waitForURL((u) => u.pathname === '/');
    await settled();
    assert.equal(view().get('by'), 'region', 'the view asked for before signing in is the one shown after');
    assert.equal(view().get('range'), 'all');
  });

  test('after signing in, a crafted "next" never leads off the server (no open redirect)', async () => {
    // Four sign-ins: with the test above, well inside the sign-in limit of 10 a minute per client.
    const origin = new URL(server.url).origin;
    for (const next of ['/\\example.com/x', '//example.com', 'https://example.com/', 'javascript:alert(1)']) {
      await page.goto(`${server.url}/login?next=${encodeURIComponent(next)}`);
      await page.fill('#token', TOKEN);
      await page.click('button[type=submit]');
      const deadline = Date.now() + 10_000;
      while (new URL(page.url()).pathname === '/login' && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.equal(new URL(page.url()).origin, origin, `next=${JSON.stringify(next)} led to ${page.url()}`);
    }
  });

  test('the tiles show the API totals, and those are the warehouse sums', async () => {
    await page.goto(`${server.url}/?range=all`);
    await settled();
    const answer = await api((await attr('#tiles', 'data-query'))!);
    const row = answer.rows[0];
    for (const m of ['requests', 'exposures', 'clicks', 'ctr', 'viewability_rate', 'spend', 'ecpm']) {
      assert.equal(Number(await attr(`#tiles [data-metric="${m}"]`)), row[m], `tile ${m} shows the API's value`);
    }
    assert.equal(row.requests, truth.totals.requests);
    assert.equal(row.exposures, truth.totals.exposures);
    assert.equal(row.clicks, truth.totals.clicks);
    assert.equal(nanos(row.spend), truth.totals.spend_nanos);
    assert.ok(truth.totals.clicks! > 100, 'a workload with clicks to count');
    assert.equal(
      await page.locator('#tiles [data-metric="clicks"] .v').innerText(),
      truth.totals.clicks!.toLocaleString('en-US'),
    );
    assert.equal(
      await attr('#tiles [data-metric="clicks"]', 'data-previous'),
      '',
      '"all" has no previous range to compare with',
    );
  });

  test('over a bounded range the tiles compare with the range just before, as the API counts it', async () => {
    await page.goto(`${server.url}/?range=6h`);
    await settled();
    const shown = new URL((await attr('#tiles', 'data-query'))!, server.url).searchParams;
    const from = Date.parse(shown.get('from')!);
    const to = Date.parse(shown.get('to')!);
    const before = await api(
      `/api/query?metrics=requests,clicks,ctr&from=${new Date(2 * from - to).toISOString()}&to=${new Date(from).toISOString()}`,
    );
    const now = await api(
      `/api/query?metrics=requests,clicks,ctr&from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`,
    );
    assert.equal(Number(await attr('#tiles [data-metric="requests"]', 'data-previous')), before.rows[0].requests);
    assert.ok(
      before.rows[0].clicks > 0 && now.rows[0].clicks > 0,
      'both ranges hold clicks (the later one only late ones)',
    );
    const rel = ((now.rows[0].clicks - before.rows[0].clicks) / before.rows[0].clicks) * 100;
    assert.equal(
      await page.locator('#tiles [data-metric="clicks"] .d').innerText(),
      `${rel >= 0 ? '▲' : '▼'} ${Math.abs(rel).toFixed(1)}% vs previous 6h`,
    );
  });

  test('the charts are uPlot canvases holding the API series, redrawn in place on refresh', async () => {
    await page.goto(`${server.url}/?range=all`);
    await settled();
    await page.locator('#chart-traffic canvas').waitFor();
    const answer = await api((await attr('#chart-traffic', 'data-query'))!);
    assert.ok(answer.rows.length > 1);
    assert.equal(Number(await attr('#chart-traffic', 'data-points')), answer.rows.length);
    await page.evaluate(
      () => ((document.querySelector('#chart-traffic canvas') as HTMLCanvasElement & { tag?: string }).tag = 'first'),
    );
    const epoch = await page.evaluate(() => document.querySelector('#chart-traffic')!.getAttribute('data-query'));
    await page.waitForTimeout(2500);
    assert.equal(
      await page.evaluate(
        () => (document.querySelector('#chart-traffic canvas') as HTMLCanvasElement & { tag?: string }).tag,
      ),
      'first',
      'the same canvas after refreshes: no teardown, no flicker',
    );
    assert.equal(
      await page.evaluate(() => document.querySelector('#chart-traffic')!.getAttribute('data-query')),
      epoch,
    );
    await page.click('#ranges button[data-range="15m"]');
    await settled();
    assert.equal(view().get('range'), '15m');
    assert.ok(
      Number(await attr('#chart-traffic', 'data-points')) <= 15,
      'a 15-minute range has at most 15 minute points',
    );
  });

  test('sorting by a column orders the rows both ways, as the API does', async () => {
    await page.goto(`${server.url}/?range=all&by=campaign_id`);
    await settled();
    await page.click('#breakdown-table th[data-col="clicks"]');
    await settled();
    assert.equal(view().get('sort'), 'clicks');
    assert.equal(await attr('#breakdown-table th[data-col="clicks"]', 'aria-sort'), 'descending');
    let clicks = (await tableRows()).map((r) => Number(r.clicks));
    assert.deepEqual(
      clicks,
      [...clicks].sort((a, b) => b - a),
    );
    const answer = await api((await attr('#breakdown-table', 'data-query'))!);
    assert.deepEqual(
      clicks,
      answer.rows.map((r: Record<string, number>) => r.clicks),
    );
    await page.click('#breakdown-table th[data-col="clicks"]');
    await settled();
    assert.equal(view().get('dir'), 'asc');
    clicks = (await tableRows()).map((r) => Number(r.clicks));
    assert.deepEqual(
      clicks,
      [...clicks].sort((a, b) => a - b),
    );
  });

  test('drill-down goes advertiser -> campaign -> creative, each level the warehouse sums of its children, and the URL reproduces it', async () => {
    await page.goto(`${server.url}/?range=all&by=advertiser_id`);
    await settled();
    const advertiser = Number(await attr('#breakdown-table tbody tr.clickable', 'data-key'));
    await page.click('#breakdown-table tbody tr.clickable >> nth=0');
    await settled();
    assert.equal(view().get('by'), 'campaign_id');
    assert.equal(view().get('f.advertiser_id'), String(advertiser));
    const campaigns = (await tableRows()).map((r) => Number(r.campaign_id));
    assert.ok(campaigns.length > 0);
    for (const c of campaigns)
      assert.ok(truth.campaignsOf.get(advertiser)!.has(c), `campaign ${c} belongs to advertiser ${advertiser}`);
    const campaign = campaigns[0]!;
    await page.click(`#breakdown-table tbody tr[data-key="${campaign}"]`);
    await settled();
    assert.equal(view().get('by'), 'ad_id');
    assert.equal(view().get('f.campaign_id'), String(campaign));
    const ads = await tableRows();
    assert.ok(ads.length > 0);
    for (const r of ads) {
      const ad = Number(r.ad_id);
      assert.ok(truth.adsOf.get(campaign)!.has(ad), `creative ${ad} belongs to campaign ${campaign}`);
      assert.equal(Number(r.clicks), truth.byAd.get(ad)!.clicks, `clicks of creative ${ad}`);
      assert.equal(nanos(r.spend), truth.byAd.get(ad)!.spendNanos, `spend of creative ${ad}`);
    }
    assert.match(await page.locator('#crumbs').innerText(), /All advertisers\s*›\s*.+\s*›\s*.+/);
    const shared = page.url();
    const other = await context.newPage();
    await other.goto(shared);
    await other.waitForFunction(() => document.body.dataset.view === location.search);
    assert.deepEqual(
      await other.$$eval('#breakdown-table tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.key)),
      ads.map((r) => r.ad_id),
      'the shared link shows the same creatives',
    );
    assert.equal(await other.locator('#chips .chip').count(), 2, 'and the same two filters');
    await other.close();
    await page.click('#crumbs a[data-level="1"]');
    await settled();
    assert.equal(view().get('by'), 'campaign_id', 'the advertiser crumb goes back to its campaigns');
    await page.focus(`#breakdown-table tbody tr[data-key="${campaign}"]`);
    await page.keyboard.press('Enter');
    await settled();
    assert.equal(
      view().get('f.campaign_id'),
      String(campaign),
      'a focused row drills down with Enter, as with a click',
    );
    await page.click('#crumbs a[data-level="0"]');
    await settled();
    assert.equal(view().get('by'), 'advertiser_id');
    assert.equal(view().get('f.advertiser_id'), null, 'going back up drops the filters below');
    await page.goBack();
    await settled();
    assert.equal(view().get('by'), 'ad_id', 'the browser back button returns to the drilled view');
  });

  test('a filter added with the form narrows every panel to the warehouse figures of that slice, and removing it restores them', async () => {
    await page.goto(`${server.url}/?range=all&by=advertiser_id`);
    await settled();
    await page.selectOption('#filter-dim', 'region');
    await page.waitForFunction(
      () =>
        (document.querySelector('#filter-value') as HTMLSelectElement).options.length > 0 &&
        (document.querySelector('#filter-value') as HTMLSelectElement).options[0]!.value.length > 0 &&
        !/^\d+$/.test((document.querySelector('#filter-value') as HTMLSelectElement).options[0]!.value),
    );
    const region = await page.locator('#filter-value').inputValue();
    await page.click('#add-filter button[type=submit]');
    await settled();
    assert.equal(view().get('f.region'), region);
    assert.equal(await page.locator('#chips .chip').count(), 1);
    assert.equal(Number(await attr('#tiles [data-metric="clicks"]')), truth.byRegion.get(region)!.clicks);
    assert.equal(Number(await attr('#tiles [data-metric="requests"]')), truth.byRegion.get(region)!.requests);
    const rows = await tableRows();
    assert.ok(rows.length < 100, 'every advertiser fits in the table');
    const sumOfRows = rows.reduce((s, r) => s + Number(r.requests), 0);
    assert.equal(sumOfRows, truth.byRegion.get(region)!.requests, 'the breakdown rows add up to the slice');
    await page.click('#chips .chip button');
    await settled();
    assert.equal(view().get('f.region'), null);
    assert.equal(Number(await attr('#tiles [data-metric="clicks"]')), truth.totals.clicks);
  });

  test('Export CSV downloads the table the page shows, for the breakdown and for pacing', async () => {
    await page.goto(`${server.url}/?range=all&by=campaign_id&sort=clicks&dir=desc`);
    await settled();
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#breakdown-csv')]);
    const csv = parse(readFileSync((await download.path())!), { columns: true }) as Record<string, string>[];
    const shown = await tableRows();
    assert.ok(csv.length >= shown.length && shown.length > 0);
    assert.deepEqual(
      csv.slice(0, shown.length).map((r) => [r.campaign_id, Number(r.clicks), nanos(r.spend)]),
      shown.map((r) => [r.campaign_id, Number(r.clicks), nanos(r.spend)]),
    );
    assert.ok('campaign_name' in csv[0]!, 'with display names');
    const [pacingDownload] = await Promise.all([page.waitForEvent('download'), page.click('#pacing-csv')]);
    const pacingCsv = parse(readFileSync((await pacingDownload.path())!), { columns: true }) as Record<
      string,
      string
    >[];
    assert.equal(pacingCsv.length, truth.budgetOf.size, 'every campaign in the pacing file');
    for (const r of pacingCsv)
      assert.equal(
        nanos(r.spend),
        truth.spendByCampaign.get(Number(r.campaign_id)) ?? 0,
        `pacing spend of campaign ${r.campaign_id}`,
      );
  });

  test("pacing shows today's spend against each campaign's daily budget, busiest first", async () => {
    await page.goto(`${server.url}/?range=all`);
    await settled();
    assert.match(await page.locator('#pacing-day').innerText(), /^2026-01-01, as of/);
    const rows = await page.$$eval('#pacing-table tbody tr', (trs) =>
      trs.map((tr) => ({
        id: Number((tr as HTMLElement).dataset.campaignId),
        spend: tr.querySelector('[data-col="spend"]')!.getAttribute('data-value')!,
        budget: Number(tr.querySelector('[data-col="budget"]')!.getAttribute('data-value')),
        used: Number(tr.querySelector('[data-col="budget_used"]')!.getAttribute('data-value')),
      })),
    );
    assert.equal(rows.length, 15);
    const expected = [...truth.spendByCampaign].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 15);
    assert.deepEqual(
      rows.map((r) => [r.id, nanos(r.spend)]),
      expected,
    );
    for (const r of rows) {
      assert.equal(r.budget, truth.budgetOf.get(r.id));
      assert.ok(Math.abs(r.used - Number(r.spend) / r.budget) < 1e-9);
    }
  });

  test('on a phone-sized screen, pacing keeps every campaign and its status in view without scrolling sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${server.url}/?range=all`);
      await settled();
      const layout = await page.$eval('#pacing-table', (table) => {
        const box = table.parentElement!.getBoundingClientRect();
        return {
          overflow: table.parentElement!.scrollWidth - table.parentElement!.clientWidth,
          outside: [...table.querySelectorAll('tbody td[data-col="status"], tbody td:first-child')].filter((td) => {
            const r = td.getBoundingClientRect();
            return r.width === 0 || r.left < box.left || r.right > box.right + 0.5;
          }).length,
          rows: (table as HTMLTableElement).tBodies[0]!.rows.length,
        };
      });
      assert.equal(layout.rows, 15);
      assert.equal(layout.outside, 0, 'campaign and status cells lie inside the visible table');
      assert.ok(layout.overflow <= 0, `the table is ${layout.overflow}px wider than its box`);
    } finally {
      await page.setViewportSize({ width: 1400, height: 1000 });
    }
  });

  test('on common laptop screens (1366 and 1400 px wide), the whole pacing table is in view without scrolling sideways', async () => {
    for (const [width, height] of [
      [1366, 768],
      [1400, 900],
    ] as const) {
      await page.setViewportSize({ width, height });
      await page.goto(`${server.url}/?range=all`);
      await settled();
      const layout = await page.$eval('#pacing-table', (table) => {
        const box = table.parentElement!.getBoundingClientRect();
        return {
          overflow: table.parentElement!.scrollWidth - table.parentElement!.clientWidth,
          pageOverflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          hidden: [...table.querySelectorAll('th, td')].filter((c) => c.getBoundingClientRect().width === 0).length,
          // Inside the table's visible box (not scrolled out of it), and inside the window.
          outside: [...table.querySelectorAll('tbody td[data-col="status"], tbody td[data-col="pace"]')].filter(
            (td) => {
              const r = td.getBoundingClientRect();
              return r.left < box.left || r.right > Math.min(box.right + 0.5, window.innerWidth);
            },
          ).length,
          rows: (table as HTMLTableElement).tBodies[0]!.rows.length,
        };
      });
      assert.equal(layout.rows, 15);
      assert.equal(layout.hidden, 0, `${width} px: every pacing column is shown`);
      assert.equal(layout.outside, 0, `${width} px: pace and status cells lie inside the window`);
      assert.ok(layout.overflow <= 0, `${width} px: the table is ${layout.overflow}px wider than its box`);
      assert.ok(layout.pageOverflow <= 0, `${width} px: the page is ${layout.pageOverflow}px wider than the window`);
    }
    await page.setViewportSize({ width: 1400, height: 1000 });
  });

  test('a finished replay is as fresh as its last commit, its event time is labelled as behind the wall clock, and no minute is still filling', async () => {
    await page.goto(`${server.url}/?range=1h`);
    await settled();
    const f = (await api('/api/status')).freshness;
    const committed = Date.parse(f.committed_at);
    const asOf = Date.parse(f.as_of);
    assert.ok(committed - asOf > 86_400_000, 'the simulated traffic of 2026-01-01 is days behind the wall clock');
    const tile = '#tiles [data-metric="freshness"]';
    const lag = Number(await attr(tile));
    const eventLag = Number(await attr(tile, 'data-event-lag'));
    assert.ok(lag >= 0 && lag <= Date.now() - committed, `data freshness ${lag} ms is the age of the last commit`);
    assert.equal(eventLag - lag, committed - asOf, 'event-time lag is measured from as_of, on the same clock');
    assert.match(await page.locator(`${tile} .d`).innerText(), /^event time [\d.]+ d behind the wall clock$/);
    assert.equal(
      await page.locator('#freshness').innerText(),
      `events up to ${f.as_of.replace('T', ' ').slice(0, 19)} UTC`,
    );
    assert.equal(f.filling_from, null, 'the run read its input to the end');
    for (const chart of ['#chart-traffic', '#chart-spend']) {
      assert.equal(await attr(chart, 'data-filling-points'), '0', `${chart}: its last minute is drawn as the others`);
      assert.equal(await page.locator(`${chart} + .filling-note`).isVisible(), false);
    }
  });

  test('pipeline health shows the warehouse checkpoint: records in, dead letters, checkpoint age', async () => {
    await page.goto(`${server.url}/?range=all`);
    await settled();
    const status = await api('/api/status');
    assert.equal(status.pipeline, null, 'adw serve runs no engine');
    assert.equal(Number(await attr('#health-list [data-key="dead_letters"]')), truth.deadLetters);
    assert.ok(truth.deadLetters > 0, 'the workload has malformed records');
    assert.equal(Number(await attr('#health-list [data-key="records_in"]')), status.checkpoint.records_in);
    assert.ok(Number(await attr('#health-list [data-key="checkpoint_age"]')) > 0);
    assert.match(await page.locator('#health-mode').innerText(), /no engine/);
  });
});

describe('the dashboard of a run still following its input, in a real headless Chromium', { timeout: 300_000 }, () => {
  const liveDir = mkdtempSync(join(tmpdir(), 'adw-web-live-'));
  let run: AdwServer;
  let liveBrowser: Browser;
  let live: Page;
  let lines: number;

  const liveApi = async (path: string): Promise<Record<string, any>> => {
    const r = await fetch(new URL(path, run.url), { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
    return (await r.json()) as Record<string, any>;
  };
  const liveAttr = async (selector: string, name = 'data-value') =>
    (await live.locator(selector).first().getAttribute(name))!;

  before(async () => {
    const input = join(liveDir, 'events.ndjson');
    // A replay 100 days old, read by an engine that keeps following the file: its last minute is still filling.
    ({ lines } = await writeSimulation(
      { seed: 12, events: 30_000, spanMs: 20 * 60_000, startMs: Date.now() - 100 * 86_400_000 },
      input,
    ));
    run = await startAdwServer(
      ['run', '--input', input, '--db', join(liveDir, 'w.duckdb'), '--api-port', '0', '--quiet'],
      { ADW_API_TOKEN: TOKEN },
    );
    let status: Record<string, any> = {};
    for (let i = 0; i < 300 && status.checkpoint?.records_in !== lines; i++) {
      status = await liveApi('/api/status');
      if (status.checkpoint.records_in !== lines) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status.checkpoint.records_in, lines, 'the engine has committed the whole file');
    liveBrowser = await launchChromium();
    const liveContext = await liveBrowser.newContext({
      viewport: { width: 1400, height: 1000 },
      extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` },
    });
    live = await liveContext.newPage();
    live.on('pageerror', (e) => assert.fail(`the page threw: ${e.message}`));
  });

  after(async () => {
    await liveBrowser?.close();
    const code = await run?.stop();
    rmSync(liveDir, { recursive: true, force: true });
    assert.equal(code, 0, 'adw run stops cleanly on Ctrl-C');
  });

  test('the still-filling minute is drawn dashed and marked in the legend with the API value; the tiles equal the API', async () => {
    // A day at minute grain: the replay's twenty minutes of requests, then its tail of late clicks up to as_of.
    await live.goto(`${run.url}/?range=24h`);
    await live.waitForFunction(() => document.body.dataset.view === location.search, null, { timeout: 10_000 });
    await live.locator('#chart-traffic canvas').waitFor();
    const f = (await liveApi('/api/status')).freshness;
    assert.notEqual(f.filling_from, null, 'an engine still following its input has a minute still filling');
    const series = await liveApi(await liveAttr('#chart-traffic', 'data-query'));
    const filling = series.rows.filter((r: { time: string }) => {
      const t = Date.parse(r.time.endsWith('Z') ? r.time : `${r.time.replace(' ', 'T')}Z`);
      return t + 60_000 > Date.parse(f.filling_from);
    });
    assert.ok(
      filling.length >= 1 && filling.length < series.rows.length,
      `${filling.length} of ${series.rows.length} minutes from ${f.filling_from} are still filling`,
    );
    for (const chart of ['#chart-traffic', '#chart-spend']) {
      assert.equal(await liveAttr(chart, 'data-filling-from'), f.filling_from);
      assert.equal(Number(await liveAttr(chart, 'data-filling-points')), filling.length, `${chart}: filling points`);
      assert.equal(Number(await liveAttr(chart, 'data-points')), series.rows.length, `${chart}: every API row drawn`);
      assert.match(
        await live.locator(`${chart} + .filling-note`).innerText(),
        /^Dashed from \d\d:\d\d UTC: still filling/,
      );
    }
    // The pointer on the last minute: the legend shows the API's value for it, marked as still filling.
    const over = await live.locator('#chart-traffic .u-over').boundingBox();
    await live.mouse.move(over!.x + over!.width - 1, over!.y + over!.height / 2);
    const last = series.rows.at(-1);
    assert.ok(last.clicks > 0, "the last minute holds the replay's newest event, a click");
    for (const m of ['requests', 'clicks']) {
      const legend = live.locator('#chart-traffic .u-legend tr.u-series:not(.filling)', {
        hasText: new RegExp(`^${m}`),
      });
      await legend
        .locator('.u-value')
        .filter({ hasText: /still filling/ })
        .waitFor({ timeout: 5_000 });
      assert.equal(
        await legend.locator('.u-value').innerText(),
        `${last[m].toLocaleString('en-US')} (still filling)`,
        `the legend's ${m} of the last minute`,
      );
    }
    const totals = await liveApi(await liveAttr('#tiles', 'data-query'));
    for (const m of ['requests', 'exposures', 'clicks', 'spend'])
      assert.equal(Number(await liveAttr(`#tiles [data-metric="${m}"]`)), totals.rows[0][m], `tile ${m}`);
    const eventLag = Number(await liveAttr('#tiles [data-metric="freshness"]', 'data-event-lag'));
    assert.ok(eventLag > 99 * 86_400_000, 'the replay is 100 days behind in event time');
    assert.ok(Number(await liveAttr('#tiles [data-metric="freshness"]')) < eventLag, 'and fresh by the wall clock');
  });
});
