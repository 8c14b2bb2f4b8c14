import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadInput } from '../../src/core/load-input.ts';
import { HOUR_MS, MINUTE_MS } from '../../src/core/time.ts';
import { jobName } from '../../src/runner/dispatch/index.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import { queueFirstAttempt } from '../../src/runner/submit.ts';
import type { Worker } from '../../src/runner/worker.ts';
import type { Store } from '../../src/store/db.ts';
import { createLoad, type Load } from '../../src/store/loads.ts';
import { type KubeApiDouble, startKubeApi } from '../helpers/kube-api.ts';
import { BACKENDS, type TestBackend } from '../store/backends.ts';
import {
  type TableSource,
  tableRegistry,
  tableSource,
  testQueue,
  testScheduler,
  waitFor,
} from './helpers.ts';

/**
 * Kubernetes loads through a real scheduler on the embedded store, with the real client against the API
 * server double: the Job waits suspended from submit, runs when its window opens, and its end is the load's.
 */

const NS = 'gridshift-loads';
const iso = (ms: number) => new Date(ms).toISOString();
const TEMPLATE = {
  spec: {
    backoffLimit: 0,
    template: { spec: { restartPolicy: 'Never', containers: [{ name: 'work', image: 'busybox:1.36' }] } },
  },
};

describe('kubernetes loads', () => {
  let backend: TestBackend;
  let store: Store;
  let queue: Queue;
  let source: TableSource;
  let scheduler: Scheduler;
  let worker: Worker;
  let api: KubeApiDouble;
  let dir: string;
  let kubeconfig: string;
  /** FR is clean (50 g/kWh) from this time on, dirty (400) before */
  let frCleanFromMs = 0;
  const warnings: string[] = [];

  beforeAll(async () => {
    api = await startKubeApi();
    dir = mkdtempSync(join(tmpdir(), 'gridshift-k8s-loads-'));
    kubeconfig = api.writeKubeconfig(dir);
    backend = (BACKENDS.find((b) => b.kind === 'embedded') as (typeof BACKENDS)[number]).make();
    store = await backend.open();
    queue = await testQueue(store);
    frCleanFromMs = Date.now() + 3 * HOUR_MS;
    // DE: the slot holding now is the cleanest, so loads there run at once
    source = tableSource((zone, t) => {
      if (zone === 'FR') return t >= frCleanFromMs ? 50 : 400;
      return t <= Date.now() ? 100 : 300;
    });
    scheduler = testScheduler(store, queue, tableRegistry(source), {
      log: (level, message, data) => {
        if (level !== 'info') warnings.push(`${message} ${JSON.stringify(data)}`);
      },
    });
    worker = await scheduler.startWorker({ concurrency: 4, pausePollMs: 200 });
  });
  afterAll(async () => {
    await worker?.drain(2000);
    await queue?.stop({ graceful: false });
    await scheduler?.close();
    await backend?.cleanup();
    await api?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const settled = (id: string, states: Load['state'][]) =>
    waitFor(
      async () => {
        const d = await scheduler.get(id);
        return d && states.includes(d.load.state) ? d : undefined;
      },
      `load ${id} to become ${states.join(' or ')}`,
    );
  const target = (over: Record<string, unknown> = {}) =>
    ({ kind: 'kubernetes', namespace: NS, kubeconfig, template: TEMPLATE, ...over }) as LoadInput['dispatch'];
  const soon = (over: Partial<LoadInput> = {}): LoadInput => ({
    name: 'batch inference',
    zones: ['DE'],
    durationMin: 1,
    powerKw: 2,
    earliest: iso(Date.now() + 2500),
    deadline: iso(Date.now() + 2 * HOUR_MS),
    dispatch: target(),
    ...over,
  });
  const later = (over: Partial<LoadInput> = {}): LoadInput => ({
    name: 'training',
    zones: ['FR'],
    durationMin: 30,
    powerKw: 1,
    deadline: iso(Date.now() + 8 * HOUR_MS),
    dispatch: target(),
    ...over,
  });
  const runningPod = (name: string) => () =>
    api.pods(NS).find((p) => p.metadata.labels['job-name'] === name && p.status.phase === 'Running');
  const creates = (loadId: string) =>
    api.requests.filter(
      (r) => r.method === 'POST' && r.body?.metadata?.labels?.['gridshift.io/load-id'] === loadId,
    );

  it('creates the Job suspended at submit, unsuspends it when due, and succeeds from its Complete condition', async () => {
    const { load } = await scheduler.submit(soon());
    expect(load.state).toBe('waiting');
    const name = jobName(load.id, 1);
    const job = api.job(NS, name);
    expect(job?.spec.suspend).toBe(true);
    expect(job?.metadata.labels).toMatchObject({
      'gridshift.io/load-id': load.id,
      'gridshift.io/attempt': '1',
    });
    expect(job?.metadata.annotations['gridshift.io/planned-start']).toBe(iso(load.plannedStartMs as number));
    expect(runningPod(name)()).toBeUndefined();

    await waitFor(() => runningPod(name)(), 'the Job to be unsuspended when its window opens');
    expect(api.job(NS, name)?.spec.suspend).toBe(false);
    expect(creates(load.id)).toHaveLength(1); // unsuspended, not created again
    api.finish(NS, name, { exitCode: 0, log: 'scored 10000 prompts\n' });
    const done = await settled(load.id, ['succeeded', 'dead']);
    expect(done.load.state).toBe('succeeded');
    const finished = done.events.find((e) => e.to === 'succeeded');
    expect(finished?.detail).toMatchObject({
      ok: true,
      exitCode: 0,
      outputTail: 'scored 10000 prompts\n',
      ref: `${NS}/${name}`,
    });
    // a Job runs the work itself: its run lasts as long as it ran, not the planned minute
    const [ran] = done.load.actualRuns;
    expect(ran.endMs - ran.startMs).toBeLessThan(MINUTE_MS);
  });

  it("fails the load's attempt with the Job's exit code and log tail when the Job fails", async () => {
    const { load } = await scheduler.submit(soon({ maxRetries: 0 }));
    const name = jobName(load.id, 1);
    await waitFor(() => runningPod(name)(), 'the Job to run');
    api.finish(NS, name, { exitCode: 2, log: 'Traceback (most recent call last):\nValueError: bad shard\n' });
    const dead = await settled(load.id, ['dead', 'succeeded']);
    expect(dead.load.state).toBe('dead');
    const failed = dead.events.find((e) => e.to === 'failed');
    expect(failed?.detail).toMatchObject({
      ok: false,
      exitCode: 2,
      outputTail: 'Traceback (most recent call last):\nValueError: bad shard\n',
      dispatchError: `Job ${NS}/${name} failed (BackoffLimitExceeded: Job has reached the specified backoff limit)`,
    });
  });

  it('moves the planned start annotation when the load is replanned, and deletes the Job on cancel', async () => {
    const { load } = await scheduler.submit(later());
    const name = jobName(load.id, 1);
    const planned = load.plannedStartMs as number;
    expect(planned).toBeGreaterThanOrEqual(frCleanFromMs - 30 * MINUTE_MS);
    expect(api.job(NS, name)?.metadata.annotations['gridshift.io/planned-start']).toBe(iso(planned));

    frCleanFromMs += 2 * HOUR_MS; // the forecast changed: clean two hours later
    const summary = await scheduler.replan();
    expect(summary.moved).toBeGreaterThanOrEqual(1);
    const moved = (await scheduler.get(load.id))?.load.plannedStartMs as number;
    expect(moved).toBeGreaterThan(planned);
    expect(api.job(NS, name)?.metadata.annotations['gridshift.io/planned-start']).toBe(iso(moved));
    expect(api.job(NS, name)?.spec.suspend).toBe(true);

    await scheduler.cancel(load.id);
    expect(api.job(NS, name)).toBeUndefined();
    const del = api.requests.find((r) => r.method === 'DELETE' && r.path.endsWith(`/jobs/${name}`));
    expect(del?.query.get('propagationPolicy')).toBe('Background');
  });

  it('run now starts the waiting Job; cancelling the running load deletes it', async () => {
    const { load } = await scheduler.submit(later({ name: 'run me now' }));
    const name = jobName(load.id, 1);
    await scheduler.runNow(load.id);
    await waitFor(() => runningPod(name)(), 'the Job to run');
    await settled(load.id, ['running']);
    await scheduler.cancel(load.id, 'not needed');
    await waitFor(() => api.job(NS, name) === undefined, 'the Job to be deleted');
    expect(api.pods(NS).filter((p) => p.metadata.labels['job-name'] === name)).toEqual([]);
    expect((await scheduler.get(load.id))?.load.state).toBe('cancelled');
  });

  it('does not lose a load whose Job could not be made at submit: the dispatch creates it', async () => {
    const path = join(dir, 'written-later.yaml');
    warnings.length = 0;
    const { load } = await scheduler.submit(soon({ dispatch: target({ kubeconfig: path }) }));
    expect(load.state).toBe('waiting');
    const name = jobName(load.id, 1);
    expect(api.job(NS, name)).toBeUndefined();
    const warning = warnings.find((w) =>
      w.startsWith('could not tell the kubernetes target that its load was prepared'),
    );
    expect(warning).toContain(`cannot read the kubeconfig ${path}: ENOENT`);
    writeFileSync(path, api.writeKubeconfigText());
    await waitFor(() => runningPod(name)(), 'the dispatch to create the Job');
    expect(api.job(NS, name)?.spec.suspend).toBe(false);
    api.finish(NS, name, { exitCode: 0 });
    expect((await settled(load.id, ['succeeded', 'dead'])).load.state).toBe('succeeded');
  });

  it('suspends the Job between the pieces of an interruptible load and unsuspends it for the next', async () => {
    const now = Date.now();
    const { load } = await createLoad(store, {
      name: 'checkpointed training',
      zones: ['DE'],
      durationMin: 1,
      powerKw: 1,
      earliestMs: now,
      deadlineMs: now + HOUR_MS,
      interruptible: true,
      dispatch: target() as NonNullable<LoadInput['dispatch']>,
      plan: {
        zone: 'DE',
        runs: [
          { startMs: now + 1000, endMs: now + 2500 },
          { startMs: now + 4000, endMs: now + 5500 },
        ],
      },
      queuedAttempt: 1,
    });
    await queueFirstAttempt(scheduler.context, load);
    const name = jobName(load.id, 1);
    expect(api.job(NS, name)?.spec.suspend).toBe(true);
    const first = await waitFor(() => runningPod(name)(), 'the first piece to run');
    // the piece ends at its planned end: the Job is suspended (its pod deleted) until the next piece
    await waitFor(
      async () => (await scheduler.get(load.id))?.load.piece === 1 || undefined,
      'the first piece to end',
    );
    const between = api.job(NS, name);
    expect(between?.spec.suspend).toBe(true);
    // the next piece queued, its start is the Job's planned start
    await waitFor(
      () => api.job(NS, name)?.metadata.annotations['gridshift.io/planned-start'] === iso(now + 4000),
      'the annotation to move to the next piece',
    );
    expect(api.pods(NS).find((p) => p.metadata.name === first.metadata.name)).toBeUndefined();

    const second = await waitFor(() => runningPod(name)(), 'the second piece to run');
    expect(second.metadata.name).not.toBe(first.metadata.name);
    expect(api.job(NS, name)?.metadata.labels['gridshift.io/attempt']).toBe('2');
    api.finish(NS, name, { exitCode: 0, log: 'resumed from step 1200\n' });
    const done = await settled(load.id, ['succeeded', 'dead']);
    expect(done.load).toMatchObject({ state: 'succeeded', attempt: 2, piece: 1 });
    expect(creates(load.id)).toHaveLength(1);
    expect(done.events.map((e) => `${e.from}->${e.to}`)).toEqual([
      'null->planned',
      'planned->waiting',
      'waiting->running',
      'running->waiting',
      'waiting->running',
      'running->succeeded',
    ]);
    expect(done.events[3].detail).toMatchObject({ event: 'piece_done', aborted: true });
    expect(done.events[5].detail).toMatchObject({ exitCode: 0, outputTail: 'resumed from step 1200\n' });
  });
});
