import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SchedulerEvent } from '../../runner/service.ts';
import type { ApiContext } from '../context.ts';
import { badRequest, problemResponses } from '../problem.ts';

/**
 * GET /v1/events: the scheduler's events as Server-Sent Events, from every process sharing the store.
 * Each event is `id: <n>`, `event: <type>` and `data: <JSON>`; a comment line keeps idle connections
 * open through proxies. Ids count up per server process; `Last-Event-ID` is not replayed (events are not
 * stored), so a client that reconnects re-reads the state it shows. A client going away removes its
 * listener; closing the server ends every stream.
 */

export const EVENT_TYPES: readonly SchedulerEvent['type'][] = [
  'load.state',
  'load.planned',
  'signal.update',
  'window.clean_started',
  'window.best_now',
  'home.setpoints',
  'grid.event',
  'home.notice',
];

export interface EventsOptions {
  /** how often a keep-alive comment is sent on an idle stream, ms; default 15 000 */
  keepAliveMs?: number;
  /** the reconnection delay suggested to clients (`retry:`), ms; default 5 000 */
  retryMs?: number;
}

/** One event in the SSE wire format. */
export function sseFrame(id: number, event: SchedulerEvent): string {
  return `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export const eventRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext; options: EventsOptions }> = async (
  app,
  { ctx, options },
) => {
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const retryMs = options.retryMs ?? 5_000;
  const open = new Set<() => void>();
  let lastId = 0;

  // before the server waits for its connections to end: end the streams, which never end by themselves
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get(
    '/v1/events',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['events'],
        summary: 'Scheduler events (Server-Sent Events)',
        description:
          `Event types: ${EVENT_TYPES.join(', ')}. Each message has an \`id\`, the type as \`event\` and the ` +
          'event as JSON `data`. `Last-Event-ID` is ignored: events are not replayed after a reconnect.',
        querystring: z.object({
          types: z
            .string()
            .max(200)
            .optional()
            .describe('comma-separated event types to receive; default all'),
        }),
        response: {
          200: { description: 'an event stream', content: { 'text/event-stream': { schema: z.string() } } },
          ...problemResponses(400, 401, 403, 503),
        },
      },
    },
    async (request, reply) => {
      const scheduler = ctx.scheduler();
      let wanted: Set<string> | undefined;
      if (request.query.types) {
        wanted = new Set(
          request.query.types
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        );
        for (const t of wanted)
          if (!(EVENT_TYPES as readonly string[]).includes(t))
            throw badRequest('query.types', `"${t}" is not an event type (${EVENT_TYPES.join(', ')})`);
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write(`retry: ${retryMs}\n: connected\n\n`);
      const unsubscribe = scheduler.onEvent((event) => {
        if (wanted && !wanted.has(event.type)) return;
        res.write(sseFrame(++lastId, event));
      });
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
      keepAlive.unref();
      let closed = false;
      const cleanup = () => {
        if (closed) return;
        closed = true;
        clearInterval(keepAlive);
        unsubscribe();
        open.delete(end);
      };
      const end = () => {
        cleanup();
        res.end();
      };
      open.add(end);
      res.on('close', cleanup);
      res.on('error', cleanup);
    },
  );
};
