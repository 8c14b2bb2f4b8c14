import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MAX_SIGNAL_HOURS } from '../../core/limits.ts';
import { resolveZone, type Zone } from '../../core/zones.ts';
import type { ApiContext } from '../context.ts';
import { notFound, problemResponses } from '../problem.ts';
import { snapshotSchema, zoneSnapshot } from '../signal-view.ts';

/** GET /v1/signals/:zone: current carbon intensity and price, quality, "clean now?", sources, forecast. */

/** A zone named in a path: an unknown one is a 404 naming close matches. */
export function zoneFromPath(text: string): Zone {
  try {
    return resolveZone(text);
  } catch (err) {
    throw notFound((err as Error).message);
  }
}

export const signalRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/signals/:zone',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['signals'],
        summary: "A zone's grid signals now and its forecast",
        description:
          "Current carbon intensity (the zone's configured metric) and price, their quality levels, whether " +
          'now is a clean time, which sources answered and whether the data is degraded, and a forecast table ' +
          'starting with the slot that holds now.',
        params: z.object({
          zone: z.string().min(1).max(64).describe('zone code, alias, name or cloud region'),
        }),
        querystring: z.object({
          metric: z.enum(['carbon', 'price', 'all']).default('all'),
          hours: z.coerce.number().positive().max(MAX_SIGNAL_HOURS).default(24).describe('forecast hours'),
          stepMin: z.coerce.number().int().min(5).max(1440).default(60).describe('forecast step, minutes'),
          threshold: z.coerce
            .number()
            .positive()
            .optional()
            .describe('"clean now" also requires the intensity below this, gCO2eq/kWh'),
        }),
        response: { 200: snapshotSchema, ...problemResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const zone = zoneFromPath(request.params.zone);
      const q = request.query;
      return zoneSnapshot(ctx, zone, {
        metric: q.metric,
        hours: q.hours,
        stepMin: q.stepMin,
        thresholdG: q.threshold,
      });
    },
  );
};
