import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import { floorToStep, HOUR_MS } from '../../src/core/time.ts';
import type { Queue } from '../../src/runner/queue.ts';
import type { Scheduler } from '../../src/runner/scheduler.ts';
import type { SchedulerService } from '../../src/runner/service.ts';
import type { Store } from '../../src/store/db.ts';
import { tableRegistry, tableSource, testQueue, testScheduler, waitFor } from '../runner/helpers.ts';
import type { TestBackend } from '../store/backends.ts';
import { embeddedBackend, tokensFor } from './helpers.ts';

/**
 * /v1/events over a real socket with the real scheduler: events arrive as SSE frames with ids, a type
 * filter applies, idle streams get keep-alive comments, a client that goes away leaves no listener behind
 * and closing the server ends the streams.
 */

let backend: TestBackend;
let store: Store;
let queue: Queue;
let scheduler: Scheduler;
let app: FastifyInstance;
let base: string;
let tokens: Awaited<ReturnType<typeof tokensFor>>;
/** listeners currently subscribed through the server */
let listeners = 0;

beforeAll(async () => {
  backend = embeddedBackend();
  store = await backend.open();
  tokens = await tokensFor(store);
  const cleanFrom = floorToStep(Date.now(), 30) + 3 * HOUR_MS;
  const registry = tableRegistry(
    tableSource((_z, t) => (t >= cleanFrom && t < cleanFrom + HOUR_MS ? 100 : 400)),
  );
  queue = await testQueue(store);
  scheduler = testScheduler(store, queue, registry);
  // the real scheduler, with its subscriptions counted
  const counted: SchedulerService = {
    ...scheduler,
    onEvent(listener) {
      listeners++;
      const off = scheduler.onEvent(listener);
      return () => {
        listeners--;
        off();
      };
    },
  };
  app = await buildServer({
    scheduler: counted,
    registry,
    store,
    logger: false,
    events: { keepAliveMs: 100 },
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  await scheduler?.close();
  await queue?.stop({ graceful: false });
  await backend?.cleanup();
});

interface Frame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** An open event stream: frames are parsed as they arrive. */
async function openStream(query = '') {
  const abort = new AbortController();
  const res = await fetch(`${base}/v1/events${query}`, {
    headers: { authorization: `Bearer ${tokens.read}` },
    signal: abort.signal,
  });
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const frames: Frame[] = [];
  let buffer = '';
  let ended = false;
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut >= 0) {
          const frame: Frame = {};
          for (const line of buffer.slice(0, cut).split('\n')) {
            if (line.startsWith(':')) frame.comment = line.slice(1).trim();
            else {
              const at = line.indexOf(': ');
              if (at > 0) frame[line.slice(0, at) as 'id' | 'event' | 'data'] = line.slice(at + 2);
            }
          }
          frames.push(frame);
          buffer = buffer.slice(cut + 2);
          cut = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // aborted
    } finally {
      ended = true;
    }
  })();
  return {
    res,
    frames,
    events: () => frames.filter((f) => f.event),
    get ended() {
      return ended;
    },
    close: () => abort.abort(),
    pump,
  };
}

const submit = async (name: string) => {
  const res = await fetch(`${base}/v1/loads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tokens.write}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name,
      zones: ['DE'],
      durationMin: 60,
      powerKw: 1,
      maxDelayMin: 300,
      dispatch: { kind: 'none' },
    }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { load: { id: string } }).load.id;
};

describe('GET /v1/events', () => {
  it('streams the scheduler events as SSE frames with increasing ids', async () => {
    const stream = await openStream();
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.res.headers.get('cache-control')).toMatch(/no-cache/);
    const id = await submit('streamed');
    const mine = await waitFor(() => {
      const evs = stream.events().filter((f) => JSON.parse(f.data as string).loadId === id);
      return evs.length >= 3 ? evs : undefined;
    }, 'three events of the load');
    expect(mine.map((f) => f.event)).toEqual(['load.state', 'load.planned', 'load.state']);
    const [planned, plan, waiting] = mine.map((f) => JSON.parse(f.data as string));
    expect(planned).toMatchObject({ type: 'load.state', name: 'streamed', from: null, to: 'planned' });
    expect(plan).toMatchObject({ type: 'load.planned', zone: 'DE' });
    expect(waiting).toMatchObject({ from: 'planned', to: 'waiting' });
    const ids = mine.map((f) => Number(f.id));
    expect(ids.every((n, i) => Number.isInteger(n) && (i === 0 || n > ids[i - 1]))).toBe(true);
    stream.close();
  });

  it('sends only the types asked for', async () => {
    const stream = await openStream('?types=load.planned');
    const id = await submit('filtered');
    await waitFor(
      () => stream.events().some((f) => JSON.parse(f.data as string).loadId === id),
      'the plan event',
    );
    expect(new Set(stream.events().map((f) => f.event))).toEqual(new Set(['load.planned']));
    stream.close();
  });

  it('keeps idle streams alive with comments', async () => {
    const stream = await openStream();
    await waitFor(() => stream.frames.some((f) => f.comment === 'keep-alive'), 'a keep-alive comment');
    expect(stream.frames[0]).toMatchObject({ comment: 'connected' });
    stream.close();
  });

  it('removes the listener of a client that goes away', async () => {
    await waitFor(() => listeners === 1, 'only the metrics listener');
    const stream = await openStream();
    await waitFor(() => listeners === 2, 'the stream listener');
    stream.close();
    await waitFor(() => listeners === 1, 'the stream listener removed');
  });

  it('refuses requests without a token or with unknown types', async () => {
    expect((await fetch(`${base}/v1/events`)).status).toBe(401);
    const bad = await fetch(`${base}/v1/events?types=load.exploded`, {
      headers: { authorization: `Bearer ${tokens.read}` },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { path: string }[] }).errors[0].path).toBe('query.types');
  });

  it('ends open streams when the server closes', async () => {
    const stream = await openStream();
    await waitFor(() => stream.frames.length > 0, 'the stream to open');
    await app.close();
    await stream.pump;
    expect(stream.ended).toBe(true);
    expect(listeners).toBe(0);
  });
});
