import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch, jobName, tellTarget } from '../../../src/runner/dispatch/index.ts';
import type { KubernetesTarget } from '../../../src/runner/dispatch/types.ts';
import { type KubeApiDouble, type KubeObject, startKubeApi } from '../../helpers/kube-api.ts';

/**
 * The Job bodies gridshift sends (a create, and the merge patches that suspend, unsuspend, relabel and
 * annotate) checked against the Kubernetes OpenAPI schema of batch/v1 Job: the subset in
 * test/fixtures/kube/batch-v1-job.openapi.json, taken from kubernetes/kubernetes (its x-source says where).
 */

const DOC = JSON.parse(
  readFileSync(new URL('../../fixtures/kube/batch-v1-job.openapi.json', import.meta.url), 'utf8'),
) as KubeObject;
const JOB = 'io.k8s.api.batch.v1.Job';

function validators(): { job: ValidateFunction; patch: ValidateFunction } {
  const ajv = new Ajv({ allErrors: true });
  ajv.addVocabulary(['openapi', 'info', 'paths', 'components', 'x-source']);
  ajv.addFormat('int32', { type: 'number', validate: (n) => Number.isInteger(n) && Math.abs(n) < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n) => Number.isSafeInteger(n) });
  ajv.addFormat('date-time', (s) => !Number.isNaN(Date.parse(s)) && /^\d{4}-\d\d-\d\dT/.test(s));
  ajv.addSchema({ ...DOC, $id: 'k8s' });
  // a merge patch is a partial Job: the same schema with nothing required
  const partial = JSON.parse(JSON.stringify(DOC, (k, v) => (k === 'required' ? undefined : v)));
  ajv.addSchema({ ...partial, $id: 'k8s-patch' });
  return {
    job: ajv.getSchema(`k8s#/components/schemas/${JOB}`) as ValidateFunction,
    patch: ajv.getSchema(`k8s-patch#/components/schemas/${JOB}`) as ValidateFunction,
  };
}

const NS = 'schema-check';
let api: KubeApiDouble;
let dir: string;
let target: KubernetesTarget;

beforeAll(async () => {
  api = await startKubeApi();
  dir = mkdtempSync(join(tmpdir(), 'gridshift-k8s-schema-'));
  target = {
    kind: 'kubernetes',
    namespace: NS,
    kubeconfig: api.writeKubeconfig(dir),
    timeoutSec: 3600,
    template: {
      metadata: { labels: { team: 'ml' } },
      spec: {
        backoffLimit: 1,
        ttlSecondsAfterFinished: 86_400,
        template: {
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'train',
                image: 'registry.example/train:1',
                args: ['--resume-from', '/ckpt'],
                env: [{ name: 'EPOCHS', value: '3' }],
                ports: [{ containerPort: 8080 }],
                resources: { limits: { 'nvidia.com/gpu': '1' } },
              },
            ],
          },
        },
      },
    },
  };
});
afterAll(async () => {
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Job bodies against the batch/v1 OpenAPI schema', () => {
  it('the schema catches what the API server would refuse', () => {
    const { job } = validators();
    const good = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      spec: { template: { spec: { containers: [{ name: 'a' }] } } },
    };
    expect(job(good)).toBe(true);
    expect(job({ ...good, spec: { ...good.spec, activeDeadlineSeconds: '600' } })).toBe(false);
    expect(job({ ...good, spec: { ...good.spec, suspend: 'yes' } })).toBe(false);
    expect(job({ ...good, spec: { template: { spec: { containers: [{ image: 'x' }] } } } })).toBe(false);
    expect(job({ ...good, metadata: { labels: { attempt: 1 } } })).toBe(false);
    expect(job({ ...good, spec: {} })).toBe(false);
  });

  it('accepts every Job gridshift creates and every patch it sends', async () => {
    const { job, patch } = validators();
    const loadId = randomUUID();
    const now = Date.now();
    const load = { loadId, attempt: 1, name: 'train', plannedStartMs: now, deadlineMs: now + 7_200_000 };
    await tellTarget('prepared', target, load); // created suspended
    await tellTarget('moved', target, { ...load, plannedStartMs: now + 60_000 }); // annotation patched
    const controller = new AbortController();
    const ctx = {
      ...load,
      attempt: 2,
      zone: 'DE',
      signal: controller.signal,
      piece: { index: 0, count: 2, loadDeadlineMs: load.deadlineMs },
    };
    const run = dispatch(target, ctx); // unsuspended and relabelled
    const name = jobName(loadId, 1);
    for (let i = 0; i < 250 && !api.pods(NS).some((p) => p.metadata.labels['job-name'] === name); i++)
      await new Promise((r) => setTimeout(r, 20));
    controller.abort(); // suspended until the next piece
    await run;
    const fresh = dispatch(target, {
      ...ctx,
      loadId: randomUUID(),
      attempt: 1,
      piece: undefined,
      signal: new AbortController().signal,
    });
    for (let i = 0; i < 250 && api.requests.filter((r) => r.method === 'POST').length < 2; i++)
      await new Promise((r) => setTimeout(r, 20));
    const created = api.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/jobs'));
    const patched = api.requests.filter((r) => r.method === 'PATCH');
    expect(created).toHaveLength(2);
    expect(patched.length).toBeGreaterThanOrEqual(3);
    for (const r of created) expect(job(r.body), JSON.stringify(job.errors)).toBe(true);
    for (const r of patched) expect(patch(r.body), JSON.stringify(patch.errors)).toBe(true);
    api.finish(NS, created[1].body?.metadata.name, { exitCode: 0 });
    expect((await fresh).ok).toBe(true);
  });
});
