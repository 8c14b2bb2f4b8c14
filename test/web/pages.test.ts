import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountLoad } from '../../src/accounting/ledger.ts';
import type { LoadInput } from '../../src/core/load-input.ts';
import { DAY_MS, floorToStep, HOUR_MS, toIso } from '../../src/core/time.ts';
import { publishState } from '../../src/runner/context.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import { parseConfig } from '../../src/signals/config.ts';
import type { Store } from '../../src/store/db.ts';
import { type Load, moveLoad } from '../../src/store/loads.ts';
import type { TokenScope } from '../../src/store/tokens.ts';
import { embeddedBackend, tokensFor } from '../api/helpers.ts';
import { tableRegistry, tableSource, testQueue, testScheduler } from '../runner/helpers.ts';
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
 * The Queue, Savings and Settings pages in a real headless Chromium against a real API with the
 * scheduler on an embedded store (no worker: loads move only when the test or the page moves them).
 * The scheduler's clock stands still at NOW. T0 is the half hour 24 hours before; the grid (per half hour):
 *   DE: T0-1h .. T0: 400 g/kWh, 0.30 EUR/kWh; T0 .. T0+1h: 100 g/kWh, 0.10; otherwise 300, 0.25
 *   FR: 50 g/kWh, 0.18 EUR/kWh all day
 * Two loads, both submitted at T0-1h (so running at once means T0-1h .. T0) and run T0 .. T0+1h:
 *   backup (DE, tag backup, 2 kW): 2 kWh x 100 = 200 g, 0.20 EUR; at once 2 x 400 = 800 g, 0.60 EUR
 *   train  (FR, tag ml, 1 kW):     1 kWh x 50  =  50 g, 0.18 EUR; at once the same
 *   together: 3 kWh, 250 g against 850 g (600 g, 70.6% saved), 0.38 EUR against 0.78 (51.3% saved)
 */

const NOW = Date.now();
const T0 = floorToStep(NOW, 30) - DAY_MS;
const inRun = (t: number) => t >= T0 && t < T0 + HOUR_MS;
const beforeRun = (t: number) => t >= T0 - HOUR_MS && t < T0;
const VERSION = '9.8.7-test';

let backend: TestBackend;
let store: Store;
let queue: Queue;
let scheduler: Scheduler;
let servers: DashboardServers | undefined;
let openUrl: string;
let closedUrl: string;
let tokens: Record<TokenScope, string>;
let browser: Browser;
let deadLoad: Load;

async function ranLoad(input: Partial<LoadInput> & { name: string; zones: string[] }): Promise<void> {
  const { load } = await scheduler.submit(
    {
      durationMin: 60,
      deadline: toIso(T0 + 3 * HOUR_MS),
      dispatch: { kind: 'none' },
      ...input,
    },
    { nowMs: T0 - HOUR_MS },
  );
  await moveLoad(store, load.id, ['waiting', 'planned'], 'running', { nowMs: T0, setAttempt: 1 });
  const done = await moveLoad(store, load.id, 'running', 'succeeded', {
    nowMs: T0 + HOUR_MS,
    appendRuns: [{ startMs: T0, endMs: T0 + HOUR_MS }],
  });
  await accountLoad(scheduler.context, done.load as Load);
}

/** A load whose retries ran out at `atMs`. */
async function deadAt(name: string, atMs: number, error: string): Promise<Load> {
  const { load } = await scheduler.submit(
    { name, zones: ['DE'], durationMin: 30, powerKw: 1, deadline: toIso(atMs + 6 * HOUR_MS) },
    { nowMs: atMs - HOUR_MS },
  );
  const moved = await moveLoad(store, load.id, ['waiting', 'planned'], 'dead', {
    nowMs: atMs,
    detail: { event: 'dead_letter', error },
  });
  return moved.load as Load;
}

beforeAll(async () => {
  const built = ensureDashboardBuilt();
  backend = embeddedBackend();
  store = await backend.open();
  tokens = await tokensFor(store);
  const source = tableSource(
    (zone, t) => (zone === 'FR' ? 50 : inRun(t) ? 100 : beforeRun(t) ? 400 : 300),
    (zone, t) => (zone === 'FR' ? 0.18 : inRun(t) ? 0.1 : beforeRun(t) ? 0.3 : 0.25),
  );
  const registry = tableRegistry(source);
  const scaling = parseConfig({
    scaling: {
      'web-de': {
        zone: 'DE',
        bands: [
          { threshold: 200, maxReplicas: 10 },
          { threshold: 400, maxReplicas: 4 },
        ],
        fallbackMaxReplicas: 2,
      },
    },
  }).scaling;
  queue = await testQueue(store);
  scheduler = testScheduler(store, queue, registry, { now: () => NOW });
  await ranLoad({ name: 'backup', zones: ['DE'], tags: ['backup'], powerKw: 2 });
  await ranLoad({ name: 'train', zones: ['FR'], tags: ['ml'], powerKw: 1 });
  deadLoad = await deadAt('crashed-export', NOW - HOUR_MS, 'exit 3: disk full');
  await deadAt('ancient-sync', NOW - 10 * DAY_MS, 'exit 1');
  await scheduler.submit({
    name: 'nightly-report',
    zones: ['DE'],
    durationMin: 30,
    powerKw: 1,
    dispatch: { kind: 'none' },
    recurrence: { cron: '0 2 * * *', flexMin: 120, timeZone: 'Europe/Berlin' },
  });
  await built;
  const deps = {
    scheduler,
    registry,
    config: { ...registry.config, scaling },
    store,
    version: VERSION,
  };
  servers = await dashboardServers(deps);
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

/** Whether the page scrolls sideways at its viewport's width. */
const scrollsSideways = async (page: Page): Promise<boolean> =>
  (await page.evaluate(
    'document.documentElement.scrollWidth > document.documentElement.clientWidth',
  )) as boolean;

async function signedIn(path: string, token: string): Promise<Page> {
  const page = await openPage(`${closedUrl}${path}`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

/** The API's own answer, as the page's requests get it. */
async function api<T>(path: string): Promise<T> {
  const r = await servers!.open.inject({ url: path, headers: { authorization: `Bearer ${tokens.admin}` } });
  expect(r.statusCode).toBe(200);
  return r.json() as T;
}

const text = (page: Page, testId: string) => page.getByTestId(testId).textContent();

describe('the Queue page', { timeout: 60_000 }, () => {
  it("shows the server's counts, dead letters, planner runs and recurring loads", async () => {
    const page = await openPage(`${openUrl}/queue`);
    const status = await api<{ loads: Record<string, number> }>('/v1/scheduler');
    await expect.poll(() => text(page, 'count-dead'), SOON).toBe(String(status.loads.dead));
    expect(status.loads.dead).toBe(2);
    expect(await text(page, 'count-waiting')).toBe(String(status.loads.waiting ?? 0));
    expect(await text(page, 'count-running')).toBe('0');
    const dead = page.getByTestId('dead-loads');
    expect(await dead.locator('tbody tr').count()).toBe(2);
    expect(await dead.textContent()).toContain('exit 3: disk full');
    expect(await text(page, 'scheduler-state')).toContain('Running');
    expect(await text(page, 'planner-runs')).toContain('Planner: last run never');
    const recurring = await page.getByTestId('recurring-loads').textContent();
    expect(recurring).toContain('nightly-report');
    expect(recurring).toContain('0 2 * * *');
    expect(recurring).toContain('Europe/Berlin');
    expect(await seriousViolations(page)).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('shows a load that died while it is open, without a reload', async () => {
    const page = await openPage(`${openUrl}/queue`);
    await expect.poll(() => text(page, 'count-dead'), SOON).toBe('2');
    await page.evaluate('window.notReloaded = true');
    const died = await deadAt('late-failure', NOW, 'exit 9');
    publishState(scheduler.context, died, 'waiting', NOW);
    await expect.poll(() => text(page, 'count-dead'), SOON).toBe('3');
    expect(await page.getByTestId('dead-loads').textContent()).toContain('late-failure');
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    expect(await page.getByTestId('live-state').getAttribute('data-state')).toBe('live');
    await page.close();
  });

  it('pauses and resumes the scheduler, retries a dead load and purges old ones (admin token)', async () => {
    const page = await signedIn('/queue', tokens.admin);
    await expect.poll(() => text(page, 'count-dead'), SOON).toBe('3');
    await page.getByLabel('Reason (optional)').fill('grid maintenance');
    await page.getByRole('button', { name: 'Pause the scheduler' }).click();
    await expect.poll(() => text(page, 'scheduler-state'), SOON).toContain('(grid maintenance)');
    expect(await text(page, 'planner-runs')).toContain('next run (paused)');
    expect((await scheduler.status()).paused).toBe(true);
    await page.getByRole('button', { name: 'Resume the scheduler' }).click();
    await expect.poll(() => text(page, 'scheduler-state'), SOON).toContain('Running');
    expect((await scheduler.status()).paused).toBe(false);

    const waitingBefore = (await scheduler.status()).loads.waiting ?? 0;
    await page.getByRole('button', { name: 'Retry crashed-export' }).click();
    await expect.poll(() => text(page, 'count-dead'), SOON).toBe('2');
    expect(await text(page, 'action-done')).toContain('crashed-export is waiting again');
    expect((await scheduler.get(deadLoad.id))?.load.state).toBe('waiting');
    expect(await text(page, 'count-waiting')).toBe(String(waitingBefore + 1));
    expect(await page.getByTestId('dead-loads').textContent()).not.toContain('crashed-export');

    // only ancient-sync changed state more than 7 days ago
    await page.getByLabel('Older than (days)').fill('7');
    await page.getByRole('button', { name: 'Purge finished loads' }).click();
    await expect.poll(() => text(page, 'action-done'), SOON).toBe('Purged 1 finished load.');
    await expect.poll(() => text(page, 'count-dead'), SOON).toBe('1');
    expect(await page.getByTestId('dead-loads').textContent()).not.toContain('ancient-sync');
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('says plainly that a read-only token may not pause or retry (403)', async () => {
    const page = await signedIn('/queue', tokens.read);
    await expect.poll(() => text(page, 'count-dead'), SOON).toBe('1');
    await page.getByRole('button', { name: 'Pause the scheduler' }).click();
    await expect
      .poll(() => text(page, 'action-problem'), SOON)
      .toContain('403 Forbidden: this route needs a token with the admin scope');
    expect(await text(page, 'action-problem')).toContain('This action needs a token with the write scope');
    expect((await scheduler.status()).paused).toBe(false);
    await page.getByRole('button', { name: 'Retry late-failure' }).click();
    await expect
      .poll(() => text(page, 'action-problem'), SOON)
      .toContain('403 Forbidden: this route needs a token with the write scope');
    // the page stays: the figures are still there
    expect(await text(page, 'count-dead')).toBe('1');
    await page.close();
  });
  it('offers the sign-in box when an action needs a token the open server did not get (401)', async () => {
    const page = await openPage(`${openUrl}/queue`);
    await page.getByRole('button', { name: 'Pause the scheduler' }).click();
    await expect.poll(() => text(page, 'action-problem'), SOON).toContain('401 Unauthorized');
    await page.getByTestId('action-problem').getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('API token').fill(tokens.admin);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Pause the scheduler' }).click();
    await expect.poll(() => text(page, 'scheduler-state'), SOON).toContain('Paused since');
    await page.getByRole('button', { name: 'Resume the scheduler' }).click();
    await expect.poll(() => text(page, 'scheduler-state'), SOON).toContain('Running');
    expect((await scheduler.status()).paused).toBe(false);
    await page.close();
  });
});

describe('the Savings page and report', { timeout: 60_000 }, () => {
  let page: Page;
  beforeAll(async () => {
    page = await openPage(`${openUrl}/savings?period=7d`);
  });
  afterAll(async () => {
    await page?.close();
  });

  it('shows the totals of the period, hand-checked, and per tag and zone', async () => {
    await expect.poll(() => text(page, 'total-energy'), SOON).toBe('3 kWh');
    expect(await text(page, 'total-emissions')).toBe('0.25 kg CO2eq');
    expect(await text(page, 'total-baseline')).toBe('Run now: 0.85 kg');
    expect(await text(page, 'total-savings')).toBe('0.6 kg CO2eq');
    expect(await text(page, 'total-savings-pct')).toBe('70.6% of running at once');
    expect(await text(page, 'total-cost')).toBe('€0.38');
    expect(await text(page, 'total-cost-saved')).toBe('Run now: €0.78 · saved 51.3%');
    const row = async (testId: string, key: string) =>
      (
        await page
          .getByTestId(testId)
          .locator('tr', { has: page.getByRole('rowheader', { name: key }) })
          .locator('td')
          .allTextContents()
      ).slice(0, 6);
    expect(await row('by-tag', 'backup')).toEqual(['1', '2', '0.2', '0.8', '0.6', '75%']);
    expect(await row('by-tag', 'ml')).toEqual(['1', '1', '0.05', '0.05', '0', '0%']);
    expect(await row('by-zone', 'DE')).toEqual(['1', '2', '0.2', '0.8', '0.6', '75%']);
    expect(await row('by-zone', 'FR')).toEqual(['1', '1', '0.05', '0.05', '0', '0%']);
    // 600 g: 600 / 248.5 km, 600 / 59.6 tree days, 600 / 8.22 phone charges
    const eq = await text(page, 'equivalents');
    expect(eq).toContain('2.41 km driven in a petrol car');
    expect(eq).toContain('10.1 days of CO2 uptake by a mature tree');
    expect(eq).toContain('73 smartphone charges');
    const canvas = await page.getByTestId('trend-chart').locator('canvas').boundingBox();
    expect(canvas?.width).toBeGreaterThan(500);
    await page.getByRole('button', { name: 'Show the numbers' }).click();
    const day = new Date(T0).toLocaleDateString('en-CA');
    expect(await page.getByTestId('trend-table').locator('tbody th').allTextContents()).toEqual([day]);
    expect(await seriousViolations(page)).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
  });

  it('exports CSV whose totals equal /v1/reports, and JSON with the same numbers', async () => {
    const [csvDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(csvDownload.suggestedFilename()).toMatch(
      /^gridshift-report-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv$/,
    );
    const csv = readFileSync((await csvDownload.path()) as string, 'utf8')
      .trim()
      .split('\r\n');
    const header = csv[0].split(',');
    const rows = csv
      .slice(1)
      .map((line) => Object.fromEntries(line.split(',').map((v, i) => [header[i], v])));
    const total = rows.find((r) => r.group === 'total') as Record<string, string>;
    const report = await api<{ totals: Record<string, number | string | null> }>(
      `/v1/reports?from=${total.from}&to=${total.to}&tz=${encodeURIComponent(total.time_zone)}`,
    );
    const asCsv = (v: unknown) => (v === null ? '' : String(v));
    for (const [column, key] of [
      ['loads', 'loads'],
      ['energy_kwh', 'energyKwh'],
      ['emissions_g', 'emissionsG'],
      ['baseline_emissions_g', 'baselineEmissionsG'],
      ['savings_g', 'savingsG'],
      ['savings_pct', 'savingsPct'],
      ['cost', 'cost'],
      ['baseline_cost', 'baselineCost'],
      ['cost_savings_pct', 'costSavingsPct'],
      ['currency', 'currency'],
      ['forecast_basis', 'forecastBasis'],
    ] as const)
      expect(total[column], column).toBe(asCsv(report.totals[key]));
    // and the hand-checked values
    expect(Number(total.energy_kwh)).toBe(3);
    expect(Number(total.emissions_g)).toBeCloseTo(250, 9);
    expect(Number(total.baseline_emissions_g)).toBeCloseTo(850, 9);
    expect(Number(total.savings_g)).toBeCloseTo(600, 9);
    expect(Number(total.cost)).toBeCloseTo(0.38, 12);
    expect(Number(total.baseline_cost)).toBeCloseTo(0.78, 12);
    expect(rows.filter((r) => r.group === 'tag').map((r) => [r.key, r.energy_kwh])).toEqual([
      ['backup', '2'],
      ['ml', '1'],
    ]);
    expect(rows.filter((r) => r.group === 'zone').map((r) => r.key)).toEqual(['DE', 'FR']);

    const [jsonDownload] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export JSON' }).click(),
    ]);
    const json = JSON.parse(readFileSync((await jsonDownload.path()) as string, 'utf8'));
    expect(json.totals).toEqual(report.totals);
    expect(json.byTag.map((r: { key: string }) => r.key)).toEqual(['backup', 'ml']);
    expect(json.savingsEquivalents.carKm).toBeCloseTo(600 / (400 / 1.609344), 9);
  });

  it('prints a report with the period and the time it was made, without the navigation, on A4', async () => {
    await page.getByRole('link', { name: 'Printable report' }).click();
    await expect.poll(() => text(page, 'total-energy'), SOON).toBe('3 kWh');
    expect(new URL(page.url()).pathname).toBe('/savings/report');
    expect(await text(page, 'report-period')).toMatch(/^Period: \d+ \w+ \d{4} to \d+ \w+ \d{4} \(/);
    expect(await text(page, 'report-generated')).toContain(`Generated`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('header.shell').isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: 'Print or save as PDF' }).isVisible()).toBe(false);
    expect(await page.getByTestId('by-zone').isVisible()).toBe(true);
    // A4 less 15 mm margins is about 680 CSS px wide
    await page.setViewportSize({ width: 680, height: 900 });
    expect(await scrollsSideways(page)).toBe(false);
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    await page.emulateMedia({ media: 'screen' });
    await page.setViewportSize({ width: 1200, height: 900 });
  });

  it('takes a custom period from the picker, and says when nothing ran in it', async () => {
    await page.goto(`${openUrl}/savings`);
    const day = new Date(T0).toLocaleDateString('en-CA');
    await page.getByLabel('Period', { exact: true }).selectOption('custom');
    await page.getByLabel('From').fill(day);
    await page.getByLabel('To (inclusive)').fill(day);
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await expect.poll(() => text(page, 'total-energy'), SOON).toBe('3 kWh');
    expect(new URL(page.url()).search).toBe(`?period=custom&from=${day}&to=${day}`);
    const before = new Date(T0 - 3 * DAY_MS).toLocaleDateString('en-CA');
    await page.getByLabel('From').fill(before);
    await page.getByLabel('To (inclusive)').fill(before);
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await expect.poll(() => text(page, 'total-energy'), SOON).toBe('0 kWh');
    expect(await page.getByText('No load ran in this period.').count()).toBeGreaterThan(0);
    // the last 7 days, then the same days as a custom period: the same request, answered once
    await page.goto(`${openUrl}/savings?period=7d`);
    await expect.poll(() => text(page, 'total-energy'), SOON).toBe('3 kWh');
    const days = (await text(page, 'period')) ?? '';
    await page.getByLabel('Period', { exact: true }).selectOption('custom');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('period'), SOON).toBe('custom');
    await expect.poll(() => text(page, 'period'), SOON).toBe(days);
    expect(await text(page, 'total-energy')).toBe('3 kWh');
    expect(pageErrors(page)).toEqual([]);
  });
});

describe('the Settings page', { timeout: 60_000 }, () => {
  it("shows the server's version, zones with their chains, replica caps, and that tokens need admin", async () => {
    const page = await openPage(`${openUrl}/settings`);
    await expect.poll(() => text(page, 'version'), SOON).toContain(`gridshift ${VERSION}`);
    const de = page.getByTestId('zones').locator('tr[data-zone="DE"]');
    expect(await de.locator('td').allTextContents()).toEqual([
      'Germany',
      'simulator',
      'simulator',
      'open',
      'Europe/Berlin',
    ]);
    const zones = await api<{ zones: unknown[] }>('/v1/zones');
    expect(await page.getByTestId('zones').locator('tbody tr').count()).toBe(zones.zones.length);
    await page.getByLabel('Filter zones').fill('germ');
    expect(await page.getByTestId('zones').locator('tbody tr').count()).toBe(1);
    // DE is 300 g/kWh now: above 200 and at or below 400
    const caps = await api<{ targets: { maxReplicas: number }[] }>('/v1/scaling');
    expect(await page.getByTestId('scaling').locator('tbody td').allTextContents()).toEqual([
      'DE',
      '300',
      String(caps.targets[0]?.maxReplicas),
      expect.stringContaining('300 g/kWh'),
    ]);
    expect(await text(page, 'tokens-refused')).toContain('401 Unauthorized');
    expect(await seriousViolations(page)).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('lists the tokens for an admin, by name, scopes and last use, never a secret', async () => {
    const page = await signedIn('/settings', tokens.admin);
    const table = page.getByTestId('tokens');
    await expect.poll(() => table.locator('tbody tr').count(), SOON).toBe(3);
    const admin = table.locator('tr', { has: page.getByRole('rowheader', { name: 'test-admin' }) });
    const cells = await admin.locator('td').allTextContents();
    expect(cells[0]).toBe('admin');
    expect(cells[2]).not.toBe('never');
    expect(
      await table
        .locator('tr', { has: page.getByRole('rowheader', { name: 'test-write' }) })
        .locator('td')
        .nth(2)
        .textContent(),
    ).toBe('never');
    const html = await page.content();
    for (const secret of Object.values(tokens)) expect(html).not.toContain(secret);
    await page.close();
  });
});

describe('every page on a 390 px wide phone', { timeout: 60_000 }, () => {
  for (const path of ['/queue', '/savings?period=7d', '/savings/report?period=7d', '/settings'])
    it(`${path} has no sideways scroll and no serious accessibility violation`, async () => {
      const page = await openPage(`${openUrl}${path}`, 390);
      await expect.poll(() => page.locator('h1').count(), SOON).toBe(1);
      await expect.poll(() => page.locator('[aria-busy="true"]').count(), SOON).toBe(0);
      expect(await scrollsSideways(page)).toBe(false);
      expect(await seriousViolations(page)).toEqual([]);
      await page.close();
    });
});
