import { EQUIVALENCE_FACTORS, equivalents } from '../../../src/accounting/equivalents.ts';
import type { GridshiftClient, Report, ReportQuery, ReportRow } from '../../../src/client/index.ts';
import { LOCAL_TIME_ZONE, localDay } from '../local-time.ts';

/**
 * The Savings page's data: the period a user picked (kept in the address, so the report can be bookmarked
 * and printed), the reports of GET /v1/reports for it (per period step for the trend, per tag, per zone;
 * each with the same totals), and the exports made from those reports in the browser, CSV and JSON, whose
 * numbers are the API's, unrounded.
 */

export const PERIODS = [
  { key: '7d', label: 'Last 7 days' },
  { key: '30d', label: 'Last 30 days' },
  { key: 'month', label: 'This month' },
  { key: 'last-month', label: 'Last month' },
  { key: 'year', label: 'This year' },
  { key: 'all', label: 'All time' },
  { key: 'custom', label: 'Custom' },
] as const;

export type PeriodKey = (typeof PERIODS)[number]['key'];

export interface Period {
  key: PeriodKey;
  /** ISO-8601, inclusive; absent: since the start */
  from?: string;
  /** ISO-8601, exclusive; absent: up to now */
  to?: string;
  /** the first and last day (YYYY-MM-DD, inclusive) in the browser's time zone */
  fromDay?: string;
  toDay?: string;
  /** how the trend is stepped */
  step: 'day' | 'week' | 'month';
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/** Local midnight of a YYYY-MM-DD day, plus `days`. */
function midnight(day: string, days = 0): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d + days);
}

function stepFor(from: Date | undefined, to: Date | undefined): Period['step'] {
  if (!from || !to) return 'month';
  const days = (to.getTime() - from.getTime()) / DAY_MS;
  return days <= 62 ? 'day' : days <= 366 ? 'week' : 'month';
}

/** The period a query names (`period`, and `from`/`to` days for a custom one); the last 30 days by default. */
export function periodOf(query: URLSearchParams, nowMs: number): Period {
  const asked = query.get('period') ?? (query.get('from') || query.get('to') ? 'custom' : '30d');
  const key = (PERIODS.some((p) => p.key === asked) ? asked : '30d') as PeriodKey;
  const today = new Date(nowMs);
  const y = today.getFullYear();
  const m = today.getMonth();
  let from: Date | undefined;
  let to: Date | undefined;
  if (key === '7d' || key === '30d') {
    to = new Date(y, m, today.getDate() + 1);
    from = new Date(y, m, today.getDate() + 1 - (key === '7d' ? 7 : 30));
  } else if (key === 'month') [from, to] = [new Date(y, m, 1), new Date(y, m + 1, 1)];
  else if (key === 'last-month') [from, to] = [new Date(y, m - 1, 1), new Date(y, m, 1)];
  else if (key === 'year') [from, to] = [new Date(y, 0, 1), new Date(y + 1, 0, 1)];
  else if (key === 'custom') {
    const f = query.get('from') ?? '';
    const t = query.get('to') ?? '';
    if (DAY_RE.test(f)) from = midnight(f);
    if (DAY_RE.test(t)) to = midnight(t, 1);
    if (from && to && to <= from) to = undefined;
  }
  return {
    key,
    ...(from ? { from: from.toISOString(), fromDay: localDay(from.getTime()) } : {}),
    ...(to ? { to: to.toISOString(), toDay: localDay(to.getTime() - DAY_MS / 2) } : {}),
    step: stepFor(from, to),
  };
}

/** Every day of a period stepped by day, first to last (YYYY-MM-DD); null for other periods. */
export function periodDays(period: Period): string[] | null {
  if (period.step !== 'day' || !period.fromDay || !period.toDay) return null;
  const days: string[] = [];
  for (let i = 0; days.at(-1) !== period.toDay && i <= 62; i++)
    days.push(localDay(midnight(period.fromDay, i).getTime()));
  return days;
}

/** The period in words: "1 Nov 2026 to 30 Nov 2026", "since the start". */
export function periodText(period: Period): string {
  const day = (d: string) =>
    new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric' }).format(midnight(d));
  const from = period.fromDay ? day(period.fromDay) : 'the start';
  const to = period.toDay ? day(period.toDay) : 'now';
  return `${from} to ${to} (${LOCAL_TIME_ZONE})`;
}

/** The address of a period, on the page `path`. */
export function periodSearch(period: Pick<Period, 'key' | 'fromDay' | 'toDay'>): string {
  const q = new URLSearchParams({ period: period.key });
  if (period.key === 'custom') {
    if (period.fromDay) q.set('from', period.fromDay);
    if (period.toDay) q.set('to', period.toDay);
  }
  return `?${q.toString()}`;
}

export interface SavingsReports {
  period: Period;
  trend: Report;
  byTag: Report;
  byZone: Report;
  totals: Report['totals'];
}

export async function readReports(
  client: GridshiftClient,
  period: Period,
  signal: AbortSignal,
): Promise<SavingsReports> {
  const base: ReportQuery = { tz: LOCAL_TIME_ZONE };
  if (period.from) base.from = period.from;
  if (period.to) base.to = period.to;
  const [trend, byTag, byZone] = await Promise.all(
    ([period.step, 'tag', 'zone'] as const).map((groupBy) =>
      client.reports.get({ ...base, groupBy }, { signal }),
    ),
  );
  return { period, trend, byTag, byZone, totals: trend.totals };
}

// ---------------------------------------------------------------------------- exports

type Figures = Omit<ReportRow, 'key'>;

const COLUMNS: [string, (r: Figures) => number | string | null][] = [
  ['loads', (r) => r.loads],
  ['energy_kwh', (r) => r.energyKwh],
  ['emissions_g', (r) => r.emissionsG],
  ['baseline_emissions_g', (r) => r.baselineEmissionsG],
  ['savings_g', (r) => r.savingsG],
  ['savings_pct', (r) => r.savingsPct],
  ['cost', (r) => r.cost],
  ['baseline_cost', (r) => r.baselineCost],
  ['cost_savings_pct', (r) => r.costSavingsPct],
  ['currency', (r) => r.currency],
  ['forecast_basis', (r) => r.forecastBasis],
  ['failed_energy_kwh', (r) => r.failedEnergyKwh],
  ['failed_emissions_g', (r) => r.failedEmissionsG],
];

function csvField(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One table: the totals first, then the rows per period step, tag and zone, every row with the period.
 * Numbers are written as the API sent them (no rounding), so the CSV's totals are the API's totals.
 */
export function reportCsv(r: SavingsReports): string {
  const header = ['group', 'key', 'from', 'to', 'time_zone', ...COLUMNS.map(([name]) => name)];
  const line = (group: string, key: string, figures: Figures) =>
    [
      group,
      key,
      r.period.from ?? '',
      r.period.to ?? '',
      LOCAL_TIME_ZONE,
      ...COLUMNS.map(([, get]) => get(figures)),
    ]
      .map(csvField)
      .join(',');
  const rows = [
    line('total', 'all', r.totals),
    ...r.trend.rows.map((row) => line(r.period.step, row.key, row)),
    ...r.byTag.rows.map((row) => line('tag', row.key, row)),
    ...r.byZone.rows.map((row) => line('zone', row.key, row)),
  ];
  return `${[header.join(','), ...rows].join('\r\n')}\r\n`;
}

export function reportJson(r: SavingsReports, generatedAt: string): string {
  const saved = r.totals.savingsG;
  return `${JSON.stringify(
    {
      generatedAt,
      period: { from: r.period.from ?? null, to: r.period.to ?? null, timeZone: LOCAL_TIME_ZONE },
      totals: r.totals,
      [`by${r.period.step[0]?.toUpperCase()}${r.period.step.slice(1)}`]: r.trend.rows,
      byTag: r.byTag.rows,
      byZone: r.byZone.rows,
      savingsEquivalents: saved === null ? null : equivalents(saved),
      equivalenceFactors: EQUIVALENCE_FACTORS,
    },
    null,
    2,
  )}\n`;
}

/** The file name of an export: gridshift-report-2026-11-01-to-2026-11-30.csv */
export function exportName(period: Period, ext: 'csv' | 'json'): string {
  return `gridshift-report-${period.fromDay ?? 'start'}-to-${period.toDay ?? 'now'}.${ext}`;
}
