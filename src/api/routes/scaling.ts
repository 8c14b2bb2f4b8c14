import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ScalingTarget } from '../../core/scaling-config.ts';
import { toIso } from '../../core/time.ts';
import { resolveZone } from '../../core/zones.ts';
import { replicaCap } from '../../planner/replicas.ts';
import type { ApiContext } from '../context.ts';
import { notFound, problemResponses } from '../problem.ts';
import { isoTime } from '../schemas.ts';
import { zoneGrids } from '../signal-view.ts';
import { num } from '../views.ts';

/**
 * Replica caps by carbon intensity for the configured targets (`scaling` in the configuration): what an
 * autoscaler may scale a workload to now. KEDA's metrics-api scaler reads `maxReplicas` from here.
 */

const capSchema = z
  .object({
    target: z.string(),
    zone: z.string(),
    at: isoTime,
    carbonIntensity: z.number().nullable().describe('g/kWh now; null when no source answered'),
    maxReplicas: z.number().int(),
    band: z
      .object({
        index: z.number().int(),
        lower: z.number().nullable().describe('the band holds intensities above this (null: no lower bound)'),
        upper: z
          .number()
          .nullable()
          .describe('... up to and including this (null: above the last threshold)'),
      })
      .nullable()
      .describe('null when the fallback cap applies'),
    fallback: z.boolean(),
    reason: z.string(),
    source: z.string().nullable(),
    degraded: z.boolean(),
    ref: z
      .object({ kind: z.enum(['ScaledObject', 'Deployment']), namespace: z.string(), name: z.string() })
      .optional(),
  })
  .meta({ id: 'ReplicaCap' });

type Cap = z.infer<typeof capSchema>;

async function capOf(ctx: ApiContext, target: ScalingTarget): Promise<Cap> {
  const nowMs = ctx.nowMs();
  const grids = await zoneGrids(ctx, resolveZone(target.zone), {
    metric: 'carbon',
    hours: 1,
    stepMin: 60,
    nowMs,
  });
  const ci = num(grids.carbon?.current ?? Number.NaN);
  const cap = replicaCap(ci, target.bands, target.fallbackMaxReplicas);
  const answer = grids.carbon?.answer;
  return {
    target: target.name,
    zone: target.zone,
    at: toIso(nowMs),
    carbonIntensity: ci,
    maxReplicas: cap.maxReplicas,
    band: cap.band,
    fallback: cap.band === null,
    reason: cap.reason,
    source: answer?.sources.join('+') || null,
    degraded: answer?.degraded ?? true,
    ...(target.ref ? { ref: target.ref } : {}),
  };
}

export const scalingRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/scaling',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['scaling'],
        summary: 'Replica caps of every scaling target',
        description:
          "The cap of each target configured under `scaling`, from its zone's carbon intensity now.",
        response: { 200: z.object({ targets: z.array(capSchema) }), ...problemResponses(401, 403) },
      },
    },
    async () => ({ targets: await Promise.all(Object.values(ctx.config.scaling).map((t) => capOf(ctx, t))) }),
  );

  app.get(
    '/v1/scaling/:target',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['scaling'],
        summary: 'Replica cap of one scaling target',
        description:
          "How many replicas the target may run now: the band of its zone's carbon intensity (`lower < ci <= " +
          'upper`; above the last threshold, the last band), or its fallback when there is no intensity. ' +
          "For KEDA's metrics-api scaler use `valueLocation: maxReplicas`. 404 for a target not configured.",
        params: z.object({ target: z.string().max(63) }),
        response: { 200: capSchema, ...problemResponses(401, 403, 404) },
      },
    },
    async (request) => {
      const target = ctx.config.scaling[request.params.target];
      if (!target) {
        const known = Object.keys(ctx.config.scaling);
        throw notFound(
          `no scaling target "${request.params.target}"; ${known.length ? `configured: ${known.join(', ')}` : 'none is configured (scaling in the configuration file)'}`,
        );
      }
      return capOf(ctx, target);
    },
  );
};
