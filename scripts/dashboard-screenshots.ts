/**
 * Screenshots of the dashboard for docs/img/, taken from the real pages: a gridshift server on a fresh
 * embedded store with the offline configuration (the built-in profile, no network), two loads waiting in
 * Germany, a few that ran over the last days (accounted on the profile), one dead, and Debian's Chromium
 * at 1100 and 390 px wide.
 *
 *   npm run build:web && node scripts/dashboard-screenshots.ts
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { accountLoad, createAccounting } from '../src/accounting/ledger.ts';
import { buildServer } from '../src/api/server.ts';
import { DAY_MS, floorToStep, HOUR_MS, toIso } from '../src/core/time.ts';
import { openQueue } from '../src/runner/queue.ts';
import { createScheduler } from '../src/runner/scheduler.ts';
import { createRegistry } from '../src/signals/registry.ts';
import { openStore } from '../src/store/db.ts';
import { type Load, moveLoad } from '../src/store/loads.ts';

const out = resolve('docs/img');
const dataDir = mkdtempSync(join(tmpdir(), 'gridshift-shots-'));
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
  const now = Date.now();
  for (const [name, hours, durationMin] of [
    ['nightly-backup', 12, 60],
    ['ml-training', 20, 180],
  ] as const)
    await scheduler.submit({
      name,
      zones: ['DE'],
      durationMin,
      powerKw: 2,
      deadline: toIso(now + hours * HOUR_MS),
    });
  // loads that ran: submitted at 18:00 UTC on one of the last days, run in the night's cleanest hours
  const today = floorToStep(now, 24 * 60);
  for (const [name, tag, zone, daysAgo, powerKw] of [
    ['nightly-backup', 'backup', 'DE', 1, 2],
    ['nightly-backup', 'backup', 'DE', 2, 2],
    ['ml-training', 'ml', 'FR', 2, 6],
    ['nightly-backup', 'backup', 'DE', 3, 2],
    ['ml-training', 'ml', 'DE', 4, 6],
  ] as const) {
    const submitted = today - daysAgo * DAY_MS + 18 * HOUR_MS - DAY_MS;
    const { load } = await scheduler.submit(
      {
        name,
        tags: [tag],
        zones: [zone],
        durationMin: 120,
        powerKw,
        deadline: toIso(submitted + 14 * HOUR_MS),
      },
      { nowMs: submitted },
    );
    const start = load.plannedStartMs ?? submitted;
    await moveLoad(store, load.id, ['waiting', 'planned'], 'running', { nowMs: start, setAttempt: 1 });
    const done = await moveLoad(store, load.id, 'running', 'succeeded', {
      nowMs: start + 2 * HOUR_MS,
      appendRuns: [{ startMs: start, endMs: start + 2 * HOUR_MS }],
    });
    await accountLoad(scheduler.context, done.load as Load);
  }
  const { load: failing } = await scheduler.submit({
    name: 'export-to-s3',
    zones: ['DE'],
    durationMin: 30,
    powerKw: 1,
    deadline: toIso(now + 6 * HOUR_MS),
  });
  await moveLoad(store, failing.id, ['waiting', 'planned'], 'dead', {
    detail: { event: 'dead_letter', error: 'exit 2: bucket not found' },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const url = `${base}/?zone=DE`;
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  mkdirSync(out, { recursive: true });
  for (const [file, width] of [
    ['dashboard-now.png', 1100],
    ['dashboard-now-phone.png', 390],
  ] as const) {
    const page = await browser.newPage({ viewport: { width, height: 800 } });
    await page.goto(url);
    await page.getByTestId('signal-chart').locator('canvas').waitFor();
    await page.screenshot({ path: join(out, file), fullPage: true });
    await page.close();
    console.log(`docs/img/${file}`);
  }
  for (const [file, path, ready] of [
    ['dashboard-queue.png', '/queue', 'count-dead'],
    ['dashboard-savings.png', '/savings?period=7d', 'total-energy'],
    ['dashboard-report.png', '/savings/report?period=7d', 'total-energy'],
  ] as const) {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`${base}${path}`);
    await page.getByTestId(ready).waitFor();
    if (path.startsWith('/savings?')) await page.getByTestId('trend-chart').locator('canvas').waitFor();
    await page.screenshot({ path: join(out, file), fullPage: true });
    await page.close();
    console.log(`docs/img/${file}`);
  }
  await browser.close();
} finally {
  await app.close();
  await scheduler.close();
  await queue.stop({ graceful: false });
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
