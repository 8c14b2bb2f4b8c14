import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { createClient, type HomeHistory, type HomePlan } from '../../src/client/index.ts';
import type { GridshiftConfig } from '../../src/core/config.ts';
import { MINUTE_MS, toIso } from '../../src/core/time.ts';
import { createHomeController, type HomeController } from '../../src/home/controller.ts';
import { createHomePublisher } from '../../src/home/publish.ts';
import { MqttPool } from '../../src/runner/dispatch/mqtt.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import { parseConfig } from '../../src/signals/config.ts';
import type { Store } from '../../src/store/db.ts';
import type { TokenScope } from '../../src/store/tokens.ts';
import { embeddedBackend, tokensFor } from '../api/helpers.ts';
import { tableRegistry, tableSource, testQueue, testScheduler } from '../runner/helpers.ts';
import type { TestBackend } from '../store/backends.ts';
import {
  type DashboardServers,
  dashboardServers,
  launchBrowser,
  listen,
  openPage as openPageIn,
  pageErrors,
  SOON,
  seriousViolations,
} from './browser.ts';
import { ensureDashboardBuilt } from './build.ts';

/**
 * The Home page in a real headless Chromium against a real API whose home controller solves on an
 * embedded store, with prices from a table source, as in test/home/controller.test.ts but in Berlin time:
 * half-hour slots from 10:00 UTC (11:00 in Berlin); prices 0.30, 0.10, then 0.40; the house uses 1 kW.
 * The battery (2 of 4 kWh, 2 kW, lossless) charges in the two cheap slots; the dishwasher (1 kW, 30 min,
 * 11:00-14:00 Berlin) runs in the cheap slot at 10:30 UTC, the washer (13:00-14:00 Berlin) later; the EV
 * comes home at 18:00, after the horizon.
 * So far today, as planned: 10:00 imports 3 kW at 0.30 and 10:30 4 kW at 0.10, 0.45 + 0.20 = 0.65. The
 * baseline rule never charges from the grid: it runs the dishwasher at once and covers the 2 kW from the
 * battery, importing nothing (0.00): today's plan costs 0.65 more, for the cheap hours later.
 */

const T0 = Date.parse('2026-03-10T10:05:00Z');
const SLOT = 30 * MINUTE_MS;
const slot0 = Date.parse('2026-03-10T10:00:00Z');
const PRICES = [0.3, 0.1, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4];

let clock = T0;
let backend: TestBackend;
let store: Store;
let queue: Queue;
let scheduler: Scheduler;
let controller: HomeController;
let mqtt: MqttPool;
let servers: DashboardServers | undefined;
let bare: FastifyInstance | undefined;
let bareUrl: string;
let tokens: Record<TokenScope, string>;
let browser: Browser;

function homeConfig(): GridshiftConfig {
  return parseConfig({
    home: {
      zone: 'DE',
      timeZone: 'Europe/Berlin',
      stepMin: 30,
      horizonHours: 3,
      baseLoadKw: 1,
      battery: {
        socMinKwh: 0,
        socMaxKwh: 4,
        maxChargeKw: 2,
        maxDischargeKw: 2,
        chargeEfficiency: 1,
        dischargeEfficiency: 1,
        initialSocKwh: 2,
      },
      // plugged in only in the evening: not charging in these hours
      ev: {
        energyNeededKwh: 10,
        maxChargeKw: 11,
        minChargeKw: 4.1,
        efficiency: 0.9,
        arrive: '18:00',
        depart: '07:00',
        phases: 3,
        volts: 230,
      },
      // Open-Meteo is down (nothing listens on the port): the plan falls back to clear-sky production and
      // says so; the array is on the far side of the world, at night in these hours, so that gives 0 kW
      pv: {
        source: 'openMeteo',
        latitude: 52,
        longitude: 179,
        kwp: 5,
        tiltDeg: 30,
        azimuthDeg: 0,
        baseUrl: 'http://127.0.0.1:9',
      },
      appliances: [
        { id: 'dishwasher', powerKw: 1, durationMin: 30, earliest: '11:00', latestEnd: '14:00' },
        { id: 'washer', powerKw: 1, durationMin: 30, earliest: '13:00', latestEnd: '14:00' },
      ],
    },
  });
}

beforeAll(async () => {
  const built = ensureDashboardBuilt();
  backend = embeddedBackend();
  store = await backend.open();
  tokens = await tokensFor(store);
  const registry = tableRegistry(
    tableSource(
      () => 300,
      (_zone, t) => PRICES[Math.round((t - slot0) / SLOT)] ?? 0.4,
    ),
  );
  const config = homeConfig();
  if (!config.home) throw new Error('no home');
  queue = await testQueue(store);
  scheduler = testScheduler(store, queue, registry, { now: () => clock });
  mqtt = new MqttPool();
  controller = createHomeController({
    home: config.home,
    store,
    registry,
    bus: scheduler.context.bus,
    now: () => clock,
    publisher: createHomePublisher(config.home.publish, { mqtt }),
  });
  await built;
  servers = await dashboardServers({ scheduler, registry, config, store, home: controller });
  // the same store and scheduler, but no home in the configuration
  bare = await buildServer({
    scheduler,
    registry,
    config: registry.config,
    store,
    logger: false,
    auth: { openRead: true },
    dashboard: {},
  });
  bareUrl = await listen(bare);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bare?.close();
  await servers?.close();
  await controller?.close();
  await mqtt?.close();
  await scheduler?.close();
  await queue?.stop({ graceful: false });
  await backend?.cleanup();
});

const openPage = (url: string, width?: number): Promise<Page> => openPageIn(browser, url, width);
const text = (page: Page, testId: string) => page.getByTestId(testId).textContent();

async function api<T>(path: string): Promise<T> {
  const r = await servers!.open.inject({ url: path, headers: { authorization: `Bearer ${tokens.read}` } });
  expect(r.statusCode).toBe(200);
  return r.json() as T;
}

/** The page on the server that needs a token: it asks for one before it shows anything. */
async function signedIn(path: string, token: string): Promise<Page> {
  const page = await openPage(`${servers!.closedUrl}${path}`);
  await page.getByLabel('API token').fill(token);
  expect(await page.getByTestId('battery-mode').count()).toBe(0);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

describe('the Home page', { timeout: 60_000 }, () => {
  it('says there is no plan yet, then shows the first one when the controller solves (no reload)', async () => {
    const page = await openPage(`${servers!.openUrl}/home`);
    await expect.poll(() => text(page, 'home-unsolved'), SOON).toContain('No plan yet');
    expect(await text(page, 'home-unsolved')).toContain('the home has no plan yet');
    expect(await seriousViolations(page)).toEqual([]);
    // solving needs a write token, which the open server did not get
    await page.getByRole('button', { name: 'Solve now' }).click();
    await expect.poll(() => text(page, 'action-problem'), SOON).toContain('401 Unauthorized');
    expect(await text(page, 'action-problem')).toContain('This action needs a token with the write scope');
    await page.evaluate('window.notReloaded = true');
    expect(await controller.tick()).toMatchObject({ solved: true, reason: 'start' });
    // 11:05 in Berlin: the battery charges 2 kW at 0.30, before the 0.40 later
    await expect.poll(() => text(page, 'battery-mode'), SOON).toBe('charge');
    expect(await text(page, 'solved')).toContain(
      'Solved at Tue 10 Mar, 11:05 (Berlin time) because the service started',
    );
    expect(await text(page, 'battery-soc')).toBe('3.0 kWh');
    expect(await text(page, 'appliance-dishwasher')).toBe('off');
    expect(await text(page, 'grid-flow')).toBe('import 3.0 kW');
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it("shows the setpoints now, today's savings and the last hours as the API gives them", async () => {
    clock = T0 + SLOT;
    expect(await controller.tick()).toMatchObject({ solved: true, reason: 'slot' });
    // a reading, sent the way a home would (gridshift/client), after the solve: history, not the plan
    const home = createClient({ baseUrl: servers!.closedUrl, token: tokens.write });
    expect(await home.home.record({ at: toIso(clock), socKwh: 3.2, importKw: 3.9, loadKw: 1.1 })).toEqual({
      recorded: 1,
    });
    const plan = await api<HomePlan>('/v1/home/plan');
    const history = await api<HomeHistory>('/v1/home/history?hours=24');
    expect(plan.setpoints).toMatchObject({
      battery: { mode: 'charge', powerKw: 2, socKwh: 4 },
      appliances: { dishwasher: 'on', washer: 'off' },
      grid: { importKw: 4, exportKw: 0 },
    });
    expect(history.today.cost).toBeCloseTo(0.65, 9);
    expect(history.today.baselineCost).toBeCloseTo(0, 9);

    const page = await openPage(`${servers!.openUrl}/home`);
    await expect.poll(() => text(page, 'battery-mode'), SOON).toBe(plan.setpoints.battery?.mode);
    expect(await text(page, 'battery-power')).toBe('2.0 kW');
    expect(await text(page, 'battery-soc')).toBe(`${plan.setpoints.battery?.socKwh.toFixed(1)} kWh`);
    expect(await text(page, 'battery-soc')).toBe('4.0 kWh');
    expect(plan.setpoints.ev).toEqual({ charging: false, powerKw: 0, currentA: 0 });
    expect(await text(page, 'ev-charging')).toBe('not charging');
    expect(await text(page, 'ev-power')).toBe('0.0 kW');
    expect(await text(page, 'appliance-dishwasher')).toBe('on');
    expect(await text(page, 'appliance-washer')).toBe('off');
    expect(await text(page, 'grid-flow')).toBe('import 4.0 kW');
    expect(await text(page, 'solved')).toContain('11:35 (Berlin time) because a new slot began');
    expect(await text(page, 'today-cost')).toBe('0.65');
    expect(await text(page, 'today-baseline-cost')).toBe('0.00');
    expect(await text(page, 'today-saved-cost')).toBe('0.65 more');
    const saved = plan.savings.cost ?? Number.NaN;
    expect(await text(page, 'plan-saved-cost')).toContain(
      saved > 0 ? `${saved.toFixed(2)} saved` : `${(-saved).toFixed(2)} more`,
    );
    expect(plan.series.every((p) => p.pvKw === 0)).toBe(true);
    expect(plan.degraded).toEqual([expect.stringMatching(/^PV: .*; clear-sky production instead$/)]);
    expect(await text(page, 'home-sources')).toContain(`pv: ${plan.sources.pv}`);
    expect(await text(page, 'home-degraded')).toContain(plan.degraded[0]);
    expect(await text(page, 'history-readings')).toBe(String(history.measurements.length));
    expect(history.measurements).toHaveLength(1);
    expect(await page.getByTestId('home-power-chart').locator('canvas').count()).toBe(1);
    expect(await page.getByTestId('home-price-chart').locator('canvas').count()).toBe(1);
    expect(await page.getByTestId('home-history-chart').locator('canvas').count()).toBe(1);

    // the plan's numbers: one row a slot, in Berlin time, the dishwasher in the slot under way
    await page.getByRole('button', { name: 'Show the numbers' }).click();
    const rows = page.getByTestId('home-plan-table').locator('tbody tr');
    expect(await rows.count()).toBe(plan.series.length);
    const first = await rows.first().textContent();
    expect(first).toContain('11:30');
    expect(first).toContain('charge 2.0 kW');
    expect(first).toContain('dishwasher');
    // the history: the slots planned, the reading in the slot it was taken in
    await page.getByRole('button', { name: 'Show the history' }).click();
    const past = page.getByTestId('home-history-table').locator('tbody tr');
    expect(await past.count()).toBe(history.slots.length);
    expect(await past.nth(1).textContent()).toContain('3.9 kW');
    expect(await past.nth(1).textContent()).toContain('3.2 kWh');
    expect(await seriousViolations(page)).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('reads again when the home gets new setpoints (the event stream)', async () => {
    const page = await openPage(`${servers!.openUrl}/home`);
    await expect.poll(() => text(page, 'solved'), SOON).toContain('because a new slot began');
    await expect.poll(() => page.getByTestId('live-state').getAttribute('data-state'), SOON).toBe('live');
    await page.evaluate('window.notReloaded = true');
    clock = T0 + SLOT + 2 * MINUTE_MS;
    expect(await controller.tick({ force: true })).toMatchObject({ solved: true });
    await expect.poll(() => text(page, 'solved'), SOON).toContain('11:37 (Berlin time) because it was asked');
    const plan = await api<HomePlan>('/v1/home/plan');
    expect(await text(page, 'battery-soc')).toBe(`${plan.setpoints.battery?.socKwh.toFixed(1)} kWh`);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    await page.close();
  });

  it('asks for a token, solves again on request with a write token, and says why not with a read-only one', async () => {
    clock = T0 + SLOT + 4 * MINUTE_MS;
    const reader = await signedIn('/home', tokens.read);
    await expect.poll(() => text(reader, 'battery-mode'), SOON).not.toBeNull();
    await reader.getByRole('button', { name: 'Solve again' }).click();
    await expect
      .poll(() => text(reader, 'action-problem'), SOON)
      .toContain('403 Forbidden: this route needs a token with the write scope');
    expect(await text(reader, 'action-problem')).toContain('This action needs a token with the write scope');
    await reader.close();

    const writer = await signedIn('/home', tokens.write);
    await expect.poll(() => text(writer, 'solved'), SOON).toContain('11:37');
    await writer.getByRole('button', { name: 'Solve again' }).click();
    await expect
      .poll(() => text(writer, 'action-done'), SOON)
      .toBe('Solved again: the plan below is the new one.');
    await expect
      .poll(() => text(writer, 'solved'), SOON)
      .toContain('11:39 (Berlin time) because it was asked');
    const plan = await api<HomePlan>('/v1/home/plan');
    expect(plan.solvedAt).toBe('2026-03-10T10:39:00Z');
    expect(plan.reason).toBe('request');
    expect(pageErrors(writer)).toEqual([]);
    await writer.close();
  });

  it('fits a phone screen without scrolling sideways', async () => {
    const page = await openPage(`${servers!.openUrl}/home`, 390);
    await expect.poll(() => text(page, 'battery-mode'), SOON).not.toBeNull();
    await page.getByRole('button', { name: 'Show the numbers' }).click();
    await page.getByRole('button', { name: 'Show the history' }).click();
    await expect(page.getByTestId('home-history-table').isVisible()).resolves.toBe(true);
    expect(
      await page.evaluate('document.documentElement.scrollWidth > document.documentElement.clientWidth'),
    ).toBe(false);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('explains how to configure a home on a server without one (404)', async () => {
    const page = await openPage(`${bareUrl}/home`);
    await expect.poll(() => text(page, 'no-home'), SOON).toContain('No home is configured on this server');
    expect(await text(page, 'no-home')).toContain('docs/home.md');
    expect(await page.getByRole('button', { name: 'Solve again' }).count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });
});
