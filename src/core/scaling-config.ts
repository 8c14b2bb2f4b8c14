import { z } from 'zod';
import { resolveZone } from './zones.ts';

/**
 * `scaling` in the configuration file: replica caps by carbon intensity, one entry per autoscaled workload,
 * read by `GET /v1/scaling/{name}` (see planner/replicas.ts for the bands' meaning).
 */

export interface ScalingTarget {
  name: string;
  /** zone code */
  zone: string;
  /** in threshold order, thresholds distinct */
  bands: { threshold: number; maxReplicas: number }[];
  /** the cap when the zone has no carbon intensity now */
  fallbackMaxReplicas: number;
  /** the workload the cap is for (a KEDA ScaledObject, or a Deployment scaled by an HPA) */
  ref?: { kind: 'ScaledObject' | 'Deployment'; namespace: string; name: string };
}

const replicas = z.number().int('must be a whole number').min(0, 'must be 0 or more');

export const scalingTargetSchema = z.strictObject({
  zone: z.string().min(1),
  bands: z
    .array(z.strictObject({ threshold: z.number(), maxReplicas: replicas }))
    .min(1, 'give at least one band { threshold, maxReplicas }'),
  fallbackMaxReplicas: replicas,
  ref: z
    .strictObject({
      kind: z.enum(['ScaledObject', 'Deployment']),
      namespace: z.string().min(1).default('default'),
      name: z.string().min(1),
    })
    .optional(),
});

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The targets, checked: names usable in a URL path, zones known, thresholds distinct (sorted). */
export function readScaling(
  raw: Record<string, z.infer<typeof scalingTargetSchema>>,
  fail: (keyPath: string, message: string) => never,
): Record<string, ScalingTarget> {
  const out: Record<string, ScalingTarget> = {};
  for (const [name, t] of Object.entries(raw)) {
    const at = `scaling.${name}`;
    if (!NAME.test(name)) fail(at, 'a target name is lower-case letters, digits and "-" (as in Kubernetes)');
    let zone: string;
    try {
      zone = resolveZone(t.zone).code;
    } catch (err) {
      fail(`${at}.zone`, (err as Error).message.replace(/^zone: /, ''));
    }
    const bands = [...t.bands].sort((a, b) => a.threshold - b.threshold);
    for (let i = 1; i < bands.length; i++)
      if (bands[i].threshold === bands[i - 1].threshold)
        fail(`${at}.bands`, `two bands have the threshold ${bands[i].threshold}`);
    out[name] = {
      name,
      zone,
      bands,
      fallbackMaxReplicas: t.fallbackMaxReplicas,
      ...(t.ref ? { ref: t.ref } : {}),
    };
  }
  return out;
}
