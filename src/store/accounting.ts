import type { Run } from '../core/load.ts';
import type { Db, Row } from './db.ts';
import { isUuid } from './loads.ts';
import { ms, numOrNull } from './rows.ts';
import * as sql from './sql.ts';

/**
 * What each load that ran emitted and cost, against its run-now counterfactual, and the reports summed
 * from it. Rows are kept when loads are purged, so reports over past periods stay complete.
 */

export interface AccountingRecord {
  loadId: string;
  name: string;
  tags: string[];
  /** the zone it ran in */
  zone: string;
  /** the zone of the counterfactual (its home zone) */
  homeZone: string;
  startedMs: number;
  finishedMs: number;
  /** what ran */
  runs: Run[];
  /** the run-now counterfactual */
  baselineRuns: Run[];
  /** of every attempt that ran, failed ones included */
  energyKwh: number;
  /** the part of energyKwh that went to failed attempts */
  failedEnergyKwh: number;
  /** the part of emissionsG that failed attempts emitted; null when no carbon value covers them */
  failedEmissionsG: number | null;
  /** null when no carbon value covers the run */
  emissionsG: number | null;
  baselineEmissionsG: number | null;
  cost: number | null;
  baselineCost: number | null;
  currency: string | null;
  /** `actual`: measured values of the slots used; `forecast`: the forecast the load ran on */
  basis: 'actual' | 'forecast';
  /** where the values came from */
  source: string;
  detail: Record<string, unknown>;
  accountedMs: number;
}

const finiteOrNull = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);

/** Stores (or replaces) the accounting of a load. */
export async function saveAccounting(db: Db, a: AccountingRecord): Promise<AccountingRecord> {
  const [row] = await db.query<Row>(sql.upsertAccounting(db.schema), [
    a.loadId,
    a.name,
    a.tags,
    a.zone,
    a.homeZone,
    new Date(a.startedMs),
    new Date(a.finishedMs),
    JSON.stringify(a.runs),
    JSON.stringify(a.baselineRuns),
    a.energyKwh,
    finiteOrNull(a.emissionsG),
    finiteOrNull(a.baselineEmissionsG),
    finiteOrNull(a.cost),
    finiteOrNull(a.baselineCost),
    a.currency,
    a.basis,
    a.source,
    JSON.stringify(a.detail),
    new Date(a.accountedMs),
    a.failedEnergyKwh,
    finiteOrNull(a.failedEmissionsG),
  ]);
  return rowToAccounting(row);
}

export async function getAccounting(db: Db, loadId: string): Promise<AccountingRecord | null> {
  if (!isUuid(loadId)) return null;
  const [row] = await db.query<Row>(sql.selectAccounting(db.schema), [loadId]);
  return row ? rowToAccounting(row) : null;
}

/** Loads accounted on forecast values since `sinceMs` that finished before `finishedBeforeMs`. */
export async function forecastAccounted(
  db: Db,
  sinceMs: number,
  finishedBeforeMs: number,
  limit = 50,
): Promise<string[]> {
  const rows = await db.query<{ load_id: string }>(sql.selectForecastAccounting(db.schema), [
    new Date(sinceMs),
    new Date(finishedBeforeMs),
    limit,
  ]);
  return rows.map((r) => String(r.load_id));
}

export type ReportGrouping = sql.ReportGrouping;

export interface ReportFilter {
  fromMs?: number;
  toMs?: number;
  zone?: string;
  tag?: string;
  /** IANA time zone of the days, weeks and months (default UTC) */
  timeZone?: string;
}

export interface ReportSum {
  key: string;
  loads: number;
  energyKwh: number;
  emissionsG: number;
  baselineEmissionsG: number;
  /** null when no load of the group has both costs */
  cost: number | null;
  baselineCost: number | null;
  /** null when no costs, or costs in more than one currency (which are not summed) */
  currency: string | null;
  /** the group's costs are in several currencies: cost and baselineCost are null */
  mixedCurrencies: boolean;
  forecastBasis: number;
  /** the part of energyKwh that went to failed attempts */
  failedEnergyKwh: number;
  /** the part of emissionsG that failed attempts emitted */
  failedEmissionsG: number;
}

/** Sums of the accounting rows matching `filter`, per group (days, ISO weeks, months, tags, zones). */
export async function reportSums(
  db: Db,
  group: ReportGrouping,
  filter: ReportFilter = {},
): Promise<ReportSum[]> {
  const rows = await db.query<Row>(sql.reportRows(db.schema, group), [
    filter.fromMs === undefined ? null : new Date(filter.fromMs),
    filter.toMs === undefined ? null : new Date(filter.toMs),
    filter.zone ?? null,
    filter.tag ?? null,
    ...(sql.PERIOD_GROUPINGS.includes(group) ? [filter.timeZone ?? 'UTC'] : []),
  ]);
  return rows.map((r) => {
    const mixed = Number(r.currencies) > 1;
    return {
      key: String(r.key),
      loads: Number(r.loads),
      energyKwh: Number(r.energy_kwh),
      emissionsG: Number(r.emissions_g),
      baselineEmissionsG: Number(r.baseline_emissions_g),
      cost: mixed ? null : numOrNull(r.cost),
      baselineCost: mixed ? null : numOrNull(r.baseline_cost),
      currency: mixed ? null : ((r.currency as string | null) ?? null),
      mixedCurrencies: mixed,
      forecastBasis: Number(r.forecast_basis),
      failedEnergyKwh: Number(r.failed_energy_kwh),
      failedEmissionsG: Number(r.failed_emissions_g),
    };
  });
}

function rowToAccounting(r: Row): AccountingRecord {
  return {
    loadId: String(r.load_id),
    name: String(r.name),
    tags: (r.tags as string[]) ?? [],
    zone: String(r.zone),
    homeZone: String(r.home_zone),
    startedMs: ms(r.started_at),
    finishedMs: ms(r.finished_at),
    runs: (r.runs as Run[]) ?? [],
    baselineRuns: (r.baseline_runs as Run[]) ?? [],
    energyKwh: Number(r.energy_kwh),
    emissionsG: numOrNull(r.emissions_g),
    baselineEmissionsG: numOrNull(r.baseline_emissions_g),
    cost: numOrNull(r.cost),
    baselineCost: numOrNull(r.baseline_cost),
    currency: (r.currency as string | null) ?? null,
    basis: r.basis as 'actual' | 'forecast',
    source: String(r.source),
    detail: (r.detail as Record<string, unknown>) ?? {},
    accountedMs: ms(r.accounted_at),
    failedEnergyKwh: Number(r.failed_energy_kwh ?? 0),
    failedEmissionsG: numOrNull(r.failed_emissions_g),
  };
}
