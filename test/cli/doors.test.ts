import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { HOUR_MS, MINUTE_MS, toIso } from '../../src/core/time.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import { loadConfig } from '../../src/signals/config.ts';
import { createRegistry } from '../../src/signals/registry.ts';
import type { Store } from '../../src/store/db.ts';
import { embeddedBackend, tokensFor } from '../api/helpers.ts';
import { testQueue, testScheduler } from '../runner/helpers.ts';
import type { TestBackend } from '../store/backends.ts';
import { CLI_FIXTURES, okJson, runIn } from './service-helpers.ts';

/**
 * Every door plans a load the same way: `gridshift plan`, `gridshift submit --dry-run` on the store, the same
 * through a server (the API preview, reached with the typed client), and `gridshift simulate --policy optimal`
 * under a perfect forecast, on the same series (the CLI fixtures: hourly DE and FR carbon, DE prices,
 * 2024-03-27..29). Random loads, random clocks; the window, the run-now baseline, the emissions and the
 * savings must agree.
 */

const DAY0 = Date.parse('2024-03-27T00:00:00Z');
let clock = DAY0;
let backend: TestBackend;
let store: Store;
let queue: Queue;
let scheduler: Scheduler;
let app: FastifyInstance;
let url: string;
let token: string;
let dataDir: string;
let work: string;

beforeAll(async () => {
  backend = embeddedBackend();
  store = await backend.open();
  token = (await tokensFor(store)).read;
  const config = loadConfig({ cwd: CLI_FIXTURES, env: {} });
  const registry = createRegistry({ config });
  queue = await testQueue(store);
  scheduler = testScheduler(store, queue, registry, { now: () => clock, config });
  app = await buildServer({ scheduler, registry, store, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  work = mkdtempSync(join(tmpdir(), 'gridshift-doors-'));
  // the direct door opens a store of its own: the server's is in use by this process
  dataDir = join(work, 'store');
});
afterAll(async () => {
  await app?.close();
  await scheduler?.close();
  await queue?.stop({ graceful: false });
  await store?.close();
  await backend?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface DoorLoad {
  zones: string[];
  durationMin: number;
  powerKw: number;
  nowMs: number;
  deadlineMs: number;
  interruptible: boolean;
  objective: 'carbon' | 'cost';
}

const flagsOf = (l: DoorLoad) => [
  ...l.zones.flatMap((z) => ['--zone', z]),
  ...['--duration', `${l.durationMin}m`, '--power', `${l.powerKw}kW`, '--deadline', toIso(l.deadlineMs)],
  ...['--objective', l.objective],
  ...(l.interruptible ? ['--interruptible'] : []),
];

/** What the doors must agree on, from a plan's JSON. */
interface Agreed {
  zone: string;
  runs: { start: string; end: string }[];
  emissionsG: number;
  baselineEmissionsG: number;
}

const agreed = (plan: {
  zone: string;
  runs: Agreed['runs'];
  emissionsG: number;
  baseline: { emissionsG: number };
}): Agreed => ({
  zone: plan.zone,
  runs: plan.runs,
  emissionsG: plan.emissionsG,
  baselineEmissionsG: plan.baseline.emissionsG,
});

async function planDoor(l: DoorLoad): Promise<Agreed> {
  return agreed(okJson(await runIn(['plan', ...flagsOf(l), '--json'], { nowMs: l.nowMs })));
}

async function submitDoor(l: DoorLoad, server: boolean): Promise<Agreed> {
  const args = ['submit', '--name', 'door', ...flagsOf(l), '--no-dispatch', '--dry-run', '--json'];
  const env: Record<string, string> = server ? { GRIDSHIFT_TOKEN: token } : { GRIDSHIFT_DATA_DIR: dataDir };
  clock = l.nowMs;
  return agreed(
    okJson(await runIn(server ? [...args, '--server', url] : args, { env, nowMs: l.nowMs })).plan,
  );
}

async function simulateDoor(l: DoorLoad): Promise<Agreed> {
  const workload = join(work, 'load.jsonl');
  const load = {
    id: 'door',
    submit: toIso(l.nowMs),
    deadline: toIso(l.deadlineMs),
    durationMin: l.durationMin,
    powerKw: l.powerKw,
    interruptible: l.interruptible,
    zones: l.zones,
  };
  writeFileSync(workload, `${JSON.stringify(load)}\n`);
  const series = (flag: string, file: string) =>
    l.zones.flatMap((z) => [flag, `${z}=${join(CLI_FIXTURES, file.replace('ZONE', z))}`]);
  const r = okJson(
    await runIn([
      '--json',
      'simulate',
      ...series('--carbon', 'ZONE-carbon.csv'),
      ...(l.objective === 'cost'
        ? l.zones.flatMap((z) => ['--prices', `${z}=${join(CLI_FIXTURES, 'DE-price.csv')}`])
        : []),
      ...['--workload', workload, '--policy', 'optimal', '--objective', l.objective],
    ]),
  );
  const [one] = r.loads;
  return {
    zone: one.zone,
    runs: one.runs,
    emissionsG: one.emissionsG,
    baselineEmissionsG: one.baselineEmissionsG,
  };
}

/** The same zone and runs, and the same emissions up to the order of floating-point sums. */
function expectSame(a: Agreed, b: Agreed, what: string): void {
  expect({ zone: b.zone, runs: b.runs }, what).toEqual({ zone: a.zone, runs: a.runs });
  expect(b.baselineEmissionsG, `${what}: baseline`).toBeCloseTo(a.baselineEmissionsG, 6);
  expect(b.emissionsG, `${what}: emissions`).toBeCloseTo(a.emissionsG, 6);
}

const doorLoad = (slotAligned: boolean) =>
  fc
    .record({
      zones: fc.constantFrom<string[]>(['DE'], ['FR'], ['DE', 'FR']),
      slots: fc.integer({ min: 1, max: 8 }),
      extraMin: slotAligned ? fc.constant(0) : fc.integer({ min: 0, max: 29 }),
      powerKw: fc.integer({ min: 1, max: 20 }),
      // now: a 30-minute boundary (or any minute) on the first day; the deadline within the data
      nowSlot: fc.integer({ min: 0, max: 47 }),
      nowOffsetMin: slotAligned ? fc.constant(0) : fc.integer({ min: 0, max: 29 }),
      windowH: fc.integer({ min: 0, max: 20 }),
      interruptible: fc.boolean(),
      objective: fc.constantFrom('carbon' as const, 'cost' as const),
    })
    .map((r): DoorLoad => {
      const durationMin = Math.max(1, r.slots * 30 - r.extraMin);
      const nowMs = DAY0 + r.nowSlot * 30 * MINUTE_MS + r.nowOffsetMin * MINUTE_MS;
      return {
        zones: r.zones,
        durationMin,
        powerKw: r.powerKw,
        nowMs,
        deadlineMs: nowMs + durationMin * MINUTE_MS + r.windowH * HOUR_MS,
        interruptible: r.interruptible,
        objective: r.objective,
      };
    });

describe('the doors agree', () => {
  it('plan, submit --dry-run, and the API preview through the client give the same plan', async () => {
    await fc.assert(
      fc.asyncProperty(doorLoad(false), async (l) => {
        const plan = await planDoor(l);
        expect(await submitDoor(l, false), 'submit --dry-run').toEqual(plan);
        expect(await submitDoor(l, true), 'submit --dry-run --server').toEqual(plan);
      }),
      { seed: 9, numRuns: 12 },
    );
  }, 120_000);

  it('simulate --policy optimal under a perfect forecast agrees on slot-aligned loads', async () => {
    await fc.assert(
      fc.asyncProperty(doorLoad(true), async (l) => {
        expectSame(await planDoor(l), await simulateDoor(l), 'simulate');
      }),
      { seed: 9, numRuns: 12 },
    );
  }, 120_000);
});
