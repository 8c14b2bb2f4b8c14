import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { loadInput } from '../../core/load-input.ts';
import { parseIsoMs } from '../../core/time.ts';
import { planToJson } from '../../planner/explain.ts';
import type { LoadFilter, LoadState } from '../../store/loads.ts';
import type { ApiContext } from '../context.ts';
import { badRequest, inputErrorIn, notFound, problemResponses } from '../problem.ts';
import {
  accountingSchema,
  isoTimeInput,
  loadEventSchema,
  loadSchema,
  loadStateSchema,
  planSchema,
  reasonBody,
} from '../schemas.ts';
import { accountingView, loadEventView, loadView } from '../views.ts';

/**
 * Loads: submit (or preview the plan), list with filters and keyset pagination, read one with its
 * history and accounting, and the operator actions cancel, run-now, retry and purge.
 */

const loadInputSchema = loadInput.meta({ id: 'NewLoad', description: 'a load to plan and run' });

const submitResponse = z
  .object({
    load: loadSchema,
    plan: planSchema,
    created: z
      .boolean()
      .describe('false when the idempotency key matched an earlier load, returned unchanged'),
    templateId: z
      .string()
      .optional()
      .describe('for a recurring load: the id of the recurring load; `load` is its first occurrence'),
  })
  .meta({ id: 'SubmitResult' });

const previewResponse = z.object({ plan: planSchema }).meta({ id: 'PlanPreview' });

const detailResponse = z
  .object({ load: loadSchema, events: z.array(loadEventSchema), accounting: accountingSchema.nullable() })
  .meta({ id: 'LoadDetail' });

const pageResponse = z
  .object({
    loads: z.array(loadSchema),
    nextCursor: z.string().nullable().describe('pass as `cursor` for the next page; null on the last page'),
  })
  .meta({ id: 'LoadPage' });

/** `state=waiting,running` or `state=waiting&state=running`, each checked against the load states. */
const stateFilter = z
  .union([z.string().max(200), z.array(z.string().max(200)).max(20)])
  .optional()
  .describe('one state or several, comma-separated (waiting,running)')
  .transform((v, ctx) => {
    if (v === undefined) return undefined;
    const states = [v]
      .flat()
      .flatMap((text) => text.split(','))
      .map((s) => s.trim())
      .filter(Boolean);
    for (const s of states) {
      if (!loadStateSchema.safeParse(s).success) {
        ctx.addIssue({
          code: 'custom',
          message: `"${s}" is not a load state (${loadStateSchema.options.join(', ')})`,
        });
        return z.NEVER;
      }
    }
    return states as LoadState[];
  });

const listQuery = z.object({
  state: stateFilter,
  tag: z.string().min(1).max(64).optional(),
  zone: z
    .string()
    .min(1)
    .max(64)
    .optional()
    .describe('a candidate zone, the planned zone or the cloud region'),
  createdFrom: isoTimeInput.optional().describe('created at or after'),
  createdBefore: isoTimeInput.optional().describe('created before'),
  cursor: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

const idParams = z.object({ id: z.string().min(1).max(100) });
const actionResponse = z.object({ load: loadSchema });

const ACTIONS = {
  cancel: { summary: 'Cancel a load', description: 'Anything not finished can be cancelled.' },
  'run-now': {
    summary: 'Run a load now',
    description: 'A planned or waiting load is dispatched at once instead of at its planned start.',
  },
  retry: {
    summary: 'Retry a dead load',
    description:
      'Schedules a new attempt of a load whose retries ran out (dead). A failed load is already being retried on its own: 409.',
  },
} as const;

export const loadRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.post(
    '/v1/loads',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['loads'],
        summary: 'Submit a load',
        description:
          'Plans the load, stores it and queues its first attempt. With `dryRun=true` only the plan is ' +
          'returned (as POST /v1/loads/preview). A repeated `idempotencyKey` returns the first load (200).',
        querystring: z.object({
          dryRun: z
            .enum(['true', 'false'])
            .optional()
            .describe('true: return the plan without storing anything'),
        }),
        body: loadInputSchema,
        response: {
          200: z.union([submitResponse, previewResponse]),
          201: submitResponse,
          ...problemResponses(400, 401, 403, 413, 503),
        },
      },
    },
    async (request, reply) => {
      const scheduler = ctx.scheduler();
      const nowMs = ctx.nowMs();
      if (request.query.dryRun === 'true') {
        const plan = await scheduler.preview(request.body, { nowMs }).catch((err) => {
          throw inputErrorIn('body', err);
        });
        return reply.code(200).send({ plan: planToJson(plan) });
      }
      const result = await scheduler.submit(request.body, { nowMs }).catch((err) => {
        throw inputErrorIn('body', err);
      });
      if (result.created) reply.header('location', `/v1/loads/${result.load.id}`);
      return reply.code(result.created ? 201 : 200).send({
        load: loadView(result.load),
        plan: planToJson(result.plan),
        created: result.created,
        ...(result.templateId !== undefined ? { templateId: result.templateId } : {}),
      });
    },
  );

  app.post(
    '/v1/loads/preview',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['loads'],
        summary: 'Preview the plan of a load',
        description: 'The plan a submit would make now, without storing or queueing anything.',
        body: loadInputSchema,
        response: { 200: previewResponse, ...problemResponses(400, 401, 403, 413, 503) },
      },
    },
    async (request) => {
      const plan = await ctx
        .scheduler()
        .preview(request.body, { nowMs: ctx.nowMs() })
        .catch((err) => {
          throw inputErrorIn('body', err);
        });
      return { plan: planToJson(plan) };
    },
  );

  app.get(
    '/v1/loads',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['loads'],
        summary: 'List loads',
        description:
          'Newest first, in pages. `nextCursor` (also in a `Link: <...>; rel="next"` header) fetches the next ' +
          'page with the same filters; pages stay stable while loads are added.',
        querystring: listQuery,
        response: { 200: pageResponse, ...problemResponses(400, 401, 403, 503) },
      },
    },
    async (request, reply) => {
      const q = request.query;
      const filter: LoadFilter = { limit: q.limit };
      if (q.state?.length) filter.state = q.state;
      if (q.tag) filter.tag = q.tag;
      if (q.zone) filter.zone = q.zone;
      if (q.createdFrom) filter.createdFromMs = parseIsoMs(q.createdFrom, 'createdFrom');
      if (q.createdBefore) filter.createdBeforeMs = parseIsoMs(q.createdBefore, 'createdBefore');
      if (q.cursor) filter.cursor = q.cursor;
      let page: Awaited<ReturnType<ReturnType<ApiContext['scheduler']>['list']>>;
      try {
        page = await ctx.scheduler().list(filter);
      } catch (err) {
        // an unreadable cursor is the client's mistake
        if ((err as Error).name === 'InputError' && /cursor/i.test((err as Error).message))
          throw badRequest('query.cursor', 'not a cursor from a previous page');
        throw err;
      }
      if (page.nextCursor) {
        const params = new URLSearchParams();
        for (const [k, v] of Object.entries(request.query as Record<string, unknown>)) {
          if (k === 'cursor' || v === undefined) continue;
          if (k === 'state' && Array.isArray(v)) params.set(k, v.join(','));
          else params.set(k, String(v));
        }
        params.set('cursor', page.nextCursor);
        reply.header('link', `</v1/loads?${params.toString()}>; rel="next"`);
      }
      return { loads: page.loads.map(loadView), nextCursor: page.nextCursor };
    },
  );

  app.get(
    '/v1/loads/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['loads'],
        summary: 'A load with its state history and accounting',
        params: idParams,
        response: { 200: detailResponse, ...problemResponses(401, 403, 404, 503) },
      },
    },
    async (request) => {
      const detail = await ctx.scheduler().get(request.params.id);
      if (!detail) throw notFound(`load ${request.params.id} not found`);
      return {
        load: loadView(detail.load),
        events: detail.events.map(loadEventView),
        accounting: accountingView(detail.accounting),
      };
    },
  );

  for (const [action, doc] of Object.entries(ACTIONS)) {
    app.post(
      `/v1/loads/:id/${action}`,
      {
        config: { scope: 'write' },
        schema: {
          tags: ['loads'],
          summary: doc.summary,
          description: `${doc.description} 404 for an unknown load, 409 when its state does not allow it.`,
          params: idParams,
          ...(action === 'cancel' ? { body: reasonBody } : {}),
          response: { 200: actionResponse, ...problemResponses(400, 401, 403, 404, 409, 503) },
        },
      },
      async (request) => {
        const scheduler = ctx.scheduler();
        const { id } = request.params;
        const reason = (request.body as { reason?: string } | undefined)?.reason;
        const load =
          action === 'cancel'
            ? await scheduler.cancel(id, reason)
            : action === 'run-now'
              ? await scheduler.runNow(id)
              : await scheduler.retry(id);
        return { load: loadView(load) };
      },
    );
  }

  app.post(
    '/v1/loads/purge',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['loads'],
        summary: 'Delete finished loads older than a cutoff',
        description:
          'Deletes succeeded, dead and cancelled loads (and their history) whose last change is older than ' +
          '`before`, or than `olderThanDays` days. The decision log keeps their entries.',
        body: z
          .object({
            before: isoTimeInput.optional(),
            olderThanDays: z.number().positive().max(36_500).optional(),
          })
          .strict()
          .refine((b) => (b.before === undefined) !== (b.olderThanDays === undefined), {
            message: 'give before or olderThanDays (one of them)',
            path: ['before'],
          }),
        response: { 200: z.object({ purged: z.number().int() }), ...problemResponses(400, 401, 403, 503) },
      },
    },
    async (request) => {
      const { before, olderThanDays } = request.body;
      const cutoff =
        before !== undefined
          ? parseIsoMs(before, 'before')
          : ctx.nowMs() - (olderThanDays as number) * 86_400_000;
      return { purged: await ctx.scheduler().purge(cutoff) };
    },
  );
};
