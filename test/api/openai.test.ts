import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { TestClock } from 'pg-boss';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { HOUR_MS, toIso } from '../../src/core/time.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import type { Worker } from '../../src/runner/worker.ts';
import { parseConfig } from '../../src/signals/config.ts';
import { createRegistry, type SignalRegistry } from '../../src/signals/registry.ts';
import type { Store } from '../../src/store/db.ts';
import { type OpenAiDouble, startOpenAiDouble } from '../helpers/openai-api.ts';
import { type TableSource, tableSource, testQueue, testScheduler, waitFor } from '../runner/helpers.ts';
import type { TestBackend } from '../store/backends.ts';
import { bearer, embeddedBackend, tokensFor } from './helpers.ts';

/**
 * The OpenAI-compatible gateway on a real gridshift API with its scheduler and worker on the embedded
 * store, in front of two OpenAI-compatible server doubles: `main` (needs a key, serves both tiers) and
 * `spare` (serves the small tier too, after main). Signals come from a table the tests set; the
 * scheduler and the queue share a pg-boss TestClock, so a batch's window comes when the test says.
 */

/** 06:00 UTC, on an hour: the tier decision's hourly grid starts here */
const T0 = Date.parse('2025-01-15T06:00:00Z');
const KEY_ENV = 'GRIDSHIFT_TEST_UPSTREAM_KEY';

let backend: TestBackend;
let store: Store;
let queue: Queue;
let clock: TestClock;
let scheduler: Scheduler;
let worker: Worker;
let app: FastifyInstance;
let url: string;
let main: OpenAiDouble;
let spare: OpenAiDouble;
let tokens: { read: string; write: string };
/** carbon intensity by slot start; the tests replace it */
let carbonAt: (slotMs: number) => number = () => 300;
/** price now and later, EUR/kWh; not cheap (the rule says below 0.2) unless a test says so */
let price = 0.3;
let source: TableSource;
let registry: SignalRegistry;

beforeAll(async () => {
  process.env[KEY_ENV] = 'sk-double';
  main = await startOpenAiDouble({ models: ['big-model', 'tiny-model'], apiKey: 'sk-double' });
  spare = await startOpenAiDouble({ models: ['tiny-model', 'other-model', 'slow-model'] });
  source = tableSource(
    (_zone, t) => carbonAt(t),
    () => price,
  );
  const config = parseConfig({
    defaults: { carbon: ['simulator'], price: ['simulator'], failurePolicy: 'open' },
    openai: {
      zone: 'DE',
      defaultTier: 'small',
      tier: { priceBelow: 0.2 },
      upstreams: [
        {
          name: 'main',
          baseUrl: main.baseUrl,
          apiKeyEnv: KEY_ENV,
          tiers: { large: 'big-model', small: 'tiny-model' },
        },
        { name: 'spare', baseUrl: spare.baseUrl, tiers: { small: 'tiny-model' }, models: ['other-model'] },
        { name: 'slow', baseUrl: spare.baseUrl, models: ['slow-model'], timeout: 0.3 },
      ],
      aliases: { chat: 'auto', fast: 'small' },
      deferred: { powerKw: 0.4, durationMin: 30 },
    },
  });
  registry = createRegistry({ config, factories: { simulator: () => source }, cache: false });
  backend = embeddedBackend();
  store = await backend.open();
  clock = new TestClock(T0);
  queue = await testQueue(store, { clock });
  scheduler = testScheduler(store, queue, registry, { now: () => clock.now() });
  worker = await scheduler.startWorker({ concurrency: 2 });
  app = await buildServer({ scheduler, registry, store, logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  tokens = await tokensFor(store);
});

afterAll(async () => {
  await worker?.drain(0);
  await app?.close();
  await scheduler?.close();
  await queue?.stop({ graceful: false });
  await backend?.cleanup();
  await main?.close();
  await spare?.close();
  delete process.env[KEY_ENV];
});

beforeEach(() => {
  source.down.clear();
  carbonAt = () => 300;
  price = 0.3;
});

// biome-ignore lint/suspicious/noExplicitAny: tests read the fields of OpenAI's JSON they check
type Json = Record<string, any>;
const json = async (res: Response): Promise<Json> => (await res.json()) as Json;

const post = (path: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(tokens.write), ...headers },
    body: JSON.stringify(body),
    signal,
  });
const get = (path: string) => fetch(`${url}${path}`, { headers: bearer(tokens.read) });

const chat = (model: string, content = 'hello there', extra: Record<string, unknown> = {}) => ({
  model,
  messages: [{ role: 'user', content }],
  ...extra,
});

/** A sample of the exposition text, 0 when absent. */
async function sample(name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1));
}

describe('model auto: the tier by the grid now', () => {
  it('goes large below 200 g/kWh, says so in headers, and counts it', async () => {
    carbonAt = () => 150;
    const metric =
      'gridshift_openai_requests_total{endpoint="chat/completions",tier="large",decision="signal",outcome="ok"}';
    const before = await sample(metric);
    const res = await post('/openai/v1/chat/completions', chat('auto'));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gridshift-tier')).toBe('large');
    expect(res.headers.get('x-gridshift-tier-decision')).toBe('signal');
    expect(res.headers.get('x-gridshift-tier-reason')).toBe('clean: carbon 150 g/kWh is below 200');
    expect(res.headers.get('x-gridshift-upstream')).toBe('main');
    const body = await json(res);
    expect(body.object).toBe('chat.completion');
    expect(body.model).toBe('big-model');
    expect(body.choices[0].message.content).toBe('big-model answers: hello there');
    // the upstream got the resolved model and the key from the environment
    expect(main.requests.at(-1)?.headers.authorization).toBe('Bearer sk-double');
    expect(JSON.parse(main.requests.at(-1)?.body ?? '{}').model).toBe('big-model');
    expect(await sample(metric)).toBe(before + 1);
  });

  it('goes large below the forecast mean: 250 now, 400 later, mean (250 + 23 x 400) / 24 = 393.75', async () => {
    carbonAt = (t) => (t < T0 + HOUR_MS ? 250 : 400);
    const res = await post('/openai/v1/chat/completions', chat('chat'));
    expect(res.headers.get('x-gridshift-tier')).toBe('large');
    // reasons show numbers rounded as everywhere else
    expect(res.headers.get('x-gridshift-tier-reason')).toBe(
      'clean: carbon 250 g/kWh is below the forecast mean 394',
    );
    // the same decision as /v1/decide/model-tier, which shows the signals exactly
    const decided = await json(await post('/v1/decide/model-tier', { zone: 'DE' }));
    expect(decided).toMatchObject({ tier: 'large', signals: { carbon: 250, carbonForecastMean: 393.75 } });
  });

  it('goes small when carbon is neither below 200 nor the mean: 300 flat', async () => {
    const before = await sample(
      'gridshift_openai_requests_total{endpoint="completions",tier="small",decision="signal",outcome="ok"}',
    );
    const res = await post('/openai/v1/completions', { model: 'auto', prompt: 'say hi' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gridshift-tier')).toBe('small');
    expect(res.headers.get('x-gridshift-tier-reason')).toBe(
      'carbon 300 g/kWh is not below 200 nor the forecast mean 300; price 0.3 is not below 0.2',
    );
    const body = await json(res);
    expect(body.object).toBe('text_completion');
    expect(body.choices[0].text).toBe('tiny-model answers: say hi');
    expect(
      await sample(
        'gridshift_openai_requests_total{endpoint="completions",tier="small",decision="signal",outcome="ok"}',
      ),
    ).toBe(before + 1);
  });

  it('goes large when power is cheap, or the local solar output is enough', async () => {
    price = 0.1;
    const cheap = await post('/openai/v1/chat/completions', chat('auto'));
    expect(cheap.headers.get('x-gridshift-tier')).toBe('large');
    expect(cheap.headers.get('x-gridshift-tier-reason')).toBe('cheap: price 0.1 is below 0.2');
    price = 0.3;
    const sunny = await post('/openai/v1/chat/completions', chat('auto'), { 'x-gridshift-solar-kw': '2.5' });
    expect(sunny.headers.get('x-gridshift-tier')).toBe('large');
    expect(sunny.headers.get('x-gridshift-tier-reason')).toBe('local solar 2.5 kW available');
    const cloudy = await post('/openai/v1/chat/completions', chat('auto'), { 'x-gridshift-solar-kw': '0.2' });
    expect(cloudy.headers.get('x-gridshift-tier')).toBe('small');
    expect(cloudy.headers.get('x-gridshift-tier-reason')).toContain('local solar 0.2 kW is under 0.5 kW');
    const bad = await post('/openai/v1/chat/completions', chat('auto'), { 'x-gridshift-solar-kw': 'lots' });
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.param).toBe('x-gridshift-solar-kw');
  });

  it('fails open to the configured default tier when the zone has no signal, and says so', async () => {
    source.down.add('DE');
    const res = await post('/openai/v1/chat/completions', chat('auto'));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gridshift-tier')).toBe('small');
    expect(res.headers.get('x-gridshift-tier-decision')).toBe('fail-open');
    expect(res.headers.get('x-gridshift-tier-reason')).toContain('the default tier small (fail-open)');
    expect(
      await sample(
        'gridshift_openai_requests_total{endpoint="chat/completions",tier="small",decision="fail-open",outcome="ok"}',
      ),
    ).toBeGreaterThanOrEqual(1);
  });

  it('takes an alias of a tier and a model by name without asking the grid', async () => {
    carbonAt = () => 50;
    const fast = await post('/openai/v1/chat/completions', chat('fast'));
    expect(fast.headers.get('x-gridshift-tier')).toBe('small');
    expect(fast.headers.get('x-gridshift-tier-decision')).toBe('alias');
    const other = await post('/openai/v1/chat/completions', chat('other-model'));
    expect(other.status).toBe(200);
    expect(other.headers.get('x-gridshift-tier')).toBe('none');
    expect(other.headers.get('x-gridshift-upstream')).toBe('spare');
    expect((await json(other)).model).toBe('other-model');
  });

  it('lists the aliases and the upstream models', async () => {
    const res = await get('/openai/v1/models');
    const body = await json(res);
    expect(body.object).toBe('list');
    expect(body.data.map((m: { id: string }) => m.id)).toEqual([
      'auto',
      'chat',
      'fast',
      'big-model',
      'tiny-model',
      'other-model',
      'slow-model',
    ]);
    expect(body.data[3]).toEqual({ id: 'big-model', object: 'model', created: 0, owned_by: 'main' });
  });
});

describe('streaming', () => {
  it('passes SSE chunks through as the upstream sends them, ending with data: [DONE]', async () => {
    carbonAt = () => 100;
    main.holdStreams();
    const res = await post('/openai/v1/chat/completions', chat('auto', 'one two three', { stream: true }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-gridshift-tier')).toBe('large');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    // the upstream holds the rest back: the first chunk arrives on its own, so nothing is buffered
    const first = decoder.decode((await reader.read()).value);
    expect(first).toMatch(/^data: \{.*"role":"assistant"/);
    expect(first).not.toContain('[DONE]');
    main.releaseStreams();
    let rest = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      rest += decoder.decode(value);
    }
    const events = (first + rest).split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    const text = events
      .slice(0, -1)
      .map((e) => JSON.parse(e.slice('data: '.length)).choices[0].delta.content ?? '')
      .join('');
    expect(text).toBe('big-model answers: one two three');
  });
});

describe('streaming, the client gone', () => {
  it('ends the upstream request when the client disconnects mid-stream', async () => {
    main.holdStreams();
    const before = main.abandonedStreams();
    const client = new AbortController();
    const res = await post(
      '/openai/v1/chat/completions',
      chat('big-model', 'never mind', { stream: true }),
      {},
      client.signal,
    );
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('"role":"assistant"');
    client.abort();
    await waitFor(() => main.abandonedStreams() === before + 1, 'the upstream stream to be abandoned');
    main.releaseStreams();
  });
});

describe('errors in OpenAI shape', () => {
  it('names the field of a bad request', async () => {
    const res = await post('/openai/v1/chat/completions', { model: 'auto' });
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.param).toBe('messages');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/^messages: /);
    const noModel = await json(await post('/openai/v1/completions', { prompt: 'x' }));
    expect(noModel.error.param).toBe('model');
  });

  it('answers 404 model_not_found for a model no upstream serves', async () => {
    const res = await post('/openai/v1/chat/completions', chat('gpt-17'));
    expect(res.status).toBe(404);
    const body = await json(res);
    expect(body.error).toMatchObject({ code: 'model_not_found', param: 'model', type: 'not_found_error' });
    expect(body.error.message).toContain('auto, chat, fast, big-model, tiny-model, other-model, slow-model');
  });

  it("passes an upstream's error through, a 5xx as 502", async () => {
    main.failNext(500, 'the GPU fell over');
    const res = await post('/openai/v1/chat/completions', chat('big-model'));
    expect(res.status).toBe(502);
    expect((await json(res)).error).toEqual({
      message: 'the GPU fell over',
      type: 'server_error',
      param: null,
      code: null,
    });
    main.failNext(429, 'slow down');
    const limited = await post('/openai/v1/chat/completions', chat('big-model'));
    expect(limited.status).toBe(429);
    expect((await json(limited)).error.message).toBe('slow down');
  });

  it('answers 401 in OpenAI shape without a token', async () => {
    const res = await fetch(`${url}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(chat('auto')),
    });
    expect(res.status).toBe(401);
    expect((await json(res)).error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
    const readOnly = await fetch(`${url}/openai/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...bearer(tokens.read) },
      body: JSON.stringify(chat('auto')),
    });
    expect(readOnly.status).toBe(403);
  });
});

describe('upstream down', () => {
  it('gives up on an upstream that does not answer within its timeout', async () => {
    spare.hangNext();
    const res = await post('/openai/v1/chat/completions', chat('slow-model'));
    expect(res.status).toBe(502);
    expect((await json(res)).error.message).toBe(
      `no upstream could be reached: slow (${spare.baseUrl}): no answer within 0.3 s`,
    );
  });

  it('fails over to the next upstream serving the tier, then answers 502 naming each', async () => {
    const mainUrl = main.baseUrl;
    await main.close();
    try {
      const small = await post('/openai/v1/chat/completions', chat('fast'));
      expect(small.status).toBe(200);
      expect(small.headers.get('x-gridshift-upstream')).toBe('spare');
      const large = await post('/openai/v1/chat/completions', chat('big-model'));
      expect(large.status).toBe(502);
      const body = await json(large);
      expect(body.error.code).toBe('upstream_unreachable');
      expect(body.error.type).toBe('server_error');
      expect(body.error.message).toBe(`no upstream could be reached: main (${mainUrl}): ECONNREFUSED`);
    } finally {
      // the same port again, for the tests after this one
      const port = Number(new URL(mainUrl).port);
      main = await startOpenAiDouble({ models: ['big-model', 'tiny-model'], apiKey: 'sk-double', port });
    }
  });
});

/** The JSONL lines of a file's content. */
async function fileLines(id: string): Promise<Json[]> {
  const res = await get(`/openai/v1/files/${id}/content`);
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

async function upload(lines: unknown[], filename = 'batch.jsonl'): Promise<Response> {
  const form = new FormData();
  form.append('purpose', 'batch');
  form.append('file', new Blob([lines.map((l) => `${JSON.stringify(l)}\n`).join('')]), filename);
  return fetch(`${url}/openai/v1/files`, { method: 'POST', headers: bearer(tokens.write), body: form });
}

/** The next hour after the scheduler's now: dirty (400 g/kWh) until then, clean (100) from then. */
function cleanFromNextHour(): number {
  const next = Math.floor(clock.now() / HOUR_MS) * HOUR_MS + HOUR_MS;
  carbonAt = (t) => (t < next ? 400 : 100);
  return next;
}

/** Moves the clock to `ms`, then ticks it on until the batch is `status`. */
async function runUntil(batchId: string, ms: number, status = 'completed'): Promise<Json> {
  await clock.setTime(ms);
  return waitFor(async () => {
    await clock.tick(1000);
    const b = await json(await get(`/openai/v1/batches/${batchId}`));
    return b.status === status ? b : undefined;
  }, `batch ${batchId} to be ${status}`);
}

const line = (customId: string, body: Record<string, unknown>, url = '/v1/chat/completions') => ({
  custom_id: customId,
  method: 'POST',
  url,
  body,
});

describe('batches in the clean window', () => {
  it('plans a batch as a load, runs it in its window and stores the upstream answers', async () => {
    const window = cleanFromNextHour();
    const created = clock.now();
    const up = await upload([
      line('first', chat('auto', 'first question')),
      line('second', chat('fast', 'second question')),
      line('third', chat('gpt-17', 'third question')),
    ]);
    expect(up.status).toBe(200);
    const file = await json(up);
    expect(file).toMatchObject({
      object: 'file',
      purpose: 'batch',
      filename: 'batch.jsonl',
      status: 'processed',
    });
    const sentBefore = main.completions().length;

    const res = await post('/openai/v1/batches', {
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
      metadata: { job: 'nightly' },
    });
    expect(res.status).toBe(200);
    const batch = await json(res);
    expect(batch).toMatchObject({
      object: 'batch',
      status: 'in_progress',
      input_file_id: file.id,
      completion_window: '24h',
      output_file_id: null,
      request_counts: { total: 3, completed: 0, failed: 0 },
      metadata: { job: 'nightly' },
      expires_at: Math.floor((created + 24 * HOUR_MS) / 1000),
    });
    expect(batch.gridshift).toMatchObject({
      state: 'waiting',
      zone: 'DE',
      planned_start: toIso(window),
    });
    const detail = await scheduler.get(batch.gridshift.load_id);
    expect(detail?.load).toMatchObject({
      dispatch: { kind: 'openai', batchId: batch.id },
      zones: ['DE'],
      durationMin: 30,
      powerKw: 0.4,
      tags: ['openai', 'openai-batch'],
    });
    // the batch waits for its window: nothing went upstream yet
    await clock.tick(1000);
    expect(main.completions().length).toBe(sentBefore);

    const done = await runUntil(batch.id, window);
    expect(done.request_counts).toEqual({ total: 3, completed: 2, failed: 1 });
    const output = await fileLines(done.output_file_id);
    expect(
      output.map((l) => [l.custom_id, l.response.status_code, l.response.body.choices[0].message.content]),
    ).toEqual([
      // clean (100 g/kWh) when it ran: auto went large
      ['first', 200, 'big-model answers: first question'],
      ['second', 200, 'tiny-model answers: second question'],
    ]);
    expect(output[0].id).toMatch(/^batch_req_/);
    expect(output[0].error).toBeNull();
    const errors = await fileLines(done.error_file_id);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ custom_id: 'third', error: { code: 'model_not_found' } });
    expect(errors[0].response.status_code).toBe(404);

    // accounted like any load: 0.4 kW for 30 min = 0.2 kWh at 100 g/kWh = 20 g, against 80 g at 400 now
    const accounted = await waitFor(
      async () => (await scheduler.get(batch.gridshift.load_id))?.accounting,
      'accounting',
    );
    expect(accounted.energyKwh).toBeCloseTo(0.2, 9);
    expect(accounted.emissionsG).toBeCloseTo(20, 6);
    expect(accounted.baselineEmissionsG).toBeCloseTo(80, 6);

    const list = await json(await get('/openai/v1/batches?limit=1'));
    expect(list).toMatchObject({ object: 'list', first_id: batch.id, last_id: batch.id });
    expect(list.data[0].status).toBe('completed');
  });

  it('defers a request with x-gridshift-deadline and answers it through the Batch API', async () => {
    const window = cleanFromNextHour();
    const res = await post('/openai/v1/chat/completions', chat('auto', 'later please'), {
      'x-gridshift-deadline': 'PT6H',
    });
    expect(res.status).toBe(202);
    const batch = await json(res);
    expect(res.headers.get('location')).toBe(`/openai/v1/batches/${batch.id}`);
    expect(batch).toMatchObject({
      object: 'batch',
      status: 'in_progress',
      endpoint: '/v1/chat/completions',
      completion_window: 'PT6H',
      request_counts: { total: 1, completed: 0, failed: 0 },
    });
    expect(batch.gridshift.planned_start).toBe(toIso(window));
    const input = await fileLines(batch.input_file_id);
    expect(input).toEqual([line('request-1', chat('auto', 'later please'))]);

    const done = await runUntil(batch.id, window);
    const [answer] = await fileLines(done.output_file_id);
    expect(answer.custom_id).toBe('request-1');
    expect(answer.response.body.choices[0].message.content).toBe('big-model answers: later please');
    expect(
      await sample(
        'gridshift_openai_requests_total{endpoint="chat/completions",tier="none",decision="deferred",outcome="deferred"}',
      ),
    ).toBeGreaterThanOrEqual(1);
  });

  it('cancels a waiting batch with its load', async () => {
    cleanFromNextHour();
    const batch = await json(
      await post('/openai/v1/chat/completions', chat('auto'), { 'x-gridshift-deadline': '12h' }),
    );
    const res = await post(`/openai/v1/batches/${batch.id}/cancel`, {});
    expect(res.status).toBe(200);
    const cancelled = await json(res);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.gridshift.state).toBe('cancelled');
    const again = await post(`/openai/v1/batches/${batch.id}/cancel`, {});
    expect(again.status).toBe(409);
    expect((await json(again)).error.code).toBe('batch_finished');
  });

  it('refuses a bad input file, endpoint or deadline, naming the line or field', async () => {
    const file = await json(
      await upload([line('a', chat('auto')), line('b', { model: 'auto', prompt: 'x' }, '/v1/completions')]),
    );
    const bad = await post('/openai/v1/batches', {
      input_file_id: file.id,
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(bad.status).toBe(400);
    const body = await json(bad);
    expect(body.error.param).toBe('input_file_id');
    expect(body.error.message).toBe(
      `input_file_id: ${file.id}: line 2: url: must be /v1/chat/completions, the batch's endpoint (got "/v1/completions")`,
    );
    const endpoint = await post('/openai/v1/batches', {
      input_file_id: file.id,
      endpoint: '/v1/embeddings',
      completion_window: '24h',
    });
    expect(endpoint.status).toBe(400);
    expect((await json(endpoint)).error.param).toBe('endpoint');
    const missing = await post('/openai/v1/batches', {
      input_file_id: 'file-0000',
      endpoint: '/v1/chat/completions',
      completion_window: '24h',
    });
    expect(missing.status).toBe(404);
    const deadline = await post('/openai/v1/chat/completions', chat('auto'), {
      'x-gridshift-deadline': 'soon',
    });
    expect(deadline.status).toBe(400);
    expect((await json(deadline)).error.param).toBe('x-gridshift-deadline');
    const tooSoon = await post('/openai/v1/chat/completions', chat('auto'), {
      'x-gridshift-deadline': 'PT10M',
    });
    expect((await json(tooSoon)).error.message).toBe(
      'x-gridshift-deadline: must leave at least the 30 minutes the work is planned to take',
    );
    const streamed = await post('/openai/v1/chat/completions', chat('auto', 'x', { stream: true }), {
      'x-gridshift-deadline': 'PT6H',
    });
    expect((await json(streamed)).error.param).toBe('stream');
    const purpose = new FormData();
    purpose.append('purpose', 'fine-tune');
    purpose.append('file', new Blob(['{}\n']), 'x.jsonl');
    const wrong = await fetch(`${url}/openai/v1/files`, {
      method: 'POST',
      headers: bearer(tokens.write),
      body: purpose,
    });
    expect(wrong.status).toBe(400);
    expect((await json(wrong)).error.param).toBe('purpose');
    // a file is uploaded as multipart/form-data, as OpenAI's clients send it
    const asJson = await post('/openai/v1/files', { purpose: 'batch', filename: 'x.jsonl', content: '{}' });
    expect(asJson.status).toBe(400);
    expect((await json(asJson)).error.param).toBe('file');
  });
});

describe('a batch whose upstream is down in its window', () => {
  it('fails its attempts like any load (retried), and fails once its load gives up', async () => {
    const window = cleanFromNextHour();
    const file = await json(await upload([line('only', chat('big-model', 'anyone there?'))]));
    const batch = await json(
      await post('/openai/v1/batches', {
        input_file_id: file.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      }),
    );
    const mainUrl = main.baseUrl;
    await main.close();
    try {
      const failed = await runUntil(batch.id, window, 'failed');
      expect(failed.output_file_id).toBeNull();
      expect(failed.errors.data[0].code).toBe('load_dead');
      expect(failed.errors.data[0].message).toBe(
        `no upstream could be reached for any of the 1 requests: no upstream could be reached: main (${mainUrl}): ECONNREFUSED`,
      );
      const detail = await scheduler.get(failed.gridshift.load_id);
      expect(detail?.load.state).toBe('dead');
      // the first attempt and its two retries (maxRetries 2)
      expect(detail?.load.attempt).toBe(3);
    } finally {
      main = await startOpenAiDouble({
        models: ['big-model', 'tiny-model'],
        apiKey: 'sk-double',
        port: Number(new URL(mainUrl).port),
      });
    }
  });
});

describe('a server without a scheduler', () => {
  it('answers completions and keeps files, and says deferred work needs the scheduler', async () => {
    const bare = await buildServer({ registry, store, now: () => T0, logger: false });
    try {
      const headers = { ...bearer(tokens.write), 'content-type': 'application/json' };
      const now = await bare.inject({
        method: 'POST',
        url: '/openai/v1/chat/completions',
        headers,
        payload: chat('fast', 'quick one'),
      });
      expect(now.statusCode).toBe(200);
      expect(now.json().choices[0].message.content).toBe('tiny-model answers: quick one');
      const later = await bare.inject({
        method: 'POST',
        url: '/openai/v1/chat/completions',
        headers: { ...headers, 'x-gridshift-deadline': 'PT6H' },
        payload: chat('auto'),
      });
      expect(later.statusCode).toBe(503);
      expect(later.json().error).toMatchObject({ type: 'server_error', param: null });
      expect(later.json().error.message).toContain('this server runs without a scheduler');
    } finally {
      await bare.close();
    }
  });
});
