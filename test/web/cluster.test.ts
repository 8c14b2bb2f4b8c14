import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import type { GridshiftConfig } from '../../src/core/config.ts';
import { clusterClients } from '../../src/integrations/kubernetes/cluster.ts';
import { createController } from '../../src/integrations/kubernetes/controller.ts';
import { readZone } from '../../src/integrations/kubernetes/signal.ts';
import { parseConfig } from '../../src/signals/config.ts';
import { createRegistry } from '../../src/signals/registry.ts';
import type { Store } from '../../src/store/db.ts';
import { embeddedBackend, FIXTURES, NOW } from '../api/helpers.ts';
import { type KubeApiDouble, startKubeApi } from '../helpers/kube-api.ts';
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
 * The Cluster page in Chromium against the Kubernetes API double: on the API fixtures at 06:20Z (DE price
 * 0.16, carbon 280 g/kWh) the rule taints gpu nodes (price above 0.15) and the cap of `web` is 5. A
 * controller round runs first; the page shows what it did, as GET /v1/cluster says.
 */
const fixture = JSON.parse(readFileSync(`${FIXTURES}gridshift.config.json`, 'utf8'));
const TAINT = { key: 'gridshift.io/energy', value: 'expensive', effect: 'NoSchedule' };

let api: KubeApiDouble;
let dir: string;
let backend: TestBackend;
let store: Store;
let servers: DashboardServers | undefined;
let bare: FastifyInstance | undefined;
let bareUrl = '';
let browser: Browser;

function configWith(kubeconfig: string): GridshiftConfig {
  return parseConfig(
    {
      ...fixture,
      scaling: {
        web: {
          zone: 'DE',
          bands: [
            { threshold: 200, maxReplicas: 10 },
            { threshold: 400, maxReplicas: 5 },
          ],
          fallbackMaxReplicas: 2,
          ref: { kind: 'ScaledObject', namespace: 'shop', name: 'web' },
        },
      },
      kubernetes: {
        kubeconfig,
        controller: {
          rules: {
            'gpu-expensive': {
              zone: 'DE',
              nodeSelector: 'gridshift.io/pool=gpu',
              taint: TAINT,
              when: { priceAbove: 0.15 },
            },
          },
        },
      },
    },
    { source: 'gridshift.config.json', baseDir: FIXTURES, env: {} },
  );
}

beforeAll(async () => {
  const built = ensureDashboardBuilt();
  dir = mkdtempSync(join(tmpdir(), 'gridshift-cluster-web-'));
  api = await startKubeApi();
  api.put({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'gpu-1', labels: { 'gridshift.io/pool': 'gpu' } },
    spec: {},
  });
  api.put({
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { scaleTargetRef: { name: 'web' }, maxReplicaCount: 20, triggers: [] },
  });
  backend = embeddedBackend();
  store = await backend.open();
  const config = configWith(api.writeKubeconfig(dir));
  const registry = createRegistry({ config, cache: false, forecastPastHorizon: false });
  const settings = config.kubernetesController;
  if (!settings) throw new Error('no controller settings');
  await createController({
    clients: await clusterClients(settings),
    config: settings,
    scaling: config.scaling,
    read: (zone, nowMs) => readZone(registry, config, zone, nowMs),
    db: store,
  }).round(NOW);
  await built;
  servers = await dashboardServers({ registry, config, store, now: () => NOW });
  const plain = createRegistry({
    config: parseConfig(fixture, { baseDir: FIXTURES, env: {} }),
    cache: false,
  });
  bare = await buildServer({
    registry: plain,
    store,
    logger: false,
    auth: { openRead: true },
    dashboard: {},
    now: () => NOW,
  });
  bareUrl = await listen(bare);
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await bare?.close();
  await servers?.close();
  await api?.close();
  await backend?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const openPage = (url: string, width?: number): Promise<Page> => openPageIn(browser, url, width);
const text = (page: Page, testId: string) => page.getByTestId(testId).textContent();

describe('the Cluster page', { timeout: 60_000 }, () => {
  it("shows the nodes' taints, the caps written and the controller's decisions", async () => {
    const page = await openPage(`${servers?.openUrl}/cluster`);
    await expect.poll(() => text(page, 'cluster-nodes'), SOON).toContain('gpu-1');
    expect(await text(page, 'cluster-mode')).toContain(
      'Controller: acting, every 60 s; 1 rule, 1 capped target.',
    );
    expect(await text(page, 'cluster-nodes')).toContain(
      'gridshift.io/energy=expensive:NoSchedule (gridshift: gpu-expensive)',
    );
    const target = page.getByTestId('cluster-targets').locator('tbody tr');
    expect(await target.locator('td').allTextContents()).toEqual([
      '280 g/kWh',
      '5',
      '5',
      'ScaledObject shop/web',
    ]);
    expect(await text(page, 'jobs-waiting')).toBe('0');
    const decisions = await text(page, 'cluster-decisions');
    expect(decisions).toContain('node/gpu-1');
    expect(decisions).toContain('scaledobject/shop/web');
    expect(await seriousViolations(page)).toEqual([]);
    expect(pageErrors(page)).toEqual([]);
    await page.close();
  });

  it('says how to configure the controller when there is none, and fits a narrow screen', async () => {
    const page = await openPage(`${bareUrl}/cluster`, 390);
    await expect
      .poll(() => text(page, 'cluster-none'), SOON)
      .toContain('no Kubernetes controller configured');
    expect(await text(page, 'cluster-none')).toContain('gridshift serve --k8s-controller');
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });
});
