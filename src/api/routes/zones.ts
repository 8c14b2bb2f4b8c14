import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CLOUD_REGIONS, type CloudRegion, listZones } from '../../core/zones.ts';
import type { ApiContext } from '../context.ts';
import { problemResponses } from '../problem.ts';
import { aliasesOf, cloudRegionSchema, zoneSchema, zoneView } from '../zone-view.ts';

/** The grid zones gridshift knows (with the sources configured for each) and the cloud regions' zones. */

function contains(haystack: (string | undefined)[], needle: string | undefined): boolean {
  if (!needle) return true;
  const n = needle.trim().toLowerCase();
  return haystack.some((h) => h?.toLowerCase().includes(n));
}

export const zoneRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/zones',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['zones'],
        summary: 'List grid zones',
        description: 'Every zone gridshift knows, with its configured signal sources and failure policy.',
        querystring: z.object({
          search: z
            .string()
            .max(100)
            .optional()
            .describe('only zones whose code, name, alias or country contains this'),
        }),
        response: { 200: z.object({ zones: z.array(zoneSchema) }), ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => ({
      zones: listZones()
        .filter((z) =>
          contains([z.code, z.name, z.country, z.timeZone, ...aliasesOf(z.code)], request.query.search),
        )
        .map((z) => zoneView(ctx.config, z)),
    }),
  );

  app.get(
    '/v1/cloud-regions',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['zones'],
        summary: 'List cloud regions and their grid zones',
        querystring: z.object({
          provider: z.enum(['aws', 'azure', 'gcp']).optional(),
          zone: z.string().max(64).optional().describe('only regions powered by this zone'),
        }),
        response: {
          200: z.object({ regions: z.array(cloudRegionSchema) }),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (request) => {
      const { provider, zone } = request.query;
      const regions: CloudRegion[] = CLOUD_REGIONS.filter(
        (r) =>
          (!provider || r.provider === provider) && (!zone || r.zone.toUpperCase() === zone.toUpperCase()),
      );
      return { regions };
    },
  );
};
