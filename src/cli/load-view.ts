/**
 * Loads, plans, events and accounting as the service commands print them (submit, loads, status, report).
 * They work on the API's shapes (ISO times), whether the answer came from a server or the store.
 */
import type {
  Load,
  LoadAccounting,
  LoadDetail,
  LoadEvent,
  LoadState,
  Plan as PlanWire,
} from '../client/index.ts';
import { MINUTE_MS } from '../core/time.ts';
import { explainPlan } from '../planner/explain.ts';
import type { Plan } from '../planner/plan.ts';
import {
  type Align,
  formatCurrency,
  formatDuration,
  formatEnergy,
  formatLocalTime,
  formatMass,
  formatPct,
  formatPower,
  formatTable,
} from './format.ts';

const ms = (iso: string) => Date.parse(iso);
/** `1 failure`, `2 failures` */
const count = (k: number, one: string, many = `${one}s`) => `${k} ${k === 1 ? one : many}`;
const n = (x: number | null | undefined) => (x === null || x === undefined ? Number.NaN : x);
const runs = (rs: { start: string; end: string }[]) =>
  rs.map((r) => ({ startMs: ms(r.start), endMs: ms(r.end) }));

/** Local time of an ISO instant, or `-`. */
export function when(iso: string | null | undefined, timeZone: string): string {
  return iso ? formatLocalTime(ms(iso), timeZone) : '-';
}

/** A plan from the API back in the planner's terms, so that it explains itself as `gridshift plan` does. */
export function planFromJson(
  plan: PlanWire,
  load: { name?: string; zones: string[]; interruptible?: boolean },
): Plan {
  return {
    load: {
      ...(load.name !== undefined ? { name: load.name } : {}),
      durationMin: 0,
      powerKw: 0,
      earliestMs: 0,
      deadlineMs: 0,
      zones: load.zones.length ? load.zones : [plan.zone],
      ...(load.interruptible ? { interruptible: true } : {}),
      ...(plan.carbonCapG !== undefined ? { carbonCapG: plan.carbonCapG } : {}),
    },
    objective: plan.objective,
    stepMin: plan.stepMin,
    zone: plan.zone,
    runs: runs(plan.runs),
    ...(plan.slots ? { slots: plan.slots.map(ms) } : {}),
    energyKwh: plan.energyKwh,
    emissionsG: n(plan.emissionsG),
    ...(plan.cost !== undefined ? { cost: n(plan.cost) } : {}),
    ...(plan.currency !== undefined ? { currency: plan.currency } : {}),
    baseline: {
      zone: plan.baseline.zone,
      runs: runs(plan.baseline.runs),
      emissionsG: n(plan.baseline.emissionsG),
      ...(plan.baseline.cost !== undefined ? { cost: n(plan.baseline.cost) } : {}),
    },
    savings: {
      emissionsG: n(plan.savings.emissionsG),
      emissionsPct: n(plan.savings.emissionsPct),
      ...(plan.savings.cost !== undefined ? { cost: n(plan.savings.cost) } : {}),
      ...(plan.savings.costPct !== undefined ? { costPct: n(plan.savings.costPct) } : {}),
    },
    alternatives: plan.alternatives.map((a) => ({
      zone: a.zone,
      runs: runs(a.runs),
      emissionsG: n(a.emissionsG),
      ...(a.cost !== undefined ? { cost: n(a.cost) } : {}),
      ...(a.currency !== undefined ? { currency: a.currency } : {}),
    })),
    reason: plan.reason,
    ...(plan.capExceeded ? { capExceeded: true } : {}),
    sources: { ...plan.sources },
    ...(plan.degraded ? { degraded: [...plan.degraded] } : {}),
  };
}

/** The plan in words (the chosen window, expected emissions, run-now baseline, savings, why, runner-ups). */
export function planLines(
  plan: PlanWire,
  load: { name?: string; zones: string[]; interruptible?: boolean },
  timeZone: string,
): string[] {
  return explainPlan(planFromJson(plan, load), { timeZone });
}

/** Expected emissions of a load's plan against running it at once: `588 g (saves 75 g)`. */
function expectedText(load: Load): string {
  const p = load.plan;
  if (!p || p.expectedEmissionsG === null) return '-';
  const saved = p.baselineEmissionsG === null ? null : p.baselineEmissionsG - p.expectedEmissionsG;
  return saved === null
    ? formatMass(p.expectedEmissionsG)
    : `${formatMass(p.expectedEmissionsG)} (saves ${formatMass(saved)})`;
}

/** Loads as a table: id, name, state, zone, planned start, deadline, expected emissions. */
export function loadTable(loads: Load[], timeZone: string): string {
  const rows = loads.map((l) => [
    l.id,
    l.name,
    l.state,
    l.plan?.zone ?? l.zones[0] ?? l.cloudRegion ?? '-',
    when(l.plannedStart, timeZone),
    when(l.deadline, timeZone),
    expectedText(l),
  ]);
  const align: Align[] = ['left', 'left', 'left', 'left', 'left', 'left', 'right'];
  return formatTable(rows, {
    header: ['ID', 'NAME', 'STATE', 'ZONE', 'PLANNED START', 'DEADLINE', 'EXPECTED CO2'],
    align,
  });
}

/** The dispatch target in one line (credentials were masked by the API already). */
export function dispatchText(dispatch: Load['dispatch']): string {
  const d = dispatch as Record<string, unknown>;
  switch (d.kind) {
    case 'shell': {
      const cmd = Array.isArray(d.command) ? (d.command as string[]).join(' ') : String(d.command);
      const extra = [
        d.cwd ? `in ${d.cwd}` : '',
        d.timeoutSec ? `timeout ${formatDuration(Number(d.timeoutSec) / 60)}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      return `shell: ${cmd}${extra ? ` (${extra})` : ''}`;
    }
    case 'webhook':
      return `webhook: POST ${d.url}`;
    case 'mqtt':
      return `mqtt: publish to ${d.topic}${d.url ? ` on ${d.url}` : ''}`;
    case 'kubernetes':
      return `kubernetes: a Job in namespace ${d.namespace}${d.templateFile ? ` from ${d.templateFile}` : ''}${d.context ? ` (context ${d.context})` : ''}`;
    case 'openai':
      return `openai: batch ${d.batchId} to the gateway's upstreams`;
    default:
      return 'none (gridshift only tells when: events, API)';
  }
}

/** For latenesses and run times given in ms: "15ms", "1.4s", "1m 30s". */
const msText = (ms: number) => formatDuration(ms / MINUTE_MS);

/** What a state transition recorded, briefly: when it was queued for, lateness, exit code, error ... */
export function eventDetailText(event: LoadEvent, timeZone: string): string {
  const d = event.detail ?? {};
  const parts: string[] = [];
  const num = (k: string) => (typeof d[k] === 'number' ? (d[k] as number) : undefined);
  const str = (k: string) => (typeof d[k] === 'string' && d[k] ? (d[k] as string) : undefined);
  const startAfter = str('startAfter');
  if (startAfter) parts.push(`due ${when(startAfter, timeZone)}`);
  if (d.runNow) parts.push('run now');
  if (d.held) parts.push('held: no signals');
  const late = num('latenessMs');
  if (late !== undefined) parts.push(late > 1000 ? `${msText(late)} late` : 'on time');
  if (num('piece') !== undefined) parts.push(`piece ${num('piece')} of ${num('pieces')}`);
  if (str('ref')) parts.push(`Job ${str('ref')}`);
  if (num('exitCode') !== undefined) parts.push(`exit code ${num('exitCode')}`);
  if (str('signal')) parts.push(`signal ${str('signal')}`);
  if (num('status') !== undefined) parts.push(`HTTP ${num('status')}`);
  if (num('durationMs') !== undefined) parts.push(`ran ${msText(num('durationMs') as number)}`);
  if (d.timedOut) parts.push('timed out');
  if (str('reason')) parts.push(str('reason') as string);
  if (str('error')) parts.push(`error: ${str('error')}`);
  else if (str('dispatchError')) parts.push(`error: ${str('dispatchError')}`);
  if (d.event === 'retry' && num('delayMs') !== undefined)
    parts.push(`retry after ${msText(num('delayMs') as number)}`);
  const failures = num('failures');
  const maxRetries = num('maxRetries');
  if (d.event === 'dead' && failures !== undefined && maxRetries !== undefined)
    parts.push(`${count(failures, 'failure')}, ${count(maxRetries, 'retry', 'retries')} allowed`);
  return parts.join('; ');
}

/** The output tail a run recorded, if any. */
export function outputTail(event: LoadEvent): string | undefined {
  const d = event.detail ?? {};
  for (const key of ['outputTail', 'output', 'stdout', 'responseTail']) {
    const v = d[key];
    if (typeof v === 'string' && v.trim()) return v.trimEnd();
  }
  return undefined;
}

/** Why a load in `state` has no accounting: only loads that succeeded are accounted. */
function noAccountingText(state: LoadState): string {
  if (state === 'succeeded') return 'Accounting: not yet (it follows shortly after the run)';
  if (state === 'dead' || state === 'cancelled')
    return `Accounting: none (the load is ${state}; only loads that succeed are accounted)`;
  return 'Accounting: not yet (the load has not finished)';
}

/** What the load emitted and cost once it ran, against running it at once. */
export function accountingLines(a: LoadAccounting | null, state: LoadState): string[] {
  if (!a) return [noAccountingText(state)];
  const failedKwh = a.failedEnergyKwh ?? 0;
  const lines = [
    `Energy:    ${a.energyKwh === null ? '-' : formatEnergy(a.energyKwh)}` +
      (failedKwh > 0
        ? ` (${formatEnergy(failedKwh)}${a.failedEmissionsG === null ? '' : ` and ${formatMass(a.failedEmissionsG)} CO2eq`} in failed attempts)`
        : ''),
    `Emitted:   ${formatMass(n(a.emissionsG))} CO2eq` +
      (a.cost !== null ? `, cost ${formatCurrency(a.cost, a.currency ?? undefined)}` : ''),
    `Run now:   ${formatMass(n(a.baselineEmissionsG))} CO2eq` +
      (a.baselineCost !== null ? `, cost ${formatCurrency(a.baselineCost, a.currency ?? undefined)}` : ''),
  ];
  const saved = n(a.savingsG);
  const pct = a.baselineEmissionsG ? (saved / a.baselineEmissionsG) * 100 : Number.NaN;
  const costSaved = a.cost !== null && a.baselineCost !== null ? a.baselineCost - a.cost : null;
  lines.push(
    `Saved:     ${formatMass(saved)} CO2eq (${formatPct(pct)})` +
      (costSaved !== null ? ` and ${formatCurrency(costSaved, a.currency ?? undefined)}` : ''),
  );
  lines.push(
    `Basis:     ${a.basis === 'actual' ? 'measured values' : 'the forecast it ran on (no measured values yet)'} from ${a.source}`,
  );
  return lines;
}

/** `gridshift loads show`: the load, its plan, its timeline and its accounting. */
export function loadDetailLines(detail: LoadDetail, timeZone: string): string[] {
  const lines = loadHeaderLines(detail, timeZone);
  lines.push('');
  lines.push('Timeline:');
  const rows = detail.events.map((e) => eventCells(e, timeZone));
  for (const row of formatTable(rows).split('\n')) lines.push(`  ${row}`);
  lines.push(...lastOutputLines(detail.events));
  lines.push('');
  lines.push(...accountingLines(detail.accounting, detail.load.state));
  return lines;
}

/** A timeline entry as cells: when, the transition, the attempt, what it recorded. */
function eventCells(e: LoadEvent, timeZone: string): string[] {
  return [
    when(e.at, timeZone),
    `${e.from ?? ''}${e.from ? ' -> ' : ''}${e.to}`,
    e.attempt ? `#${e.attempt}` : '',
    eventDetailText(e, timeZone),
  ];
}

/** A timeline entry on a line of its own, as `loads show --watch` prints them one at a time. */
export function eventLine(e: LoadEvent, timeZone: string): string {
  const [at, transition, attempt, detail] = eventCells(e, timeZone);
  return `  ${at}  ${transition.padEnd(20)}  ${attempt.padEnd(3)}  ${detail}`.trimEnd();
}

/** The last output tail the timeline recorded, under a heading (none when nothing was recorded). */
export function lastOutputLines(events: LoadEvent[]): string[] {
  const tail = [...events]
    .reverse()
    .map(outputTail)
    .find((t) => t !== undefined);
  if (!tail) return [];
  return [
    '',
    'Output (last lines):',
    ...tail
      .split('\n')
      .slice(-10)
      .map((t) => `  ${t}`),
  ];
}

/** What the load is: name, state, size, window, plan and dispatch. */
export function loadHeaderLines(detail: LoadDetail, timeZone: string): string[] {
  const l = detail.load;
  const lines: string[] = [];
  lines.push(`Load ${l.id}: ${l.name}`);
  lines.push(`State:     ${l.state}${l.attempt ? ` (attempt ${l.attempt})` : ''}`);
  const zones = l.zones.length ? l.zones.join(', ') : (l.cloudRegion ?? '-');
  lines.push(`Zones:     ${zones}${l.cloudRegion && l.zones.length ? ` (region ${l.cloudRegion})` : ''}`);
  const size =
    l.powerKw !== null
      ? `${formatPower(l.powerKw)} for ${formatDuration(l.durationMin)}`
      : `${formatEnergy(n(l.energyKwh))} over ${formatDuration(l.durationMin)}`;
  lines.push(`Load:      ${size}${l.interruptible ? ', interruptible' : ''}, objective ${l.objective}`);
  lines.push(`Window:    ${when(l.earliest, timeZone)} .. ${when(l.deadline, timeZone)} (${timeZone})`);
  if (l.plan) {
    const runsText = l.plan.runs.map(
      (r) => `${when(r.start, timeZone)}–${formatLocalTime(ms(r.end), timeZone, { clockOnly: true })}`,
    );
    lines.push(`Planned:   ${runsText.join(', ')} in ${l.plan.zone}`);
    lines.push(`Expected:  ${expectedText(l)}`);
  }
  lines.push(`Dispatch:  ${dispatchText(l.dispatch)}`);
  if (l.tags.length) lines.push(`Tags:      ${l.tags.join(', ')}`);
  if (l.templateId) lines.push(`Recurring: occurrence of ${l.templateId}`);
  if (l.lastError) lines.push(`Error:     ${l.lastError}`);
  return lines;
}
