import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floorToStep, HOUR_MS, toIso } from '../../src/core/time.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import type { Worker } from '../../src/runner/worker.ts';
import type { Store } from '../../src/store/db.ts';
import type { TokenScope } from '../../src/store/tokens.ts';
import { embeddedBackend, tokensFor } from '../api/helpers.ts';
import { tableRegistry, tableSource, testQueue, testScheduler, waitFor } from '../runner/helpers.ts';
import type { TestBackend } from '../store/backends.ts';
import {
  type DashboardServers,
  dashboardServers,
  launchBrowser,
  openPage,
  pageErrors,
  SOON,
  seriousViolations,
} from './browser.ts';
import { ensureDashboardBuilt } from './build.ts';

/**
 * The dashboard's Loads page in a real headless Chromium against a real gridshift API, the scheduler and a
 * worker on an embedded store. The grid comes from a table: DE is 300 g/kWh except 150 g/kWh from three to
 * five hours after the current half hour; FR is 80 g/kWh all day. A 1 kW, 60-minute load in DE with a
 * deadline eight hours on is planned in the clean hours: 150 g expected against 300 g run now, so 150 g
 * (50 %) saved; with a deadline two hours on it can only run at once: nothing saved. Two servers share the
 * scheduler: one with open read access, one without.
 */

const NOW = Date.now();
const SLOT = floorToStep(NOW, 30);
const cleanFrom = SLOT + 3 * HOUR_MS;
const inCleanHours = (t: number) => t >= cleanFrom && t < cleanFrom + 2 * HOUR_MS;

let backend: TestBackend;
let store: Store;
let queue: Queue;
let scheduler: Scheduler;
let worker: Worker;
let servers: DashboardServers | undefined;
let openUrl: string;
let closedUrl: string;
let tokens: Record<TokenScope, string>;
let browser: Browser;

const submit = (name: string, extra: Record<string, unknown> = {}) =>
  scheduler.submit({
    name,
    zones: ['DE'],
    durationMin: 60,
    powerKw: 1,
    deadline: toIso(SLOT + 8 * HOUR_MS),
    ...extra,
  });

beforeAll(async () => {
  const built = ensureDashboardBuilt();
  backend = embeddedBackend();
  store = await backend.open();
  tokens = await tokensFor(store);
  const source = tableSource((zone, t) => (zone === 'FR' ? 80 : inCleanHours(t) ? 150 : 300));
  const registry = tableRegistry(source);
  queue = await testQueue(store);
  // the real clock, so that what runs takes time; the plans below hold whenever in the half hour the tests run
  scheduler = testScheduler(store, queue, registry);
  worker = await scheduler.startWorker({ concurrency: 2 });
  await submit('nightly-backup', { tags: ['backup'] });
  await scheduler.submit({
    name: 'render-farm',
    zones: ['FR'],
    durationMin: 120,
    powerKw: 2,
    deadline: toIso(SLOT + 6 * HOUR_MS),
  });
  await built;
  servers = await dashboardServers({ scheduler, registry, store });
  ({ openUrl, closedUrl } = servers);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await servers?.close();
  await worker?.drain(2000);
  await scheduler?.close();
  await queue?.stop({ graceful: false });
  await backend?.cleanup();
});

/** A page signed in with `token` (kept in session storage, as the sign-in box keeps it). */
async function signedIn(url: string, token: string, width?: number): Promise<Page> {
  const page = await openPage(browser, url, width);
  await page.evaluate(`sessionStorage.setItem('gridshift.token', ${JSON.stringify(token)})`);
  await page.reload();
  return page;
}

const row = (page: Page, name: string) => page.getByTestId('loads-table').locator('tr', { hasText: name });

/** `2026-12-04T14:00` in the local time zone, which the browser shares with this process. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const stateOf = async (id: string) => (await scheduler.get(id))?.load.state;

describe('the loads table', { timeout: 60_000 }, () => {
  let page: Page;
  beforeAll(async () => {
    page = await openPage(browser, `${openUrl}/loads`);
  });
  afterAll(async () => {
    await page?.close();
  });

  it("lists the server's loads with their state, zone and emissions", async () => {
    await expect.poll(() => row(page, 'nightly-backup').count(), SOON).toBe(1);
    const cells = await row(page, 'nightly-backup').locator('td').allTextContents();
    // state, zone, planned start, expected, actual, savings
    expect(cells[0]).toBe('waiting');
    expect(cells[1]).toBe('DE');
    expect(cells[3]).toBe('150 g');
    expect(cells[4]).toBe('–');
    expect(cells[5]).toBe('150 g expected');
    expect(await row(page, 'nightly-backup').locator('th').textContent()).toContain('backup');
    expect(await row(page, 'render-farm').locator('td').nth(1).textContent()).toBe('FR');
    expect(await row(page, 'render-farm').locator('td').nth(3).textContent()).toBe('320 g');
    expect(pageErrors(page)).toEqual([]);
  });

  it('filters by zone, state and tag, with the keyboard', async () => {
    await page.getByLabel('Zone').fill('FR');
    await page.getByLabel('Zone').press('Enter');
    await expect.poll(() => row(page, 'nightly-backup').count(), SOON).toBe(0);
    expect(await row(page, 'render-farm').count()).toBe(1);
    expect(new URL(page.url()).search).toBe('?zone=FR');
    await page.getByLabel('Zone').fill('');
    await page.getByLabel('Tag').fill('backup');
    await page.getByLabel('Tag').press('Enter');
    await expect.poll(() => row(page, 'render-farm').count(), SOON).toBe(0);
    expect(await row(page, 'nightly-backup').count()).toBe(1);
    await page.getByLabel('Tag').fill('');
    await page.getByLabel('State').selectOption('cancelled');
    await expect.poll(() => page.getByTestId('no-loads').count(), SOON).toBe(1);
    await page.getByLabel('State').selectOption('');
    await expect.poll(() => row(page, 'render-farm').count(), SOON).toBe(1);
  });

  it('has no serious or critical accessibility violation (axe-core)', async () => {
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('goes through the pages with the API cursor', async () => {
    const paged = await openPage(browser, `${openUrl}/loads?limit=1`);
    const names = () => paged.getByTestId('loads-table').locator('tbody th a').allTextContents();
    await expect.poll(async () => (await names()).length, SOON).toBe(1);
    const first = await names();
    expect(await paged.getByRole('button', { name: 'Newer' }).isDisabled()).toBe(true);
    await paged.getByRole('button', { name: 'Older' }).click();
    await expect.poll(() => paged.getByText('Page 2').count(), SOON).toBe(1);
    await expect.poll(names, SOON).not.toEqual(first);
    // two loads, one a page: the second page is the last
    expect([...first, ...(await names())].sort()).toEqual(['nightly-backup', 'render-farm']);
    expect(await paged.getByRole('button', { name: 'Older' }).isDisabled()).toBe(true);
    await paged.getByRole('button', { name: 'Newer' }).click();
    await expect.poll(names, SOON).toEqual(first);
    await paged.close();
  });

  it('says plainly when the server does not answer, and when a load does not exist', async () => {
    const down = await openPage(browser, `${openUrl}/loads`);
    await down.route('**/v1/loads**', (route) => route.abort('connectionrefused'));
    await down.reload();
    await expect.poll(() => down.getByTestId('trouble').textContent(), SOON).toContain('does not answer');
    await down.unroute('**/v1/loads**');
    await down.getByRole('button', { name: 'Try again' }).click();
    await expect.poll(() => row(down, 'nightly-backup').count(), SOON).toBe(1);
    await down.goto(`${openUrl}/loads/no-such-load`);
    await expect
      .poll(() => down.getByTestId('trouble').textContent(), SOON)
      .toContain('404 Not Found: load no-such-load not found');
    await down.close();
  });

  it('turns into cards on a 390 px wide phone, without sideways scrolling', async () => {
    const phone = await openPage(browser, `${openUrl}/loads`, 390);
    await expect.poll(() => row(phone, 'nightly-backup').count(), SOON).toBe(1);
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const display = "getComputedStyle(document.querySelector('[data-testid=loads-table] tbody tr')).display";
    expect(await phone.evaluate(display)).toBe('block');
    expect(await seriousViolations(phone)).toEqual([]);
    await phone.close();
  });
});

describe('submitting a load from the form', { timeout: 90_000 }, () => {
  it('previews the plan as the deadline changes, shows field errors, and the load reaches waiting in the table without a reload', async () => {
    const table = await openPage(browser, `${openUrl}/loads`);
    await expect.poll(() => row(table, 'nightly-backup').count(), SOON).toBe(1);
    await table.evaluate('window.notReloaded = true');

    const form = await signedIn(`${closedUrl}/loads/new`, tokens.write);
    await form.getByLabel('Name (required)').waitFor();
    await form.getByLabel(/^Finish by/).fill(localInput(SLOT + 2 * HOUR_MS));
    await expect
      .poll(() => form.getByTestId('preview-summary').textContent(), SOON)
      .toBe('Saves 0 g CO2eq (0 %) against running now');
    await form.getByLabel(/^Finish by/).fill(localInput(SLOT + 8 * HOUR_MS));
    await expect
      .poll(() => form.getByTestId('preview-summary').textContent(), SOON)
      .toBe('Saves 150 g CO2eq (50 %) against running now');
    expect(await form.getByTestId('chosen-window').textContent()).toContain('in DE: 150 g CO2eq');
    expect(await form.getByTestId('baseline-window').textContent()).toContain('in DE: 300 g CO2eq');
    expect(await form.getByTestId('plan-chart').locator('canvas').count()).toBe(1);
    expect(await seriousViolations(form)).toEqual([]);

    // the API's field errors, next to their fields
    await form.getByRole('button', { name: 'Submit' }).click();
    await expect.poll(() => form.getByTestId('load-name-error').textContent(), SOON).toMatch(/\S/);
    expect(await form.getByLabel('Name (required)').getAttribute('aria-invalid')).toBe('true');
    expect(await seriousViolations(form)).toEqual([]);

    await form.getByLabel('Name (required)').fill('from-the-form');
    await form.getByRole('button', { name: 'Submit' }).click();
    await expect.poll(() => form.getByTestId('detail-state').textContent(), SOON).toBe('waiting');
    const id = decodeURIComponent(new URL(form.url()).pathname.split('/').pop() ?? '');
    expect(await stateOf(id)).toBe('waiting');
    expect(pageErrors(form)).toEqual([]);

    await expect.poll(() => row(table, 'from-the-form').count(), SOON).toBe(1);
    expect(await row(table, 'from-the-form').locator('td').first().textContent()).toBe('waiting');
    expect(await table.evaluate('window.notReloaded')).toBe(true);
    expect(pageErrors(table)).toEqual([]);
    await table.close();
    await form.close();
  });

  it('fits a 390 px wide phone without sideways scrolling', async () => {
    const phone = await signedIn(`${closedUrl}/loads/new`, tokens.write, 390);
    await expect.poll(() => phone.getByTestId('preview-summary').count(), SOON).toBe(1);
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.close();
  });
});

describe("a load's detail", { timeout: 90_000 }, () => {
  it('explains the plan against running now and the runner-ups, on the chart', async () => {
    const { load } = await submit('explained');
    const page = await openPage(browser, `${openUrl}/loads/${load.id}`);
    await expect.poll(() => page.getByTestId('detail-state').textContent(), SOON).toBe('waiting');
    await expect
      .poll(() => page.getByTestId('chosen-window').textContent(), SOON)
      .toContain('in DE: 150 g CO2eq');
    expect(await page.getByTestId('baseline-window').textContent()).toContain('in DE: 300 g CO2eq');
    expect(await page.getByTestId('plan-savings').textContent()).toBe('150 g CO2eq (50 %)');
    // the next-best windows of the zone: the other clean hour, then ones half in it
    expect(await page.getByTestId('runner-ups').locator('li').count()).toBeGreaterThan(0);
    await page.getByTestId('plan-chart').locator('canvas').waitFor();
    expect(await page.getByTestId('timeline').textContent()).toContain('waiting');
    expect(await seriousViolations(page)).toEqual([]);
    const phone = await openPage(browser, `${openUrl}/loads/${load.id}`, 390);
    await expect.poll(() => phone.getByTestId('chosen-window').count(), SOON).toBe(1);
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.close();
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('runs a load now: it runs, succeeds and shows its output', async () => {
    // 3.6 MW for the second or so it runs: about 1 kWh, at 300 g/kWh
    const { load } = await submit('run-me', {
      powerKw: 3600,
      dispatch: { kind: 'shell', command: 'sleep 1; echo hello-from-gridshift' },
    });
    const page = await signedIn(`${closedUrl}/loads/${load.id}`, tokens.write);
    await expect.poll(() => page.getByTestId('detail-state').textContent(), SOON).toBe('waiting');
    await page.getByRole('button', { name: 'Run now' }).click();
    await expect.poll(() => stateOf(load.id), SOON).toBe('succeeded');
    await expect.poll(() => page.getByTestId('detail-state').textContent(), SOON).toBe('succeeded');
    await expect
      .poll(() => page.getByTestId('output-tail').textContent(), SOON)
      .toContain('hello-from-gridshift');
    expect(await page.getByTestId('timeline').textContent()).toContain('running → succeeded');
    expect(await page.getByRole('button', { name: 'Run now' }).isDisabled()).toBe(true);
    expect(await page.getByTestId('plan-replaced').textContent()).toContain('Run now by an operator');
    expect(pageErrors(page)).toEqual([]);
    const { accounting } = await waitFor(async () => {
      const d = await scheduler.get(load.id);
      return d?.accounting ? d : undefined;
    }, 'the accounting of run-me');
    expect(accounting?.emissionsG).toBeGreaterThanOrEqual(300);
    const actual = `${Math.round(accounting?.emissionsG ?? 0)} g`;
    // accounted just after it succeeded: the page reads again for it
    await expect
      .poll(() => page.getByTestId('load-figures').textContent(), SOON)
      .toContain(`Actual emissions${actual}`);
    // the table reads it too, from the load's detail
    await page.getByRole('link', { name: 'All loads' }).click();
    await expect.poll(() => row(page, 'run-me').locator('td').nth(4).textContent(), SOON).toBe(actual);
    expect(await row(page, 'run-me').locator('td').first().textContent()).toBe('succeeded');
    await page.close();
  });

  it('cancels a load', async () => {
    const { load } = await submit('cancel-me');
    const page = await signedIn(`${closedUrl}/loads/${load.id}`, tokens.write);
    await expect.poll(() => page.getByTestId('detail-state').textContent(), SOON).toBe('waiting');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByTestId('detail-state').textContent(), SOON).toBe('cancelled');
    expect(await stateOf(load.id)).toBe('cancelled');
    expect(await page.getByTestId('action-done').textContent()).toBe('Cancel: done, the load is cancelled.');
    expect(await page.getByRole('button', { name: 'Cancel' }).isDisabled()).toBe(true);
    await page.close();
  });

  it('says 401 without a token on a server with open read access, and offers to sign in', async () => {
    const { load } = await submit('no-token');
    const page = await openPage(browser, `${openUrl}/loads/${load.id}`);
    await expect.poll(() => page.getByTestId('detail-state').textContent(), SOON).toBe('waiting');
    await page.getByRole('button', { name: 'Run now' }).click();
    const trouble = page.getByTestId('load-actions').getByTestId('action-problem');
    await expect.poll(() => trouble.textContent(), SOON).toContain('401 Unauthorized');
    expect(await stateOf(load.id)).toBe('waiting');
    await page.getByTestId('load-actions').getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('API token').fill(tokens.write);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByTestId('detail-state').textContent(), SOON).toBe('cancelled');
    expect(await stateOf(load.id)).toBe('cancelled');
    await page.close();
  });

  it('says 403 plainly when the token may only read, and changes nothing', async () => {
    const { load } = await submit('read-only');
    const page = await signedIn(`${closedUrl}/loads/${load.id}`, tokens.read);
    await expect.poll(() => page.getByTestId('detail-state').textContent(), SOON).toBe('waiting');
    await page.getByRole('button', { name: 'Cancel' }).click();
    const trouble = page.getByTestId('load-actions').getByTestId('action-problem');
    await expect.poll(() => trouble.textContent(), SOON).toContain('403 Forbidden');
    expect(await trouble.textContent()).toContain('write scope');
    expect(await page.getByRole('alert').count()).toBe(1);
    expect(await stateOf(load.id)).toBe('waiting');
    expect(await page.getByTestId('detail-state').textContent()).toBe('waiting');
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });
});
