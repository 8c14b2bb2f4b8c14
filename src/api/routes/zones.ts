import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { zoneConfig } from '../../core/config.ts';
import { CLOUD_REGIONS, type CloudRegion, listZones, ZONE_ALIASES, type Zone } from '../../core/zones.ts';
import type { ApiContext } from '../context.ts';
import { problemResponses } from '../problem.ts';

/** The grid zones gridshift knows (with the sources configured for each) and the cloud regions' zones. */

const zoneSchema = z
  .object({
    code: z.string(),
    name: z.string(),
    timeZone: z.string(),
    country: z.string(),
    parent: z.string().optional(),
    aliases: z.array(z.string()),
    metric: z.enum(['carbon_average', 'carbon_marginal']).describe('the carbon signal the zone plans on'),
    failurePolicy: z.enum(['open', 'closed']),
    sources: z.object({ carbon: z.array(z.string()), price: z.array(z.string()) }),
  })
  .meta({ id: 'Zone' });

const cloudRegionSchema = z
  .object({
    provider: z.enum(['aws', 'azure', 'gcp']),
    region: z.string(),
    zone: z.string().describe('the grid zone powering the region'),
    location: z.string(),
  })
  .meta({ id: 'CloudRegion' });

function contains(haystack: (string | undefined)[], needle: string | undefined): boolean {
  if (!needle) return true;
  const n = needle.trim().toLowerCase();
  return haystack.some((h) => h?.toLowerCase().includes(n));
}

export const zoneRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  const aliasesOf = (code: string) =>
    Object.entries(ZONE_ALIASES)
      .filter(([, target]) => target === code)
      .map(([alias]) => alias);

  const view = (z: Zone): z.infer<typeof zoneSchema> => {
    const zc = zoneConfig(ctx.config, z.code);
    return {
      code: z.code,
      name: z.name,
      timeZone: z.timeZone,
      country: z.country,
      ...(z.parent ? { parent: z.parent } : {}),
      aliases: aliasesOf(z.code),
      metric: zc.metric,
      failurePolicy: zc.failurePolicy,
      sources: { carbon: zc.carbon.map((s) => s.provider), price: zc.price.map((s) => s.provider) },
    };
  };

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
        .map(view),
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
