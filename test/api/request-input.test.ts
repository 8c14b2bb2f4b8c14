import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { MAX_JSON_DEPTH } from '../../src/core/limits.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import type { Store } from '../../src/store/db.ts';
import { tableRegistry, tableSource, testQueue, testScheduler } from '../runner/helpers.ts';
import type { TestBackend } from '../store/backends.ts';
import { bearer, embeddedBackend, tokensFor } from './helpers.ts';

/**
 * What every route may receive before its own schema looks: text PostgreSQL can store (no NUL, no lone
 * surrogate) in the body, the query and the path, bodies nested at most MAX_JSON_DEPTH deep, JSON bodies
 * only (415 otherwise), and no body where every body field is optional.
 */

let backend: TestBackend;
let store: Store;
let queue: Queue;
let scheduler: Scheduler;
let app: FastifyInstance;
let tokens: Awaited<ReturnType<typeof tokensFor>>;

beforeAll(async () => {
  backend = embeddedBackend();
  store = await backend.open();
  tokens = await tokensFor(store);
  const registry = tableRegistry(tableSource());
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

const load = { name: 'x', zones: ['DE'], durationMin: 30, powerKw: 1, dispatch: { kind: 'none' } };

/** POST of raw JSON text, so that escapes (`\u0000`, `\ud800`) reach the server as written. */
const postRaw = (url: string, text: string, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url,
    payload: text,
    headers: { ...bearer(tokens.admin), 'content-type': 'application/json', ...headers },
  });

const loadCount = async () => (await scheduler.list({ limit: 1000 })).loads.length;

describe('text the store cannot hold', () => {
  const refusedBodies: [string, string, RegExp][] = [
    ['body.name', JSON.stringify({ ...load, name: 'a\u0000b' }), /NUL/],
    ['body.name', JSON.stringify(load).replace('"x"', '"x\\ud800"'), /lone surrogate/],
    ['body.tags[1]', JSON.stringify({ ...load, tags: ['ok', 'a\u0000'] }), /NUL/],
    [
      'body.dispatch.command',
      JSON.stringify({ ...load, dispatch: { kind: 'shell', command: 'echo \u0000' } }),
      /NUL/,
    ],
    [
      'body.dispatch.env',
      JSON.stringify({ ...load, dispatch: { kind: 'shell', command: 'true', env: { 'A\u0000': '1' } } }),
      /field name contains a NUL/,
    ],
    [
      'body.dispatch.payload.note',
      JSON.stringify({ ...load, dispatch: { kind: 'mqtt', topic: 't', payload: { note: '\udc00' } } }),
      /lone surrogate/,
    ],
  ];

  it.each(refusedBodies)(
    'is refused with 400 naming %s, and nothing is stored',
    async (path, text, problem) => {
      const before = await loadCount();
      const r = await postRaw('/v1/loads', text);
      expect(r.statusCode).toBe(400);
      expect(r.json()).toMatchObject({
        type: 'urn:gridshift:problem:validation',
        errors: [{ path, message: expect.stringMatching(problem) }],
      });
      expect(await loadCount()).toBe(before);
    },
  );

  it('is refused in the query and the path of every route', async () => {
    const get = (url: string) => app.inject({ url, headers: bearer(tokens.admin) });
    for (const [url, path] of [
      ['/v1/loads?tag=a%00b', 'query.tag'],
      ['/v1/reports?tag=a%00b', 'query.tag'],
      ['/v1/audit?loadId=a%00b', 'query.loadId'],
      ['/v1/loads/a%00b', 'params.id'],
      ['/v1/signals/D%00E', 'params.zone'],
    ]) {
      const r = await get(url);
      expect(r.statusCode, url).toBe(400);
      expect(r.json().errors, url).toEqual([{ path, message: expect.stringMatching(/NUL/) }]);
    }
    const cancel = await postRaw('/v1/loads/a%00b/cancel', '{"reason":"x"}');
    expect(cancel.json().errors).toEqual([{ path: 'params.id', message: expect.stringMatching(/NUL/) }]);
    // the fuzz suite's first finding: a lone surrogate in the reason of an existing load's cancel
    const { id } = (await postRaw('/v1/loads', JSON.stringify(load))).json().load;
    const reason = await postRaw(`/v1/loads/${id}/cancel`, '{"reason":",\\"&&%\\udbff"}');
    expect(reason.json().errors).toEqual([
      { path: 'body.reason', message: expect.stringMatching(/lone surrogate/) },
    ]);
    expect((await scheduler.get(id))?.load.state).toBe('waiting');
    const token = await postRaw('/v1/tokens', JSON.stringify({ name: 'ci\u0000', scopes: ['read'] }));
    expect(token.json().errors).toEqual([{ path: 'body.name', message: expect.stringMatching(/NUL/) }]);
  });

  it('accepts the same text without the bad character, emoji and all', async () => {
    const r = await postRaw(
      '/v1/loads',
      JSON.stringify({ ...load, name: 'backup \ud83d\ude00', tags: ['ok'] }),
    );
    expect(r.statusCode).toBe(201);
    expect(r.json().load.name).toBe('backup \ud83d\ude00');
  });
});

describe('nesting', () => {
  /** A load whose MQTT payload nests `levels` containers deep inside the body's own three levels. */
  const nestedPayload = (levels: number) =>
    `{"name":"deep","zones":["DE"],"durationMin":30,"powerKw":1,"dispatch":{"kind":"mqtt","topic":"t","payload":{"a":${'['.repeat(levels)}${']'.repeat(levels)}}}}`;

  it(`allows ${MAX_JSON_DEPTH} levels and refuses one more with 400, however deep`, async () => {
    // body > dispatch > payload are three levels
    const fits = await postRaw('/v1/loads', nestedPayload(MAX_JSON_DEPTH - 3));
    expect(fits.statusCode).toBe(201);
    const deeper = await postRaw('/v1/loads', nestedPayload(MAX_JSON_DEPTH - 2));
    expect(deeper.statusCode).toBe(400);
    expect(deeper.json().errors[0]).toEqual({
      path: `body.dispatch.payload.a${'[0]'.repeat(MAX_JSON_DEPTH - 3)}`,
      message: `nested more than ${MAX_JSON_DEPTH} levels deep`,
    });
    // deeper than a call stack: refused, not a crash
    const hostile = await postRaw('/v1/loads', nestedPayload(200_000));
    expect(hostile.statusCode).toBe(400);
  });
});

describe('bodies', () => {
  const bare = (url: string, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: { ...bearer(tokens.admin), ...headers } });

  it('take no body, or an empty JSON one, where every body field is optional', async () => {
    for (const headers of [{}, { 'content-type': 'application/json' }] as Record<string, string>[]) {
      const submitted = await postRaw('/v1/loads', JSON.stringify(load));
      const id = submitted.json().load.id;
      const cancel = await bare(`/v1/loads/${id}/cancel`, headers);
      expect(cancel.statusCode, cancel.body).toBe(200);
      expect(cancel.json().load.state).toBe('cancelled');
      const pause = await bare('/v1/scheduler/pause', headers);
      expect(pause.statusCode, pause.body).toBe(200);
      expect(pause.json()).toMatchObject({ paused: true, pausedReason: null });
      expect((await bare('/v1/scheduler/resume', headers)).statusCode).toBe(200);
      expect((await bare('/v1/recurring/nope/cancel', headers)).statusCode).toBe(404);
    }
  });

  it('are optional in /openapi.json exactly where every body field is', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    const required = (path: string) => doc.paths[path].post.requestBody.required;
    for (const path of ['/v1/loads/{id}/cancel', '/v1/scheduler/pause', '/v1/recurring/{id}/cancel'])
      expect(required(path), path).toBe(false);
    for (const path of ['/v1/loads', '/v1/loads/preview', '/v1/tokens', '/v1/decide/now'])
      expect(required(path), path).toBe(true);
  });

  it('name the required fields when a body that needs them is missing', async () => {
    const r = await bare('/v1/loads');
    expect(r.statusCode).toBe(400);
    expect(r.json().errors).toContainEqual({ path: 'body.name', message: expect.any(String) });
  });

  it('that are not JSON get 415, on routes with and without a body schema', async () => {
    for (const url of ['/v1/loads', '/v1/scheduler/pause', '/v1/loads/x/run-now']) {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
        const r = await app.inject({
          method: 'POST',
          url,
          payload: 'reason=x',
          headers: { ...bearer(tokens.admin), 'content-type': type },
        });
        expect(r.statusCode, `${url} ${type}`).toBe(415);
        expect(r.json().type).toBe('urn:gridshift:problem:unsupported-media-type');
      }
    }
    expect((await scheduler.status()).paused).toBe(false);
  });
});
