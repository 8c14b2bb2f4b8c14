import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { floorToStep, HOUR_MS, MINUTE_MS, toIso } from '../../src/core/time.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import { parseDecisionLine, verifyChain } from '../../src/store/audit.ts';
import type { Store } from '../../src/store/db.ts';
import { tableRegistry, tableSource, testQueue, testScheduler } from '../runner/helpers.ts';
import type { TestBackend } from '../store/backends.ts';
import { bearer, embeddedBackend, tokensFor } from './helpers.ts';

/**
 * The load, report, audit and scheduler routes against the real scheduler on an embedded store. The grid
 * is 400 g/kWh except for two clean hours (100 g/kWh) starting three hours from now, so a load that may
 * wait lands in them; no worker runs here, so loads stay where the planner put them.
 */

let backend: TestBackend;
let store: Store;
let queue: Queue;
let scheduler: Scheduler;
let app: FastifyInstance;
let tokens: Awaited<ReturnType<typeof tokensFor>>;
const cleanFrom = floorToStep(Date.now(), 30) + 3 * HOUR_MS;

beforeAll(async () => {
  backend = embeddedBackend();
  store = await backend.open();
  tokens = await tokensFor(store);
  const source = tableSource(
    (_zone, t) => (t >= cleanFrom && t < cleanFrom + 2 * HOUR_MS ? 100 : 400),
    () => 0.25,
  );
  const registry = tableRegistry(source);
  queue = await testQueue(store);
  scheduler = testScheduler(store, queue, registry);
  app = await buildServer({ scheduler, registry, store, logger: false });
});

afterAll(async () => {
  await app?.close();
  await scheduler?.close();
  await queue?.stop({ graceful: false });
  await backend?.cleanup();
});

const backup = (extra: Record<string, unknown> = {}) => ({
  name: 'backup',
  zones: ['DE'],
  durationMin: 60,
  powerKw: 2,
  maxDelayMin: 360,
  dispatch: { kind: 'none' },
  ...extra,
});

const call = (method: 'GET' | 'POST' | 'DELETE', url: string, secret: string, payload?: object) =>
  app.inject({ method, url, headers: bearer(secret), ...(payload ? { payload } : {}) });

const submit = async (extra: Record<string, unknown> = {}) => {
  const r = await call('POST', '/v1/loads', tokens.write, backup(extra));
  expect(r.statusCode, r.body).toBe(201);
  return r.json();
};

describe('POST /v1/loads', () => {
  it('plans, stores and queues a load, answering 201 with its location', async () => {
    const r = await call('POST', '/v1/loads', tokens.write, backup({ tags: ['nightly'] }));
    expect(r.statusCode).toBe(201);
    const { load, plan, created } = r.json();
    expect(created).toBe(true);
    expect(r.headers.location).toBe(`/v1/loads/${load.id}`);
    expect(load).toMatchObject({
      name: 'backup',
      state: 'waiting',
      tags: ['nightly'],
      zones: ['DE'],
      powerKw: 2,
    });
    // the clean hours: 2 kWh at 100 g instead of at 400 g
    expect(plan).toMatchObject({ zone: 'DE', reason: 'best-window', energyKwh: 2, emissionsG: 200 });
    expect(plan.runs).toEqual([{ start: toIso(cleanFrom), end: toIso(cleanFrom + HOUR_MS) }]);
    expect(plan.baseline.emissionsG).toBe(800);
    expect(plan.savings).toMatchObject({ emissionsG: 600, emissionsPct: 75 });
    expect(load.plannedStart).toBe(toIso(cleanFrom));
    expect(load.plan).toMatchObject({ zone: 'DE', expectedEmissionsG: 200, baselineEmissionsG: 800 });
  });

  it('returns the first load for a repeated idempotency key', async () => {
    const first = await submit({ idempotencyKey: 'nightly-2025-01-15' });
    const again = await call(
      'POST',
      '/v1/loads',
      tokens.write,
      backup({ idempotencyKey: 'nightly-2025-01-15' }),
    );
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ created: false, load: { id: first.load.id } });
  });

  it('answers 409 naming what differs when a key is reused for another load, and stores nothing', async () => {
    await submit({ idempotencyKey: 'reused' });
    const before = (await call('GET', '/v1/loads?limit=1000', tokens.read)).json().loads.length;
    const other = await call(
      'POST',
      '/v1/loads',
      tokens.write,
      backup({ idempotencyKey: 'reused', name: 'other', tags: ['x'] }),
    );
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({
      status: 409,
      detail:
        'idempotencyKey: "reused" was already used for a different load (name, tags differ); ' +
        'send the same load again to get the first one back, or use a new key',
    });
    expect((await call('GET', '/v1/loads?limit=1000', tokens.read)).json().loads.length).toBe(before);
  });

  it('previews without storing: dryRun=true, or /v1/loads/preview with a read token', async () => {
    const before = (await call('GET', '/v1/loads?limit=1000', tokens.read)).json().loads.length;
    const dry = await call('POST', '/v1/loads?dryRun=true', tokens.write, backup({ name: 'dry' }));
    expect(dry.statusCode).toBe(200);
    expect(dry.json().plan.runs).toEqual([{ start: toIso(cleanFrom), end: toIso(cleanFrom + HOUR_MS) }]);
    expect(dry.json().load).toBeUndefined();
    const preview = await call('POST', '/v1/loads/preview', tokens.read, backup({ name: 'dry' }));
    expect(preview.statusCode).toBe(200);
    expect(preview.json().plan.emissionsG).toBe(200);
    expect((await call('GET', '/v1/loads?limit=1000', tokens.read)).json().loads.length).toBe(before);
    expect((await call('POST', '/v1/loads', tokens.read, backup())).statusCode).toBe(403);
  });

  it('refuses far deadlines and earliest starts with 400 naming the field and the limit, at once', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    for (const path of ['/v1/loads/preview', '/v1/loads']) {
      const far = await call(
        'POST',
        path,
        tokens.write,
        backup({ deadline: '9999-12-31T00:00:00Z', maxDelayMin: undefined }),
      );
      expect(far.statusCode).toBe(400);
      expect(far.json().errors[0]).toMatchObject({ path: 'body.deadline' });
      expect(far.json().errors[0].message).toMatch(/the planning window may be at most 60 days$/);
      const later = await call('POST', path, tokens.write, backup({ earliest: '2036-01-01T00:00:00Z' }));
      expect(later.statusCode).toBe(400);
      expect(later.json().errors[0].message).toMatch(/times may be at most 366 days from now$/);
    }
    // nothing was planned over the span asked for
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50e6);
  });

  it('answers 400 naming the field for invalid loads', async () => {
    const noPower = await call('POST', '/v1/loads', tokens.write, backup({ powerKw: undefined }));
    expect(noPower.statusCode).toBe(400);
    expect(noPower.json().errors).toEqual([
      {
        path: 'body.powerKw',
        message: 'give two of durationMin, powerKw and energyKwh (e.g. durationMin and powerKw)',
      },
    ]);
    const badTarget = await call('POST', '/v1/loads', tokens.write, backup({ dispatch: { kind: 'shell' } }));
    expect(badTarget.statusCode).toBe(400);
    expect(badTarget.json().errors[0].path).toMatch(/^body\.dispatch/);
    const unknownZone = await call('POST', '/v1/loads', tokens.write, backup({ zones: ['atlantis'] }));
    expect(unknownZone.statusCode).toBe(400);
    expect(unknownZone.json().errors[0]).toMatchObject({
      path: expect.stringMatching(/^body\.zones/),
      message: expect.stringContaining('atlantis'),
    });
  });

  it('masks credentials of dispatch targets in what it shows', async () => {
    const { load } = await submit({
      name: 'hook',
      dispatch: {
        kind: 'webhook',
        url: 'https://example.invalid/run',
        headers: { Authorization: 'Bearer hook-credential', 'X-Trace': 'trace-1' },
      },
    });
    expect(load.dispatch.headers).toEqual({ Authorization: '***', 'X-Trace': 'trace-1' });
    const shell = await submit({
      name: 'script',
      dispatch: { kind: 'shell', command: 'true', env: { API_TOKEN: 'env-credential', MODE: 'fast' } },
    });
    const shown = await call('GET', `/v1/loads/${shell.load.id}`, tokens.read);
    expect(shown.json().load.dispatch.env).toEqual({ API_TOKEN: '***', MODE: 'fast' });
    expect(shown.body).not.toContain('env-credential');
  });
});

describe('GET /v1/loads', () => {
  it('filters by tag, zone and state', async () => {
    const a = await submit({ name: 'a', tags: ['filter-a'] });
    await submit({ name: 'b', tags: ['filter-b'], zones: ['FR'] });
    const byTag = (await call('GET', '/v1/loads?tag=filter-a', tokens.read)).json();
    expect(byTag.loads.map((l: { id: string }) => l.id)).toEqual([a.load.id]);
    const byZone = (await call('GET', '/v1/loads?zone=FR', tokens.read)).json();
    expect(byZone.loads.map((l: { name: string }) => l.name)).toEqual(['b']);
    const byState = (await call('GET', '/v1/loads?state=succeeded,dead', tokens.read)).json();
    expect(byState.loads).toEqual([]);
    const bad = await call('GET', '/v1/loads?state=sleeping', tokens.read);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toMatchObject({
      path: 'query.state',
      message: expect.stringContaining('sleeping'),
    });
  });

  it('pages with a cursor, in the body and the Link header', async () => {
    for (const n of [1, 2, 3]) await submit({ name: `page-${n}`, tags: ['paged'] });
    const first = await call('GET', '/v1/loads?tag=paged&limit=2', tokens.read);
    const page1 = first.json();
    expect(page1.loads.map((l: { name: string }) => l.name)).toEqual(['page-3', 'page-2']);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const link = first.headers.link as string;
    expect(link).toMatch(/; rel="next"$/);
    const next = /^<([^>]+)>/.exec(link)?.[1] as string;
    expect(next).toContain('tag=paged');
    expect(next).toContain(`cursor=${page1.nextCursor}`);
    const second = await call('GET', next, tokens.read);
    expect(second.json().loads.map((l: { name: string }) => l.name)).toEqual(['page-1']);
    expect(second.json().nextCursor).toBeNull();
    expect(second.headers.link).toBeUndefined();
    const broken = await call('GET', '/v1/loads?cursor=not-a-cursor', tokens.read);
    expect(broken.statusCode).toBe(400);
    expect(broken.json().errors[0].path).toBe('query.cursor');
  });
});

describe('one load and the operator actions', () => {
  it('shows a load with its transitions; 404 for an unknown one', async () => {
    const { load } = await submit({ name: 'detail' });
    const r = await call('GET', `/v1/loads/${load.id}`, tokens.read);
    expect(r.statusCode).toBe(200);
    const detail = r.json();
    expect(detail.load.id).toBe(load.id);
    expect(detail.events.map((e: { from: string | null; to: string }) => [e.from, e.to])).toEqual([
      [null, 'planned'],
      ['planned', 'waiting'],
    ]);
    expect(detail.accounting).toBeNull();
    expect(
      (await call('GET', '/v1/loads/00000000-0000-4000-8000-000000000000', tokens.read)).statusCode,
    ).toBe(404);
    expect((await call('GET', '/v1/loads/nope', tokens.read)).statusCode).toBe(404);
  });

  it('cancels a waiting load, then refuses to cancel or run it with 409', async () => {
    const { load } = await submit({ name: 'to cancel' });
    const r = await call('POST', `/v1/loads/${load.id}/cancel`, tokens.write, { reason: 'not needed' });
    expect(r.statusCode).toBe(200);
    expect(r.json().load.state).toBe('cancelled');
    const again = await call('POST', `/v1/loads/${load.id}/cancel`, tokens.write, {});
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({
      type: 'urn:gridshift:problem:conflict',
      detail: expect.stringContaining('cancelled'),
    });
    expect((await call('POST', `/v1/loads/${load.id}/run-now`, tokens.write)).statusCode).toBe(409);
    expect((await call('POST', `/v1/loads/${load.id}/cancel`, tokens.read, {})).statusCode).toBe(403);
  });

  it('refuses to retry a load that is not dead, and actions on unknown loads with 404', async () => {
    const { load } = await submit({ name: 'alive' });
    const retry = await call('POST', `/v1/loads/${load.id}/retry`, tokens.write);
    expect(retry.statusCode).toBe(409);
    const missing = await call(
      'POST',
      '/v1/loads/00000000-0000-4000-8000-000000000000/run-now',
      tokens.write,
    );
    expect(missing.statusCode).toBe(404);
    expect(missing.json().type).toBe('urn:gridshift:problem:not-found');
  });

  it('runs a load now: its attempt is queued for now', async () => {
    const { load } = await submit({ name: 'now' });
    const r = await call('POST', `/v1/loads/${load.id}/run-now`, tokens.write);
    expect(r.statusCode).toBe(200);
    expect(Date.parse(r.json().load.plannedStart)).toBeLessThan(cleanFrom);
  });

  it('purges finished loads (admin only)', async () => {
    const { load } = await submit({ name: 'old' });
    await call('POST', `/v1/loads/${load.id}/cancel`, tokens.write, {});
    const body = { before: toIso(Date.now() + HOUR_MS) };
    expect((await call('POST', '/v1/loads/purge', tokens.write, body)).statusCode).toBe(403);
    const neither = await call('POST', '/v1/loads/purge', tokens.admin, {});
    expect(neither.statusCode).toBe(400);
    expect(neither.json().errors[0].path).toBe('body.before');
    const r = await call('POST', '/v1/loads/purge', tokens.admin, body);
    expect(r.statusCode).toBe(200);
    expect(r.json().purged).toBeGreaterThanOrEqual(1);
    expect((await call('GET', `/v1/loads/${load.id}`, tokens.read)).statusCode).toBe(404);
  });
});

describe('recurring loads', () => {
  it('lists and stops a recurring load', async () => {
    const r = await call(
      'POST',
      '/v1/loads',
      tokens.write,
      backup({
        name: 'nightly',
        maxDelayMin: undefined,
        recurrence: { cron: '0 2 * * *', flexMin: 120, timeZone: 'UTC' },
      }),
    );
    expect(r.statusCode, r.body).toBe(201);
    const templateId = r.json().templateId;
    expect(templateId).toEqual(expect.any(String));
    expect(r.json().load.templateId).toBe(templateId);
    const list = (await call('GET', '/v1/recurring?active=true', tokens.read)).json().recurring;
    expect(list).toContainEqual(
      expect.objectContaining({ id: templateId, cron: '0 2 * * *', flexMin: 120, active: true }),
    );
    const stopped = await call('POST', `/v1/recurring/${templateId}/cancel`, tokens.write, {});
    expect(stopped.statusCode).toBe(200);
    expect(stopped.json().recurring.active).toBe(false);
    const occurrence = (await call('GET', `/v1/loads/${r.json().load.id}`, tokens.read)).json();
    expect(occurrence.load.state).toBe('cancelled');
  });
});

describe('scheduler, audit and reports', () => {
  it('reports status, pauses and resumes (admin)', async () => {
    const status = (await call('GET', '/v1/scheduler', tokens.read)).json();
    expect(status).toMatchObject({ running: true, paused: false, roles: ['api', 'worker', 'planner'] });
    expect(status.loads.waiting).toBeGreaterThan(0);
    expect((await call('POST', '/v1/scheduler/pause', tokens.write, {})).statusCode).toBe(403);
    const paused = await call('POST', '/v1/scheduler/pause', tokens.admin, { reason: 'maintenance' });
    expect(paused.json()).toMatchObject({ running: false, paused: true, pausedReason: 'maintenance' });
    const resumed = await call('POST', '/v1/scheduler/resume', tokens.admin);
    expect(resumed.json()).toMatchObject({ running: true, paused: false, pausedReason: null });
    const replan = await call('POST', '/v1/scheduler/replan', tokens.admin);
    expect(replan.statusCode).toBe(200);
    expect(replan.json()).toMatchObject({ ran: true });
    expect((await call('GET', '/v1/scheduler', tokens.read)).json().lastPlannerRun).not.toBeNull();
  });

  it('pages the decision log, exports it as JSON Lines that verify, and verifies the chain', async () => {
    const first = (await call('GET', '/v1/audit?limit=2', tokens.read)).json();
    expect(first.decisions.map((d: { seq: number }) => d.seq)).toEqual([1, 2]);
    expect(first.nextAfterSeq).toBe(2);
    const second = (await call('GET', '/v1/audit?afterSeq=2&limit=1', tokens.read)).json();
    expect(second.decisions[0].seq).toBe(3);
    expect(second.decisions[0].prevHash).toBe(first.decisions[1].hash);
    const exported = await call('GET', '/v1/audit/export', tokens.read);
    expect(exported.statusCode).toBe(200);
    expect(exported.headers['content-type']).toMatch(/application\/x-ndjson/);
    const lines = exported.body.split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(5);
    const verdict = await verifyChain(lines.map((l, i) => parseDecisionLine(l, i + 1)));
    expect(verdict.ok).toBe(true);
    const verify = (await call('GET', '/v1/audit/verify', tokens.read)).json();
    expect(verify).toMatchObject({ ok: true, count: lines.length });
    const { load } = await submit({ name: 'audited' });
    const own = (await call('GET', `/v1/audit?loadId=${load.id}`, tokens.read)).json();
    expect(own.decisions.map((d: { kind: string }) => d.kind)).toEqual(['plan']);
    expect(own.nextAfterSeq).toBeNull();
  });

  it('reports what ran; nothing has run here, so the totals are zero', async () => {
    const r = await call('GET', '/v1/reports?groupBy=zone', tokens.read);
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ query: { groupBy: 'zone' }, rows: [], totals: { loads: 0 } });
    const tz = await call('GET', '/v1/reports?groupBy=day&tz=Europe/Berlin', tokens.read);
    expect(tz.json()).toMatchObject({ query: { groupBy: 'day', tz: 'Europe/Berlin' } });
    const badTz = await call('GET', '/v1/reports?groupBy=day&tz=Mars/Olympus', tokens.read);
    expect(badTz.statusCode).toBe(400);
    expect(badTz.json().errors).toEqual([
      {
        path: 'query.tz',
        message: '"Mars/Olympus" is not an IANA time zone name (e.g. Europe/Berlin, UTC)',
      },
    ]);
    const reversed = await call(
      'GET',
      `/v1/reports?from=${toIso(Date.now())}&to=${toIso(Date.now() - MINUTE_MS)}`,
      tokens.read,
    );
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json().errors[0].path).toBe('query.to');
  });
});

describe('readiness of a worker process', () => {
  it('needs the dispatch queue running when the scheduler has the worker role', async () => {
    let running = false;
    const ready = await buildServer({
      scheduler,
      registry: tableRegistry(tableSource()),
      store,
      logger: false,
      readiness: { queueRunning: () => running },
    });
    try {
      const down = await ready.inject({ url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json().checks).toContainEqual({
        name: 'queue',
        ok: false,
        detail: 'the dispatch queue is not running',
      });
      running = true;
      expect((await ready.inject({ url: '/readyz' })).statusCode).toBe(200);
    } finally {
      await ready.close();
    }
    const apiOnly = testScheduler(store, queue, tableRegistry(tableSource()), { roles: ['api'] });
    const api = await buildServer({
      scheduler: apiOnly,
      registry: tableRegistry(tableSource()),
      store,
      logger: false,
      readiness: { queueRunning: () => false },
    });
    try {
      expect((await api.inject({ url: '/readyz' })).json()).toMatchObject({ status: 'ready' });
    } finally {
      await api.close();
      await apiOnly.close();
    }
  });
});
