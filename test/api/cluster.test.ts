import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import type { GridshiftConfig } from '../../src/core/config.ts';
import { clusterClients } from '../../src/integrations/kubernetes/cluster.ts';
import { createController } from '../../src/integrations/kubernetes/controller.ts';
import { readZone } from '../../src/integrations/kubernetes/signal.ts';
import { jobLabels } from '../../src/runner/dispatch/kube-job.ts';
import { parseConfig } from '../../src/signals/config.ts';
import { createRegistry } from '../../src/signals/registry.ts';
import type { Store } from '../../src/store/db.ts';
import { createLoad, moveLoad } from '../../src/store/loads.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { type KubeApiDouble, type KubeObject, startKubeApi } from '../helpers/kube-api.ts';
import type { TestBackend } from '../store/backends.ts';
import { bearer, embeddedBackend, FIXTURES, NOW, tokensFor } from './helpers.ts';

/**
 * /v1/cluster against the Kubernetes API double and an embedded store, on the API fixtures at 06:20Z:
 * DE carbon 280 g/kWh, price 0.16 EUR/kWh. The rule taints gpu nodes above 0.15 (so on now); the cap is 10
 * up to 200 g/kWh and 5 above (so 5 now). A controller round runs first, so the nodes, the ScaledObject
 * and the decision log hold what it did.
 */

const fixture = JSON.parse(readFileSync(`${FIXTURES}gridshift.config.json`, 'utf8'));
const TAINT = { key: 'gridshift.io/energy', value: 'expensive', effect: 'NoSchedule' };
const GPU_TAINT = { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' };
const NOW_ISO = new Date(NOW).toISOString();

function configWith(kubeconfig: string, controller: object | null = {}): GridshiftConfig {
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
      ...(controller === null
        ? {}
        : {
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
                ...controller,
              },
            },
          }),
    },
    { source: 'gridshift.config.json', baseDir: FIXTURES, env: {} },
  );
}

const node = (name: string, pool: string, taints: object[] = []): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'gridshift.io/pool': pool } },
  spec: { taints },
});

const jobOf = (loadId: string, attempt: number, suspend: boolean): KubeObject => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: `gridshift-${loadId.slice(0, 8)}-${attempt}`, labels: jobLabels(loadId, attempt) },
  spec: {
    suspend,
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } },
  },
});

let api: KubeApiDouble;
let dir: string;
let backend: TestBackend;
let store: Store;
let token: string;
let app: FastifyInstance | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridshift-cluster-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(async () => {
  api = await startKubeApi();
  backend = embeddedBackend();
  store = await backend.open();
  token = (await tokensFor(store)).read;
  api.put(node('gpu-1', 'gpu', [GPU_TAINT]));
  api.put(node('gpu-2', 'gpu'));
  api.put(node('cpu-1', 'cpu', [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }]));
  api.put({
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { scaleTargetRef: { name: 'web' }, maxReplicaCount: 20, triggers: [] },
  });
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  await api.close();
  await backend.cleanup();
});

async function serve(config: GridshiftConfig) {
  const registry = createRegistry({ config, cache: false, forecastPastHorizon: false });
  app = await buildServer({ registry, store, now: () => NOW, logger: false });
  return {
    registry,
    get: () => (app as FastifyInstance).inject({ url: '/v1/cluster', headers: bearer(token) }),
  };
}

const kubeLoad = async (name: string) =>
  (
    await createLoad(store, {
      name,
      zones: ['DE'],
      durationMin: 30,
      powerKw: 1,
      earliestMs: NOW,
      deadlineMs: NOW + 6 * 3_600_000,
      dispatch: { kind: 'kubernetes', namespace: 'batch', template: {} },
    })
  ).load;

describe('GET /v1/cluster', () => {
  it("shows the nodes' taints, the caps, the Jobs by state and the controller's decisions", async () => {
    const config = configWith(api.writeKubeconfig(dir));
    const { registry, get } = await serve(config);
    const settings = config.kubernetesController;
    if (!settings) throw new Error('no controller settings');
    const clients = await clusterClients(settings);
    const round = await createController({
      clients,
      config: settings,
      scaling: config.scaling,
      read: (zone, nowMs) => readZone(registry, config, zone, nowMs),
      db: store,
    }).round(NOW);
    expect(round.errors).toEqual([]);

    // loads: one waiting with a suspended Job, one running, one succeeded, one dead, one planned without a Job
    const waiting = await kubeLoad('waits');
    const running = await kubeLoad('runs');
    const done = await kubeLoad('done');
    const dead = await kubeLoad('dead');
    await kubeLoad('planned');
    await createLoad(store, {
      name: 'shell',
      zones: ['DE'],
      durationMin: 30,
      powerKw: 1,
      earliestMs: NOW,
      deadlineMs: NOW + 3_600_000,
      dispatch: { kind: 'shell', command: 'true' },
    });
    await moveLoad(store, waiting.id, 'planned', 'waiting');
    await moveLoad(store, running.id, 'planned', 'running', { setAttempt: 1 });
    await moveLoad(store, done.id, 'planned', 'running', { setAttempt: 1 });
    await moveLoad(store, done.id, 'running', 'succeeded');
    await moveLoad(store, dead.id, 'planned', 'dead');
    const create = (body: KubeObject) => clients.batch.createNamespacedJob({ namespace: 'batch', body });
    await create(jobOf(waiting.id, 1, true));
    await create(jobOf(running.id, 1, false));
    await create(jobOf(done.id, 1, false));
    api.finish('batch', `gridshift-${done.id.slice(0, 8)}-1`, { exitCode: 0 });

    const r = await get();
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.reachable).toBe(true);
    expect(body.degraded).toEqual([]);
    expect(body.controller).toMatchObject({ dryRun: false, intervalSeconds: 60, eventNamespace: 'default' });
    expect(body.controller.rules).toEqual([
      {
        name: 'gpu-expensive',
        zone: 'DE',
        nodeSelector: 'gridshift.io/pool=gpu',
        taint: TAINT,
        when: { priceAbove: 0.15 },
        clearWhen: {},
        minHoldMinutes: 15,
      },
    ]);
    // the selected nodes only; gridshift's taint marked with its rule, the GPU taint not
    expect(body.nodes).toEqual([
      {
        name: 'gpu-1',
        taints: [
          { ...GPU_TAINT, rule: null },
          { ...TAINT, rule: 'gpu-expensive' },
        ],
        rules: [{ rule: 'gpu-expensive', on: true, changedAt: NOW_ISO }],
      },
      {
        name: 'gpu-2',
        taints: [{ ...TAINT, rule: 'gpu-expensive' }],
        rules: [{ rule: 'gpu-expensive', on: true, changedAt: NOW_ISO }],
      },
    ]);
    expect(body.targets).toHaveLength(1);
    expect(body.targets[0]).toMatchObject({
      cap: { target: 'web', carbonIntensity: 280, maxReplicas: 5 },
      applied: true,
      workload: { kind: 'ScaledObject', namespace: 'shop', name: 'web', maxReplicas: 5, changedAt: NOW_ISO },
    });
    // counts over the store's kubernetes loads (the shell load is not one): planned + waiting are waiting
    expect(body.jobs.counts).toEqual({ waiting: 2, running: 1, succeeded: 1, failed: 1, cancelled: 0 });
    const byName = Object.fromEntries(
      body.jobs.list.map((j: { loadName: string; state: string; job: string | null }) => [
        j.loadName,
        [j.state, j.job],
      ]),
    );
    expect(byName).toEqual({
      waits: ['suspended', `gridshift-${waiting.id.slice(0, 8)}-1`],
      runs: ['running', `gridshift-${running.id.slice(0, 8)}-1`],
      done: ['succeeded', `gridshift-${done.id.slice(0, 8)}-1`],
      dead: ['failed', null],
      planned: ['waiting', null],
    });
    // the round's three changes, newest first
    expect(
      body.decisions.map((d: { kind: string; object: string; by: string }) => [d.kind, d.object, d.by]),
    ).toEqual([
      ['kube_cap', 'scaledobject/shop/web', 'web'],
      ['kube_taint', 'node/gpu-2', 'gpu-expensive'],
      ['kube_taint', 'node/gpu-1', 'gpu-expensive'],
    ]);
    expect(body.decisions[0]).toMatchObject({ from: 20, to: 5, dryRun: false, at: NOW_ISO });
    expect(body.decisions[1]).toMatchObject({ on: true, dryRun: false });
  });

  it('says which read was refused, and answers the rest', async () => {
    const { get } = await serve(configWith(api.writeKubeconfig(dir), { dryRun: true, interval: '5m' }));
    api.forbid('list', 'nodes');
    const body = (await get()).json();
    expect(body.controller).toMatchObject({ dryRun: true, intervalSeconds: 300 });
    expect(body.reachable).toBe(true);
    expect(body.nodes).toEqual([]);
    expect(body.degraded).toHaveLength(1);
    expect(body.degraded[0]).toMatch(/^rule gpu-expensive: not allowed to list nodes .*HTTP 403/);
    expect(body.targets[0].workload).toMatchObject({ maxReplicas: 20, changedAt: null });
  });

  it('answers with the connection error when the API server cannot be reached', async () => {
    const port = await closedPort();
    const text = api.writeKubeconfigText().replace(/https:\/\/127\.0\.0\.1:\d+/, `https://127.0.0.1:${port}`);
    const file = join(dir, 'closed.yaml');
    writeFileSync(file, text);
    const r = await (await serve(configWith(file))).get();
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(body.reachable).toBe(false);
    expect(body.degraded.join('\n')).toContain(
      `could not reach the Kubernetes API server at https://127.0.0.1:${port}`,
    );
    expect(body.nodes).toEqual([]);
    expect(body.targets[0]).toMatchObject({
      cap: { maxReplicas: 5 },
      workload: null,
      note: 'the workload could not be read',
    });
  });

  it('answers a kubeconfig that cannot be read as degraded, not as an error', async () => {
    const body = (await (await serve(configWith(join(dir, 'missing.yaml')))).get()).json();
    expect(body.reachable).toBe(false);
    expect(body.degraded).toEqual([`cannot read the kubeconfig ${join(dir, 'missing.yaml')}: ENOENT`]);
  });

  it('is 404 without a controller, and needs a token', async () => {
    const { get } = await serve(configWith('', null));
    const r = await get();
    expect(r.statusCode).toBe(404);
    expect(r.json().detail).toMatch(/^no Kubernetes controller configured/);
    const anonymous = await (app as FastifyInstance).inject({ url: '/v1/cluster' });
    expect(anonymous.statusCode).toBe(401);
  });
});
