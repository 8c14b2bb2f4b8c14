/**
 * The readable form of a home plan: totals, savings against the baseline, sparklines of SoC, import,
 * export and price, and the plan per hour as a table.
 */
import type { HomePlan } from '../optimize/home.ts';
import type { HomeScenario } from '../optimize/scenario.ts';
import {
  formatCurrency,
  formatEnergy,
  formatLocalTime,
  formatMass,
  formatNumber,
  formatPct,
  formatTable,
  sparkline,
  spreadLine,
} from './format.ts';

export interface HomeViewOptions {
  timeZone: string;
  color: boolean;
}

function objectiveName(s: HomeScenario): string {
  return typeof s.objective === 'string' ? s.objective : `cost + ${s.objective.carbonPricePerKg} per kg CO2`;
}

function savingsLine(saved: number, pct: number, show: (x: number) => string): string {
  return saved >= 0
    ? `saves ${show(saved)} (${formatPct(pct)})`
    : `costs ${show(-saved)} more (${formatPct(-pct)})`;
}

/** Headline, totals, savings and (with --soft) the shortfalls. */
export function homeSummary(s: HomeScenario, plan: HomePlan, o: HomeViewOptions): string[] {
  const end = s.startMs + s.slots * s.stepMin * 60_000;
  const lines = [
    `Home plan ${formatLocalTime(s.startMs, o.timeZone)} .. ${formatLocalTime(end, o.timeZone, { short: true })}: ` +
      `${s.slots} slots of ${formatNumber(s.stepMin)} min, objective ${objectiveName(s)}, ${plan.status}`,
  ];
  const t = plan.totals;
  const b = plan.baseline;
  const money = (x: number) => formatCurrency(x, undefined);
  if (t.cost !== undefined && b.cost !== undefined && plan.savings.cost !== undefined)
    lines.push(
      `Cost ${money(t.cost)} against ${money(b.cost)} without planning: ${savingsLine(plan.savings.cost, plan.savings.costPct ?? 0, money)}`,
    );
  if (t.emissionsG !== undefined && b.emissionsG !== undefined && plan.savings.emissionsG !== undefined)
    lines.push(
      `Emissions ${formatMass(t.emissionsG)} against ${formatMass(b.emissionsG)}: ${savingsLine(plan.savings.emissionsG, plan.savings.emissionsPct ?? 0, formatMass)}`,
    );
  lines.push(
    `Import ${formatEnergy(t.importKwh)} (baseline ${formatEnergy(b.importKwh)}), export ${formatEnergy(t.exportKwh)} ` +
      `(baseline ${formatEnergy(b.exportKwh)}), battery discharge ${formatEnergy(t.dischargeKwh)}, curtailed ${formatEnergy(t.curtailedKwh)}`,
  );
  if (plan.shortfalls) {
    const { evKwh, finalSocKwh } = plan.shortfalls;
    if (s.ev)
      lines.push(
        evKwh > 0
          ? `Shortfall: the EV gets ${formatEnergy(evKwh)} less than ev.energyNeededKwh`
          : 'The EV gets all its energy',
      );
    if (s.battery)
      lines.push(
        finalSocKwh > 0
          ? `Shortfall: the battery ends ${formatEnergy(finalSocKwh)} below battery.socFinalMinKwh`
          : 'The battery ends at or above battery.socFinalMinKwh',
      );
  }
  return lines;
}

interface Hour {
  startMs: number;
  socKwh: number;
  importKwh: number;
  exportKwh: number;
  evKwh: number;
  price: number;
  running: string[];
}

/** Slots grouped by hour (or one row per slot when slots are longer than an hour). */
function hours(s: HomeScenario, plan: HomePlan): Hour[] {
  const perRow = Math.max(1, Math.floor(60 / s.stepMin));
  const out: Hour[] = [];
  plan.slots.forEach((p, t) => {
    const k = Math.floor(t / perRow);
    if (!out[k])
      out[k] = {
        startMs: Date.parse(p.start),
        socKwh: 0,
        importKwh: 0,
        exportKwh: 0,
        evKwh: 0,
        price: 0,
        running: [],
      };
    const h = out[k];
    h.socKwh = p.socKwh;
    h.importKwh += p.importKw * s.dtH;
    h.exportKwh += p.exportKw * s.dtH;
    h.evKwh += p.evKw * s.dtH;
    h.price += (s.importPrice?.[t] ?? s.carbon?.[t] ?? 0) / perRow;
    for (const [id, on] of Object.entries(p.deferrable))
      if (on === 1 && !h.running.includes(id)) h.running.push(id);
  });
  return out;
}

/** Sparklines of SoC, import, export and the import price (or carbon), with the time axis. */
export function homeChart(s: HomeScenario, plan: HomePlan, o: HomeViewOptions): string[] {
  const label = (x: string) => x.padEnd(8);
  const rows: [string, number[], string][] = [];
  const range = (xs: number[], unit: string) =>
    `${formatNumber(Math.min(...xs))} .. ${formatNumber(Math.max(...xs))} ${unit}`;
  if (s.battery) rows.push(['SoC', plan.slots.map((p) => p.socKwh), 'kWh']);
  rows.push(['import', plan.slots.map((p) => p.importKw), 'kW']);
  rows.push(['export', plan.slots.map((p) => p.exportKw), 'kW']);
  if (s.importPrice) rows.push(['price', s.importPrice, 'per kWh']);
  else if (s.carbon) rows.push(['carbon', s.carbon, 'g/kWh']);
  let width = 0;
  const lines = rows.map(([name, values, unit]) => {
    const line = sparkline(values, { color: o.color });
    width = line.bars.length;
    return `${label(name)}${line.bars}  ${range(values, unit)}`;
  });
  const start = formatLocalTime(s.startMs, o.timeZone, { short: true });
  const end = formatLocalTime(s.startMs + s.slots * s.stepMin * 60_000, o.timeZone, { short: true });
  lines.push(label('') + spreadLine(start, end, Math.max(width, start.length + end.length + 1)));
  return lines;
}

/** The plan per hour: SoC at the end of the hour, energy imported, exported and into the EV, price, appliances. */
export function homeTable(s: HomeScenario, plan: HomePlan, o: HomeViewOptions): string {
  const priceName = s.importPrice ? 'price' : 'g/kWh';
  const rows = hours(s, plan).map((h) => [
    formatLocalTime(h.startMs, o.timeZone, { short: true }),
    ...(s.battery ? [h.socKwh.toFixed(2)] : []),
    h.importKwh.toFixed(2),
    h.exportKwh.toFixed(2),
    ...(s.ev ? [h.evKwh.toFixed(2)] : []),
    s.importPrice ? h.price.toFixed(4) : h.price.toFixed(0),
    h.running.join(' '),
  ]);
  const header = [
    'hour',
    ...(s.battery ? ['SoC kWh'] : []),
    'import kWh',
    'export kWh',
    ...(s.ev ? ['EV kWh'] : []),
    priceName,
    'running',
  ];
  return formatTable(rows, {
    header,
    align: header.map((_, i) => (i === 0 || i === header.length - 1 ? 'left' : 'right')),
  });
}
