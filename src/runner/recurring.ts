import { CronExpressionParser } from 'cron-parser';
import { InputError } from '../core/errors.ts';
import type { LoadInput } from '../core/load-input.ts';
import { MINUTE_MS, toIso } from '../core/time.ts';
import { resolveZone } from '../core/zones.ts';
import type { Plan } from '../planner/plan.ts';
import { runQuantities } from '../planner/request.ts';
import { lastDecisionOf } from '../store/audit.ts';
import { getLoadByKey, type Load } from '../store/loads.ts';
import {
  advanceTemplate,
  cancelTemplate,
  createTemplate,
  getTemplate,
  listTemplates,
  type RecurringTemplate,
  templateLoads,
} from '../store/recurring.ts';
import { cancelLoad } from './actions.ts';
import { errorMessage, logDecision, type SchedulerContext } from './context.ts';
import { NotFoundError } from './errors.ts';
import { assertSameRequest, requestOf } from './idempotency.ts';
import type { SubmitResult } from './service.ts';
import { createPlannedLoad, makePlan, planFromDecision, prepareLoad } from './submit.ts';

/**
 * Recurring loads. A submission with `recurrence {cron, flexMin, timeZone}` stores a template; each planner
 * run makes the occurrences due within the look-ahead (and always the next one) into ordinary loads:
 * nominal time N from the cron expression read in the template's time zone, earliest start N - flex,
 * deadline N + flex + duration, and N as the run-now counterfactual. Each occurrence has the idempotency
 * key `recurring:<template id>:<N as ISO-8601>`, so processes racing to make it make it once.
 */

/** Most occurrences of one template made in one planner run (a template with a tight cron catches up slowly). */
const MAX_PER_RUN = 50;

export interface Occurrence {
  nominalMs: number;
  earliestMs: number;
  deadlineMs: number;
}

/** The occurrence windows of a cron expression after `afterMs`, in order, while `more` says so. */
export function* occurrences(
  cron: string,
  timeZone: string,
  afterMs: number,
  flexMin: number,
  durationMin: number,
): Generator<Occurrence> {
  const it = CronExpressionParser.parse(cron, { currentDate: new Date(afterMs), tz: timeZone });
  for (;;) {
    let nominalMs: number;
    try {
      nominalMs = it.next().getTime();
    } catch {
      return; // no further occurrence
    }
    yield {
      nominalMs,
      earliestMs: nominalMs - flexMin * MINUTE_MS,
      deadlineMs: nominalMs + (flexMin + durationMin) * MINUTE_MS,
    };
  }
}

/** Checks a recurrence and returns the time zone it is read in (default the home zone's). */
function recurrenceTimeZone(input: LoadInput): string {
  const rec = input.recurrence!;
  const home = input.zones?.[0] ?? input.region;
  let timeZone = rec.timeZone;
  if (timeZone === undefined) {
    try {
      timeZone = home ? resolveZone(home).timeZone : 'UTC';
    } catch {
      timeZone = 'UTC'; // the zone itself is reported by prepareLoad
    }
  }
  try {
    new Intl.DateTimeFormat('en', { timeZone });
  } catch {
    throw new InputError(`recurrence.timeZone: "${timeZone}" is not an IANA time zone (e.g. Europe/Berlin)`);
  }
  try {
    CronExpressionParser.parse(rec.cron, { tz: timeZone }).next();
  } catch (err) {
    throw new InputError(
      `recurrence.cron: "${rec.cron}" is not a cron expression gridshift can use (${errorMessage(err)})`,
    );
  }
  return timeZone;
}

/** The input of one occurrence: the template's load without its recurrence. */
function occurrenceSpec(input: LoadInput): LoadInput {
  const { recurrence: _r, idempotencyKey: _k, earliest: _e, deadline: _d, maxDelayMin: _m, ...rest } = input;
  return rest;
}

function durationOf(spec: LoadInput): number {
  return runQuantities(spec).durationMin;
}

/** The first occurrence whose window still allows a whole run after `nowMs`. */
function firstReachable(input: LoadInput, timeZone: string, nowMs: number): Occurrence {
  const rec = input.recurrence!;
  const d = durationOf(input);
  let n = 0;
  for (const o of occurrences(rec.cron, timeZone, nowMs - (rec.flexMin + d) * MINUTE_MS, rec.flexMin, d)) {
    if (o.deadlineMs - Math.max(o.earliestMs, nowMs) >= d * MINUTE_MS) return o;
    if (++n > 1000) break;
  }
  throw new InputError(`recurrence.cron: "${rec.cron}" has no coming occurrence`);
}

export async function previewRecurring(
  ctx: SchedulerContext,
  input: LoadInput,
  nowMs: number,
): Promise<Plan> {
  const timeZone = recurrenceTimeZone(input);
  const o = firstReachable(input, timeZone, nowMs);
  const { request } = prepareLoad(occurrenceSpec(input), nowMs, {
    earliestMs: o.earliestMs,
    deadlineMs: o.deadlineMs,
    baselineStartMs: o.nominalMs,
  });
  return (await makePlan(ctx, request, nowMs)).plan;
}

/**
 * Stores a recurring load and makes its first occurrence(s) at once; the result is the first occurrence.
 * With its idempotency key already used, the existing template's newest occurrence is returned.
 */
export async function submitRecurring(
  ctx: SchedulerContext,
  input: LoadInput,
  nowMs: number,
): Promise<SubmitResult> {
  const timeZone = recurrenceTimeZone(input);
  const first = firstReachable(input, timeZone, nowMs);
  const spec = occurrenceSpec(input);
  // every field checked before anything is stored
  prepareLoad(spec, nowMs, {
    earliestMs: first.earliestMs,
    deadlineMs: first.deadlineMs,
    baselineStartMs: first.nominalMs,
  });
  const { template, created } = await createTemplate(
    ctx.store,
    {
      name: input.name,
      spec: spec as Record<string, unknown>,
      cron: input.recurrence!.cron,
      flexMin: input.recurrence!.flexMin,
      timeZone,
      ...(input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {}),
    },
    { nowMs },
  );
  if (created) {
    const made = await materialiseTemplate(ctx, template, nowMs);
    if (made.length > 0) return { ...made[0], templateId: template.id };
  } else {
    const recurrence = { cron: template.cron, flexMin: template.flexMin, timeZone: template.timeZone };
    assertSameRequest(
      template.idempotencyKey as string,
      { ...requestOf(template.spec as LoadInput), ...recurrence },
      { ...requestOf(spec), cron: input.recurrence!.cron, flexMin: input.recurrence!.flexMin, timeZone },
      'recurring load',
    );
  }
  const loads = await templateLoads(ctx.store, template.id);
  const newest = loads[loads.length - 1];
  if (!newest) {
    const made = await materialiseTemplate(ctx, template, nowMs);
    if (made.length === 0)
      throw new InputError(`recurrence.cron: "${template.cron}" has no coming occurrence`);
    return { ...made[0], created: false, templateId: template.id };
  }
  return {
    load: newest,
    plan: planFromDecision(newest, await lastDecisionOf(ctx.store, newest.id)),
    created: false,
    templateId: template.id,
  };
}

/**
 * Makes the occurrences of a template that are due: every one whose window opens within the look-ahead, and
 * the next one in any case. Occurrences whose window closed while nothing ran the planner are skipped.
 */
export async function materialiseTemplate(
  ctx: SchedulerContext,
  template: RecurringTemplate,
  nowMs: number,
): Promise<SubmitResult[]> {
  if (!template.active) return [];
  const spec = template.spec as LoadInput;
  const d = durationOf(spec);
  const from = template.lastNominalMs ?? nowMs - (template.flexMin + d) * MINUTE_MS;
  const made: SubmitResult[] = [];
  let upcoming = 0;
  let seen = 0;
  for (const o of occurrences(template.cron, template.timeZone, from, template.flexMin, d)) {
    if (++seen > 10 * MAX_PER_RUN || made.length >= MAX_PER_RUN) break;
    if (upcoming > 0 && o.earliestMs > nowMs + ctx.settings.recurringLookaheadMs) break;
    if (o.deadlineMs - Math.max(o.earliestMs, nowMs) < d * MINUTE_MS) {
      await advanceTemplate(ctx.store, template.id, o.nominalMs, { nowMs }); // missed: its window has closed
      continue;
    }
    upcoming++;
    const key = `recurring:${template.id}:${toIso(o.nominalMs)}`;
    if (!(await getLoadByKey(ctx.store, key))) {
      const result = await createPlannedLoad(
        ctx,
        prepareLoad(spec, nowMs, {
          earliestMs: o.earliestMs,
          deadlineMs: o.deadlineMs,
          baselineStartMs: o.nominalMs,
          templateId: template.id,
          idempotencyKey: key,
        }),
        nowMs,
      );
      if (result.created) made.push(result);
    }
    await advanceTemplate(ctx.store, template.id, o.nominalMs, { nowMs });
  }
  return made;
}

/** The planner's pass over every active template; a template that fails is reported and skipped. */
export async function materialiseRecurring(ctx: SchedulerContext, nowMs: number): Promise<number> {
  let made = 0;
  for (const template of await listTemplates(ctx.store, { activeOnly: true })) {
    try {
      made += (await materialiseTemplate(ctx, template, nowMs)).length;
    } catch (err) {
      ctx.log('error', 'could not make the occurrences of a recurring load', {
        templateId: template.id,
        error: errorMessage(err),
      });
    }
  }
  return made;
}

/** Stops a recurring load: no further occurrences, and the ones not started yet are cancelled. */
export async function cancelRecurring(
  ctx: SchedulerContext,
  id: string,
  reason?: string,
): Promise<{ template: RecurringTemplate; cancelled: Load[] }> {
  const nowMs = ctx.now();
  const stopped = await cancelTemplate(ctx.store, id, { nowMs });
  const template = stopped ?? (await getTemplate(ctx.store, id));
  if (!template) throw new NotFoundError('recurring load', id);
  const cancelled: Load[] = [];
  for (const load of await templateLoads(ctx.store, id, ['planned', 'waiting', 'failed'])) {
    try {
      cancelled.push(await cancelLoad(ctx, load.id, reason ?? 'its recurring load was cancelled'));
    } catch {
      // it started meanwhile: it runs to its end
    }
  }
  if (stopped) {
    await logDecision(ctx, {
      kind: 'cancel',
      atMs: nowMs,
      inputs: { templateId: id, cron: template.cron, reason: reason ?? null },
      choice: { recurring: 'cancelled', cancelledLoads: cancelled.map((l) => l.id) },
      reason: reason ?? 'recurring load cancelled by an operator',
    });
  }
  return { template, cancelled };
}
