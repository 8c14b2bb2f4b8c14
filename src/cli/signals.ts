/**
 * `gridshift signals`: what the grid of a zone looks like now and over the coming hours: the current
 * carbon intensity and price, how clean it is, whether now is a good time, where the numbers came from,
 * and a forecast table.
 */
import { Command } from 'commander';
import { InputError } from '../core/errors.ts';
import { parseDuration } from '../core/human-time.ts';
import { MAX_SIGNAL_HOURS, MAX_STEP_MIN, MIN_STEP_MIN } from '../core/limits.ts';
import type { Grid } from '../core/series.ts';
import { floorToStep, MINUTE_MS, toIso } from '../core/time.ts';
import { resolveZone } from '../core/zones.ts';
import { carbonLevel, isCleanNow, relativeLevel } from '../signals/quality.ts';
import { type Cli, type GlobalOptions, globalsOf } from './context.ts';
import { formatIntensity, formatLocalTime, formatPrice, formatTable, sparkline } from './format.ts';
import { parsePositive } from './quantities.ts';
import { assertAnswered, carbonMetricOf, registryFor, valueAt } from './signal-access.ts';

type MetricChoice = 'carbon' | 'price' | 'all';

interface SignalsCliOptions {
  zone?: string;
  hours: string;
  metric: string;
  step: string;
  threshold?: string;
}

function slotValues(grid: Grid | undefined): (i: number) => number {
  return (i) => (grid && i < grid.values.length ? grid.values[i] : Number.NaN);
}

async function runSignals(cli: Cli, opts: SignalsCliOptions, globals: GlobalOptions): Promise<void> {
  if (!opts.zone) throw new InputError('signals: give a zone with --zone (e.g. DE, GB, eu-west-1)');
  const zone = resolveZone(opts.zone);
  const metric = opts.metric.trim().toLowerCase() as MetricChoice;
  if (!['carbon', 'price', 'all'].includes(metric)) {
    throw new InputError(`--metric: "${opts.metric}" is not one of carbon, price, all`);
  }
  const hours = parsePositive(opts.hours, '--hours');
  if (hours > MAX_SIGNAL_HOURS)
    throw new InputError(`--hours: at most ${MAX_SIGNAL_HOURS} (one week), got "${opts.hours}"`);
  const stepMin = parseDuration(opts.step, '--step');
  if (!(Number.isInteger(stepMin) && stepMin >= MIN_STEP_MIN && stepMin <= MAX_STEP_MIN)) {
    throw new InputError(
      `--step: must be a whole number of minutes from ${MIN_STEP_MIN} to ${MAX_STEP_MIN}, got "${opts.step}"`,
    );
  }
  const thresholdG = opts.threshold === undefined ? undefined : parsePositive(opts.threshold, '--threshold');
  const timeZone = cli.timeZone(globals, zone.timeZone);
  const nowMs = cli.nowMs(globals);
  const wantCarbon = metric !== 'price';
  const wantPrice = metric !== 'carbon';
  const carbonMetric = carbonMetricOf(cli, globals, zone);

  const fromMs = floorToStep(nowMs, stepMin);
  // `hours` rows of forecast, starting with the slot that holds now
  const toMs = fromMs + hours * 60 * MINUTE_MS;
  const result = await registryFor(cli, globals).getZoneSignals(zone, {
    fromMs,
    toMs,
    nowMs,
    stepMin,
    metrics: [...(wantCarbon ? [carbonMetric] : []), ...(wantPrice ? ['price' as const] : [])],
  });
  const carbonAnswer = wantCarbon ? result.answers.carbon : undefined;
  const priceAnswer = wantPrice ? result.answers.price : undefined;
  assertAnswered(carbonAnswer);
  assertAnswered(priceAnswer);
  const carbonGrid = wantCarbon && carbonAnswer?.series ? result.carbon : undefined;
  const priceGrid = wantPrice ? result.price : undefined;
  const currency = priceAnswer?.series?.unit.split('/')[0];

  const currentCarbon = valueAt(carbonAnswer?.series, nowMs);
  const currentPrice = valueAt(priceAnswer?.series, nowMs);
  const forecastCarbon = carbonGrid ? carbonGrid.values : new Float64Array();
  const clean = wantCarbon ? isCleanNow(currentCarbon, forecastCarbon, { thresholdG }) : undefined;
  const n = Math.max(carbonGrid?.values.length ?? 0, priceGrid?.values.length ?? 0);
  const carbonAt = slotValues(carbonGrid);
  const priceAt = slotValues(priceGrid);
  const num = (x: number) => (Number.isFinite(x) ? x : null);

  if (globals.json) {
    const forecast = Array.from({ length: n }, (_, i) => {
      const row: Record<string, unknown> = { start: toIso(fromMs + i * stepMin * MINUTE_MS) };
      if (wantCarbon) {
        row.carbonGPerKwh = num(carbonAt(i));
        row.level = carbonLevel(carbonAt(i)) ?? null;
      }
      if (wantPrice) row.price = num(priceAt(i));
      return row;
    });
    const out: Record<string, unknown> = {
      zone: zone.code,
      name: zone.name,
      timeZone,
      at: toIso(nowMs),
      stepMin,
    };
    if (wantCarbon) {
      out.carbon = {
        metric: carbonMetric,
        current: num(currentCarbon),
        unit: 'gCO2eq/kWh',
        level: carbonLevel(currentCarbon) ?? null,
        relativeLevel: relativeLevel(currentCarbon, forecastCarbon) ?? null,
        cleanNow: clean?.clean ?? false,
        reason: clean?.reason ?? '',
        source: carbonAnswer?.sources.join('+') || null,
        degraded: carbonAnswer?.degraded ?? true,
        reasons: carbonAnswer?.reasons ?? [],
      };
    }
    if (wantPrice) {
      out.price = {
        current: num(currentPrice),
        unit: priceAnswer?.series?.unit ?? null,
        relativeLevel: relativeLevel(currentPrice, priceGrid?.values ?? []) ?? null,
        source: priceAnswer?.sources.join('+') || null,
        degraded: priceAnswer?.degraded ?? true,
        reasons: priceAnswer?.reasons ?? [],
      };
    }
    out.forecast = forecast;
    return cli.printJson(out);
  }

  const { paint } = cli;
  cli.print(paint.bold(`${zone.code} (${zone.name}) at ${formatLocalTime(nowMs, timeZone)} ${timeZone}`));
  const summary: string[][] = [];
  if (wantCarbon) {
    const level = carbonLevel(currentCarbon);
    const rel = relativeLevel(currentCarbon, forecastCarbon);
    summary.push([
      'carbon now',
      `${formatIntensity(currentCarbon)}${level ? ` (${level}; ${rel ?? '-'} for the next ${hours} h)` : ''}`,
    ]);
    if (clean) {
      const verdict = clean.clean ? paint.green('yes') : paint.yellow('no');
      summary.push(['clean now?', `${verdict}: ${clean.reason}`]);
    }
    summary.push(['carbon from', sourceText(carbonAnswer)]);
  }
  if (wantPrice) {
    summary.push([
      'price now',
      Number.isFinite(currentPrice)
        ? `${formatPrice(currentPrice, currency)} (${relativeLevel(currentPrice, priceGrid?.values ?? []) ?? '-'} for the next ${hours} h)`
        : 'no price',
    ]);
    summary.push(['price from', sourceText(priceAnswer)]);
  }
  cli.print(formatTable(summary));
  for (const r of [
    ...(carbonAnswer?.reasons ?? []).map((x) => `carbon: ${x}`),
    ...(priceAnswer?.reasons ?? []).map((x) => `price: ${x}`),
  ]) {
    cli.print(paint.yellow(`degraded: ${r}`));
  }
  if (n === 0) return;
  cli.print();
  if (carbonGrid) cli.print(`carbon  ${sparkline(carbonGrid.values, { color: false }).bars}`);
  if (priceGrid) cli.print(`price   ${sparkline(priceGrid.values, { color: false }).bars}`);
  cli.print();
  const header = ['TIME', ...(wantCarbon ? ['CARBON', 'QUALITY'] : []), ...(wantPrice ? ['PRICE'] : [])];
  const align = ['left', ...(wantCarbon ? ['right', 'left'] : []), ...(wantPrice ? ['right'] : [])] as (
    | 'left'
    | 'right'
  )[];
  const rows = Array.from({ length: n }, (_, i) => [
    formatLocalTime(fromMs + i * stepMin * MINUTE_MS, timeZone),
    ...(wantCarbon ? [formatIntensity(carbonAt(i)), carbonLevel(carbonAt(i)) ?? '-'] : []),
    ...(wantPrice ? [formatPrice(priceAt(i), currency)] : []),
  ]);
  cli.print(formatTable(rows, { header, align }));
}

function sourceText(answer: { sources: string[]; degraded: boolean } | undefined): string {
  if (!answer || answer.sources.length === 0) return 'none';
  return `${answer.sources.join(' + ')}${answer.degraded ? ' (degraded)' : ''}`;
}

export function signalsCommand(cli: Cli): Command {
  return new Command('signals')
    .description('current carbon intensity and price of a zone, how clean it is now, and the forecast')
    .option('--zone <zone>', 'zone code, alias, name or cloud region')
    .option('--hours <n>', `forecast hours to show (at most ${MAX_SIGNAL_HOURS})`, '24')
    .option('--metric <m>', 'carbon | price | all', 'all')
    .option('--step <minutes>', 'table step in minutes', '60')
    .option('--threshold <g>', 'also require the intensity to be below this many gCO2eq/kWh for "clean now"')
    .action(async (opts: SignalsCliOptions, command: Command) => runSignals(cli, opts, globalsOf(command)));
}
