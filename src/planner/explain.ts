import { formatCurrency, formatEnergy, formatMass, formatNumber, formatPct } from '../core/format.ts';
import { toIso } from '../core/time.ts';
import type { Plan, PlanAlternative, Run } from './plan.ts';

export interface ExplainOptions {
  /** IANA time zone for the times shown (default UTC) */
  timeZone?: string;
}

/**
 * A plan in plain lines: the chosen window, what it emits and costs, the run-now baseline, the savings,
 * why, the runner-ups and anything degraded. Times are shown in `timeZone` (default UTC).
 */
export function explainPlan(plan: Plan, options: ExplainOptions = {}): string[] {
  const tz = options.timeZone ?? 'UTC';
  const when = timeFormatter(tz);
  const name = plan.load.id ?? plan.load.name ?? 'the load';
  const lines: string[] = [];
  const runsNow = plan.reason === 'no-room' || plan.reason === 'no-data';
  const pieces = plan.runs.length > 1 ? ` in ${plan.runs.length} pieces:` : '';
  lines.push(
    `Run ${name}${runsNow ? ' at once' : ''} in ${plan.zone}${pieces} ${runsText(plan.runs, when)} (${tz})`,
  );
  lines.push(
    `Expected: ${formatMass(plan.emissionsG)} CO2eq for ${formatEnergy(plan.energyKwh)}` +
      (plan.cost !== undefined ? `, cost ${formatCurrency(plan.cost, plan.currency)}` : ''),
  );
  const b = plan.baseline;
  lines.push(
    `Run now: ${runsText(b.runs, when)} in ${b.zone}: ${formatMass(b.emissionsG)} CO2eq` +
      (b.cost !== undefined ? `, cost ${formatCurrency(b.cost, plan.currency)}` : ''),
  );
  lines.push(savingsLine(plan));
  lines.push(`Why: ${whyText(plan)}`);
  if (plan.waiting) lines.push(waitingLine(plan.waiting));
  if (plan.alternatives.length > 0) {
    lines.push('Alternatives:');
    plan.alternatives.forEach((a, i) => {
      lines.push(`  ${i + 1}. ${alternativeText(a, plan, when)}`);
    });
  }
  lines.push(
    `Signals: carbon from ${plan.sources.carbon}${plan.sources.price ? `, price from ${plan.sources.price}` : ''}`,
  );
  for (const d of plan.degraded ?? []) lines.push(`Degraded: ${d}`);
  return lines;
}

/** What waiting is expected to gain, and how likely it is to find a cleaner window (plan.waiting). */
function waitingLine(w: NonNullable<Plan['waiting']>): string {
  const lower = Math.round(w.expectedLowerPct);
  return (
    `Why wait: expected ${Math.abs(lower)}% ${lower < 0 ? 'higher' : 'lower'} than starting now over the next ` +
    `${formatNumber(w.windowH, 1)} h; ${Math.round(w.cleanerSharePct)}% chance that waiting finds a cleaner window`
  );
}

function savingsLine(plan: Plan): string {
  const s = plan.savings;
  if (!Number.isFinite(s.emissionsG)) return 'Savings: unknown (the run-now window has no carbon data)';
  const parts = [`${formatMass(s.emissionsG)} CO2eq (${formatPct(s.emissionsPct)})`];
  if (s.cost !== undefined)
    parts.push(
      `${formatCurrency(s.cost, plan.currency)}${s.costPct !== undefined ? ` (${formatPct(s.costPct)})` : ''}`,
    );
  const verb = s.emissionsG < 0 ? 'Savings (negative: emits more than running now)' : 'Saves';
  return `${verb}: ${parts.join(' and ')}`;
}

function objectiveText(objective: string): string {
  if (objective === 'carbon') return 'lowest-carbon';
  if (objective === 'cost') return 'cheapest';
  return `best carbon-and-cost (${objective})`;
}

/** Why the plan was chosen, in a sentence (the explanation's "Why" line without its label). */
export function whyText(plan: Plan): string {
  const zones = plan.load.zones.length;
  const cap = plan.load.carbonCapG;
  let why: string;
  switch (plan.reason) {
    case 'best-window':
      why = `the ${objectiveText(plan.objective)} ${plan.load.interruptible ? 'slots' : 'window'} between the earliest start and the deadline${zones > 1 ? ` across ${zones} zones` : ''}`;
      break;
    case 'already-best':
      why = `running at once is already the ${objectiveText(plan.objective)} choice`;
      break;
    case 'waits-for-better':
      why = `starting at once is the ${objectiveText(plan.objective)} window of the forecast, but waiting is expected to find a cleaner one, so it starts at the best later window`;
      break;
    case 'no-room':
      why =
        plan.load.deadlineMs - plan.load.earliestMs < plan.load.durationMin * 60_000
          ? 'the time between the earliest start and the deadline is shorter than the run, so it runs at once'
          : `the time to the deadline leaves no other start on the ${plan.stepMin}-minute planning grid, so it runs at once`;
      break;
    case 'no-data':
      why = 'no complete window has signal data, so it runs at once';
      break;
  }
  if (cap !== undefined && plan.capExceeded) {
    // the plan was then chosen for emissions, whatever the objective
    const lowest = `no plan meets the carbon cap of ${formatMass(cap)}, so this is the lowest-emission plan`;
    why = plan.reason === 'best-window' ? lowest : `${why}; ${lowest}`;
  } else if (cap !== undefined) why += `; within the carbon cap of ${formatMass(cap)}`;
  return why;
}

function alternativeText(a: PlanAlternative, plan: Plan, when: Intl.DateTimeFormat): string {
  const diff = a.emissionsG - plan.emissionsG;
  const sign = diff >= 0 ? '+' : '-';
  let text = `${a.zone} ${runsText(a.runs, when)}: ${formatMass(a.emissionsG)} CO2eq (${sign}${formatMass(Math.abs(diff))})`;
  if (a.cost !== undefined) text += `, cost ${formatCurrency(a.cost, a.currency ?? plan.currency)}`;
  return text;
}

function timeFormatter(timeZone: string): Intl.DateTimeFormat {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
}

function parts(ms: number, f: Intl.DateTimeFormat): { date: string; time: string } {
  const p: Record<string, string> = {};
  for (const x of f.formatToParts(new Date(ms))) p[x.type] = x.value;
  return { date: `${p.weekday} ${p.day} ${p.month}`, time: `${p.hour}:${p.minute}` };
}

/** `Mon 1 Jan 02:00–04:00`; the end date is shown only when it differs from the start's. */
function runText(r: Run, f: Intl.DateTimeFormat): string {
  const s = parts(r.startMs, f);
  const e = parts(r.endMs, f);
  return `${s.date} ${s.time}–${e.date === s.date ? '' : `${e.date} `}${e.time}`;
}

function runsText(runs: Run[], f: Intl.DateTimeFormat): string {
  return runs.map((r) => runText(r, f)).join(', ');
}

export interface RunJson {
  start: string;
  end: string;
}

/** A plan as JSON-ready data with ISO-8601 times (for `--json` output). Unknown numbers are null. */
export interface PlanJson {
  id?: string;
  name?: string;
  zone: string;
  objective: string;
  stepMin: number;
  reason: Plan['reason'];
  runs: RunJson[];
  slots?: string[];
  energyKwh: number;
  emissionsG: number | null;
  cost?: number | null;
  currency?: string;
  baseline: { zone: string; runs: RunJson[]; emissionsG: number | null; cost?: number | null };
  savings: {
    emissionsG: number | null;
    emissionsPct: number | null;
    cost?: number | null;
    costPct?: number | null;
  };
  alternatives: {
    zone: string;
    runs: RunJson[];
    emissionsG: number | null;
    cost?: number | null;
    currency?: string;
  }[];
  capExceeded?: boolean;
  carbonCapG?: number;
  sources: { carbon: string; price?: string };
  degraded?: string[];
  waiting?: { expectedLowerPct: number; cleanerSharePct: number; windowH: number; deferred?: true };
}

export function planToJson(plan: Plan): PlanJson {
  const runs = (rs: Run[]): RunJson[] => rs.map((r) => ({ start: toIso(r.startMs), end: toIso(r.endMs) }));
  const out: PlanJson = {
    ...(plan.load.id !== undefined ? { id: plan.load.id } : {}),
    ...(plan.load.name !== undefined ? { name: plan.load.name } : {}),
    zone: plan.zone,
    objective: plan.objective,
    stepMin: plan.stepMin,
    reason: plan.reason,
    runs: runs(plan.runs),
    energyKwh: plan.energyKwh,
    emissionsG: num(plan.emissionsG),
    baseline: {
      zone: plan.baseline.zone,
      runs: runs(plan.baseline.runs),
      emissionsG: num(plan.baseline.emissionsG),
    },
    savings: { emissionsG: num(plan.savings.emissionsG), emissionsPct: num(plan.savings.emissionsPct) },
    alternatives: plan.alternatives.map((a) => {
      const alt: PlanJson['alternatives'][number] = {
        zone: a.zone,
        runs: runs(a.runs),
        emissionsG: num(a.emissionsG),
      };
      if (a.cost !== undefined) alt.cost = num(a.cost);
      if (a.currency !== undefined) alt.currency = a.currency;
      return alt;
    }),
    sources: { ...plan.sources },
  };
  if (plan.slots) out.slots = plan.slots.map(toIso);
  if (plan.cost !== undefined) out.cost = num(plan.cost);
  if (plan.currency !== undefined) out.currency = plan.currency;
  if (plan.baseline.cost !== undefined) out.baseline.cost = num(plan.baseline.cost);
  if (plan.savings.cost !== undefined) out.savings.cost = num(plan.savings.cost);
  if (plan.savings.costPct !== undefined) out.savings.costPct = num(plan.savings.costPct);
  if (plan.load.carbonCapG !== undefined) out.carbonCapG = plan.load.carbonCapG;
  if (plan.capExceeded) out.capExceeded = true;
  if (plan.degraded) out.degraded = [...plan.degraded];
  if (plan.waiting) out.waiting = { ...plan.waiting };
  return out;
}

function num(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
