import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { GridshiftConfig } from '../../../src/core/config.ts';
import { clusterClients } from '../../../src/integrations/kubernetes/cluster.ts';
import { createController } from '../../../src/integrations/kubernetes/controller.ts';
import { readZone } from '../../../src/integrations/kubernetes/signal.ts';
import { parseConfig } from '../../../src/signals/config.ts';
import { createRegistry } from '../../../src/signals/registry.ts';
import { type Decision, readDecisions, verifyAuditChain } from '../../../src/store/audit.ts';
import type { Store } from '../../../src/store/db.ts';
import { type KubeApiDouble, type KubeObject, startKubeApi } from '../../helpers/kube-api.ts';
import { BACKENDS, type TestBackend } from '../../store/backends.ts';

/**
 * The controller against the Kubernetes API double, on the CSV fixtures of 2025-06-02 (hourly, UTC):
 *   hour   00    01    02    03    04    05
 *   price  0.40  0.28  0.20  0.20  0.28  0.35   taint above 0.30, clear at or below 0.25, hold 150 min
 *   carbon 150   210   350   350   350   350    cap 10 up to 200 g/kWh, 5 above; hysteresis 20; hold 150 min
 */

const FIXTURES = fileURLToPath(new URL('../../fixtures/kube-controller/', import.meta.url));
const fixture = {
  defaults: { carbon: ['csv'], price: ['csv'], failurePolicy: 'open' },
  files: [
    { zone: 'DE', metric: 'carbon_average', path: 'DE-carbon.csv' },
    { zone: 'DE', metric: 'price', path: 'DE-price.csv' },
  ],
};
const at = (hour: number) => Date.parse(`2025-06-02T0${hour}:00:00Z`);
const TAINT = { key: 'gridshift.io/energy', value: 'expensive', effect: 'NoSchedule' };
const GPU_TAINT = { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' };

function configWith(controller: Record<string, unknown>, scaling?: Record<string, unknown>): GridshiftConfig {
  return parseConfig(
    {
      ...fixture,
      scaling: scaling ?? {
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
        controller: {
          rules: {
            'gpu-expensive': {
              zone: 'DE',
              nodeSelector: 'gridshift.io/pool=gpu',
              taint: TAINT,
              when: { priceAbove: 0.3 },
              clearWhen: { priceAtOrBelow: 0.25 },
              minHoldMinutes: 150,
            },
          },
          caps: { hysteresis: 20, minHoldMinutes: 150 },
          ...controller,
        },
      },
    },
    { source: 'gridshift.config.json', baseDir: FIXTURES, env: {} },
  );
}

const node = (name: string, pool: string, taints: object[] = []): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'gridshift.io/pool': pool, 'kubernetes.io/hostname': name } },
  spec: { taints },
});
const scaledObject: KubeObject = {
  apiVersion: 'keda.sh/v1alpha1',
  kind: 'ScaledObject',
  metadata: { name: 'web', namespace: 'shop' },
  spec: { scaleTargetRef: { name: 'web' }, minReplicaCount: 1, maxReplicaCount: 20, triggers: [] },
};

let api: KubeApiDouble;
let dir: string;
let backend: TestBackend;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gridshift-kctl-'));
  backend = BACKENDS[0].make();
});
afterAll(async () => {
  await backend?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  api = await startKubeApi();
  store = await backend.open();
  api.put(node('gpu-1', 'gpu', [GPU_TAINT]));
  api.put(node('gpu-2', 'gpu'));
  api.put(node('cpu-1', 'cpu'));
  api.put(scaledObject);
});
afterEach(async () => {
  await api.close();
  await store.close();
});

async function controllerFor(config: GridshiftConfig, options: { dryRun?: boolean; token?: string } = {}) {
  const controllerConfig = config.kubernetesController;
  if (!controllerConfig) throw new Error('no controller in the config');
  const registry = createRegistry({ config, cache: false, forecastPastHorizon: false });
  const clients = await clusterClients({ kubeconfig: api.writeKubeconfig(dir, { token: options.token }) });
  return createController({
    clients,
    config: controllerConfig,
    scaling: config.scaling,
    read: (zone, nowMs) => readZone(registry, config, zone, nowMs),
    db: store,
    ...(options.dryRun !== undefined ? { dryRun: options.dryRun } : {}),
  });
}

const taintsOf = (name: string) => api.object('nodes', undefined, name)?.spec.taints ?? [];
async function decisions(): Promise<Decision[]> {
  const out: Decision[] = [];
  for await (const d of readDecisions(store)) out.push(d);
  return out;
}

// each round reads signals and talks HTTPS to the double; four rounds can take a while on a busy machine
describe('the Kubernetes controller', { timeout: 60_000 }, () => {
  it('taints the matching nodes above the price, keeps the taint within the hold time, removes it after', async () => {
    const controller = await controllerFor(configWith({}));

    const r0 = await controller.round(at(0));
    expect(r0.errors).toEqual([]);
    expect(r0.changes.map((c) => [c.kind, c.object])).toEqual([
      ['taint', 'node/gpu-1'],
      ['taint', 'node/gpu-2'],
      ['cap', 'scaledobject/shop/web'],
    ]);
    expect(taintsOf('gpu-1')).toEqual([GPU_TAINT, TAINT]); // the GPU taint stays
    expect(taintsOf('gpu-2')).toEqual([TAINT]);
    expect(taintsOf('cpu-1')).toEqual([]); // not selected
    expect(api.object('nodes', undefined, 'gpu-1')?.metadata.annotations).toEqual({
      'gridshift.io/taint.gpu-expensive': '2025-06-02T00:00:00.000Z',
    });
    // the cap: 150 g/kWh is in the first band (10); the ScaledObject had 20
    const so = api.object('scaledobjects', 'shop', 'web');
    expect(so?.spec.maxReplicaCount).toBe(10);
    expect(so?.spec.minReplicaCount).toBe(1);
    expect(so?.metadata.annotations['gridshift.io/cap-changed-at']).toBe('2025-06-02T00:00:00.000Z');

    // an Event on each node (in `default`) and on the ScaledObject (in its namespace)
    const nodeEvents = api.events('default');
    expect(nodeEvents.map((e) => [e.involvedObject.kind, e.involvedObject.name, e.reason, e.type])).toEqual([
      ['Node', 'gpu-1', 'GridshiftTainted', 'Normal'],
      ['Node', 'gpu-2', 'GridshiftTainted', 'Normal'],
    ]);
    expect(nodeEvents[0].message).toBe('gridshift.io/energy=expensive:NoSchedule on: price 0.4 is above 0.3');
    expect(nodeEvents[0].involvedObject.uid).toBe(api.object('nodes', undefined, 'gpu-1')?.metadata.uid);
    expect(api.events('shop').map((e) => [e.involvedObject.kind, e.reason, e.message])).toEqual([
      [
        'ScaledObject',
        'GridshiftReplicaCap',
        'cap 20 -> 10: 150 g/kWh is at or below 200 g/kWh: at most 10 replicas',
      ],
    ]);

    // the decision log, a chain, with the signal the change was made on
    const log = await decisions();
    expect(log.map((d) => [d.kind, d.reason])).toEqual([
      ['kube_taint', 'gridshift.io/energy=expensive:NoSchedule on: price 0.4 is above 0.3'],
      ['kube_taint', 'gridshift.io/energy=expensive:NoSchedule on: price 0.4 is above 0.3'],
      ['kube_cap', 'cap 20 -> 10: 150 g/kWh is at or below 200 g/kWh: at most 10 replicas'],
    ]);
    expect(log[0].inputs).toMatchObject({ zone: 'DE', price: 0.4, carbon: 150, priceSource: 'csv' });
    expect(log[0].choice).toMatchObject({ node: 'gpu-1', rule: 'gpu-expensive', on: true, dryRun: false });
    expect(log[2].choice).toMatchObject({ object: 'scaledobject/shop/web', from: 20, to: 10 });

    // 01:00, price 0.28 in the hysteresis band, carbon 210 within 20 of the first band: nothing moves
    const r1 = await controller.round(at(1));
    expect(r1).toMatchObject({ changes: [], held: [], errors: [] });

    // 02:00, price 0.20 is clear and carbon 350 asks for 5, but 150 minutes have not passed since 00:00
    const r2 = await controller.round(at(2));
    expect(r2.changes).toEqual([]);
    expect(r2.held.map((h) => h.object)).toEqual(['node/gpu-1', 'node/gpu-2', 'scaledobject/shop/web']);
    expect(r2.held[0].reason).toContain('held until 2025-06-02T02:30:00.000Z');
    expect(taintsOf('gpu-2')).toEqual([TAINT]);

    // 03:00: the taint comes off, the other taint stays; the cap goes to 5
    const r3 = await controller.round(at(3));
    expect(r3.changes.map((c) => [c.kind, c.object])).toEqual([
      ['untaint', 'node/gpu-1'],
      ['untaint', 'node/gpu-2'],
      ['cap', 'scaledobject/shop/web'],
    ]);
    expect(taintsOf('gpu-1')).toEqual([GPU_TAINT]);
    expect(taintsOf('gpu-2')).toEqual([]);
    expect(api.object('scaledobjects', 'shop', 'web')?.spec.maxReplicaCount).toBe(5);
    expect(api.events('default').at(-1)).toMatchObject({
      reason: 'GridshiftUntainted',
      message: 'gridshift.io/energy=expensive:NoSchedule off: price 0.2 (clear at or below 0.25)',
    });
    expect((await decisions()).map((d) => d.kind)).toEqual([
      'kube_taint',
      'kube_taint',
      'kube_cap',
      'kube_untaint',
      'kube_untaint',
      'kube_cap',
    ]);
    expect(await verifyAuditChain(store)).toMatchObject({ ok: true, count: 6 });

    // the writes were JSON merge patches, the node's carrying the resourceVersion it was read at
    const patches = api.requests.filter((q) => q.method === 'PATCH');
    expect(new Set(patches.map((q) => q.contentType))).toEqual(new Set(['application/merge-patch+json']));
    expect(patches[0].body?.metadata.resourceVersion).toMatch(/^\d+$/);
  });

  it('leaves taints that someone else added since the last round', async () => {
    const controller = await controllerFor(configWith({}));
    await controller.round(at(0));
    const n = api.object('nodes', undefined, 'gpu-2') as KubeObject;
    const dedicated = { key: 'dedicated', value: 'ml', effect: 'NoExecute' };
    api.put({ ...n, spec: { taints: [...n.spec.taints, dedicated] } });
    await controller.round(at(3));
    expect(taintsOf('gpu-2')).toEqual([dedicated]);
  });

  it('reads a node again when it changed between the read and the patch (409), keeping the new taint', async () => {
    const controller = await controllerFor(configWith({}));
    const dedicated = { key: 'dedicated', value: 'ml', effect: 'NoSchedule' };
    api.changeBeforeNextPatch('nodes', undefined, 'gpu-2', (n) => {
      n.spec.taints = [dedicated];
    });
    const r = await controller.round(at(0));
    expect(r.errors).toEqual([]);
    expect(taintsOf('gpu-2')).toEqual([dedicated, TAINT]);
    const gpu2 = api.requests.filter((q) => q.path === '/api/v1/nodes/gpu-2');
    expect(gpu2.map((q) => q.method)).toEqual(['PATCH', 'GET', 'PATCH']);
    expect((await decisions()).filter((d) => (d.choice as { node: string }).node === 'gpu-2')).toHaveLength(
      1,
    );
  });

  it('in a dry run changes nothing in the cluster, and logs what it would do', async () => {
    const controller = await controllerFor(configWith({}), { dryRun: true });
    const r0 = await controller.round(at(0));
    expect(r0.dryRun).toBe(true);
    expect(r0.changes.map((c) => [c.kind, c.object, c.dryRun])).toEqual([
      ['taint', 'node/gpu-1', true],
      ['taint', 'node/gpu-2', true],
      ['cap', 'scaledobject/shop/web', true],
    ]);
    expect(taintsOf('gpu-1')).toEqual([GPU_TAINT]);
    expect(taintsOf('gpu-2')).toEqual([]);
    expect(api.object('scaledobjects', 'shop', 'web')?.spec.maxReplicaCount).toBe(20);
    expect(api.requests.filter((q) => q.method !== 'GET')).toEqual([]);
    expect(api.events('default')).toEqual([]);
    const log = await decisions();
    expect(log.map((d) => d.reason)).toEqual([
      'dry run: gridshift.io/energy=expensive:NoSchedule on: price 0.4 is above 0.3',
      'dry run: gridshift.io/energy=expensive:NoSchedule on: price 0.4 is above 0.3',
      'dry run: cap 20 -> 10: 150 g/kWh is at or below 200 g/kWh: at most 10 replicas',
    ]);
    expect(log[0].choice).toMatchObject({ dryRun: true });
    // it remembers what it would have done: the same hour again logs nothing more, and the hold plays out
    expect((await controller.round(at(0))).changes).toEqual([]);
    expect((await controller.round(at(2))).held).toHaveLength(3);
    expect((await controller.round(at(3))).changes.map((c) => c.kind)).toEqual(['untaint', 'untaint', 'cap']);
    expect(await decisions()).toHaveLength(6);
  });

  it('says clearly when the API refuses a permission (403), and logs no change it could not make', async () => {
    api.forbid('patch', 'nodes');
    api.forbid('create', 'events');
    const controller = await controllerFor(configWith({}));
    const r = await controller.round(at(0));
    expect(r.errors).toEqual([
      'rule gpu-expensive, node gpu-1: not allowed to patch nodes (API group core) at the cluster scope (HTTP 403 Forbidden): nodes "gpu-1" is forbidden: User "system:serviceaccount:gridshift:controller" cannot patch resource "nodes" in API group "" at the cluster scope; grant the controller\'s user or service account the verb patch on nodes',
      'rule gpu-expensive, node gpu-2: not allowed to patch nodes (API group core) at the cluster scope (HTTP 403 Forbidden): nodes "gpu-2" is forbidden: User "system:serviceaccount:gridshift:controller" cannot patch resource "nodes" in API group "" at the cluster scope; grant the controller\'s user or service account the verb patch on nodes',
      'event on ScaledObject web: not allowed to create events (API group core) in namespace shop (HTTP 403 Forbidden): events is forbidden: User "system:serviceaccount:gridshift:controller" cannot create resource "events" in API group "" in the namespace "shop"; grant the controller\'s user or service account the verb create on events',
    ]);
    expect(taintsOf('gpu-2')).toEqual([]);
    // the cap was written: its change is logged even though its Event was refused
    expect(r.changes.map((c) => c.kind)).toEqual(['cap']);
    expect((await decisions()).map((d) => d.kind)).toEqual(['kube_cap']);
  });

  it('says when the credentials are refused (401)', async () => {
    const controller = await controllerFor(configWith({}), { token: 'wrong' });
    const r = await controller.round(at(0));
    expect(r.errors[0]).toMatch(
      /^rule gpu-expensive: the Kubernetes API server at https:\/\/127\.0\.0\.1:\d+ refused the credentials \(HTTP 401 Unauthorized\); check the kubeconfig's user or the service account's token$/,
    );
    expect(r.changes).toEqual([]);
  });

  it("caps a Deployment through its HPA's maxReplicas, never below the HPA's minReplicas", async () => {
    api.put({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'api-hpa', namespace: 'shop' },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
        minReplicas: 3,
        maxReplicas: 30,
      },
    });
    const scaling = {
      api: {
        zone: 'DE',
        bands: [
          { threshold: 200, maxReplicas: 12 },
          { threshold: 400, maxReplicas: 1 },
        ],
        fallbackMaxReplicas: 2,
        ref: { kind: 'Deployment', namespace: 'shop', name: 'api' },
      },
      orphan: {
        zone: 'DE',
        bands: [{ threshold: 200, maxReplicas: 4 }],
        fallbackMaxReplicas: 2,
        ref: { kind: 'Deployment', namespace: 'shop', name: 'no-hpa' },
      },
    };
    const controller = await controllerFor(configWith({ rules: {}, caps: { minHoldMinutes: 0 } }, scaling));
    const r0 = await controller.round(at(0));
    expect(api.object('horizontalpodautoscalers', 'shop', 'api-hpa')?.spec).toMatchObject({
      minReplicas: 3,
      maxReplicas: 12,
    });
    expect(r0.errors).toEqual([
      'scaling target orphan: no HorizontalPodAutoscaler in namespace shop scales Deployment no-hpa, so there is no cap to set',
    ]);
    // 02:00: 350 g/kWh asks for 1, the HPA keeps 3
    const r2 = await controller.round(at(2));
    expect(r2.changes).toMatchObject([
      {
        kind: 'cap',
        object: 'horizontalpodautoscaler/shop/api-hpa',
        from: 12,
        to: 3,
        reason:
          "cap 12 -> 1: 350 g/kWh is above 200 and at or below 400 g/kWh: at most 1 replicas (the HorizontalPodAutoscaler's floor is 3: set to 3)",
      },
    ]);
    expect(api.object('horizontalpodautoscalers', 'shop', 'api-hpa')?.spec.maxReplicas).toBe(3);
    expect(api.events('shop').map((e) => [e.involvedObject.kind, e.involvedObject.name])).toEqual([
      ['HorizontalPodAutoscaler', 'api-hpa'],
      ['HorizontalPodAutoscaler', 'api-hpa'],
    ]);
  });

  it('sets a NoExecute taint when the rule says so', async () => {
    const config = configWith({
      rules: {
        evict: {
          zone: 'DE',
          nodeSelector: 'gridshift.io/pool=cpu',
          taint: { key: 'gridshift.io/energy', value: 'dirty', effect: 'NoExecute' },
          when: { carbonAbove: 100 },
        },
      },
    });
    const controller = await controllerFor(config);
    await controller.round(at(0));
    expect(taintsOf('cpu-1')).toEqual([{ key: 'gridshift.io/energy', value: 'dirty', effect: 'NoExecute' }]);
    expect(taintsOf('gpu-2')).toEqual([]);
  });
});
