import { z } from 'zod';
import { LOAD_STATES } from '../core/load.ts';
import { TOKEN_SCOPES } from '../store/tokens.ts';

/**
 * Response shapes shared by several routes. They describe the API in /openapi.json and check every
 * response on its way out. Times are ISO-8601 UTC strings; numbers that cannot be known (a baseline with
 * no data) are null.
 */

/** The body of an operator action that may say why (cancel, pause); every field optional, so no body will do. */
export const reasonBody = z.object({ reason: z.string().max(500).optional() }).strict();

/** An ISO-8601 instant in a response. */
export const isoTime = z.string().meta({ format: 'date-time', examples: ['2025-01-15T02:00:00Z'] });

/** An ISO-8601 instant in a request (any offset; `Z` or `+01:00`). */
export const isoTimeInput = z.iso.datetime({ offset: true });

export const loadStateSchema = z.enum(LOAD_STATES);

export const runSchema = z.object({ start: isoTime, end: isoTime });

export const loadPlanSchema = z
  .object({
    zone: z.string(),
    runs: z.array(runSchema),
    expectedEmissionsG: z.number().nullable(),
    expectedCost: z.number().nullable(),
    baselineEmissionsG: z.number().nullable(),
    baselineCost: z.number().nullable(),
    currency: z.string().nullable(),
  })
  .meta({ id: 'LoadPlan', description: 'the plan stored with a load' });

export const dispatchSchema = z
  .object({ kind: z.string() })
  .catchall(z.unknown())
  .meta({
    id: 'DispatchTarget',
    description:
      'how the load is started (shell, webhook, mqtt, none); header and environment values whose names ' +
      'look like credentials are shown as "***"',
  });

export const loadSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    tags: z.array(z.string()),
    zones: z.array(z.string()),
    cloudRegion: z.string().nullable(),
    durationMin: z.number(),
    powerKw: z.number().nullable(),
    energyKwh: z.number().nullable(),
    earliest: isoTime,
    deadline: isoTime,
    interruptible: z.boolean(),
    objective: z.string(),
    carbonCapG: z.number().nullable(),
    priority: z.number().int(),
    dispatch: dispatchSchema,
    idempotencyKey: z.string().nullable(),
    maxRetries: z.number().int(),
    state: loadStateSchema,
    attempt: z.number().int(),
    plan: loadPlanSchema.nullable(),
    plannedStart: isoTime.nullable(),
    templateId: z.string().nullable().describe('the recurring load this is an occurrence of'),
    lastError: z.string().nullable(),
    createdAt: isoTime,
    updatedAt: isoTime,
    stateChangedAt: isoTime,
    startedAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
  })
  .meta({ id: 'Load' });

export const loadEventSchema = z
  .object({
    seq: z.number().int(),
    at: isoTime,
    from: loadStateSchema.nullable(),
    to: loadStateSchema,
    attempt: z.number().int(),
    detail: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'LoadEvent', description: 'one state transition of a load' });

export const accountingSchema = z
  .object({
    energyKwh: z.number().nullable().describe('of every attempt that ran, failed ones included'),
    emissionsG: z.number().nullable(),
    failedEnergyKwh: z.number().nullable().describe('the part of energyKwh that went to failed attempts'),
    failedEmissionsG: z.number().nullable().describe('the part of emissionsG that failed attempts emitted'),
    baselineEmissionsG: z.number().nullable(),
    savingsG: z.number().nullable(),
    cost: z.number().nullable(),
    baselineCost: z.number().nullable(),
    currency: z.string().nullable(),
    basis: z.enum(['actual', 'forecast']),
    source: z.string(),
  })
  .meta({
    id: 'LoadAccounting',
    description:
      'what a load emitted and cost once it ran, against running it at once; basis `forecast` when no ' +
      'measured values were available',
  });

const nullableNumber = z.number().nullable();

export const planSchema = z
  .object({
    id: z.string().optional(),
    name: z.string().optional(),
    zone: z.string(),
    objective: z.string(),
    stepMin: z.number(),
    reason: z.enum(['best-window', 'already-best', 'waits-for-better', 'no-room', 'no-data']),
    runs: z.array(runSchema),
    slots: z.array(isoTime).optional(),
    energyKwh: z.number(),
    emissionsG: nullableNumber,
    cost: nullableNumber.optional(),
    currency: z.string().optional(),
    baseline: z.object({
      zone: z.string(),
      runs: z.array(runSchema),
      emissionsG: nullableNumber,
      cost: nullableNumber.optional(),
    }),
    savings: z.object({
      emissionsG: nullableNumber,
      emissionsPct: nullableNumber,
      cost: nullableNumber.optional(),
      costPct: nullableNumber.optional(),
    }),
    alternatives: z.array(
      z.object({
        zone: z.string(),
        runs: z.array(runSchema),
        emissionsG: nullableNumber,
        cost: nullableNumber.optional(),
        currency: z.string().optional(),
      }),
    ),
    capExceeded: z.boolean().optional(),
    carbonCapG: z.number().optional(),
    sources: z.object({ carbon: z.string(), price: z.string().optional() }),
    degraded: z.array(z.string()).optional(),
    waiting: z
      .object({
        expectedLowerPct: z.number(),
        cleanerSharePct: z.number(),
        windowH: z.number(),
        deferred: z.literal(true).optional(),
      })
      .optional()
      .meta({
        description:
          'set when the plan starts later than it could: by how much waiting is expected to lower emissions ' +
          'against starting now (% of starting now), the % of sampled carbon-forecast error paths on which ' +
          'waiting finds a cleaner window, and the hours from the first allowed start to the deadline; ' +
          'deferred when the plan would start at once on the forecast and waits by the stopping rule',
      }),
  })
  .meta({ id: 'Plan', description: 'when (and where) a load would run, against running it at once' });

export const tokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(TOKEN_SCOPES)),
    createdAt: isoTime,
    lastUsedAt: isoTime.nullable(),
    revokedAt: isoTime.nullable(),
  })
  .meta({ id: 'ApiToken' });

export const replanSchema = z
  .object({
    ran: z.boolean(),
    skipped: z.string().optional().describe('why not, when it did not run'),
    considered: z.number().int(),
    moved: z.number().int(),
    held: z.number().int(),
    startedAt: isoTime,
    finishedAt: isoTime,
  })
  .meta({ id: 'ReplanSummary' });

export const schedulerStatusSchema = z
  .object({
    running: z.boolean().describe('the scheduler dispatches loads (not paused)'),
    paused: z.boolean(),
    pausedAt: isoTime.nullable(),
    pausedReason: z.string().nullable(),
    lastPlannerRun: isoTime.nullable(),
    nextPlannerRun: isoTime.nullable(),
    updatedAt: isoTime,
    loads: z.record(z.string(), z.number().int()).describe('number of loads in each state'),
    roles: z.array(z.string()).describe("this process's roles: api, worker, planner"),
  })
  .meta({ id: 'SchedulerStatus' });

export const decisionSchema = z
  .object({
    seq: z.number().int(),
    at: isoTime,
    loadId: z.string().nullable(),
    kind: z.string(),
    inputs: z.unknown(),
    choice: z.unknown(),
    alternatives: z.array(z.unknown()),
    reason: z.string(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'Decision', description: 'one entry of the hash-chained decision log' });

const reportFigures = {
  loads: z.number().int(),
  energyKwh: nullableNumber,
  emissionsG: nullableNumber,
  baselineEmissionsG: nullableNumber,
  savingsG: nullableNumber,
  savingsPct: nullableNumber,
  cost: nullableNumber,
  baselineCost: nullableNumber,
  costSavingsPct: nullableNumber,
  currency: z.string().nullable(),
  forecastBasis: z.number().int().describe('loads accounted on forecast values (no measured values yet)'),
  failedEnergyKwh: nullableNumber.describe(
    'the part of energyKwh that went to attempts that failed (or were lost with their worker) before one succeeded',
  ),
  failedEmissionsG: nullableNumber.describe('the part of emissionsG that those failed attempts emitted'),
};

export const reportSchema = z
  .object({
    query: z.object({
      from: isoTime.optional(),
      to: isoTime.optional(),
      groupBy: z.string().optional(),
      zone: z.string().optional(),
      tag: z.string().optional(),
      tz: z.string().optional(),
    }),
    rows: z.array(z.object({ key: z.string(), ...reportFigures })),
    totals: z.object(reportFigures),
  })
  .meta({ id: 'Report' });
