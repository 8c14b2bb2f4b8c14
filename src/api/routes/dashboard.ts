import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_SIGNAL_HOURS } from '../../core/limits.ts';
import type { ApiContext } from '../context.ts';
import { dashboardSchema, dashboardView, defaultZoneCode } from '../dashboard-view.ts';
import { problemResponses } from '../problem.ts';
import { zoneFromPath } from './signals.ts';

/** GET /v1/dashboard: the critical data of the dashboard's Now page for one zone, in one request. */

export const dashboardRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/dashboard',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['dashboard'],
        summary: "A zone's grid now, its recent and coming hours, and the loads waiting there",
        description:
          'What the Now page of the dashboard shows, in one request: carbon intensity and price from ' +
          '`pastHours` before now to `hours` after it (actual, then forecast), the current figures as ' +
          'GET /v1/signals gives them, whether a clean or a cheapest-and-cleanest window is on, the planned ' +
          'runs of the loads waiting in the zone, and the zones and cloud regions to choose from.',
        querystring: z.object({
          zone: z
            .string()
            .min(1)
            .max(64)
            .optional()
            .describe('zone code, alias, name or cloud region; default the first configured zone'),
          hours: z.coerce.number().positive().max(MAX_SIGNAL_HOURS).default(24).describe('hours ahead'),
          pastHours: z.coerce.number().min(0).max(48).default(12).describe('hours back'),
          stepMin: z.coerce.number().int().min(5).max(1440).default(30).describe('slot length, minutes'),
          threshold: z.coerce
            .number()
            .positive()
            .optional()
            .describe('"clean now" also requires the intensity below this, gCO2eq/kWh'),
        }),
        response: { 200: dashboardSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const q = request.query;
      const zone = zoneFromPath(q.zone ?? defaultZoneCode(ctx));
      return dashboardView(ctx, zone, {
        hours: q.hours,
        pastHours: q.pastHours,
        stepMin: q.stepMin,
        thresholdG: q.threshold,
      });
    },
  );
};
