import { z } from 'zod';

/**
 * What a client sends to submit a load: one zod schema for the API body, the CLI's `submit` and config
 * files. Times are ISO-8601 strings here (the CLI turns `+4h` and `tomorrow 07:00` into them first).
 */

export const shellTarget = z
  .object({
    kind: z.literal('shell'),
    /** a shell command line (run with /bin/sh -c) or an argv array (run without a shell) */
    command: z.union([z.string().min(1), z.array(z.string()).min(1)]),
    cwd: z.string().optional(),
    env: z.record(z.string(), z.string()).optional(),
    timeoutSec: z
      .number()
      .positive()
      .max(7 * 86_400)
      .optional(),
  })
  .strict();

export const webhookTarget = z
  .object({
    kind: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }),
    headers: z.record(z.string(), z.string()).optional(),
    /** name of the environment variable holding the HMAC secret (default GRIDSHIFT_WEBHOOK_SECRET); never the secret itself */
    secretEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .optional(),
    timeoutSec: z.number().positive().max(3600).optional(),
  })
  .strict();

export const mqttTarget = z
  .object({
    kind: z.literal('mqtt'),
    /** broker URL (mqtt, mqtts, ws, wss), default GRIDSHIFT_MQTT_URL or mqtt://127.0.0.1:1883; credentials
     * are better in GRIDSHIFT_MQTT_USERNAME / GRIDSHIFT_MQTT_PASSWORD than in this URL, which is stored */
    url: z.url({ protocol: /^(mqtts?|wss?)$/ }).optional(),
    /** a topic to publish to: no wildcards (+ #) */
    topic: z
      .string()
      .min(1)
      .max(1024)
      .refine((t) => !/[+#]/.test(t), { message: 'a publish topic may not contain + or #' }),
    /** JSON fields added to the dispatch fields (name, zone ...); loadId and attempt are gridshift's */
    payload: z
      .record(z.string(), z.unknown())
      .refine((p) => !('loadId' in p) && !('attempt' in p), {
        message: 'payload may not set loadId or attempt (gridshift sets them)',
      })
      .optional(),
    /** default 1 (acknowledged by the broker) */
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    retain: z.boolean().optional(),
    /** limit for connecting and the broker's acknowledgement together; default 10 s */
    timeoutSec: z.number().positive().max(3600).optional(),
  })
  .strict();

/** No action: gridshift only tells when (events, API); the client starts the work itself. */
export const noneTarget = z.object({ kind: z.literal('none') }).strict();

export const dispatchTarget = z.discriminatedUnion('kind', [
  shellTarget,
  webhookTarget,
  mqttTarget,
  noneTarget,
]);
export type DispatchTargetInput = z.infer<typeof dispatchTarget>;

/** A recurring load: a cron expression for the nominal start, and how far it may move either side. */
export const recurrence = z
  .object({
    cron: z.string().min(1),
    /** the run may move this many minutes before or after the nominal time */
    flexMin: z
      .number()
      .int()
      .min(0)
      .max(7 * 1440),
    /** IANA time zone the cron expression is read in; default the home zone's */
    timeZone: z.string().optional(),
  })
  .strict();

const isoTime = z.iso.datetime({ offset: true });

export const loadInput = z
  .object({
    name: z.string().min(1).max(200),
    tags: z.array(z.string().min(1).max(64)).max(32).optional(),
    /** candidate grid zones or cloud regions, home zone first */
    zones: z.array(z.string().min(1).max(64)).min(1).max(16).optional(),
    /** a cloud region (`eu-west-1`, `westeurope`) or zone, as an alternative to `zones` */
    region: z.string().min(1).max(64).optional(),
    durationMin: z
      .number()
      .positive()
      .max(30 * 1440),
    powerKw: z.number().nonnegative().max(1e6).optional(),
    energyKwh: z.number().nonnegative().max(1e9).optional(),
    /** default: now */
    earliest: isoTime.optional(),
    /** latest allowed finish; default earliest + maxDelayMin + duration, or earliest + 24 h */
    deadline: isoTime.optional(),
    /** alternative to `deadline`: the start may move this far after `earliest` */
    maxDelayMin: z
      .number()
      .nonnegative()
      .max(30 * 1440)
      .optional(),
    interruptible: z.boolean().optional(),
    minPieceMin: z.number().positive().optional(),
    maxPieces: z.number().int().positive().optional(),
    /** carbon | cost | balanced | max_savings | eco | weights:WC,WP; default carbon */
    objective: z.string().optional(),
    carbonCapG: z.number().nonnegative().optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    dispatch: dispatchTarget.optional(),
    idempotencyKey: z.string().min(1).max(200).optional(),
    maxRetries: z.number().int().min(0).max(20).optional(),
    recurrence: recurrence.optional(),
  })
  .strict()
  .refine((l) => l.zones !== undefined || l.region !== undefined, {
    message: 'give zones or region',
    path: ['zones'],
  })
  .refine((l) => l.powerKw !== undefined || l.energyKwh !== undefined, {
    message: 'give powerKw or energyKwh',
    path: ['powerKw'],
  })
  .refine((l) => !(l.deadline !== undefined && l.maxDelayMin !== undefined), {
    message: 'give deadline or maxDelayMin, not both',
    path: ['deadline'],
  });

export type LoadInput = z.infer<typeof loadInput>;
