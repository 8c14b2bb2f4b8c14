import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HOUR_MS, MINUTE_MS, parseIsoMs, toIso } from '../../core/time.ts';
import { resolveZone, type Zone } from '../../core/zones.ts';
import { decideNow, type ForecastValue } from '../../planner/decide.ts';
import { modelTierNow } from '../../runner/model-tier.ts';
import type { ApiContext } from '../context.ts';
import { badRequest, problemResponses } from '../problem.ts';
import { isoTime, isoTimeInput } from '../schemas.ts';
import { zoneGrids } from '../signal-view.ts';
import { num } from '../views.ts';

/**
 * Decisions for callers that act in the moment: "process this now or defer it?" for a job of a given
 * duration and deadline, and "which model tier now?" for AI inference. Both fail open (run / large) when
 * signals are missing, so that missing data never stops work.
 */

const zoneField = z.string().min(1).max(64).describe('zone code, alias, name or cloud region');

const decideNowBody = z
  .object({
    zone: zoneField,
    durationMin: z
      .number()
      .positive()
      .max(7 * 1440)
      .default(60)
      .describe('how long the work runs'),
    deadline: isoTimeInput.optional().describe('latest finish; default 24 hours from now'),
    metric: z.enum(['carbon', 'price']).default('carbon').describe('what to minimise'),
    tolerancePct: z
      .number()
      .min(0)
      .max(100)
      .default(5)
      .describe('run now when now is within this % of the best upcoming window'),
    runAtOrBelow: z.number().optional().describe('run now whenever the value now is at or below this'),
    stepMin: z.number().int().min(5).max(240).default(60).describe('granularity of candidate start times'),
  })
  .strict();

const decideNowResponse = z
  .object({
    action: z.enum(['run', 'defer']),
    reason: z.string(),
    zone: z.string(),
    metric: z.string(),
    unit: z.string().nullable(),
    startAt: isoTime.describe('now when running now, else the start of the best window'),
    current: z.number().nullable().describe('mean over the window starting now'),
    bestValue: z.number().nullable().describe('mean over the best later window'),
    bestAt: isoTime.nullable(),
    expectedSavingsPct: z.number(),
    deadline: isoTime,
    durationMin: z.number(),
    source: z.string().nullable(),
    degraded: z.boolean(),
    reasons: z.array(z.string()),
  })
  .meta({ id: 'DecideNow' });

const modelTierBody = z
  .object({
    zone: zoneField,
    carbonBelow: z.number().positive().default(200).describe('clean when carbon is below this, g/kWh'),
    belowForecastMean: z.boolean().default(true).describe('clean also when below the forecast mean'),
    priceBelow: z.number().optional().describe('cheap when the price is below this (off unless given)'),
    solarKw: z.number().min(0).optional().describe('your local solar output (or surplus) now, kW'),
    minSolarKw: z.number().min(0).default(0.5).describe('solar counts as available from this output'),
    forecastHours: z.number().positive().max(72).default(24).describe('hours the forecast mean covers'),
  })
  .strict();

const modelTierResponse = z
  .object({
    tier: z.enum(['large', 'small']),
    reason: z.string(),
    zone: z.string(),
    signals: z.object({
      carbon: z.number().nullable(),
      carbonForecastMean: z.number().nullable(),
      price: z.number().nullable(),
      solarKw: z.number().nullable(),
    }),
    source: z.string().nullable(),
    degraded: z.boolean(),
  })
  .meta({ id: 'ModelTier' });

/** How far ahead a decision looks at most. */
const MAX_HORIZON_MS = 7 * 24 * HOUR_MS;

/** The zone a body names; an unknown one is a 400 naming `body.zone` and close matches. */
function bodyZone(text: string): Zone {
  try {
    return resolveZone(text);
  } catch (err) {
    throw badRequest('body.zone', (err as Error).message.replace(/^zone: /, ''));
  }
}

/** Mean of `k` consecutive values from `i`; NaN when any is missing. */
function windowMean(values: Float64Array, i: number, k: number): number {
  let sum = 0;
  for (let j = i; j < i + k; j++) {
    const v = values[j];
    if (!Number.isFinite(v)) return Number.NaN;
    sum += v;
  }
  return sum / k;
}

export const decideRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.post(
    '/v1/decide/now',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['decide'],
        summary: 'Process now or defer?',
        description:
          "Compares the mean carbon intensity (or price) over the work's duration starting now with every " +
          'later window that still finishes by the deadline, and says whether to run now or when to start.',
        body: decideNowBody,
        response: { 200: decideNowResponse, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const body = request.body;
      const zone = bodyZone(body.zone);
      const nowMs = ctx.nowMs();
      const deadlineMs = body.deadline ? parseIsoMs(body.deadline, 'deadline') : nowMs + 24 * HOUR_MS;
      const durationMs = body.durationMin * MINUTE_MS;
      if (deadlineMs <= nowMs) throw badRequest('body.deadline', 'must be in the future');
      if (deadlineMs > nowMs + MAX_HORIZON_MS) throw badRequest('body.deadline', 'must be within 7 days');
      const stepMs = body.stepMin * MINUTE_MS;
      const grids = await zoneGrids(ctx, zone, {
        metric: body.metric,
        hours: Math.max(body.stepMin / 60, (deadlineMs - nowMs) / HOUR_MS + body.stepMin / 60),
        stepMin: body.stepMin,
        nowMs,
      });
      const signal = body.metric === 'carbon' ? grids.carbon : grids.price;
      const values = signal?.grid.values ?? new Float64Array();
      const k = Math.max(1, Math.ceil(durationMs / stepMs));
      // the window starting in the slot that holds now, then each later slot whose window ends by the deadline
      const forecast: ForecastValue[] = [];
      for (let i = 1; i + k <= values.length; i++) {
        const startMs = grids.fromMs + i * stepMs;
        if (startMs + durationMs > deadlineMs) break;
        forecast.push({ startMs, value: windowMean(values, i, k) });
      }
      const current = values.length >= k ? windowMean(values, 0, k) : Number.NaN;
      const noRoom = nowMs + durationMs >= deadlineMs;
      const decision = decideNow(num(current), noRoom ? [] : forecast, {
        tolerancePct: body.tolerancePct,
        runAtOrBelow: body.runAtOrBelow,
      });
      const reason = noRoom ? 'the deadline leaves no room to wait: run now' : decision.reason;
      const answer = signal?.answer;
      return {
        action: noRoom ? ('run' as const) : decision.action,
        reason,
        zone: zone.code,
        metric: body.metric,
        unit: answer?.series?.unit ?? null,
        startAt: toIso(
          decision.action === 'defer' && !noRoom && decision.bestAtMs !== null ? decision.bestAtMs : nowMs,
        ),
        current: decision.current,
        bestValue: decision.bestValue,
        bestAt: decision.bestAtMs === null ? null : toIso(decision.bestAtMs),
        expectedSavingsPct: noRoom ? 0 : decision.expectedSavingsPct,
        deadline: toIso(deadlineMs),
        durationMin: body.durationMin,
        source: answer?.sources.join('+') || null,
        degraded: answer?.degraded ?? true,
        reasons: answer?.reasons ?? [],
      };
    },
  );

  app.post(
    '/v1/decide/model-tier',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['decide'],
        summary: 'Which model tier for AI inference now?',
        description:
          '`large` when the grid is clean (carbon below `carbonBelow` or below the forecast mean), cheap ' +
          '(price below `priceBelow`) or local solar is available; `small` otherwise; `large` when no signal ' +
          'can be evaluated (fail-open).',
        body: modelTierBody,
        response: { 200: modelTierResponse, ...problemResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const body = request.body;
      const zone = bodyZone(body.zone);
      const now = await modelTierNow(ctx, zone, body, ctx.nowMs());
      return {
        tier: now.tier,
        reason: now.reason,
        zone: now.zone,
        signals: now.signals,
        source: now.source,
        degraded: now.degraded,
      };
    },
  );
};
