/**
 * Screenshots of the dashboard for docs/img/, taken from the real pages: a gridshift server on a fresh
 * embedded store with the offline configuration (the built-in profile, no network), two loads waiting in
 * Germany, a few that ran over the last days (accounted on the profile), one dead, a home in Berlin (battery,
 * EV, two appliances, PV on the clear-sky model) solved every half hour of the last six with a reading
 * each, and Debian's Chromium at 1100 and 390 px wide.
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
import { DAY_MS, floorToStep, HOUR_MS, MINUTE_MS, toIso } from '../src/core/time.ts';
import { createHomeController } from '../src/home/controller.ts';
import { createHomePublisher } from '../src/home/publish.ts';
import { MqttPool } from '../src/runner/dispatch/mqtt.ts';
import { openQueue } from '../src/runner/queue.ts';
import { createScheduler } from '../src/runner/scheduler.ts';
import { parseConfig } from '../src/signals/config.ts';
import { createRegistry } from '../src/signals/registry.ts';
import { openStore } from '../src/store/db.ts';
import { recordHomeMeasurements } from '../src/store/home.ts';
import { type Load, moveLoad } from '../src/store/loads.ts';

const out = resolve('docs/img');
const dataDir = mkdtempSync(join(tmpdir(), 'gridshift-shots-'));
const store = await openStore({ dataDir });
const queue = await openQueue(store, { onError: () => {} });
const config = parseConfig({
  home: {
    zone: 'DE',
    timeZone: 'Europe/Berlin',
    horizonHours: 24,
    exportPricePerKwh: 0.08,
    baseLoadKw: 0.5,
    battery: { socMinKwh: 1, socMaxKwh: 9.5, maxChargeKw: 4, maxDischargeKw: 4, initialSocKwh: 4 },
    ev: {
      energyNeededKwh: 14,
      maxChargeKw: 11,
      minChargeKw: 4.1,
      efficiency: 0.9,
      arrive: '18:00',
      depart: '07:30',
      phases: 3,
      volts: 230,
    },
    appliances: [
      { id: 'dishwasher', powerKw: 1.8, durationMin: 120, earliest: '19:00', latestEnd: '07:00' },
      { id: 'washer', powerKw: 2, durationMin: 90, earliest: '09:00', latestEnd: '18:00' },
    ],
    pv: { source: 'clearSky', latitude: 52.52, longitude: 13.4, kwp: 8, tiltDeg: 30, azimuthDeg: 0 },
  },
});
const registry = createRegistry({ config });
const scheduler = createScheduler({ store, queue, registry, log: () => {}, accounting: createAccounting });
const home = config.home;
if (!home) throw new Error('no home');
let homeClock = Date.now() - 6 * HOUR_MS;
const mqtt = new MqttPool();
const homeController = createHomeController({
  home,
  store,
  registry,
  bus: scheduler.context.bus,
  now: () => homeClock,
  publisher: createHomePublisher(home.publish, { mqtt }),
});
const app = await buildServer({
  scheduler,
  home: homeController,
  registry,
  config,
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
  // the home: solved each half hour of the last six, with the battery and the house read 5 minutes in
  for (; homeClock <= now; homeClock += 30 * MINUTE_MS) {
    await homeController.tick();
    const plan = await app.inject({ url: '/v1/home/plan' });
    const sp = plan.json().setpoints;
    await recordHomeMeasurements(
      store,
      [
        {
          atMs: Math.min(now, homeClock + 5 * MINUTE_MS),
          socKwh: Math.max(1, (sp.battery?.socKwh ?? 4) - 0.2),
          importKw: sp.grid.importKw * 1.1,
          loadKw: 0.6,
        },
      ],
      30 * DAY_MS,
    );
  }
  homeClock = now;
  await homeController.tick({ force: true });
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
    ['dashboard-home.png', '/home', 'battery-mode'],
  ] as const) {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`${base}${path}`);
    await page.getByTestId(ready).waitFor();
    if (path.startsWith('/savings?')) await page.getByTestId('trend-chart').locator('canvas').waitFor();
    if (path === '/home') await page.getByTestId('home-power-chart').locator('canvas').waitFor();
    await page.screenshot({ path: join(out, file), fullPage: true });
    await page.close();
    console.log(`docs/img/${file}`);
  }
  await browser.close();
} finally {
  await app.close();
  await homeController.close();
  await mqtt.close();
  await scheduler.close();
  await queue.stop({ graceful: false });
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
