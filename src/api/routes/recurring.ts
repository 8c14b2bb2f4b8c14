import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toIso } from '../../core/time.ts';
import type { DispatchTarget } from '../../store/loads.ts';
import type { RecurringTemplate } from '../../store/recurring.ts';
import type { ApiContext } from '../context.ts';
import { problemResponses } from '../problem.ts';
import { isoTime, reasonBody } from '../schemas.ts';
import { safeDispatch } from '../views.ts';

/**
 * Recurring loads (submitted with a `recurrence`): list them, and stop one (no more occurrences; the
 * occurrences not started yet are cancelled). Their occurrences are ordinary loads under /v1/loads.
 */

const recurringSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    spec: z.record(z.string(), z.unknown()).describe('the submitted load without its recurrence'),
    cron: z.string(),
    flexMin: z.number(),
    timeZone: z.string(),
    idempotencyKey: z.string().nullable(),
    active: z.boolean(),
    lastNominal: isoTime.nullable().describe('nominal time of the newest occurrence made so far'),
    createdAt: isoTime,
    updatedAt: isoTime,
    cancelledAt: isoTime.nullable(),
  })
  .meta({ id: 'RecurringLoad' });

function view(t: RecurringTemplate): z.infer<typeof recurringSchema> {
  const spec = { ...t.spec };
  if (spec.dispatch && typeof spec.dispatch === 'object')
    spec.dispatch = safeDispatch(spec.dispatch as DispatchTarget);
  return {
    id: t.id,
    name: t.name,
    spec,
    cron: t.cron,
    flexMin: t.flexMin,
    timeZone: t.timeZone,
    idempotencyKey: t.idempotencyKey,
    active: t.active,
    lastNominal: t.lastNominalMs === null ? null : toIso(t.lastNominalMs),
    createdAt: toIso(t.createdMs),
    updatedAt: toIso(t.updatedMs),
    cancelledAt: t.cancelledMs === null ? null : toIso(t.cancelledMs),
  };
}

export const recurringRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/recurring',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['loads'],
        summary: 'List recurring loads',
        querystring: z.object({
          active: z.enum(['true', 'false']).optional().describe('true: only those not cancelled'),
        }),
        response: {
          200: z.object({ recurring: z.array(recurringSchema) }),
          ...problemResponses(400, 401, 403, 503),
        },
      },
    },
    async (request) => ({
      recurring: (await ctx.scheduler().recurring({ activeOnly: request.query.active === 'true' })).map(view),
    }),
  );

  app.post(
    '/v1/recurring/:id/cancel',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['loads'],
        summary: 'Stop a recurring load',
        description: 'No more occurrences are made; those not started yet are cancelled.',
        params: z.object({ id: z.string().min(1).max(100) }),
        body: reasonBody,
        response: {
          200: z.object({ recurring: recurringSchema }),
          ...problemResponses(400, 401, 403, 404, 409, 503),
        },
      },
    },
    async (request) => ({
      recurring: view(await ctx.scheduler().cancelRecurring(request.params.id, request.body.reason)),
    }),
  );
};
