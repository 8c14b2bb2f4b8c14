import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ApiContext } from '../context.ts';
import { problemResponses } from '../problem.ts';
import { reasonBody, replanSchema, schedulerStatusSchema } from '../schemas.ts';
import { replanView, schedulerView } from '../views.ts';

/** The scheduler's status, the pause switch shared by every process, and a planner run on demand. */

export const schedulerRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/scheduler',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['scheduler'],
        summary: 'Scheduler status',
        description:
          'Running or paused, the last and next planner run, and how many loads are in each state.',
        response: { 200: schedulerStatusSchema, ...problemResponses(401, 403, 503) },
      },
    },
    async () => schedulerView(await ctx.scheduler().status()),
  );

  app.post(
    '/v1/scheduler/pause',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['scheduler'],
        summary: 'Pause the scheduler',
        description: 'Nothing new is dispatched, by any process, until resumed; running loads finish.',
        body: reasonBody,
        response: { 200: schedulerStatusSchema, ...problemResponses(400, 401, 403, 503) },
      },
    },
    async (request) => schedulerView(await ctx.scheduler().pause(request.body.reason)),
  );

  app.post(
    '/v1/scheduler/resume',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['scheduler'],
        summary: 'Resume the scheduler',
        response: { 200: schedulerStatusSchema, ...problemResponses(401, 403, 503) },
      },
    },
    async () => schedulerView(await ctx.scheduler().resume()),
  );

  app.post(
    '/v1/scheduler/replan',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['scheduler'],
        summary: 'Replan waiting loads now',
        description: 'Runs the periodic planner pass at once; skipped when another process is running one.',
        response: { 200: replanSchema, ...problemResponses(401, 403, 503) },
      },
    },
    async () => {
      return replanView(await ctx.scheduler().replan({ nowMs: ctx.nowMs() }));
    },
  );
};
