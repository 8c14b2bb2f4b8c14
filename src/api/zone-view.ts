import { z } from 'zod';
import { type GridshiftConfig, zoneConfig } from '../core/config.ts';
import { ZONE_ALIASES, type Zone } from '../core/zones.ts';

/** Zones and cloud regions as the API shows them (/v1/zones, /v1/cloud-regions, the dashboard's picker). */

export const zoneSchema = z
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

export const cloudRegionSchema = z
  .object({
    provider: z.enum(['aws', 'azure', 'gcp']),
    region: z.string(),
    zone: z.string().describe('the grid zone powering the region'),
    location: z.string(),
  })
  .meta({ id: 'CloudRegion' });

/** The aliases that name a zone (`UK` for `GB` ...). */
export function aliasesOf(code: string): string[] {
  return Object.entries(ZONE_ALIASES)
    .filter(([, target]) => target === code)
    .map(([alias]) => alias);
}

export function zoneView(config: GridshiftConfig, zone: Zone): z.infer<typeof zoneSchema> {
  const zc = zoneConfig(config, zone.code);
  return {
    code: zone.code,
    name: zone.name,
    timeZone: zone.timeZone,
    country: zone.country,
    ...(zone.parent ? { parent: zone.parent } : {}),
    aliases: aliasesOf(zone.code),
    metric: zc.metric,
    failurePolicy: zc.failurePolicy,
    sources: { carbon: zc.carbon.map((s) => s.provider), price: zc.price.map((s) => s.provider) },
  };
}
