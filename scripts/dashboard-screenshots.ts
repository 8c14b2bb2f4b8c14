/**
 * Screenshots of the dashboard for docs/img/, taken from the real pages: a gridshift server on a fresh
 * embedded store with the offline configuration (the built-in profile, no network), two loads waiting in
 * Germany, and Debian's Chromium at 1200 and 390 px wide.
 *
 *   npm run build:web && node scripts/dashboard-screenshots.ts
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { createAccounting } from '../src/accounting/ledger.ts';
import { buildServer } from '../src/api/server.ts';
import { HOUR_MS, toIso } from '../src/core/time.ts';
import { openQueue } from '../src/runner/queue.ts';
import { createScheduler } from '../src/runner/scheduler.ts';
import { createRegistry } from '../src/signals/registry.ts';
import { openStore } from '../src/store/db.ts';

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
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/?zone=DE`;
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
  await browser.close();
} finally {
  await app.close();
  await scheduler.close();
  await queue.stop({ graceful: false });
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
