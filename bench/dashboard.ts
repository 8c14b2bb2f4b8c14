/**
 * The dashboard's Now page in headless Chromium (Debian's, via playwright-core) against a gridshift server
 * on loopback: the embedded store, the offline configuration (built-in profile) and two loads waiting in
 * Germany. Measured from the start of navigation to the page's `gridshift:now-rendered` mark (figures and
 * chart on the page, after GET /v1/dashboard answered):
 *
 * - cold: a new browser context each time (nothing cached: HTML, script, CSS and the API request);
 * - warm: reloads in one context (the hashed script and CSS come from the browser's cache, index.html is
 *   revalidated, the signal cache is warm on the server).
 *
 * It also gives the JavaScript and CSS the first page loads, gzipped.
 *
 * Run: npm run build:web && node_modules/.bin/node bench/dashboard.ts  (or npm run bench -- dashboard;
 * writes bench/out/dashboard.json). Options: --loads N (per case, default 30).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { createAccounting } from '../src/accounting/ledger.ts';
import { DASHBOARD_DIR } from '../src/api/dashboard-files.ts';
import { buildServer } from '../src/api/server.ts';
import { HOUR_MS, toIso } from '../src/core/time.ts';
import { openQueue } from '../src/runner/queue.ts';
import { createScheduler } from '../src/runner/scheduler.ts';
import { createRegistry } from '../src/signals/registry.ts';
import { openStore } from '../src/store/db.ts';

const BROWSER = '/usr/bin/chromium';
const MARK = 'gridshift:now-rendered';
const LOADS = Number(process.argv[process.argv.indexOf('--loads') + 1]) || 30;
const OUT = fileURLToPath(new URL('out/dashboard.json', import.meta.url));

if (!existsSync(BROWSER) || !existsSync(join(DASHBOARD_DIR, 'index.html'))) {
  console.log(`skipped: needs ${BROWSER} (apt-get install chromium) and the build (npm run build:web)`);
  process.exit(0);
}

/**
 * JavaScript and CSS of the first page, gzipped, bytes: the files index.html names (the pages loaded on
 * their first visit are chunks of their own, not counted).
 */
function firstPageBytes(): { js: number; css: number } {
  const html = readFileSync(join(DASHBOARD_DIR, 'index.html'), 'utf8');
  const named = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1] as string);
  const size = (ext: string) =>
    named
      .filter((f) => f.endsWith(ext))
      .reduce((sum, f) => sum + gzipSync(readFileSync(join(DASHBOARD_DIR, f))).length, 0);
  return { js: size('.js'), css: size('.css') };
}

async function renderedMs(page: Page, url: string): Promise<number> {
  await page.goto(url);
  // functions, not strings: the page's Content-Security-Policy refuses eval, which string predicates need
  await page.waitForFunction((mark) => performance.getEntriesByName(mark).length > 0, MARK);
  return page.evaluate((mark) => performance.getEntriesByName(mark)[0].startTime, MARK);
}

function summary(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { loads: s.length, medianMs: at(0.5), p90Ms: at(0.9), maxMs: s[s.length - 1] };
}

const dataDir = mkdtempSync(join(tmpdir(), 'gridshift-bench-dash-'));
const store = await openStore({ dataDir });
const queue = await openQueue(store, { onError: () => {} });
const registry = createRegistry();
const scheduler = createScheduler({ store, queue, registry, log: () => {}, accounting: createAccounting });
const app = await buildServer({
  scheduler,
  registry,
  store,
  logger: false,
  auth: { openRead: true },
  dashboard: {},
});
try {
  for (const [name, hours] of [
    ['nightly-backup', 12],
    ['ml-training', 20],
  ] as const)
    await scheduler.submit({
      name,
      zones: ['DE'],
      durationMin: 60,
      powerKw: 2,
      deadline: toIso(Date.now() + hours * HOUR_MS),
    });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/?zone=DE`;
  const browser = await chromium.launch({ executablePath: BROWSER, args: ['--no-sandbox'] });
  const cold: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    cold.push(await renderedMs(await context.newPage(), url));
    await context.close();
  }
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  await renderedMs(page, url);
  const warm: number[] = [];
  for (let i = 0; i < LOADS; i++) warm.push(await renderedMs(page, url));
  await browser.close();

  const bytes = firstPageBytes();
  const result = {
    cold: summary(cold),
    warm: summary(warm),
    gzipBytes: bytes,
    cpu: cpus()[0]?.model,
    at: toIso(Date.now()),
  };
  mkdirSync(join(OUT, '..'), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify(result, null, 2)}\n`);
  const row = (what: string, s: ReturnType<typeof summary>) =>
    `| ${what} | ${s.loads} | ${s.medianMs.toFixed(0)} | ${s.p90Ms.toFixed(0)} | ${s.maxMs.toFixed(0)} |`;
  console.log('| Now page, first meaningful render | loads | median ms | p90 ms | max ms |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(row('cold (new browser context each time)', result.cold));
  console.log(row('warm (reload, assets cached)', result.warm));
  console.log(
    `\nFirst page: ${(bytes.js / 1024).toFixed(1)} kB JavaScript and ${(bytes.css / 1024).toFixed(1)} kB CSS, gzipped.`,
  );
} finally {
  await app.close();
  await scheduler.close();
  await queue.stop({ graceful: false });
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
