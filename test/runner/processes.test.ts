import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAccounting } from '../../src/accounting/ledger.ts';
import type { LoadInput } from '../../src/core/load-input.ts';
import { HOUR_MS } from '../../src/core/time.ts';
import { type RunningService, startService } from '../../src/runner/process.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import type { SchedulerEvent } from '../../src/runner/service.ts';
import type { Store } from '../../src/store/db.ts';
import type { Load } from '../../src/store/loads.ts';
import {
  BACKENDS,
  skipPostgres,
  TEST_DATABASE_URL,
  type TestBackend,
  terminateSessions,
} from '../store/backends.ts';
import { isGone, isRunning } from './dispatch/helpers.ts';
import { tableRegistry, tableSource, testQueue, testScheduler, waitFor } from './helpers.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const iso = (ms: number) => new Date(ms).toISOString();

/** A worker process (test/fixtures/runner/worker.ts) and the lines it printed. */
interface Child {
  proc: ChildProcess;
  exited: Promise<number | null>;
  ready: Promise<void>;
}

describe.skipIf(skipPostgres)('the scheduler across processes on PostgreSQL', () => {
  let backend: TestBackend;
  let store: Store;
  let queue: Queue;
  let api: Scheduler;
  let dir: string;
  const children: Child[] = [];
  const services: RunningService[] = [];

  beforeAll(async () => {
    backend = BACKENDS[1].make();
    store = await backend.open();
    // the queue's schema is the default one (<store schema>_queue), which the worker processes open too
    queue = await testQueue(store, {
      schema: `${store.schema}_queue`,
      superviseIntervalSeconds: 1,
      monitorIntervalSeconds: 1,
      retryDelaySeconds: 0,
      retryBackoff: false,
    });
    // the slot holding now is the cleanest: everything runs at its earliest start
    api = testScheduler(store, queue, tableRegistry(tableSource((_z, t) => (t <= Date.now() ? 100 : 300))), {
      roles: ['api'],
      attemptExpirySeconds: 5,
    });
    dir = mkdtempSync(join(tmpdir(), 'gridshift-processes-'));
  });
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.proc.exitCode === null && c.proc.signalCode === null) {
        c.proc.kill('SIGKILL');
        await c.exited;
      }
    }
    for (const s of services.splice(0)) await s.stop({ graceMs: 1000 });
  });
  afterAll(async () => {
    await queue?.stop({ graceful: false });
    await api?.close();
    await backend?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const startWorker = (options: Record<string, unknown> = {}): Child => {
    const proc = spawn(
      join(root, 'node_modules', '.bin', 'node'),
      [
        join(root, 'test', 'fixtures', 'runner', 'worker.ts'),
        TEST_DATABASE_URL,
        store.schema,
        JSON.stringify({ queueSchema: queue.schema, ...options }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const ready = new Promise<void>((resolve, reject) => {
      let buffer = '';
      proc.stdout?.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        if (buffer.split('\n').includes('ready')) resolve();
      });
      exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready`)));
    });
    const child = { proc, exited, ready };
    children.push(child);
    return child;
  };

  const load = (name: string, command: string, over: Partial<LoadInput> = {}): LoadInput => {
    const now = Date.now();
    return {
      name,
      zones: ['DE'],
      durationMin: 1,
      powerKw: 1,
      earliest: iso(now + 500),
      deadline: iso(now + HOUR_MS),
      dispatch: { kind: 'shell', command },
      ...over,
    };
  };

  const final = (
    id: string,
    states: Load['state'][] = ['succeeded', 'dead', 'cancelled'],
    timeoutMs = 40_000,
  ) =>
    waitFor(
      async () => {
        const d = await api.get(id);
        return d && states.includes(d.load.state) ? d : undefined;
      },
      `load ${id} to become ${states.join(' or ')}`,
      timeoutMs,
    );

  it('dispatches each of 30 loads exactly once across 3 worker processes', async () => {
    const workers = [startWorker(), startWorker(), startWorker()];
    await Promise.all(workers.map((w) => w.ready));
    const out = join(dir, 'thirty.txt');
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      // each takes a moment, so that one worker cannot take all 30 before the others poll (every 0.5 s)
      const { load: l } = await api.submit(
        load(`load ${i}`, `echo "$GRIDSHIFT_LOAD_ID" >> ${out}; sleep 0.5`),
      );
      ids.push(l.id);
    }
    const done = await Promise.all(ids.map((id) => final(id)));
    expect(done.map((d) => d.load.state)).toEqual(ids.map(() => 'succeeded'));
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(30);
    expect(new Set(lines)).toEqual(new Set(ids));
    for (const d of done) expect(d.events.filter((e) => e.to === 'running')).toHaveLength(1);
    const by = new Set(done.map((d) => d.events.find((e) => e.to === 'running')?.detail.worker));
    expect(by.size).toBeGreaterThan(1);
  }, 90_000);

  it('retries the load of a worker process killed mid-run on another worker, once its attempt expires', async () => {
    const doomed = startWorker({ concurrency: 1 });
    await doomed.ready;
    const marker = join(dir, 'killed-started');
    const out = join(dir, 'killed.txt');
    const { load: l } = await api.submit(
      load(
        'survivor',
        `if [ -f ${marker} ]; then echo "$GRIDSHIFT_ATTEMPT" >> ${out}; else echo $$ > ${marker}; exec sleep 20; fi`,
      ),
    );
    await waitFor(
      () => existsSync(marker) && readFileSync(marker, 'utf8').endsWith('\n'),
      'the first attempt to start',
    );
    const command = Number(readFileSync(marker, 'utf8'));
    expect(isRunning(command)).toBe(true);
    doomed.proc.kill('SIGKILL');
    await doomed.exited;
    // the command has a process group of its own, yet dies with its worker: it is not run twice at once
    expect(await isGone(command, 15_000)).toBe(true);
    const rescuer = startWorker();
    await rescuer.ready;
    const done = await final(l.id);
    expect(done.load).toMatchObject({ state: 'succeeded', attempt: 2, failures: 1 });
    const failed = done.events.find((e) => e.to === 'failed');
    expect(failed?.detail).toMatchObject({ error: 'worker lost', attempt: 1 });
    expect(readFileSync(out, 'utf8')).toBe('2\n');
  }, 90_000);

  it('notices a worker killed mid-run by its missed heartbeat, long before the attempt expires, and retries its load', async () => {
    // attempts of this scheduler expire after the run plus 5 minutes: an hour and 5 minutes here
    const longApi = testScheduler(
      store,
      queue,
      tableRegistry(tableSource((_z, t) => (t <= Date.now() ? 100 : 300))),
      {
        roles: ['api'],
      },
    );
    const beat = { heartbeatMs: 300, lostAfterMs: 2_000 };
    const doomed = startWorker({ concurrency: 1, ...beat });
    const rescuer = startWorker(beat);
    await Promise.all([doomed.ready, rescuer.ready]);
    const marker = join(dir, 'heartbeat-started');
    const out = join(dir, 'heartbeat.txt');
    // the first attempt waits for ever (wherever it runs); a later one finishes at once
    const { load: l } = await longApi.submit(
      load(
        'heartbeat',
        `if [ "$GRIDSHIFT_ATTEMPT" = 1 ]; then echo $$ > ${marker}; exec sleep 600; else echo "$GRIDSHIFT_ATTEMPT" >> ${out}; fi`,
        { durationMin: 60, deadline: iso(Date.now() + 3 * HOUR_MS) },
      ),
    );
    await waitFor(
      () => existsSync(marker) && readFileSync(marker, 'utf8').endsWith('\n'),
      'the first attempt',
    );
    const started = await api.get(l.id);
    const ranOn = started?.events.find((e) => e.to === 'running')?.detail.worker as string;
    const victim = ranOn.endsWith(`:${doomed.proc.pid}`) ? doomed : rescuer;
    const command = Number(readFileSync(marker, 'utf8'));
    await new Promise((r) => setTimeout(r, 1_000)); // a few heartbeats while the command runs
    victim.proc.kill('SIGKILL');
    await victim.exited;
    const killedMs = Date.now();
    expect(await isGone(command, 15_000)).toBe(true);
    const done = await final(l.id);
    expect(done.load).toMatchObject({ state: 'succeeded', attempt: 2, failures: 1 });
    const failed = done.events.find((e) => e.to === 'failed');
    expect(failed?.detail).toMatchObject({ error: 'worker lost', attempt: 1, worker: ranOn });
    expect(String(failed?.detail.detail)).toMatch(/^no heartbeat from its worker since /);
    // found by the heartbeat: the attempt itself would have expired only after 65 minutes
    expect((failed?.atMs ?? Number.POSITIVE_INFINITY) - killedMs).toBeLessThan(60_000);
    expect(readFileSync(out, 'utf8')).toBe('2\n');
    // what the lost attempt ran (until its worker's last heartbeat) is kept for the accounting
    expect(done.load.failedRuns).toHaveLength(1);
    const [lostRun] = done.load.failedRuns;
    expect(lostRun.startMs).toBe(started?.events.find((e) => e.to === 'running')?.atMs);
    expect(lostRun.endMs).toBeGreaterThan(lostRun.startMs);
    expect(lostRun.endMs).toBeLessThanOrEqual(killedMs);
    await longApi.close();
  }, 90_000);

  it('drains on SIGTERM: the running load finishes, then the process exits 0', async () => {
    const worker = startWorker({ graceMs: 30_000 });
    await worker.ready;
    const marker = join(dir, 'drain-started');
    const out = join(dir, 'drain.txt');
    const { load: l } = await api.submit(load('drained', `touch ${marker}; sleep 2; echo done >> ${out}`));
    await waitFor(() => existsSync(marker), 'the load to start');
    worker.proc.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    const after = await api.get(l.id);
    expect(after?.load.state).toBe('succeeded');
    expect(readFileSync(out, 'utf8')).toBe('done\n');
  }, 60_000);

  it('stops a load still running when the grace period ends, and queues it again at once, not counted as a failure', async () => {
    const own = await startService({
      accounting: createAccounting,
      store,
      roles: ['worker'],
      queue: { schema: queue.schema, pollingIntervalSeconds: 0.5, onError: () => {} },
      handleSignals: false,
      graceMs: 300,
      log: () => {},
    });
    const marker = join(dir, 'grace-started');
    const { load: l } = await api.submit(
      load('too long', `touch ${marker}; exec sleep 30`, { maxRetries: 0 }),
    );
    await waitFor(() => existsSync(marker), 'the load to start');
    await own.stop();
    const after = await api.get(l.id);
    expect(after?.load).toMatchObject({ state: 'waiting', failures: 0, queuedAttempt: 2 });
    expect(after?.events.find((e) => e.to === 'failed')?.detail).toMatchObject({
      error: 'worker stopped before the load finished',
    });
    await api.cancel(l.id); // no other worker runs in this test
  }, 60_000);

  it('survives the server ending every connection of a process: worker, planner and events carry on', async () => {
    const tag = `gs-drop-${randomUUID().slice(0, 8)}`;
    const own = await startService({
      accounting: createAccounting,
      store: {
        databaseUrl: TEST_DATABASE_URL,
        schema: store.schema,
        maxConnections: 4,
        applicationName: tag,
      },
      roles: ['worker', 'planner'],
      registry: tableRegistry(tableSource(() => 200)),
      queue: {
        schema: queue.schema,
        pollingIntervalSeconds: 0.5,
        applicationName: `${tag}-queue`,
        onError: () => {},
      },
      handleSignals: false,
      plannerFirstRunMs: 60_000,
      retry: { delaySeconds: 0, backoff: false },
      log: () => {},
    });
    services.push(own);
    const seen: SchedulerEvent[] = [];
    own.scheduler.onEvent((e) => seen.push(e));
    const out = join(dir, 'dropped.txt');
    const first = await api.submit(load('before the drop', `echo before >> ${out}`));
    await final(first.load.id);
    await waitFor(
      () => seen.some((e) => e.type === 'load.state' && e.loadId === first.load.id),
      'events from the API process',
    );

    // store pool, queue pool, the listening connection
    expect(await terminateSessions(tag, { prefix: true })).toBeGreaterThanOrEqual(3);

    const second = await api.submit(load('after the drop', `echo after >> ${out}`));
    const done = await final(second.load.id);
    expect(done.load.state).toBe('succeeded');
    expect(readFileSync(out, 'utf8')).toBe('before\nafter\n');
    // the listening connection came back: events of the other process arrive again
    await waitFor(
      () => seen.some((e) => e.type === 'load.state' && e.loadId === second.load.id && e.to === 'succeeded'),
      'events after the reconnect',
    );
    expect((await own.scheduler.replan()).ran).toBe(true);
  }, 90_000);
});
