import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClient,
  GridshiftApiError,
  type GridshiftClient,
  GridshiftConnectionError,
  type NewLoad,
  type ServerEvent,
} from '../../src/client/index.ts';
import { readSse } from '../../src/client/sse.ts';
import { sendText, startServer } from '../helpers/http-server.ts';
import { startTestApi, type TestApi } from './harness.ts';

/** Every client method against a real server (the scheduler on an embedded store, no worker). */

let api: TestApi;
let write: GridshiftClient;
let admin: GridshiftClient;
let read: GridshiftClient;

beforeAll(async () => {
  api = await startTestApi();
  write = createClient({ baseUrl: api.url, token: api.tokens.write });
  admin = createClient({ baseUrl: api.url, token: api.tokens.admin });
  read = createClient({ baseUrl: api.url, token: api.tokens.read });
});
afterAll(async () => {
  await api?.close();
});

const backup = (extra: Partial<NewLoad> = {}): NewLoad => ({
  name: 'backup',
  zones: ['DE'],
  durationMin: 60,
  powerKw: 2,
  maxDelayMin: 360,
  dispatch: { kind: 'none' },
  ...extra,
});

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

describe('loads', () => {
  it('create plans the load into the clean hours; get shows it with its history', async () => {
    const { load, plan, created } = await write.loads.create(backup({ tags: ['nightly'] }));
    expect(created).toBe(true);
    expect(load).toMatchObject({ name: 'backup', state: 'waiting', tags: ['nightly'], zones: ['DE'] });
    // 2 kW for an hour in the 100 g/kWh hours: 200 g, against 800 g at 400 g/kWh now
    expect(plan.emissionsG).toBeCloseTo(200, 6);
    expect(plan.baseline.emissionsG).toBeCloseTo(800, 6);
    const detail = await read.loads.get(load.id);
    expect(detail.load.id).toBe(load.id);
    expect(detail.events.map((e) => e.to)).toEqual(['planned', 'waiting']);
    expect(detail.accounting).toBeNull();
  });

  it('a repeated idempotency key returns the first load; reused for another load it is a 409', async () => {
    const load = backup({ idempotencyKey: 'client-test-1' });
    const first = await write.loads.create(load);
    const again = await write.loads.create(load);
    expect(again.created).toBe(false);
    expect(again.load.id).toBe(first.load.id);
    const other = await write.loads.create({ ...load, name: 'other' }).catch((e) => e);
    expect(other).toMatchObject({ status: 409 });
    expect(other.message).toContain('was already used for a different load (name differs)');
  });

  it('preview stores nothing', async () => {
    const before = (await read.loads.list({ limit: 1000 })).loads.length;
    const { plan } = await read.loads.preview(backup());
    expect(plan.emissionsG).toBeCloseTo(200, 6);
    expect((await read.loads.list({ limit: 1000 })).loads.length).toBe(before);
  });

  it('list pages with a cursor and filters; listAll follows the pages', async () => {
    for (let i = 0; i < 3; i++) await write.loads.create(backup({ name: `paged-${i}`, tags: ['paged'] }));
    const first = await read.loads.list({ tag: 'paged', limit: 2 });
    expect(first.loads.map((l) => l.name)).toEqual(['paged-2', 'paged-1']);
    expect(first.nextCursor).toBeTruthy();
    const second = await read.loads.list({ tag: 'paged', limit: 2, cursor: first.nextCursor as string });
    expect(second.loads.map((l) => l.name)).toEqual(['paged-0']);
    expect(second.nextCursor).toBeNull();
    const all: string[] = [];
    for await (const l of read.loads.listAll({ tag: 'paged', limit: 1 })) all.push(l.name);
    expect(all).toEqual(['paged-2', 'paged-1', 'paged-0']);
    const waiting = await read.loads.list({ state: ['waiting', 'running'], tag: 'paged' });
    expect(waiting.loads).toHaveLength(3);
    expect((await read.loads.list({ state: 'cancelled', tag: 'paged' })).loads).toHaveLength(0);
  });

  it('cancel, run-now and retry act; a state that does not allow the action is a 409 problem', async () => {
    const a = (await write.loads.create(backup({ name: 'to-cancel' }))).load;
    const cancelled = await write.loads.cancel(a.id, { reason: 'not today' });
    expect(cancelled.load.state).toBe('cancelled');
    const conflict = await rejection(write.loads.cancel(a.id));
    expect(conflict).toBeInstanceOf(GridshiftApiError);
    expect((conflict as GridshiftApiError).status).toBe(409);
    expect((conflict as GridshiftApiError).type).toBe('urn:gridshift:problem:conflict');
    expect((conflict as GridshiftApiError).problem.detail).toMatch(/cancelled/);

    const b = (await write.loads.create(backup({ name: 'to-run' }))).load;
    const ran = await write.loads.runNow(b.id);
    expect(Date.parse(ran.load.plannedStart as string)).toBeLessThanOrEqual(Date.now() + 1000);

    const retry = await rejection(write.loads.retry(b.id));
    expect((retry as GridshiftApiError).status).toBe(409);
    const missing = await rejection(read.loads.get('00000000-0000-4000-8000-000000000000'));
    expect((missing as GridshiftApiError).status).toBe(404);
  });

  it('purge needs an admin token and counts what it deleted', async () => {
    const forbidden = await rejection(write.loads.purge({ olderThanDays: 1 }));
    expect((forbidden as GridshiftApiError).status).toBe(403);
    expect((forbidden as GridshiftApiError).type).toBe('urn:gridshift:problem:forbidden');
    // a cutoff in the future takes every finished load: the cancelled one above
    const { purged } = await admin.loads.purge({ before: new Date(Date.now() + 60_000).toISOString() });
    expect(purged).toBeGreaterThanOrEqual(1);
    expect((await read.loads.list({ state: 'cancelled' })).loads).toHaveLength(0);
  });

  it('bad input is a 400 problem naming each field', async () => {
    const err = await rejection(
      write.loads.create({ ...backup(), durationMin: -5, colour: 'red' } as NewLoad),
    );
    expect(err).toBeInstanceOf(GridshiftApiError);
    const e = err as GridshiftApiError;
    expect(e.status).toBe(400);
    expect(e.errors.map((x) => x.path).sort()).toEqual(['body.colour', 'body.durationMin']);
    expect(e.message).toMatch(/^POST \/v1\/loads: 400 Bad Request: /);
  });
});

describe('recurring loads', () => {
  it('list and cancel', async () => {
    const r = await write.loads.create(
      backup({ name: 'nightly', maxDelayMin: undefined, recurrence: { cron: '0 2 * * *', flexMin: 60 } }),
    );
    expect(r.templateId).toBeTruthy();
    const { recurring } = await read.recurring.list({ active: true });
    expect(recurring.map((t) => t.id)).toContain(r.templateId);
    const stopped = await write.recurring.cancel(r.templateId as string, { reason: 'done' });
    expect(stopped.recurring.active).toBe(false);
    expect((await read.recurring.list({ active: true })).recurring.map((t) => t.id)).not.toContain(
      r.templateId,
    );
  });
});

describe('signals, zones, decisions, reports', () => {
  it('signals of a zone', async () => {
    const s = await read.signals.get('DE', { hours: 6, metric: 'carbon' });
    expect(s.zone).toBe('DE');
    expect(s.carbon?.current).toBe(400);
    expect(s.forecast.length).toBe(6);
    expect(s.price).toBeUndefined();
  });

  it('zones and cloud regions', async () => {
    const { zones } = await read.zones.list({ search: 'germany' });
    expect(zones.map((z) => z.code)).toEqual(['DE']);
    const { regions } = await read.cloudRegions.list({ provider: 'aws', zone: 'IE' });
    expect(regions.map((r) => r.region)).toContain('eu-west-1');
    expect(regions.every((r) => r.provider === 'aws' && r.zone === 'IE')).toBe(true);
  });

  it('decide now: defer to the clean hours; model tier: small on a 400 g grid', async () => {
    const d = await read.decide.now({ zone: 'DE', durationMin: 60, stepMin: 30 });
    expect(d.action).toBe('defer');
    expect(d.bestValue).toBe(100);
    const tier = await read.decide.modelTier({ zone: 'DE', carbonBelow: 200, belowForecastMean: false });
    expect(tier.tier).toBe('small');
    expect(tier.signals.carbon).toBe(400);
  });

  it('reports answer with totals (nothing ran here)', async () => {
    const r = await read.reports.get({ groupBy: 'zone' });
    expect(r.rows).toEqual([]);
    expect(r.totals.loads).toBe(0);
    expect(r.query.groupBy).toBe('zone');
  });
});

describe('openai files and batches', () => {
  const request = (customId: string, content: string) => ({
    custom_id: customId,
    method: 'POST' as const,
    url: '/v1/chat/completions' as const,
    body: { model: 'auto', messages: [{ role: 'user', content }] },
  });

  it('uploads a file, makes a batch planned into the clean hours, lists, reads and cancels it', async () => {
    const lines = [request('a', 'first'), request('b', 'second')];
    const file = await write.openai.files.create(lines, { filename: 'two.jsonl' });
    expect(file).toMatchObject({
      object: 'file',
      purpose: 'batch',
      filename: 'two.jsonl',
      status: 'processed',
    });
    expect(await read.openai.files.get(file.id)).toEqual(file);
    expect(await read.openai.files.content(file.id)).toBe(
      lines.map((l) => `${JSON.stringify(l)}\n`).join(''),
    );

    const batch = await write.openai.batches.create({
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(batch).toMatchObject({ object: 'batch', status: 'in_progress', request_counts: { total: 2 } });
    expect(batch.gridshift.state).toBe('waiting');
    // the two clean hours start three hours from now: the hour-long batch is planned into them
    const planned = Date.parse(batch.gridshift.planned_start as string);
    expect(planned).toBeGreaterThan(Date.now() + 2 * 3_600_000);
    const load = await read.loads.get(batch.gridshift.load_id as string);
    expect(load.load).toMatchObject({
      durationMin: 60,
      powerKw: 0.3,
      dispatch: { kind: 'openai', batchId: batch.id },
    });

    expect((await read.openai.batches.get(batch.id)).id).toBe(batch.id);
    const list = await read.openai.batches.list({ limit: 1 });
    expect(list).toMatchObject({ object: 'list', first_id: batch.id, has_more: false });
    const cancelled = await write.openai.batches.cancel(batch.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await read.loads.get(batch.gridshift.load_id as string)).load.state).toBe('cancelled');
  });

  it('an OpenAI-shaped error becomes a problem naming the field', async () => {
    const err = await rejection(
      write.openai.batches.create({
        input_file_id: 'file-none',
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    );
    expect(err).toBeInstanceOf(GridshiftApiError);
    expect((err as GridshiftApiError).status).toBe(404);
    expect((err as GridshiftApiError).problem).toMatchObject({
      detail: 'No such File object: file-none',
      errors: [{ path: 'input_file_id', message: 'No such File object: file-none' }],
    });
    const file = await write.openai.files.create('not json\n');
    const refused = await rejection(
      write.openai.batches.create({
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    );
    expect((refused as GridshiftApiError).problem.detail).toBe(
      `input_file_id: ${file.id}: line 1: not a JSON object`,
    );
  });
});

describe('audit, scheduler, tokens, health', () => {
  it('the audit log pages, exports and verifies', async () => {
    const page = await read.audit.list({ limit: 2 });
    expect(page.decisions.map((d) => d.seq)).toEqual([1, 2]);
    expect(page.nextAfterSeq).toBe(2);
    const exported: number[] = [];
    for await (const d of read.audit.export()) exported.push(d.seq);
    expect(exported[0]).toBe(1);
    expect(exported).toEqual(exported.map((_, i) => i + 1));
    const verdict = await read.audit.verify();
    expect(verdict).toMatchObject({ ok: true, count: exported.length });
  });

  it('pause, resume, replan and status', async () => {
    const paused = await admin.scheduler.pause({ reason: 'maintenance' });
    expect(paused).toMatchObject({ paused: true, running: false, pausedReason: 'maintenance' });
    expect((await read.scheduler.status()).paused).toBe(true);
    expect((await admin.scheduler.resume()).paused).toBe(false);
    const replan = await admin.scheduler.replan();
    expect(replan.ran).toBe(true);
    expect(replan.considered).toBeGreaterThan(0);
  });

  it('tokens: create, use, list, revoke', async () => {
    const { token, secret } = await admin.tokens.create({ name: 'ci', scopes: ['read'] });
    expect(secret).toMatch(/^gs_/);
    const ci = createClient({ baseUrl: api.url, token: secret });
    expect((await ci.scheduler.status()).running).toBe(true);
    expect((await admin.tokens.list()).tokens.map((t) => t.id)).toContain(token.id);
    await admin.tokens.revoke(token.id);
    const err = await rejection(ci.scheduler.status());
    expect((err as GridshiftApiError).status).toBe(401);
    expect(((await rejection(admin.tokens.revoke(token.id))) as GridshiftApiError).status).toBe(404);
  });

  it('health: live and ready; no token is a 401 problem elsewhere', async () => {
    const anonymous = createClient({ baseUrl: api.url });
    expect(await anonymous.health.live()).toEqual({ status: 'ok' });
    expect((await anonymous.health.ready()).status).toBe('ready');
    const err = (await rejection(anonymous.loads.list())) as GridshiftApiError;
    expect(err.status).toBe(401);
    expect(err.type).toBe('urn:gridshift:problem:unauthorized');
  });
});

describe('events', () => {
  it('delivers load state changes as they happen, filtered by type', async () => {
    const controller = new AbortController();
    let open!: () => void;
    const opened = new Promise<void>((r) => {
      open = r;
    });
    const seen: ServerEvent[] = [];
    const reading = (async () => {
      for await (const e of read.events({ types: ['load.state'], signal: controller.signal, onOpen: open })) {
        seen.push(e);
        if (e.type === 'load.state' && e.to === 'waiting') break;
      }
    })();
    await opened;
    const { load } = await write.loads.create(backup({ name: 'evented' }));
    await reading;
    controller.abort();
    expect(seen.every((e) => e.type === 'load.state')).toBe(true);
    const mine = seen.filter((e) => e.type === 'load.state' && e.loadId === load.id);
    expect(mine.map((e) => (e.type === 'load.state' ? e.to : ''))).toEqual(['planned', 'waiting']);
  });

  it('an unknown event type is a 400 problem before the stream opens', async () => {
    const iterate = async () => {
      for await (const _ of read.events({ types: ['nope' as 'load.state'] })) break;
    };
    const err = (await rejection(iterate())) as GridshiftApiError;
    expect(err.status).toBe(400);
  });
});

describe('transport', () => {
  it('a server that is not there is a connection error naming it', async () => {
    const dead = await startServer(() => {});
    const url = dead.url;
    await dead.close();
    const err = await rejection(createClient({ baseUrl: url }).health.live());
    expect(err).toBeInstanceOf(GridshiftConnectionError);
    expect((err as GridshiftConnectionError).code).toBe('ECONNREFUSED');
    expect((err as Error).message).toContain(url);
  });

  it('an error that is not problem+json (a proxy page) still becomes a problem', async () => {
    const proxy = await startServer((_req, res) =>
      sendText(res, 502, '<html>bad gateway</html>', 'text/html'),
    );
    try {
      const err = (await rejection(
        createClient({ baseUrl: proxy.url }).scheduler.status(),
      )) as GridshiftApiError;
      expect(err.status).toBe(502);
      expect(err.problem).toMatchObject({
        type: 'about:blank',
        status: 502,
        detail: '<html>bad gateway</html>',
      });
    } finally {
      await proxy.close();
    }
  });

  it('keeps a path prefix, sends the token and extra headers, uses the given fetch', async () => {
    const upstream = await startServer((_req, res) =>
      sendText(res, 200, '{"status":"ok"}', 'application/json'),
    );
    try {
      let calls = 0;
      const client = createClient({
        baseUrl: `${upstream.url}/gridshift`,
        token: 'gs_abc',
        headers: { 'x-request-id': 'r1' },
        fetch: (input, init) => {
          calls++;
          return fetch(input, init);
        },
      });
      await client.health.live();
      expect(calls).toBe(1);
      expect(upstream.requests[0].url).toBe('/gridshift/healthz');
      expect(upstream.requests[0].headers.authorization).toBe('Bearer gs_abc');
      expect(upstream.requests[0].headers['x-request-id']).toBe('r1');
    } finally {
      await upstream.close();
    }
  });

  it('gives up after timeoutMs', async () => {
    const slow = await startServer(() => new Promise(() => {}));
    try {
      const err = await rejection(createClient({ baseUrl: slow.url, timeoutMs: 200 }).health.live());
      expect(err).toBeInstanceOf(GridshiftConnectionError);
      expect((err as GridshiftConnectionError).code).toBe('timeout');
    } finally {
      await slow.close();
    }
  });

  it('refuses a base URL that is not http(s)', () => {
    expect(() => createClient({ baseUrl: 'ftp://example.org' })).toThrow(/not an http\(s\) URL/);
  });
});

describe('readSse', () => {
  const stream = (chunks: string[]) =>
    new ReadableStream<Uint8Array>({
      start(c) {
        for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
        c.close();
      },
    });

  it('reads events split anywhere, CRLF and LF, multi-line data, comments and ids', async () => {
    const text =
      'retry: 5000\r\n: connected\r\n\r\nid: 1\r\nevent: load.state\r\ndata: {"a":\r\ndata: 1}\r\n\r\n' +
      ': keep-alive\n\nevent: x\ndata:no-space\nid: 2\n\ndata: plain\n\n';
    // every split point, including inside \r\n and inside multi-byte text
    for (let cut = 0; cut <= text.length; cut += 3) {
      const got = [];
      for await (const m of readSse(stream([text.slice(0, cut), text.slice(cut)]))) got.push(m);
      expect(got, `cut at ${cut}`).toEqual([
        { event: 'load.state', data: '{"a":\n1}', id: '1' },
        { event: 'x', data: 'no-space', id: '2' },
        { event: 'message', data: 'plain', id: '2' },
      ]);
    }
  });

  it('an event without its closing blank line at the end of the stream is dropped', async () => {
    const got = [];
    for await (const m of readSse(stream(['data: done\n\ndata: cut off']))) got.push(m);
    expect(got.map((m) => m.data)).toEqual(['done']);
  });
});
