import type { z } from 'zod';
import { objectiveName } from '../core/objective.ts';
import { toIso } from '../core/time.ts';
import type { LoadAccounting, ReplanSummary, Report, ReportRow, SchedulerView } from '../runner/service.ts';
import { type Decision, decisionRecord } from '../store/audit.ts';
import type { DispatchTarget, Load, LoadEvent, LoadPlan } from '../store/loads.ts';
import type { ApiToken } from '../store/tokens.ts';
import type {
  accountingSchema,
  decisionSchema,
  loadEventSchema,
  loadSchema,
  replanSchema,
  reportSchema,
  schedulerStatusSchema,
  tokenSchema,
} from './schemas.ts';

/** Domain objects as the API shows them: ISO times, null for unknown numbers, no credentials. */

export const num = (x: number | null | undefined): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : x;

const isoOrNull = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined || !Number.isFinite(ms) ? null : toIso(ms);

/** Header or variable names whose values are credentials. */
const SECRET_NAME = /auth|token|secret|passw|pwd|key|cookie|credential|signature|session/i;
export const MASK = '***';

function maskRecord(record: unknown): unknown {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) return record;
  return Object.fromEntries(
    Object.entries(record as Record<string, unknown>).map(([k, v]) => [k, SECRET_NAME.test(k) ? MASK : v]),
  );
}

function maskUrl(url: unknown): unknown {
  if (typeof url !== 'string') return url;
  try {
    const u = new URL(url);
    if (!u.password && !u.username) return url;
    if (u.password) u.password = MASK;
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * A dispatch target fit to show: values of headers and environment variables named like credentials are
 * masked, and so is a password in a broker URL. The stored target keeps them for the dispatcher.
 */
export function safeDispatch(target: DispatchTarget): DispatchTarget {
  const out: DispatchTarget = { ...target };
  if ('headers' in out) out.headers = maskRecord(out.headers);
  if ('env' in out) out.env = maskRecord(out.env);
  if ('url' in out) out.url = maskUrl(out.url);
  return out;
}

function planView(plan: LoadPlan | null): z.infer<typeof loadSchema>['plan'] {
  if (!plan) return null;
  return {
    zone: plan.zone,
    runs: plan.runs.map((r) => ({ start: toIso(r.startMs), end: toIso(r.endMs) })),
    expectedEmissionsG: num(plan.expectedEmissionsG),
    expectedCost: num(plan.expectedCost),
    baselineEmissionsG: num(plan.baselineEmissionsG),
    baselineCost: num(plan.baselineCost),
    currency: plan.currency ?? null,
  };
}

export function loadView(load: Load): z.infer<typeof loadSchema> {
  return {
    id: load.id,
    name: load.name,
    tags: load.tags,
    zones: load.zones,
    cloudRegion: load.cloudRegion,
    durationMin: load.durationMin,
    powerKw: num(load.powerKw),
    energyKwh: num(load.energyKwh),
    earliest: toIso(load.earliestMs),
    deadline: toIso(load.deadlineMs),
    interruptible: load.interruptible,
    objective: objectiveName(load.objective),
    carbonCapG: num(load.carbonCapG),
    priority: load.priority,
    dispatch: safeDispatch(load.dispatch),
    idempotencyKey: load.idempotencyKey,
    maxRetries: load.maxRetries,
    state: load.state,
    attempt: load.attempt,
    plan: planView(load.plan),
    plannedStart: isoOrNull(load.plannedStartMs),
    templateId: load.templateId ?? null,
    lastError: load.lastError,
    createdAt: toIso(load.createdMs),
    updatedAt: toIso(load.updatedMs),
    stateChangedAt: toIso(load.stateChangedMs),
    startedAt: isoOrNull(load.startedMs),
    finishedAt: isoOrNull(load.finishedMs),
  };
}

export function loadEventView(e: LoadEvent): z.infer<typeof loadEventSchema> {
  return { seq: e.seq, at: toIso(e.atMs), from: e.from, to: e.to, attempt: e.attempt, detail: e.detail };
}

export function accountingView(a: LoadAccounting | null): z.infer<typeof accountingSchema> | null {
  if (!a) return null;
  return {
    energyKwh: num(a.energyKwh),
    emissionsG: num(a.emissionsG),
    failedEnergyKwh: num(a.failedEnergyKwh),
    failedEmissionsG: num(a.failedEmissionsG),
    baselineEmissionsG: num(a.baselineEmissionsG),
    savingsG: num(a.baselineEmissionsG - a.emissionsG),
    cost: num(a.cost),
    baselineCost: num(a.baselineCost),
    currency: a.currency,
    basis: a.basis,
    source: a.source,
  };
}

export function tokenView(t: ApiToken): z.infer<typeof tokenSchema> {
  return {
    id: t.id,
    name: t.name,
    scopes: t.scopes,
    createdAt: toIso(t.createdMs),
    lastUsedAt: t.lastUsedMs === null ? null : toIso(t.lastUsedMs),
    revokedAt: t.revokedMs === null ? null : toIso(t.revokedMs),
  };
}

export function replanView(r: ReplanSummary): z.infer<typeof replanSchema> {
  return {
    ran: r.ran,
    ...(r.skipped !== undefined ? { skipped: r.skipped } : {}),
    considered: r.considered,
    moved: r.moved,
    held: r.held,
    startedAt: toIso(r.startedMs),
    finishedAt: toIso(r.finishedMs),
  };
}

export function schedulerView(s: SchedulerView): z.infer<typeof schedulerStatusSchema> {
  return {
    running: !s.paused,
    paused: s.paused,
    pausedAt: isoOrNull(s.pausedMs),
    pausedReason: s.pausedReason,
    lastPlannerRun: isoOrNull(s.lastPlannerRunMs),
    nextPlannerRun: isoOrNull(s.nextPlannerRunMs),
    updatedAt: toIso(s.updatedMs),
    loads: { ...s.loads },
    roles: [...s.roles],
  };
}

/** The decision's record, with its time written as every API time is (no `.000` on whole seconds). */
export function decisionView(d: Decision): z.infer<typeof decisionSchema> {
  return { ...decisionRecord(d), at: toIso(d.atMs) };
}

function figures(r: Omit<ReportRow, 'key'>) {
  return {
    loads: r.loads,
    energyKwh: num(r.energyKwh),
    emissionsG: num(r.emissionsG),
    baselineEmissionsG: num(r.baselineEmissionsG),
    savingsG: num(r.savingsG),
    savingsPct: num(r.savingsPct),
    cost: num(r.cost),
    baselineCost: num(r.baselineCost),
    costSavingsPct: num(r.costSavingsPct),
    currency: r.currency,
    forecastBasis: r.forecastBasis,
    failedEnergyKwh: num(r.failedEnergyKwh),
    failedEmissionsG: num(r.failedEmissionsG),
  };
}

export function reportView(report: Report): z.infer<typeof reportSchema> {
  const q = report.query;
  return {
    query: {
      ...(q.fromMs !== undefined ? { from: toIso(q.fromMs) } : {}),
      ...(q.toMs !== undefined ? { to: toIso(q.toMs) } : {}),
      ...(q.groupBy !== undefined ? { groupBy: q.groupBy } : {}),
      ...(q.zone !== undefined ? { zone: q.zone } : {}),
      ...(q.tag !== undefined ? { tag: q.tag } : {}),
      ...(q.timeZone !== undefined ? { tz: q.timeZone } : {}),
    },
    rows: report.rows.map((r) => ({ key: r.key, ...figures(r) })),
    totals: figures(report.totals),
  };
}
