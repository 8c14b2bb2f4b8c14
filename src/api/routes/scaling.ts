import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiContext } from '../context.ts';
import { notFound, problemResponses } from '../problem.ts';
import { capOf, capSchema } from '../scaling-view.ts';

/**
 * Replica caps by carbon intensity for the configured targets (`scaling` in the configuration): what an
 * autoscaler may scale a workload to now. KEDA's metrics-api scaler reads `maxReplicas` from here.
 */

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
