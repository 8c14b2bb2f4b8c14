import { z } from 'zod';
import { InputError } from './errors.ts';
import { MAX_DELAY_MIN, MAX_DURATION_MIN, MAX_PIECES } from './limits.ts';
import { unstorableText } from './text.ts';

/**
 * What a client sends to submit a load: one zod schema for the API body, the CLI's `plan` and `submit` and
 * config files. Times are ISO-8601 strings here (the CLI turns `+4h` and `tomorrow 07:00` into them first).
 * Every string, list and number is bounded (src/core/limits.ts): nothing a request names can make the planner
 * or the store hold more than these allow. Times are checked against now where the load is prepared.
 */

/** Text that is stored: up to `max` characters, none of them one PostgreSQL refuses (NUL, a lone surrogate). */
/** A string of at most `max` characters that the store can keep (no NUL, no lone surrogates). */
export const text = (max: number) =>
  z
    .string()
    .max(max)
    .superRefine((s, ctx) => {
      const problem = unstorableText(s);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
/** A map of names to values (environment variables, headers), bounded in entries and sizes. */
const nameValues = (what: string) =>
  z
    .record(text(256), text(32_768))
    .refine((r) => Object.keys(r).length <= 256, { message: `at most 256 ${what}` });

export const shellTarget = z
  .object({
    kind: z.literal('shell'),
    /** a shell command line (run with /bin/sh -c) or an argv array (run without a shell) */
    command: z.union([text(65_536).min(1), z.array(text(65_536)).min(1).max(1024)]),
    cwd: text(4096).optional(),
    env: nameValues('environment variables').optional(),
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
    url: z.url({ protocol: /^https?$/ }).max(4096),
    headers: nameValues('headers').optional(),
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
    url: z
      .url({ protocol: /^(mqtts?|wss?)$/ })
      .max(4096)
      .optional(),
    /** a topic to publish to: no wildcards (+ #) */
    topic: text(1024)
      .min(1)
      .refine((t) => !/[+#]/.test(t), { message: 'a publish topic may not contain + or #' }),
    /** JSON fields added to the dispatch fields (name, zone ...); loadId and attempt are gridshift's */
    payload: z
      .record(text(256), z.unknown())
      .refine((p) => !('loadId' in p) && !('attempt' in p), {
        message: 'payload may not set loadId or attempt (gridshift sets them)',
      })
      .refine((p) => JSON.stringify(p).length <= 65_536, {
        message: 'payload may be at most 64 KiB as JSON',
      })
      .optional(),
    /** default 1 (acknowledged by the broker) */
    qos: z.union([z.literal(0), z.literal(1), z.literal(2)]).optional(),
    retain: z.boolean().optional(),
    /** limit for connecting and the broker's acknowledgement together; default 10 s */
    timeoutSec: z.number().positive().max(3600).optional(),
  })
  .strict();

/** A DNS-1123 label: what Kubernetes accepts as a namespace (and a context name is checked as text). */
const dnsLabel = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, {
    message: 'a lowercase DNS label (a-z, 0-9, -), at most 63 characters',
  });

/**
 * A batch/v1 Job template: what `kubectl create -f` takes for a Job. gridshift sets its name, namespace, its
 * labels and annotations, `spec.suspend` and `spec.activeDeadlineSeconds`; the rest is the user's.
 */
const jobTemplate = z
  .looseObject({
    apiVersion: z.literal('batch/v1').optional(),
    kind: z.literal('Job').optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    spec: z.looseObject({
      template: z.looseObject({
        spec: z.looseObject({ containers: z.array(z.record(z.string(), z.unknown())).min(1).max(64) }),
      }),
    }),
  })
  .refine((t) => JSON.stringify(t).length <= 262_144, {
    message: 'a Job template may be at most 256 KiB as JSON',
  })
  // PostgreSQL's jsonb refuses the NUL character
  .refine((t) => !JSON.stringify(t).includes('\\u0000'), { message: 'a Job template may not contain NUL' });

export const kubernetesTarget = z
  .object({
    kind: z.literal('kubernetes'),
    /** the namespace the Job is created in */
    namespace: dnsLabel,
    /** the Job to run, inline (JSON); or `templateFile` */
    template: jobTemplate.optional(),
    /** a JSON or YAML file holding the Job, read by the worker when it creates the Job */
    templateFile: text(4096).min(1).optional(),
    /** a kubeconfig file; default KUBECONFIG, ~/.kube/config, then the pod's service account */
    kubeconfig: text(4096).min(1).optional(),
    /** the kubeconfig context to use; default its current context */
    context: text(253).min(1).optional(),
    /** limit on the Job's run (its activeDeadlineSeconds); the load's deadline limits it too */
    timeoutSec: z
      .number()
      .int()
      .positive()
      .max(7 * 86_400)
      .optional(),
  })
  .strict()
  .refine((t) => (t.template === undefined) !== (t.templateFile === undefined), {
    message: 'give the Job as template or as templateFile (one of them)',
    path: ['template'],
  });

/**
 * A batch of the OpenAI-compatible gateway (or one deferred request): the worker sends its stored lines to
 * the gateway's upstreams and stores the answers. Made by the gateway (/openai/v1/batches), not by hand.
 */
export const openaiTarget = z
  .object({
    kind: z.literal('openai'),
    batchId: z.string().regex(/^batch_[0-9a-f]{24}$/, { message: 'a batch id (batch_ and 24 hex digits)' }),
  })
  .strict();

/** No action: gridshift only tells when (events, API); the client starts the work itself. */
export const noneTarget = z.object({ kind: z.literal('none') }).strict();

export const dispatchTarget = z.discriminatedUnion('kind', [
  shellTarget,
  webhookTarget,
  mqttTarget,
  kubernetesTarget,
  openaiTarget,
  noneTarget,
]);
export type DispatchTargetInput = z.infer<typeof dispatchTarget>;

/** A recurring load: a cron expression for the nominal start, and how far it may move either side. */
export const recurrence = z
  .object({
    cron: text(256).min(1),
    /** the run may move this many minutes before or after the nominal time */
    flexMin: z
      .number()
      .int()
      .min(0)
      .max(7 * 1440),
    /** IANA time zone the cron expression is read in; default the home zone's */
    timeZone: text(64).optional(),
  })
  .strict();

const isoTime = z.iso.datetime({ offset: true });

export const loadInput = z
  .object({
    name: text(200).min(1),
    tags: z.array(text(64).min(1)).max(32).optional(),
    /** candidate grid zones or cloud regions, home zone first */
    zones: z.array(text(64).min(1)).min(1).max(16).optional(),
    /** a cloud region (`eu-west-1`, `westeurope`) or zone, as an alternative to `zones` */
    region: text(64).min(1).optional(),
    /** run time; with powerKw and energyKwh: give two of the three, the third follows */
    durationMin: z.number().positive().max(MAX_DURATION_MIN).optional(),
    powerKw: z.number().nonnegative().max(1e6).optional(),
    energyKwh: z.number().nonnegative().max(1e9).optional(),
    /** default: now */
    earliest: isoTime.optional(),
    /** latest allowed finish; default earliest + maxDelayMin + duration, or earliest + 24 h */
    deadline: isoTime.optional(),
    /** alternative to `deadline`: the start may move this far after `earliest` */
    maxDelayMin: z.number().nonnegative().max(MAX_DELAY_MIN).optional(),
    interruptible: z.boolean().optional(),
    minPieceMin: z.number().positive().max(MAX_DURATION_MIN).optional(),
    maxPieces: z.number().int().positive().max(MAX_PIECES).optional(),
    /** carbon | cost | balanced | max_savings | eco | weights:WC,WP; default carbon */
    objective: text(64).optional(),
    carbonCapG: z.number().nonnegative().max(1e12).optional(),
    priority: z.number().int().min(-1000).max(1000).optional(),
    dispatch: dispatchTarget.optional(),
    idempotencyKey: text(200).min(1).optional(),
    maxRetries: z.number().int().min(0).max(20).optional(),
    recurrence: recurrence.optional(),
  })
  .strict()
  .refine((l) => l.zones !== undefined || l.region !== undefined, {
    message: 'give zones or region',
    path: ['zones'],
  })
  .superRefine((l, ctx) => {
    const given = [l.durationMin, l.powerKw, l.energyKwh].filter((x) => x !== undefined).length;
    if (given === 2) return;
    ctx.addIssue({
      code: 'custom',
      path: [given === 3 ? 'energyKwh' : l.durationMin === undefined ? 'durationMin' : 'powerKw'],
      message:
        given === 3
          ? 'give two of durationMin, powerKw and energyKwh, not all three: the third follows from them'
          : 'give two of durationMin, powerKw and energyKwh (e.g. durationMin and powerKw)',
    });
  })
  .refine((l) => !(l.deadline !== undefined && l.maxDelayMin !== undefined), {
    message: 'give deadline or maxDelayMin, not both',
    path: ['deadline'],
  });

export type LoadInput = z.infer<typeof loadInput>;

/** Reads a submitted load with the zod schema; the first problem becomes an InputError naming its field. */
export function parseLoadInput(raw: unknown): LoadInput {
  const parsed = loadInput.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new InputError(describeIssue(parsed.error.issues[0]));
}

/** A zod issue as one message naming its field (`adapter.url: ...`, `[2]: ...`). */
export function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p, i) =>
    typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`,
  );
  const field = path.join('');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0];
    return `${field ? `${field}.` : ''}${key}: unknown field`;
  }
  return field ? `${field}: ${issue.message}` : issue.message;
}
