import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { parseLoadInput } from '../../../src/core/load-input.ts';
import { dispatch, jobName, tellTarget } from '../../../src/runner/dispatch/index.ts';
import { runKubernetes } from '../../../src/runner/dispatch/kubernetes.ts';
import type { DispatchContext, KubernetesTarget } from '../../../src/runner/dispatch/types.ts';
import { type KubeApiDouble, type KubeObject, startKubeApi } from '../../helpers/kube-api.ts';
import { closedPort } from './helpers.ts';

const NS = 'batch-jobs';
const TEMPLATE = {
  apiVersion: 'batch/v1' as const,
  kind: 'Job' as const,
  metadata: { name: 'ignored', labels: { team: 'ml' }, annotations: { owner: 'ml-platform' } },
  spec: {
    backoffLimit: 0,
    template: {
      metadata: { labels: { app: 'train' } },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'train', image: 'registry.example/train:1', args: ['--epochs', '3'] }],
      },
    },
  },
};

let api: KubeApiDouble;
let dir: string;
let kubeconfig: string;

beforeAll(async () => {
  api = await startKubeApi();
  dir = mkdtempSync(join(tmpdir(), 'gridshift-k8s-'));
  kubeconfig = api.writeKubeconfig(dir);
});
afterAll(async () => {
  await api?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const target = (over: Partial<KubernetesTarget> = {}): KubernetesTarget => ({
  kind: 'kubernetes',
  namespace: NS,
  kubeconfig,
  template: TEMPLATE,
  ...over,
});

function context(over: Partial<DispatchContext> = {}): DispatchContext & { abort: () => void } {
  const controller = new AbortController();
  const now = Date.now();
  return {
    loadId: randomUUID(),
    attempt: 1,
    name: 'training run',
    plannedStartMs: now,
    deadlineMs: now + 2 * 3_600_000,
    zone: 'DE',
    signal: controller.signal,
    abort: () => controller.abort(new Error('cancelled')),
    ...over,
  };
}

async function until<T>(check: () => T | undefined | false, what: string, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const runningPod = (name: string) => () =>
  api.pods(NS).find((p) => p.metadata.labels['job-name'] === name && p.status.phase === 'Running');
const requestsFor = (name: string) =>
  api.requests.filter(
    (r) => r.path.endsWith(`/jobs/${name}`) || r.query.get('fieldSelector')?.endsWith(name),
  );
const watchesSoFar = () => api.watches().length;

describe('kubernetes dispatch', () => {
  it('parses as a load target, from the same zod schema as the API', () => {
    const input = parseLoadInput({
      name: 'train',
      zones: ['DE'],
      durationMin: 60,
      powerKw: 3,
      dispatch: { kind: 'kubernetes', namespace: NS, template: TEMPLATE, timeoutSec: 3600 },
    });
    expect(input.dispatch?.kind).toBe('kubernetes');
    const bad = (dispatchTarget: unknown) => () =>
      parseLoadInput({ name: 'x', zones: ['DE'], durationMin: 1, powerKw: 1, dispatch: dispatchTarget });
    expect(bad({ kind: 'kubernetes', namespace: 'Batch', template: TEMPLATE })).toThrow(/dispatch.namespace/);
    expect(bad({ kind: 'kubernetes', namespace: NS })).toThrow(/template or as templateFile/);
    expect(bad({ kind: 'kubernetes', namespace: NS, template: { spec: {} } })).toThrow(/spec.template/);
    expect(bad({ kind: 'kubernetes', namespace: NS, template: { ...TEMPLATE, kind: 'Pod' } })).toThrow(
      /dispatch.template.kind/,
    );
  });

  it('names Jobs from the load id and attempt, as DNS labels of at most 63 characters', () => {
    expect(jobName('0196a1b2-c3d4-8e5f-9a0b-1c2d3e4f5a6b', 3)).toBe(
      'gridshift-0196a1b2-c3d4-8e5f-9a0b-1c2d3e4f5a6b-3',
    );
    const long = jobName(`Load_${'x'.repeat(80)}`, 12);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    expect(long).toBe(jobName(`Load_${'x'.repeat(80)}`, 12));
    expect(long).not.toBe(jobName(`Load_${'x'.repeat(81)}`, 12));
  });

  it('creates the Job and succeeds on its Complete condition with the exit code and log tail of its pod', async () => {
    const ctx = context({ attempt: 2 });
    const name = jobName(ctx.loadId, 2);
    const run = dispatch(target({ timeoutSec: 900 }), ctx);
    await until(runningPod(name), 'the pod to run');
    const job = api.job(NS, name) as KubeObject;
    expect(job.metadata.labels).toEqual({
      team: 'ml',
      'gridshift.io/load-id': ctx.loadId,
      'gridshift.io/attempt': '2',
      'app.kubernetes.io/managed-by': 'gridshift',
    });
    expect(job.metadata.annotations).toEqual({
      owner: 'ml-platform',
      'gridshift.io/planned-start': new Date(ctx.plannedStartMs).toISOString(),
    });
    expect(job.spec.suspend).toBe(false);
    expect(job.spec.activeDeadlineSeconds).toBe(900); // the target's limit, shorter than the 2 h to the deadline
    expect(job.spec.template.metadata.labels).toEqual({ app: 'train', 'gridshift.io/load-id': ctx.loadId });
    expect(job.spec.template.spec.containers[0].env).toEqual([
      { name: 'GRIDSHIFT_LOAD_ID', value: ctx.loadId },
    ]);

    const log = `${'x'.repeat(5000)}\nepoch 3 done\n`;
    api.finish(NS, name, { exitCode: 0, log });
    const outcome = await run;
    expect(outcome).toMatchObject({ ok: true, exitCode: 0, ref: `${NS}/${name}` });
    expect(outcome.outputTail).toBe(log.slice(-4096));
  });

  it('fails with the exit code and log tail when the Job fails; a deadline exceeded is a timeout', async () => {
    const ctx = context();
    const name = jobName(ctx.loadId, 1);
    const run = dispatch(target(), ctx);
    await until(runningPod(name), 'the pod to run');
    // no limit on the target: the Job may run until the load's deadline, 2 h from now
    const seconds = api.job(NS, name)?.spec.activeDeadlineSeconds;
    expect(seconds).toBeGreaterThanOrEqual(7199);
    expect(seconds).toBeLessThanOrEqual(7200);
    api.finish(NS, name, { exitCode: 3, log: 'loading data\nout of memory\n' });
    const outcome = await run;
    expect(outcome).toMatchObject({ ok: false, exitCode: 3, outputTail: 'loading data\nout of memory\n' });
    expect(outcome.error).toBe(
      `Job ${NS}/${name} failed (BackoffLimitExceeded: Job has reached the specified backoff limit)`,
    );
    expect(outcome.timedOut).toBeUndefined();

    const late = context();
    const lateName = jobName(late.loadId, 1);
    const lateRun = dispatch(target(), late);
    await until(runningPod(lateName), 'the pod to run');
    api.finish(NS, lateName, {
      exitCode: 137,
      reason: 'DeadlineExceeded',
      message: 'Job was active longer than specified deadline',
    });
    expect(await lateRun).toMatchObject({ ok: false, exitCode: 137, timedOut: true });
  });

  it('resumes a broken watch from the last resourceVersion: a change made while it was down is not missed', async () => {
    const ctx = context();
    const name = jobName(ctx.loadId, 1);
    const before = watchesSoFar();
    const run = runKubernetes(target(), ctx, { watch: { backoffMs: 100 } });
    await until(() => watchesSoFar() > before && runningPod(name)(), 'the watch');
    const from = api.watches()[before];
    api.dropWatches();
    api.finish(NS, name, { exitCode: 0, log: 'done\n' }); // while no watch is open
    const outcome = await run;
    expect(outcome).toMatchObject({ ok: true, exitCode: 0 });
    expect(api.watches().slice(before)).toEqual([from, from]);
    // listed once: resumed, not relisted
    expect(requestsFor(name).filter((r) => r.method === 'GET' && !r.query.get('watch'))).toHaveLength(1);
  });

  it('lists the Job again when the resourceVersion it watched from is gone (410), and goes on from there', async () => {
    const ctx = context();
    const name = jobName(ctx.loadId, 1);
    const before = watchesSoFar();
    const run = runKubernetes(target(), ctx, { watch: { backoffMs: 100 } });
    await until(() => watchesSoFar() > before && runningPod(name)(), 'the watch');
    const from = api.watches()[before];
    api.dropWatches();
    api.touch(NS, name); // a change nobody watched
    api.compact(); // ... and the server's history no longer holds the version watched from
    await until(() => watchesSoFar() >= before + 3, 'a watch after the relist');
    const watched = api.watches().slice(before);
    expect(watched.slice(0, 2)).toEqual([from, from]); // the resumed watch got 410 Gone
    expect(Number(watched[2])).toBeGreaterThan(Number(from)); // from the new list's version
    expect(requestsFor(name).filter((r) => r.method === 'GET' && !r.query.get('watch'))).toHaveLength(2);
    api.finish(NS, name, { exitCode: 0 });
    expect(await run).toMatchObject({ ok: true, exitCode: 0 });
  });

  it('adopts the Job made at submit: unsuspends it for the attempt instead of creating one', async () => {
    const ctx = context({ attempt: 3 });
    const prepared = {
      loadId: ctx.loadId,
      attempt: 1,
      name: ctx.name,
      plannedStartMs: ctx.plannedStartMs,
      deadlineMs: ctx.deadlineMs,
    };
    expect(await tellTarget('prepared', target(), prepared)).toBe(true);
    const name = jobName(ctx.loadId, 1);
    expect(api.job(NS, name)?.spec.suspend).toBe(true);
    expect(runningPod(name)()).toBeUndefined();

    const run = dispatch(target(), ctx); // attempt 3: attempts 1 and 2 were withdrawn before they started
    await until(runningPod(name), 'the adopted Job to run');
    const job = api.job(NS, name) as KubeObject;
    expect(job.spec.suspend).toBe(false);
    expect(job.metadata.labels['gridshift.io/attempt']).toBe('3');
    const patch = api.requests.findLast((r) => r.method === 'PATCH' && r.path.endsWith(name));
    expect(patch?.contentType).toBe('application/merge-patch+json');
    expect(
      api.requests.filter(
        (r) => r.method === 'POST' && r.body?.metadata?.labels?.['gridshift.io/load-id'] === ctx.loadId,
      ),
    ).toHaveLength(1);
    api.finish(NS, name, { exitCode: 0 });
    expect(await run).toMatchObject({ ok: true, ref: `${NS}/${name}` });
  });

  it('on AlreadyExists, a Job made first by the dispatch keeps running; one of another owner is refused', async () => {
    // the dispatch got there before the submit's hook: the hook only brings the annotation up to date
    const ctx = context();
    const name = jobName(ctx.loadId, 1);
    const run = dispatch(target(), ctx);
    await until(runningPod(name), 'the pod to run');
    const moved = ctx.plannedStartMs + 60_000;
    await tellTarget('prepared', target(), { ...ctx, plannedStartMs: moved });
    const job = api.job(NS, name) as KubeObject;
    expect(job.spec.suspend).toBe(false);
    expect(job.metadata.annotations['gridshift.io/planned-start']).toBe(new Date(moved).toISOString());
    api.finish(NS, name, { exitCode: 0 });
    expect((await run).ok).toBe(true);

    // a Job of that name that is not this load's is left alone
    const other = context();
    const otherName = jobName(other.loadId, 1);
    const foreign = structuredClone(TEMPLATE) as KubeObject;
    foreign.metadata = { name: otherName, namespace: NS };
    await fetchAsDispatcher('POST', `/apis/batch/v1/namespaces/${NS}/jobs`, foreign);
    const outcome = await dispatch(target(), other);
    expect(outcome).toMatchObject({ ok: false });
    expect(outcome.error).toBe(
      `a Job named ${otherName} already exists in namespace ${NS} and is not this load's`,
    );
    expect(api.job(NS, otherName)?.metadata.labels).toBeUndefined();
  });

  it('deletes its Job with background propagation when the attempt is stopped', async () => {
    const ctx = context();
    const name = jobName(ctx.loadId, 1);
    const run = dispatch(target(), ctx);
    await until(runningPod(name), 'the pod to run');
    ctx.abort();
    const outcome = await run;
    expect(outcome).toMatchObject({ ok: false, aborted: true });
    expect(outcome.error).toBe(`aborted (shutdown or cancel): Job ${NS}/${name} deleted`);
    const del = api.requests.find((r) => r.method === 'DELETE' && r.path.endsWith(`/jobs/${name}`));
    expect(del?.query.get('propagationPolicy')).toBe('Background');
    expect(api.job(NS, name)).toBeUndefined();
    expect(api.pods(NS).filter((p) => p.metadata.labels['job-name'] === name)).toEqual([]);
  });

  it('suspends an interruptible load between pieces and unsuspends the same Job for the next piece', async () => {
    const first = context({ piece: { index: 0, count: 2, loadDeadlineMs: Date.now() + 3 * 3_600_000 } });
    const name = jobName(first.loadId, 1);
    const run1 = dispatch(target(), first);
    const pod1 = await until(runningPod(name), 'the first piece to run');
    // a piece's deadline is its planned end; the Job's limit is the load's deadline, not the piece's end
    expect(api.job(NS, name)?.spec.activeDeadlineSeconds).toBeGreaterThan(3 * 3600 - 5);
    first.abort(); // the piece's planned end
    const outcome1 = await run1;
    expect(outcome1).toMatchObject({ ok: false, aborted: true });
    expect(outcome1.error).toBe(
      `aborted (shutdown or cancel): Job ${NS}/${name} suspended until the next piece`,
    );
    expect(api.job(NS, name)?.spec.suspend).toBe(true);
    expect(api.pods(NS).find((p) => p.metadata.name === pod1.metadata.name)).toBeUndefined(); // pods are deleted

    const second = context({
      loadId: first.loadId,
      attempt: 2,
      piece: { index: 1, count: 2, loadDeadlineMs: first.piece?.loadDeadlineMs as number },
    });
    const run2 = dispatch(target(), second);
    const pod2 = await until(runningPod(name), 'the second piece to run');
    expect(pod2.metadata.name).not.toBe(pod1.metadata.name);
    expect(api.job(NS, name)?.metadata.labels['gridshift.io/attempt']).toBe('2');
    api.finish(NS, name, { exitCode: 0, log: 'resumed from checkpoint\n' });
    expect(await run2).toMatchObject({ ok: true, outputTail: 'resumed from checkpoint\n' });
  });

  it('names the missing permission on 403 and the refused credentials on 401', async () => {
    const wrongToken = api.writeKubeconfig(dir, { token: 'not-the-token' });
    const unauthorized = await dispatch(target({ kubeconfig: wrongToken }), context());
    expect(unauthorized.ok).toBe(false);
    expect(unauthorized.error).toBe(
      `the Kubernetes API server at ${api.url} refused the credentials (HTTP 401 Unauthorized); check the kubeconfig's user or the service account's token`,
    );

    const forbidden = await startKubeApi();
    try {
      forbidden.forbid('create', 'jobs');
      const denied = await dispatch(target({ kubeconfig: forbidden.writeKubeconfig(dir) }), context());
      expect(denied.ok).toBe(false);
      expect(denied.error).toBe(
        `not allowed to create jobs (API group batch) in namespace ${NS} (HTTP 403 Forbidden): jobs.batch is forbidden: User "system:serviceaccount:gridshift:dispatcher" cannot create resource "jobs" in API group "batch" in the namespace "${NS}"; grant the dispatcher's user or service account the verb create on jobs`,
      );
    } finally {
      await forbidden.close();
    }
  });

  it('a Job it may create but not watch is deleted again, and the outcome names the missing verb', async () => {
    const noWatch = await startKubeApi();
    try {
      noWatch.forbid('watch', 'jobs');
      const ctx = context();
      const name = jobName(ctx.loadId, 1);
      const outcome = await dispatch(target({ kubeconfig: noWatch.writeKubeconfig(dir) }), ctx);
      expect(outcome.ok).toBe(false);
      expect(outcome.error).toMatch(
        new RegExp(
          `^not allowed to watch jobs \\(API group batch\\) in namespace ${NS} \\(HTTP 403 Forbidden\\)`,
        ),
      );
      expect(outcome.error).toMatch(new RegExp(`; Job ${NS}/${name} deleted$`));
      expect(noWatch.job(NS, name)).toBeUndefined();
    } finally {
      await noWatch.close();
    }
  });

  it('succeeds without the log when pods/log is forbidden, and says why', async () => {
    const noLogs = await startKubeApi();
    try {
      noLogs.forbid('get', 'pods/log');
      const ctx = context();
      const name = jobName(ctx.loadId, 1);
      const run = dispatch(target({ kubeconfig: noLogs.writeKubeconfig(dir) }), ctx);
      await until(() => noLogs.job(NS, name), 'the Job');
      noLogs.finish(NS, name, { exitCode: 0, log: 'secret' });
      const outcome = await run;
      expect(outcome).toMatchObject({ ok: true, exitCode: 0 });
      expect(outcome.outputTail).toMatch(
        /^\(not allowed to get pods\/log \(API group core\) in namespace batch-jobs \(HTTP 403 Forbidden\)/,
      );
    } finally {
      await noLogs.close();
    }
  });

  it('reports an unreachable API server', async () => {
    const port = await closedPort();
    const path = join(dir, 'closed.yaml');
    writeFileSync(
      path,
      toYaml({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${port}` } }],
        users: [{ name: 'u', user: { token: 't' } }],
        contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'x',
      }),
    );
    const outcome = await dispatch(target({ kubeconfig: path }), context());
    expect(outcome).toMatchObject({ ok: false });
    expect(outcome.error).toBe(
      `could not reach the Kubernetes API server at https://127.0.0.1:${port} to list jobs: ECONNREFUSED`,
    );
  });

  it('reads KUBECONFIG, a context of it and a YAML template file', async () => {
    const file = join(dir, 'job.yaml');
    writeFileSync(file, toYaml(TEMPLATE));
    const config = api.writeKubeconfig(dir, { context: 'lab' });
    const ctx = context();
    const name = jobName(ctx.loadId, 1);
    const run = runKubernetes(
      { kind: 'kubernetes', namespace: NS, templateFile: file, context: 'lab' },
      ctx,
      { env: { KUBECONFIG: config } },
    );
    await until(runningPod(name), 'the pod to run');
    expect(api.job(NS, name)?.spec.template.spec.containers[0].image).toBe('registry.example/train:1');
    api.finish(NS, name, { exitCode: 0 });
    expect((await run).ok).toBe(true);

    const noContext = await runKubernetes(target({ context: 'prod' }), context());
    expect(noContext.error).toBe('the kubeconfig has no context named "prod"');
    const nothing = await runKubernetes(
      { kind: 'kubernetes', namespace: NS, template: TEMPLATE },
      context(),
      {
        env: { HOME: dir },
      },
    );
    expect(nothing.error).toMatch(/^no Kubernetes configuration: set kubeconfig in the target, KUBECONFIG/);
    writeFileSync(file, 'kind: Job\nspec: {}\n');
    const badFile = await runKubernetes(target({ template: undefined, templateFile: file }), context());
    expect(badFile.error).toBe(
      `the Job template file ${file} is not a Job template: spec.template: Invalid input: expected object, received undefined`,
    );
  });

  it('moves the planned start annotation of a waiting Job and deletes it when the load is cancelled', async () => {
    const ctx = context();
    const load = {
      loadId: ctx.loadId,
      attempt: 1,
      name: ctx.name,
      plannedStartMs: ctx.plannedStartMs + 3_600_000,
      deadlineMs: ctx.deadlineMs,
    };
    await tellTarget('prepared', target(), load);
    const name = jobName(ctx.loadId, 1);
    const later = load.plannedStartMs + 1_800_000;
    await tellTarget('moved', target(), { ...load, plannedStartMs: later });
    expect(api.job(NS, name)?.metadata.annotations['gridshift.io/planned-start']).toBe(
      new Date(later).toISOString(),
    );
    expect(api.job(NS, name)?.spec.suspend).toBe(true);
    await tellTarget('cancelled', target(), load);
    expect(api.job(NS, name)).toBeUndefined();
    const del = api.requests.find((r) => r.method === 'DELETE' && r.path.endsWith(`/jobs/${name}`));
    expect(del?.query.get('propagationPolicy')).toBe('Background');
    // targets without hooks are not asked
    expect(await tellTarget('prepared', { kind: 'none' }, load)).toBe(false);
  });
});

/** A request to the double with the dispatcher's credentials, as kubectl would send it. */
async function fetchAsDispatcher(method: string, path: string, body: unknown): Promise<void> {
  const { request } = await import('node:https');
  const { readFileSync } = await import('node:fs');
  const ca = readFileSync(new URL('../../fixtures/kube/api-server.crt', import.meta.url));
  await new Promise<void>((resolve, reject) => {
    const req = request(
      `${api.url}${path}`,
      { method, ca, headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode && res.statusCode < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}
