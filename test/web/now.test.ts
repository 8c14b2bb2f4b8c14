import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floorToStep, HOUR_MS, toIso } from '../../src/core/time.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import type { Store } from '../../src/store/db.ts';
import { embeddedBackend, tokensFor } from '../api/helpers.ts';
import { type TableSource, tableRegistry, tableSource, testQueue, testScheduler } from '../runner/helpers.ts';
import type { TestBackend } from '../store/backends.ts';
import {
  type DashboardServers,
  dashboardServers,
  launchBrowser,
  openPage as openPageIn,
  pageErrors,
  SOON,
  seriousViolations,
} from './browser.ts';
import { ensureDashboardBuilt } from './build.ts';

/**
 * The dashboard's Now page in a real headless Chromium (Debian's, driven by playwright-core), against a
 * real gridshift API with the scheduler on an embedded store. The grid comes from a table: DE is 321 g/kWh
 * at 0.25 EUR/kWh except 150 g/kWh at 0.20 from three to five hours after the current half hour; FR is 88
 * g/kWh for the next two hours and 120 after that, at 0.18 EUR/kWh all day: its cleanest and cheapest now. Two servers share the scheduler: one with open read access, one without.
 */

/** the scheduler's clock stands still, so that no half-hour boundary passes while the tests run */
const NOW = Date.now();
const SLOT = floorToStep(NOW, 30);
const cleanFrom = SLOT + 3 * HOUR_MS;
const inCleanHours = (t: number) => t >= cleanFrom && t < cleanFrom + 2 * HOUR_MS;
let deNow = 321;

let backend: TestBackend;
let store: Store;
let queue: Queue;
let scheduler: Scheduler;
let source: TableSource;
let servers: DashboardServers | undefined;
let openUrl: string;
let closedUrl: string;
let readToken: string;
let browser: Browser;

beforeAll(async () => {
  const built = ensureDashboardBuilt();
  backend = embeddedBackend();
  store = await backend.open();
  readToken = (await tokensFor(store)).read;
  source = tableSource(
    (zone, t) => (zone === 'FR' ? (t < SLOT + 2 * HOUR_MS ? 88 : 120) : inCleanHours(t) ? 150 : deNow),
    (zone, t) => (zone === 'FR' ? 0.18 : inCleanHours(t) ? 0.2 : 0.25),
  );
  const registry = tableRegistry(source);
  queue = await testQueue(store);
  scheduler = testScheduler(store, queue, registry, { now: () => NOW });
  await built;
  servers = await dashboardServers({ scheduler, registry, store });
  ({ openUrl, closedUrl } = servers);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await servers?.close();
  await scheduler?.close();
  await queue?.stop({ graceful: false });
  await backend?.cleanup();
});

const openPage = (url: string, width?: number): Promise<Page> => openPageIn(browser, url, width);

describe('the Now page', { timeout: 60_000 }, () => {
  let page: Page;
  beforeAll(async () => {
    page = await openPage(`${openUrl}/?zone=DE`);
  });
  afterAll(async () => {
    await page?.close();
  });

  it("shows the zone's intensity, price and sources from the server", async () => {
    await expect.poll(() => page.getByTestId('carbon-now').textContent(), SOON).toBe('321 g/kWh');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Now in Germany DE');
    expect(await page.getByTestId('price-now').textContent()).toBe('0.25 EUR/kWh');
    expect(await page.getByTestId('clean-now').textContent()).toBe('No');
    expect(await page.getByTestId('sources').textContent()).toContain('Carbon: simulator');
    expect(await page.getByTestId('window-banner').count()).toBe(0);
    expect(pageErrors(page)).toEqual([]);
  });

  it('draws the chart, and its table holds the same numbers, measured then forecast', async () => {
    const chart = page.getByTestId('signal-chart');
    expect(await chart.getAttribute('aria-label')).toContain('Carbon intensity and price in Germany');
    const canvas = await chart.locator('canvas').boundingBox();
    expect(canvas?.width).toBeGreaterThan(500);
    expect(canvas?.height).toBeGreaterThan(200);
    await page.getByRole('button', { name: 'Show the numbers' }).click();
    const rows = page.getByTestId('numbers-table').locator('tbody tr');
    // 12 hours back and 24 ahead, in half hours
    expect(await rows.count()).toBe(72);
    const cells = async (i: number) => (await rows.nth(i).locator('td').allTextContents()).slice(0, 3);
    expect(await cells(23)).toEqual(['321', '0.25', 'measured']);
    expect(await cells(24)).toEqual(['321', '0.25', 'forecast']);
    expect(await cells(30)).toEqual(['150', '0.20', 'forecast']);
    expect(await cells(34)).toEqual(['321', '0.25', 'forecast']);
    await page.getByRole('button', { name: 'Hide the numbers' }).click();
  });

  it('has no serious or critical accessibility violation (axe-core)', async () => {
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('changes with the server without a reload: a signal update, then a load waiting', async () => {
    await page.evaluate('window.notReloaded = true');
    deNow = 277;
    scheduler.context.bus.publish({
      type: 'signal.update',
      at: toIso(NOW),
      zone: 'DE',
      carbon: 277,
      price: 0.25,
      source: 'simulator',
    });
    await expect.poll(() => page.getByTestId('carbon-now').textContent(), SOON).toBe('277 g/kWh');
    await scheduler.submit({
      name: 'nightly-backup',
      zones: ['DE'],
      durationMin: 60,
      powerKw: 1,
      deadline: toIso(SLOT + 8 * HOUR_MS),
    });
    await expect
      .poll(() => page.getByTestId('waiting-loads').textContent(), SOON)
      .toContain('nightly-backup');
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect(await page.getByTestId('live-state').getAttribute('data-state')).toBe('live');
  });

  it('switches zones with the searchable picker, and says when a clean window is on', async () => {
    const search = page.getByRole('combobox', { name: 'Zone or cloud region' });
    await search.fill('fran');
    await expect.poll(() => page.getByRole('option').first().textContent(), SOON).toBe('FR · France');
    await search.press('Enter');
    await expect.poll(() => page.getByTestId('carbon-now').textContent(), SOON).toBe('88 g/kWh');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Now in France FR');
    expect(new URL(page.url()).search).toBe('?zone=FR');
    expect(await page.getByTestId('clean-now').textContent()).toBe('Yes');
    expect(await page.getByTestId('window-banner').textContent()).toContain(
      'The cheapest and cleanest window is on in France: 88 g/kWh',
    );
    // cloud regions are in the picker too
    await search.fill('eu-central-1');
    await page.getByRole('option', { name: /aws eu-central-1/ }).click();
    await expect.poll(() => page.getByTestId('carbon-now').textContent(), SOON).toBe('277 g/kWh');
  });

  it('fits a 390 px wide phone without sideways scrolling', async () => {
    const phone = await openPage(`${openUrl}/?zone=DE`, 390);
    await expect.poll(() => phone.getByTestId('carbon-now').textContent(), SOON).toBe('277 g/kWh');
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await seriousViolations(phone)).toEqual([]);
    await phone.close();
  });

  it('moves to another page and back without a reload', async () => {
    await page.evaluate('window.notReloaded = true');
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent(), SOON).toBe('Settings');
    expect(new URL(page.url()).pathname).toBe('/settings');
    expect(await page.getByRole('link', { name: 'Settings' }).getAttribute('aria-current')).toBe('page');
    await page.goBack();
    await expect.poll(() => page.getByTestId('carbon-now').count(), SOON).toBe(1);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect(pageErrors(page)).toEqual([]);
  });
});

describe('signing in, on a server without open read access', { timeout: 60_000 }, () => {
  it('asks for a token, shows a 401 for a bad one, and reads with a good one', async () => {
    const page = await openPage(`${closedUrl}/?zone=DE`);
    const token = page.getByLabel('API token');
    await token.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await token.fill('gs_not_a_token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect
      .poll(() => page.getByTestId('auth-problem').textContent(), SOON)
      .toContain('401 Unauthorized');
    await page.getByLabel('API token').fill(readToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('carbon-now').textContent(), SOON).toBe('277 g/kWh');
    expect(await page.evaluate("sessionStorage.getItem('gridshift.token')")).toBe(readToken);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('says so plainly when the server is down', async () => {
    const page = await openPage(`${closedUrl}/?zone=DE`);
    await page.route('**/v1/dashboard**', (route) => route.abort('connectionrefused'));
    await page.reload();
    await expect.poll(() => page.getByTestId('trouble').textContent(), SOON).toContain('does not answer');
    await page.close();
  });
});
