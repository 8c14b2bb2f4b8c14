import { type LoadInput, parseLoadInput } from '../core/load-input.ts';
import type { Plan } from '../planner/plan.ts';
import { getLoadByKey, getLoadRequest, type Load } from '../store/loads.ts';
import type { SchedulerContext } from './context.ts';
import { assertSameRequest, requestOf } from './idempotency.ts';
import { previewRecurring, submitRecurring } from './recurring.ts';
import type { SubmitResult } from './service.ts';
import { createPlannedLoad, existingResult, makePlan, prepareLoad } from './submit.ts';

/**
 * The service's submit and preview: the input read by the schema, then a one-off load (submit.ts) or a
 * recurring one (recurring.ts). A repeated idempotency key answers with the first load, or 409 when the load
 * is not the same.
 */

export async function previewLoad(
  ctx: SchedulerContext,
  raw: LoadInput,
  options: { nowMs?: number } = {},
): Promise<Plan> {
  const input = parseLoadInput(raw);
  const nowMs = options.nowMs ?? ctx.now();
  if (input.recurrence) return previewRecurring(ctx, input, nowMs);
  const { request } = prepareLoad(input, nowMs);
  return (await makePlan(ctx, request, nowMs)).plan;
}

export async function submitLoad(
  ctx: SchedulerContext,
  raw: LoadInput,
  options: { nowMs?: number } = {},
): Promise<SubmitResult> {
  const input = parseLoadInput(raw);
  const nowMs = options.nowMs ?? ctx.now();
  if (input.recurrence) return submitRecurring(ctx, input, nowMs);
  const request = requestOf(input);
  if (input.idempotencyKey) {
    const existing = await getLoadByKey(ctx.store, input.idempotencyKey);
    if (existing) return repeatedSubmit(ctx, existing, request);
  }
  const prepared = prepareLoad(input, nowMs);
  if (!input.idempotencyKey) return createPlannedLoad(ctx, prepared, nowMs);
  const result = await createPlannedLoad(
    ctx,
    { ...prepared, newLoad: { ...prepared.newLoad, request } },
    nowMs,
  );
  // another submit with the key won the race: it must have been the same load too
  return result.created ? result : repeatedSubmit(ctx, result.load, request);
}

/** A submit whose idempotency key is taken: the first load when the request is the same, else a 409. */
async function repeatedSubmit(
  ctx: SchedulerContext,
  existing: Load,
  request: Record<string, unknown>,
): Promise<SubmitResult> {
  const key = existing.idempotencyKey as string;
  assertSameRequest(key, await getLoadRequest(ctx.store, existing.id), request);
  return existingResult(ctx, existing);
}
