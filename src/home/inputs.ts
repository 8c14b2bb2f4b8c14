/**
 * What one home solve is made from, gathered at one instant: the zone's prices (retail tariff applied) and
 * carbon through the signal registry and its cache, the house load forecast from the home's own measured
 * history, and the PV forecast from the configured source (clear sky when it fails). Each part says where
 * it came from; a missing part is a reason the plan is degraded, never a failed solve where the plan can go
 * on without it.
 */
import { createHash } from 'node:crypto';
import type { HomeConfig } from '../core/home-config.ts';
import { type Grid, resample } from '../core/series.ts';
import { DAY_MS, floorToStep, MINUTE_MS } from '../core/time.ts';
import { resolveZone } from '../core/zones.ts';
import type { HomeForecasts, HomeState } from '../optimize/home-horizon.ts';
import { clearSkySource } from '../signals/clear-sky.ts';
import { forecastSolar } from '../signals/forecast-solar.ts';
import { forecastHouseLoad } from '../signals/house-load.ts';
import { openMeteo } from '../signals/open-meteo.ts';
import type { SignalProvider } from '../signals/provider.ts';
import type { SignalRegistry } from '../signals/registry.ts';
import type { HomeMeasurement } from '../store/home.ts';

/** Measured load history the forecaster is fitted on. */
export const LOAD_HISTORY_MS = 28 * DAY_MS;
/** Less measured load than this and the plan assumes the configured base load. */
const MIN_LOAD_HISTORY_SLOTS_PER_DAY = 0.5;

export interface HomeInputs {
  forecasts: HomeForecasts;
  sources: { price?: string; carbon?: string; load: string; pv?: string };
  degraded: string[];
}

/** The PV source a home's config names, as a signal provider. */
export function pvProvider(pv: NonNullable<HomeConfig['pv']>): SignalProvider {
  if (pv.source === 'openMeteo') return openMeteo(pv.options);
  if (pv.source === 'forecastSolar') return forecastSolar(pv.options);
  return clearSkySource(pv.options);
}

/** Mean of the readings of `key` in each slot of the grid that ends at `endMs`. */
export function measuredGrid(
  readings: readonly HomeMeasurement[],
  key: 'loadKw' | 'pvKw',
  endMs: number,
  stepMin: number,
  spanMs: number,
): Grid {
  const stepMs = stepMin * MINUTE_MS;
  const n = Math.round(spanMs / stepMs);
  const startMs = endMs - n * stepMs;
  const sum = new Float64Array(n);
  const count = new Float64Array(n);
  for (const m of readings) {
    const v = m[key];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    const i = Math.floor((m.atMs - startMs) / stepMs);
    if (i < 0 || i >= n) continue;
    sum[i] += v;
    count[i] += 1;
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = count[i] > 0 ? sum[i] / count[i] : Number.NaN;
  return { startMs, stepMin, values };
}

function houseLoad(home: HomeConfig, readings: readonly HomeMeasurement[], startMs: number, slots: number) {
  const history = measuredGrid(readings, 'loadKw', startMs, home.stepMin, LOAD_HISTORY_MS);
  const known = history.values.filter(Number.isFinite).length;
  const perDay = (24 * 60) / home.stepMin;
  if (known < perDay * MIN_LOAD_HISTORY_SLOTS_PER_DAY)
    return {
      loadKw: new Float64Array(slots).fill(home.baseLoadKw),
      source: `base load ${home.baseLoadKw} kW (less than half a day measured)`,
    };
  return { loadKw: forecastHouseLoad(history, slots), source: `forecast from ${known} measured slots` };
}

/** Values of a grid from its first slot until the first missing one. */
function untilMissing(grid: Grid | undefined, startMs: number, slots: number): number[] | undefined {
  if (!grid) return undefined;
  const offset = Math.round((startMs - grid.startMs) / (grid.stepMin * MINUTE_MS));
  const out: number[] = [];
  for (let t = 0; t < slots; t++) {
    const v = grid.values[offset + t];
    if (v === undefined || !Number.isFinite(v)) break;
    out.push(v);
  }
  return out;
}

export interface GatherOptions {
  registry: SignalRegistry;
  /** the home's readings over the last LOAD_HISTORY_MS */
  readings: readonly HomeMeasurement[];
  /** the PV forecast source (default: the one the config names) */
  pv?: SignalProvider;
}

/** Everything a solve at `nowMs` needs but the state; the horizon ends where prices (or carbon) end. */
export async function gatherHomeInputs(
  home: HomeConfig,
  nowMs: number,
  o: GatherOptions,
): Promise<HomeInputs> {
  const startMs = floorToStep(nowMs, home.stepMin);
  const slots = Math.round((home.horizonHours * 60) / home.stepMin);
  const toMs = startMs + slots * home.stepMin * MINUTE_MS;
  const degraded: string[] = [];
  const signals = await o.registry.getZoneSignals(home.zone, {
    fromMs: startMs,
    toMs,
    nowMs,
    stepMin: home.stepMin,
    priceRequired: home.objective !== 'carbon',
  });
  degraded.push(...(signals.degraded ?? []));
  const needsPrice = home.objective !== 'carbon';
  const needsCarbon = home.objective !== 'cost';
  const importPrice = untilMissing(signals.price, startMs, slots);
  const carbon = untilMissing(signals.carbon, startMs, slots);
  if (needsPrice && (importPrice?.length ?? 0) === 0) degraded.push(`no price for ${home.zone} now`);
  if (needsCarbon && (carbon?.length ?? 0) === 0) degraded.push(`no carbon intensity for ${home.zone} now`);
  const load = houseLoad(home, o.readings, startMs, slots);
  const forecasts: HomeForecasts = { loadKw: load.loadKw };
  const sources: HomeInputs['sources'] = { load: load.source };
  // prices and carbon are given whenever known (cost and emissions are reported whatever the objective),
  // but only a needed one shortens the horizon
  if (importPrice && (needsPrice || importPrice.length >= slots)) forecasts.importPrice = importPrice;
  if (carbon && (needsCarbon || carbon.length >= slots)) forecasts.carbon = carbon;
  if (forecasts.importPrice) sources.price = signals.priceSource;
  if (forecasts.carbon) sources.carbon = signals.carbonSource;
  if (home.pv) {
    const pv = await pvForecast(home, o.pv ?? pvProvider(home.pv), { startMs, toMs, nowMs, slots });
    forecasts.pvKw = pv.pvKw;
    sources.pv = pv.source;
    if (pv.degraded) degraded.push(pv.degraded);
  }
  return { forecasts, sources, degraded };
}

async function pvForecast(
  home: HomeConfig,
  provider: SignalProvider,
  at: { startMs: number; toMs: number; nowMs: number; slots: number },
): Promise<{ pvKw: Float64Array; source: string; degraded?: string }> {
  const zone = resolveZone(home.zone);
  const ask = async (p: SignalProvider) => {
    const [series] = await p.fetch({
      zone,
      metric: 'pv_power',
      fromMs: at.startMs,
      toMs: at.toMs,
      nowMs: at.nowMs,
    });
    const grid = resample(series, home.stepMin, { startMs: at.startMs, endMs: at.toMs });
    // a slot the source does not cover (night hours some sources leave out) makes nothing
    return { pvKw: grid.values.map((v) => (Number.isFinite(v) ? Math.max(0, v) : 0)), source: series.source };
  };
  try {
    return await ask(provider);
  } catch (err) {
    if (provider.name === 'clear-sky') throw err;
    const fallback = await ask(clearSkySource(home.pv?.options ?? {}));
    return { ...fallback, degraded: `PV: ${(err as Error).message}; clear-sky production instead` };
  }
}

/** A short digest of what a solve is made from: the same digest in the same slot needs no new solve. */
export function inputsHash(inputs: HomeInputs, state: HomeState): string {
  const round = (a: ArrayLike<number> | undefined) => (a ? Array.from(a, (v) => Math.round(v * 1000)) : null);
  const f = inputs.forecasts;
  return createHash('sha256')
    .update(
      JSON.stringify([
        round(f.loadKw),
        round(f.pvKw),
        round(f.importPrice),
        round(f.carbon),
        state,
        inputs.degraded,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
}
