import type { DispatchContext } from './types.ts';

/** What a webhook body and an MQTT message say about the attempt they start; times are ISO-8601 UTC. */
export interface AttemptMessage {
  loadId: string;
  attempt: number;
  name: string;
  zone: string;
  plannedStart: string;
  deadline: string;
  dispatchedAt: string;
}

export function attemptMessage(ctx: DispatchContext, nowMs: number): AttemptMessage {
  return {
    loadId: ctx.loadId,
    attempt: ctx.attempt,
    name: ctx.name,
    zone: ctx.zone,
    plannedStart: new Date(ctx.plannedStartMs).toISOString(),
    deadline: new Date(ctx.deadlineMs).toISOString(),
    dispatchedAt: new Date(nowMs).toISOString(),
  };
}
