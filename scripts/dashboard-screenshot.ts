// Regenerates docs/dashboard.png, the README's screenshot: the live demo after it has run for a few minutes.
// Usage: npm run screenshot -- [seconds of traffic before the shot, default 240]
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { startAdwServer } from '../test/support/adw-server.ts';
import { launchChromium } from '../test/support/browser.ts';

const seconds = Number(process.argv[2] ?? 240);
const out = fileURLToPath(new URL('../docs/dashboard.png', import.meta.url));
const demo = await startAdwServer(['demo', '--port', '0', '--rate', '3000']);
const browser = await launchChromium();
try {
  await sleep(seconds * 1000);
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(`${demo.url}/?range=15m&by=campaign_id`);
  await page.waitForFunction(() => document.body.dataset.view === location.search);
  await sleep(1500);
  await page.screenshot({ path: out, fullPage: true });
  process.stdout.write(`wrote ${out}\n`);
} finally {
  await browser.close();
  await demo.stop();
}
