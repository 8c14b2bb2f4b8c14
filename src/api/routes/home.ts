import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HomeConfig } from '../../core/home-config.ts';
import { HOME_HISTORY_MS } from '../../home/controller.ts';
import { latestHomePlan, recentNotices, recordHomeMeasurements } from '../../store/home.ts';
import type { ApiContext } from '../context.ts';
import { homeHistorySchema, homeHistoryView, homePlanSchema, homePlanView } from '../home-view.ts';
import { badRequest, notFound, problemResponses, unavailable } from '../problem.ts';
import { isoTimeInput } from '../schemas.ts';

/**
 * The home the service plans ahead (`home` in the configuration): its newest plan and the setpoints of the
 * slot under way, what happened, the home's readings coming in, and a solve on request.
 */

function homeOf(ctx: ApiContext): HomeConfig {
  const home = ctx.config.home;
  if (!home) throw notFound('no home is configured (home in the configuration file; see docs/home.md)');
  return home;
}

const reading = z
  .object({
    at: isoTimeInput.optional().describe('when it was read (default now)'),
    loadKw: z
      .number()
      .min(0)
      .optional()
      .describe('house load without the battery, the EV and planned appliances'),
    pvKw: z.number().min(0).optional(),
    socKwh: z.number().min(0).optional().describe("the battery's state of charge"),
    evEnergyKwh: z.number().min(0).optional().describe('energy into the car since it was plugged in'),
    importKw: z.number().min(0).optional(),
    exportKw: z.number().min(0).optional(),
  })
  .strict();

export const homeRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/home/plan',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['home'],
        summary: "The home's plan and the setpoints now",
        description:
          'The newest plan solved for the configured home: per slot the forecasts it was solved on and the flows ' +
          'it plans (battery, EV, appliances, import and export), its totals against the baseline rule, and the ' +
          'setpoints of the slot under way. 404 when no home is configured; 503 before the first solve.',
        response: { 200: homePlanSchema, ...problemResponses(401, 403, 404, 503) },
      },
    },
    async () => {
      const view = await homePlanView(ctx.store, homeOf(ctx));
      if (!view) throw unavailable('the home has no plan yet: the first solve runs when the service starts');
      return view;
    },
  );

  app.get(
    '/v1/home/scenario',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['home'],
        summary: 'The scenario of the newest plan',
        description:
          'What the newest plan was solved from, as the scenario JSON of `gridshift home optimize --scenario`: ' +
          'any plan can be solved again, and checked, outside the service.',
        response: { 200: z.record(z.string(), z.unknown()), ...problemResponses(401, 403, 404, 503) },
      },
    },
    async () => {
      homeOf(ctx);
      const stored = await latestHomePlan(ctx.store);
      if (!stored) throw unavailable('the home has no plan yet');
      return stored.scenario;
    },
  );

  app.get(
    '/v1/home/history',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['home'],
        summary: 'What was planned and what happened',
        description:
          'Slot by slot over the last `hours`: the setpoints in force and the slot as planned (with the baseline ' +
          "from the same state), the home's readings, and today's planned cost and emissions against the baseline.",
        querystring: z.object({
          hours: z.coerce
            .number()
            .min(1)
            .max(24 * 30)
            .default(24),
        }),
        response: { 200: homeHistorySchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => homeHistoryView(ctx.store, homeOf(ctx), ctx.nowMs(), request.query.hours),
  );

  app.post(
    '/v1/home/measurements',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['home'],
        summary: "Record the home's readings",
        description:
          'One reading or `{ "readings": [...] }` (up to 10 000). The battery SoC and the EV energy are the state ' +
          'the next plan starts from; the load history feeds the house-load forecast. A reading at an instant ' +
          'already recorded fills in what that one left out.',
        body: z.union([reading, z.object({ readings: z.array(reading).min(1).max(10_000) }).strict()]),
        response: { 202: z.object({ recorded: z.number().int() }), ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      homeOf(ctx);
      const list = 'readings' in request.body ? request.body.readings : [request.body];
      const nowMs = ctx.nowMs();
      const readings = list.map((r, i) => {
        const atMs = r.at ? Date.parse(r.at) : nowMs;
        if (atMs > nowMs + 60_000) throw badRequest(`body.readings[${i}].at`, `${r.at} is in the future`);
        const { at: _, ...values } = r;
        if (Object.keys(values).length === 0) throw badRequest(`body.readings[${i}]`, 'has no reading');
        return { atMs, ...values };
      });
      await recordHomeMeasurements(ctx.store, readings, HOME_HISTORY_MS);
      return reply.code(202).send({ recorded: readings.length });
    },
  );

  app.get(
    '/v1/home/notices',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['home'],
        summary: 'What the home was told',
        description:
          'The notices told in the last `hours` (clean, cheapest and best windows beginning; grid events), newest ' +
          'first, as they were sent (the `home.notice` event).',
        querystring: z.object({
          hours: z.coerce
            .number()
            .min(1)
            .max(24 * 30)
            .default(24),
        }),
        response: {
          200: z.object({ notices: z.array(z.record(z.string(), z.unknown())) }),
          ...problemResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      homeOf(ctx);
      return { notices: await recentNotices(ctx.store, ctx.nowMs() - request.query.hours * 3_600_000) };
    },
  );

  app.post(
    '/v1/home/replan',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['home'],
        summary: 'Solve the home again now',
        description:
          'Solves whatever changed and publishes the setpoints. 503 on a server that does not plan the home.',
        response: {
          200: z.object({ solved: z.boolean(), reason: z.string(), plan: homePlanSchema.optional() }),
          ...problemResponses(401, 403, 404, 503),
        },
      },
    },
    async () => {
      const home = homeOf(ctx);
      if (!ctx.home)
        throw unavailable('this server does not plan the home (it runs without the planner role)');
      const tick = await ctx.home.tick({ force: true });
      const plan = tick.plan ? ((await homePlanView(ctx.store, home)) ?? undefined) : undefined;
      return { solved: tick.solved, reason: tick.reason, ...(plan ? { plan } : {}) };
    },
  );
};
