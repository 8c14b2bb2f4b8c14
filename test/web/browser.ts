import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildServer, type ServerDeps } from '../../src/api/server.ts';

/**
 * What the browser tests share: Debian's Chromium driven by playwright-core, a page that records its
 * errors (uncaught ones and what its Content-Security-Policy refused), axe-core's serious and critical
 * violations, and a server listening on a free local port.
 */

const BROWSER = '/usr/bin/chromium';
/** how long a page may take to show what the server sent (a loaded CI machine runs many files at once) */
export const SOON = { timeout: 15_000 };
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(BROWSER))
    throw new Error(
      `${BROWSER} is missing: install Debian's Chromium (apt-get install -y chromium), as .ci/run does`,
    );
  return chromium.launch({ executablePath: BROWSER, args: ['--no-sandbox'] });
}

export async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

export async function openPage(browser: Browser, url: string, width = 1200): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  // what the page's Content-Security-Policy refused would break it quietly: count it as an error
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content.Security.Policy/i.test(message.text()))
      errors.push(message.text());
  });
  await page.goto(url);
  Object.assign(page, { errors });
  return page;
}

export const pageErrors = (page: Page): string[] => (page as Page & { errors: string[] }).errors;

/** axe-core's serious and critical violations on the page as it is now. */
export async function seriousViolations(page: Page): Promise<string[]> {
  // evaluated through the browser's debugging protocol: the page's own CSP forbids inline scripts
  if ((await page.evaluate('typeof axe')) === 'undefined') await page.evaluate(AXE);
  const results = (await page.evaluate(
    "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) })))",
  )) as { id: string; impact: string; nodes: string[] }[];
  return results
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.join(', ')}`);
}

/** The dashboard served twice on the same dependencies: with open read access, and with tokens required. */
export interface DashboardServers {
  /** the open-read server, for requests the test makes itself (inject) */
  open: FastifyInstance;
  openUrl: string;
  closedUrl: string;
  close(): Promise<void>;
}

export async function dashboardServers(
  deps: Omit<ServerDeps, 'auth' | 'dashboard' | 'logger'>,
): Promise<DashboardServers> {
  const both = { ...deps, logger: false as const, dashboard: {} };
  const open = await buildServer({ ...both, auth: { openRead: true } });
  const closed = await buildServer(both);
  return {
    open,
    openUrl: await listen(open),
    closedUrl: await listen(closed),
    async close() {
      await open.close();
      await closed.close();
    },
  };
}
