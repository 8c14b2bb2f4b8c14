/**
 * How CLI commands get grid signals: one registry per run, built from the configuration (the offline
 * built-in profile and annual averages when there is none), and the failure policy applied: a zone whose
 * signals are missing under the `closed` policy stops the command with exit code 3.
 */
import { zoneConfig } from '../core/config.ts';
import type { Metric, Series } from '../core/series.ts';
import { toIso } from '../core/time.ts';
import type { Zone } from '../core/zones.ts';
import {
  createRegistry,
  type SignalAnswer,
  type SignalRegistry,
  type ZoneSignalsResult,
} from '../signals/registry.ts';
import type { Cli, GlobalOptions } from './context.ts';
import { NoSignalError } from './errors.ts';

const registries = new WeakMap<Cli, SignalRegistry>();

export function registryFor(cli: Cli, globals: GlobalOptions): SignalRegistry {
  let r = registries.get(cli);
  if (!r) {
    r = createRegistry({ config: cli.config(globals) });
    registries.set(cli, r);
  }
  return r;
}

/** The carbon metric a zone plans on (from the configuration). */
export function carbonMetricOf(cli: Cli, globals: GlobalOptions, zone: Zone): Metric {
  return zoneConfig(cli.config(globals), zone.code).metric;
}

function failureText(answer: SignalAnswer): string {
  const tried = answer.failures.map((f) => `${f.provider}: ${f.kind} (${f.message})`);
  return tried.length > 0 ? `; tried ${tried.join('; ')}` : '';
}

/** Throws NoSignalError when no source answered and the zone's failure policy is closed. */
export function assertAnswered(answer: SignalAnswer | undefined): void {
  if (answer?.policy === 'closed') {
    throw new NoSignalError(
      `no ${answer.metric === 'price' ? 'price' : 'carbon'} signal for ${answer.zone}${failureText(answer)}; ` +
        'the failure policy is closed, so loads are held until a source answers',
    );
  }
}

export interface PlanningQuery {
  fromMs: number;
  toMs: number;
  nowMs: number;
  stepMin: number;
  /** prices are required (the objective uses them); otherwise they are shown when available */
  needPrice: boolean;
}

/**
 * Carbon and price of each zone on one planning grid. Missing required signals under a closed failure
 * policy throw NoSignalError; under an open policy the grid stays empty and the planner runs the load at
 * its baseline.
 */
export async function planningSignals(
  cli: Cli,
  globals: GlobalOptions,
  zones: readonly Zone[],
  query: PlanningQuery,
): Promise<ZoneSignalsResult[]> {
  const registry = registryFor(cli, globals);
  const results = await Promise.all(
    zones.map((zone) =>
      registry.getZoneSignals(zone, {
        fromMs: query.fromMs,
        toMs: query.toMs,
        nowMs: query.nowMs,
        stepMin: query.stepMin,
        metrics: [carbonMetricOf(cli, globals, zone), 'price'],
        priceRequired: query.needPrice,
      }),
    ),
  );
  for (const r of results) {
    assertAnswered(r.answers.carbon);
    if (query.needPrice) assertAnswered(r.answers.price);
  }
  return results;
}

/** The value in force at `ms` (the last point starting at or before it), NaN when none. */
export function valueAt(series: Series | undefined, ms: number): number {
  if (!series) return Number.NaN;
  let value = Number.NaN;
  for (const p of series.points) {
    if (p.start > ms) break;
    value = p.value;
  }
  // a value holds only for one interval past the last point
  const last = series.points[series.points.length - 1];
  if (last && ms >= last.start + series.resolutionMin * 60_000) return Number.NaN;
  return value;
}

export interface CurrentSignal {
  metric: Metric;
  /** NaN when no source has a value for now (failure policy open) */
  carbonGPerKwh: number;
  source: string;
  degraded: string[];
}

/**
 * The carbon intensity in force now in a zone (the zone's configured carbon metric). Under a closed
 * failure policy a missing value throws NoSignalError; under an open one it is NaN and `degraded` says why.
 */
export async function currentSignal(
  cli: Cli,
  globals: GlobalOptions,
  zone: Zone,
  nowMs: number,
): Promise<CurrentSignal> {
  const metric = carbonMetricOf(cli, globals, zone);
  const answer = await registryFor(cli, globals).getSignal({
    zone,
    metric,
    fromMs: nowMs,
    toMs: nowMs + 60 * 60_000,
    nowMs,
  });
  assertAnswered(answer);
  const value = valueAt(answer.series, nowMs);
  const degraded = [...answer.reasons];
  if (!Number.isFinite(value)) {
    if (zoneConfig(cli.config(globals), zone.code).failurePolicy === 'closed') {
      throw new NoSignalError(
        `no carbon intensity for ${zone.code} at ${toIso(nowMs)}${failureText(answer)}; the failure policy is closed`,
      );
    }
    if (answer.series) degraded.push(`no value for ${toIso(nowMs)}`);
  }
  return { metric, carbonGPerKwh: value, source: answer.sources.join('+') || 'none', degraded };
}
