/**
 * `gridshift report`: energy, emissions, cost and savings of the loads that ran, per day, week, month,
 * tag or zone, with totals; against running each load at once.
 */
import { Command } from 'commander';
import type { Report, ReportQuery } from '../client/index.ts';
import { InputError } from '../core/errors.ts';
import { parseTime } from '../core/human-time.ts';
import { toIso } from '../core/time.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import {
  formatCurrency,
  formatEnergy,
  formatLocalTime,
  formatMass,
  formatPct,
  formatTable,
} from './format.ts';
import { type AccessOptions, accessOptions, withAccess } from './scheduler-access.ts';

const GROUPS = ['day', 'week', 'month', 'tag', 'zone', 'none'] as const;

interface ReportOptions extends AccessOptions {
  from?: string;
  to?: string;
  groupBy: string;
  zone?: string;
  tag?: string;
}

const orDash = (x: number | null, f: (v: number) => string) => (x === null ? '-' : f(x));

/** The report as a table, a totals row under a rule, and a note on forecast-based accounting. */
export function reportLines(report: Report): string[] {
  const figures = (r: Omit<Report['rows'][number], 'key'>) => [
    String(r.loads),
    orDash(r.energyKwh, formatEnergy),
    orDash(r.emissionsG, formatMass),
    orDash(r.baselineEmissionsG, formatMass),
    orDash(r.savingsG, formatMass),
    orDash(r.savingsPct, formatPct),
    orDash(r.cost, (c) => formatCurrency(c, r.currency ?? undefined)),
    orDash(r.costSavingsPct, formatPct),
  ];
  const groupBy = report.query.groupBy ?? 'none';
  const rows = groupBy === 'none' ? [] : report.rows.map((r) => [r.key, ...figures(r)]);
  const total = ['total', ...figures(report.totals)];
  const header = [
    groupBy === 'none' ? '' : groupBy.toUpperCase(),
    'LOADS',
    'ENERGY',
    'EMITTED',
    'RUN NOW',
    'SAVED',
    'SAVED %',
    'COST',
    'COST SAVED %',
  ];
  const align = ['left', ...Array(8).fill('right')] as ('left' | 'right')[];
  const table = formatTable([...rows, total], { header, align }).split('\n');
  if (rows.length) {
    // a rule above the totals
    table.splice(table.length - 1, 0, table[1]);
  }
  const lines = [...table];
  if (report.totals.loads === 0) lines.push('', 'No load ran in this period.');
  if (report.totals.forecastBasis > 0)
    lines.push(
      '',
      `${report.totals.forecastBasis} of ${report.totals.loads} loads are accounted on the forecast they ran on; ` +
        'measured values replace it once published.',
    );
  const failedKwh = report.totals.failedEnergyKwh ?? 0;
  if (failedKwh > 0) {
    const failedG = report.totals.failedEmissionsG;
    lines.push(
      '',
      `Attempts that failed before one succeeded used ${formatEnergy(failedKwh)}` +
        `${failedG === null ? '' : ` and emitted ${formatMass(failedG)}`}, counted in the totals above.`,
    );
  }
  return lines;
}

async function report(cli: Cli, opts: ReportOptions, globals: GlobalOptions): Promise<void> {
  if (!(GROUPS as readonly string[]).includes(opts.groupBy))
    throw new InputError(`--group-by: "${opts.groupBy}" is not one of ${GROUPS.join(', ')}`);
  const tz = cli.timeZone(globals);
  const nowMs = cli.nowMs(globals);
  const at = (text: string, what: string) => parseTime(text, { nowMs, timeZone: tz, what });
  const query: ReportQuery = { groupBy: opts.groupBy as ReportQuery['groupBy'] };
  const fromMs = opts.from !== undefined ? at(opts.from, '--from') : undefined;
  const toMs = opts.to !== undefined ? at(opts.to, '--to') : undefined;
  if (fromMs !== undefined && toMs !== undefined && toMs <= fromMs)
    throw new InputError(`--to: must be after --from`);
  if (fromMs !== undefined) query.from = toIso(fromMs);
  if (toMs !== undefined) query.to = toIso(toMs);
  if (opts.zone) query.zone = opts.zone;
  if (opts.tag) query.tag = opts.tag;
  query.tz = tz;
  await withAccess(cli, globals, opts, async (access) => {
    const r = await access.reports.get(query);
    if (globals.json) return cli.printJson(r);
    const period =
      fromMs === undefined && toMs === undefined
        ? 'since the start'
        : `${fromMs !== undefined ? `from ${formatLocalTime(fromMs, tz)}` : 'since the start'}` +
          `${toMs !== undefined ? ` to ${formatLocalTime(toMs, tz)}` : ''}`;
    const zoneNote = `${fromMs === undefined && toMs === undefined ? '' : 'times, '}days and weeks in ${tz}`;
    cli.print(
      `Loads that ran ${period}${opts.zone ? ` in ${opts.zone}` : ''}${opts.tag ? ` tagged ${opts.tag}` : ''}, against running each at once (${zoneNote}):`,
    );
    cli.print();
    for (const line of reportLines(r)) cli.print(line);
  });
}

export function reportCommand(cli: Cli): Command {
  return accessOptions(
    new Command('report')
      .description('energy, emissions, cost and savings of the loads that ran')
      .option('--from <time>', 'loads that ran at or after (e.g. 2025-01-01, "30 days ago")')
      .option('--to <time>', 'loads that ran before')
      .option('--group-by <group>', GROUPS.join(' | '), 'day')
      .option('--zone <zone>', 'only loads that ran in this zone')
      .option('--tag <tag>', 'only loads with this tag'),
  ).action(async (opts: ReportOptions, cmd: Command) => report(cli, opts, globalsOf(cmd)));
}
