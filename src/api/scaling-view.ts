import { z } from 'zod';
import type { ScalingTarget } from '../core/scaling-config.ts';
import { toIso } from '../core/time.ts';
import { resolveZone } from '../core/zones.ts';
import { replicaCap } from '../planner/replicas.ts';
import type { ApiContext } from './context.ts';
import { isoTime } from './schemas.ts';
import { zoneGrids } from './signal-view.ts';
import { num } from './views.ts';

/** A scaling target's replica cap now, as /v1/scaling and /v1/cluster show it. */

export const capSchema = z
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

export type Cap = z.infer<typeof capSchema>;

export async function capOf(ctx: ApiContext, target: ScalingTarget): Promise<Cap> {
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
