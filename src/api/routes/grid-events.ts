import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MINUTE_MS, toIso } from '../../core/time.ts';
import {
  GRID_EVENT_KINDS,
  GRID_EVENT_SOURCES,
  type GridEvent,
  gridEventInput,
  isActive,
  parseGridEvent,
  SEVERITIES,
  worstActive,
} from '../../home/grid-events.ts';
import { endGridEventNow, type GridWatchDeps, ingestGridEvent } from '../../home/grid-watch.ts';
import { getGridEvent, listGridEvents } from '../../store/grid-events.ts';
import type { ApiContext } from '../context.ts';
import { inputErrorIn, notFound, problemResponses } from '../problem.ts';
import { isoTime } from '../schemas.ts';

/**
 * Grid events (peak alerts, frequency drops, voltage anomalies, load shedding): posted by an operator or
 * an aggregator, or read by the service's own sources (`gridEvents` in the configuration). With grid
 * protection on, a critical event switches the delegated devices off until it ends.
 */

const eventSchema = z
  .object({
    id: z.string(),
    kind: z.enum(GRID_EVENT_KINDS),
    severity: z.enum(SEVERITIES),
    start: isoTime,
    end: isoTime.nullable().describe('null: until ended'),
    active: z.boolean().describe('on now'),
    zones: z.array(z.string()).describe('empty: every zone'),
    source: z.enum(GRID_EVENT_SOURCES),
    externalId: z.string().nullable().describe("the source's own id"),
    receivedAt: isoTime,
    raw: z.unknown().describe('the payload as the source sent it'),
  })
  .meta({ id: 'GridEvent' });

function view(e: GridEvent, nowMs: number): z.infer<typeof eventSchema> {
  return {
    id: e.id,
    kind: e.kind,
    severity: e.severity,
    start: toIso(e.startMs),
    end: e.endMs === null ? null : toIso(e.endMs),
    active: isActive(e, nowMs),
    zones: e.zones,
    source: e.source,
    externalId: e.externalId,
    receivedAt: toIso(e.receivedMs),
    raw: e.raw,
  };
}

function deps(ctx: ApiContext): GridWatchDeps {
  return {
    store: ctx.store,
    ...(ctx.hasScheduler ? { bus: { publish: (e) => ctx.scheduler().publish(e) } } : {}),
  };
}

export const gridEventRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.post(
    '/v1/grid-events',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['grid-events'],
        summary: 'Report a grid event',
        description:
          '`kind` (or `type`): peak_alert, frequency_drop, voltage_anomaly or load_shedding; `severity`: info, ' +
          'warning or critical; `start` (default now) and `end` (ISO-8601 or epoch ms; none: until ended); ' +
          '`zones` (none: every zone); `id`: your own id. Posting the same `id` again updates that event (an end ' +
          'time, a new severity): 200 instead of 201. Other fields are kept as the raw payload.',
        body: gridEventInput,
        response: { 200: eventSchema, 201: eventSchema, ...problemResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const nowMs = ctx.nowMs();
      let event: ReturnType<typeof parseGridEvent>;
      try {
        event = parseGridEvent(request.body, 'api', nowMs);
      } catch (err) {
        throw inputErrorIn('body', err);
      }
      const result = await ingestGridEvent(deps(ctx), event, nowMs);
      return reply.code(result.created ? 201 : 200).send(view(result.event, nowMs));
    },
  );

  app.get(
    '/v1/grid-events',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['grid-events'],
        summary: 'Grid events on now, and recent ones',
        description:
          'The events on now and those that ended in the last `endedWithinHours` (default 24), newest first; ' +
          '`worst`: the most severe on now (for `zone` when given, counting events without zones).',
        querystring: z.object({
          endedWithinHours: z.coerce
            .number()
            .min(0)
            .max(24 * 90)
            .default(24),
          zone: z.string().optional(),
        }),
        response: {
          200: z.object({ events: z.array(eventSchema), worst: eventSchema.nullable() }),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const nowMs = ctx.nowMs();
      const events = await listGridEvents(ctx.store, nowMs, {
        endedSinceMs: nowMs - request.query.endedWithinHours * 60 * MINUTE_MS,
      });
      const worst = worstActive(events, nowMs, request.query.zone?.toUpperCase());
      return { events: events.map((e) => view(e, nowMs)), worst: worst ? view(worst, nowMs) : null };
    },
  );

  app.get(
    '/v1/grid-events/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['grid-events'],
        summary: 'One grid event',
        params: z.object({ id: z.string() }),
        response: { 200: eventSchema, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const event = await getGridEvent(ctx.store, request.params.id);
      if (!event) throw notFound(`no grid event ${request.params.id}`);
      return view(event, ctx.nowMs());
    },
  );

  app.post(
    '/v1/grid-events/:id/end',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['grid-events'],
        summary: 'End a grid event now',
        description: 'An event that already ended keeps its end.',
        params: z.object({ id: z.string() }),
        response: { 200: eventSchema, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const nowMs = ctx.nowMs();
      const event = await endGridEventNow(deps(ctx), request.params.id, nowMs);
      if (!event) throw notFound(`no grid event ${request.params.id}`);
      return view(event, nowMs);
    },
  );
};
