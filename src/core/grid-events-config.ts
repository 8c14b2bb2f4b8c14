import { z } from 'zod';

/**
 * `gridEvents` in the configuration file: where grid events come from besides the API. An MQTT topic of
 * event messages, a JSON feed polled over HTTP, and a meter's frequency topic (see home/grid-sources).
 */

export interface GridEventsConfig {
  mqtt?: { url: string; topic: string };
  feed?: { url: string; intervalSec: number; tokenEnv?: string };
  meter?: { url: string; topic: string; thresholdHz: number; clearHz: number; zones: string[] };
}

export const gridEventsSchema = z
  .strictObject({
    mqtt: z.strictObject({ url: z.string().min(1), topic: z.string().min(1) }).optional(),
    feed: z
      .strictObject({
        url: z.url(),
        intervalSec: z.number().min(5, 'must be at least 5').default(60),
        tokenEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable holding a bearer token')
          .optional(),
      })
      .optional(),
    meter: z
      .strictObject({
        url: z.string().min(1),
        topic: z.string().min(1),
        thresholdHz: z.number().positive().default(49.8),
        clearHz: z.number().positive().default(49.9),
        zones: z.array(z.string().min(1)).default([]),
      })
      .refine((m) => m.clearHz >= m.thresholdHz, {
        message: 'clearHz must be at or above thresholdHz',
        path: ['clearHz'],
      })
      .optional(),
  })
  .default({});
