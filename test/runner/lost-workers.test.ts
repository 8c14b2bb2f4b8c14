import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bootId, processStartTicks } from '../../src/core/pid.ts';
import { endLeftoverGroups, workerIdentity } from '../../src/runner/lost-workers.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import type { Store } from '../../src/store/db.ts';
import {
  beatWorker,
  hostProcessGroups,
  recordProcessGroup,
  recordRunningAttempt,
  type WorkerIdentity,
} from '../../src/store/workers.ts';
import { describeEachBackend, type TestBackend } from '../store/backends.ts';
import { isGone, isRunning } from './dispatch/helpers.ts';
import { dropQueueSchemas, tableRegistry, tableSource, testQueue, testScheduler } from './helpers.ts';

/**
 * A restarted worker ends the process groups that workers on its machine recorded and left behind, and
 * only those: real process groups (detached `sleep`s), recorded as a dead worker's, a live worker's, and
 * one whose pid now names another process (recorded with another start time).
 */
describeEachBackend('leftover process groups', (make) => {
  let backend: TestBackend;
  let store: Store;
  let queue: Queue;
  let scheduler: Scheduler;
  const groups: ChildProcess[] = [];

  beforeAll(async () => {
    backend = make();
    store = await backend.open();
    queue = await testQueue(store);
    scheduler = testScheduler(store, queue, tableRegistry(tableSource(() => 100)));
  }, 60_000);
  afterAll(async () => {
    for (const g of groups) if (g.pid && isRunning(g.pid)) process.kill(-g.pid, 'SIGKILL');
    await queue?.stop({ graceful: false });
    await scheduler?.close();
    await dropQueueSchemas(store);
    await backend?.cleanup();
  });

  /** A process group of its own: a detached `sleep`, leading it. */
  const group = (): number => {
    const proc = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    groups.push(proc);
    return proc.pid as number;
  };

  /** A worker that ran on this machine: `pid` and `startedTicks` tell whether it still runs. */
  const worker = async (pid: number, startedTicks: number | null): Promise<WorkerIdentity> => {
    const w = {
      name: `${hostname()}:${pid}:${randomUUID().slice(0, 8)}`,
      host: hostname(),
      pid,
      startedTicks,
      bootId: bootId(),
    };
    await beatWorker(store, w);
    return w;
  };

  const recordGroup = async (w: WorkerIdentity, pgid: number, startedTicks: number | null) => {
    const loadId = randomUUID();
    await recordRunningAttempt(store, { loadId, attempt: 1, worker: w.name, startedMs: Date.now() });
    await recordProcessGroup(store, { loadId, attempt: 1, worker: w.name, pgid, startedTicks });
    return loadId;
  };

  it('kills the group of a dead worker, not those of a live worker or of a pid used again', async () => {
    // a worker process that has exited: its pid runs nothing (or, used again, another process)
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    const deadWorker = await worker(gone.pid as number, 12345);
    const liveWorker = await worker(process.pid, processStartTicks(process.pid));

    const orphan = group();
    const reused = group();
    const kept = group();
    await recordGroup(deadWorker, orphan, processStartTicks(orphan));
    // recorded with the start time of an earlier process that had this pid
    await recordGroup(deadWorker, reused, (processStartTicks(reused) as number) - 1);
    await recordGroup(liveWorker, kept, processStartTicks(kept));

    const me = workerIdentity();
    expect(await endLeftoverGroups(scheduler.context, me)).toBe(1);
    expect(await isGone(orphan)).toBe(true);
    expect(isRunning(reused)).toBe(true);
    expect(isRunning(kept)).toBe(true);
    // dealt with: the dead worker's groups are forgotten, the live worker's stays
    const left = await hostProcessGroups(store, me.host, me.name);
    expect(left.map((g) => g.pgid)).toEqual([kept]);
    expect(await endLeftoverGroups(scheduler.context, me)).toBe(0);
  });

  it('kills what is left of a group whose leader is gone', async () => {
    const gone = spawn('true');
    await new Promise((r) => gone.once('exit', r));
    const deadWorker = await worker(gone.pid as number, 12345);
    // a group whose leader exits and leaves a child behind
    const leader = spawn('/bin/sh', ['-c', 'sleep 60 & echo $!'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    groups.push(leader);
    const pgid = leader.pid as number;
    const leaderTicks = processStartTicks(pgid);
    let printed = '';
    leader.stdout?.on('data', (d) => (printed += d));
    await new Promise((r) => leader.once('exit', r));
    while (!printed.endsWith('\n')) await new Promise((r) => setTimeout(r, 20));
    const child = Number(printed.trim());
    expect(isRunning(child)).toBe(true);
    await recordGroup(deadWorker, pgid, leaderTicks);
    expect(await endLeftoverGroups(scheduler.context, workerIdentity())).toBe(1);
    expect(await isGone(child)).toBe(true);
  });
});
