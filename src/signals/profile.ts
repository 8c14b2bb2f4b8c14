import { z } from 'zod';
import { ProviderError } from '../core/errors.ts';
import type { Metric, Point, Series } from '../core/series.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, tzOffsetMin, zonedParts } from '../core/time.ts';
import { CARBON_UNIT, priceUnit, type Unit } from '../core/units.ts';
import { type Zone, zoneLineage } from '../core/zones.ts';
import {
  CARBON_PROFILES,
  DERIVED_SHAPES,
  DERIVED_WEEKEND,
  PRICE_PROFILES,
  type ProfileEntry,
  type ShapeParams,
} from './profile-data.ts';
import { describeProvider, type SignalProvider, type SignalRequest } from './provider.ts';

/** 0 winter, 1 spring, 2 summer, 3 autumn (astronomical seasons of the zone's hemisphere, by whole months). */
export type Season = 0 | 1 | 2 | 3;

/** Countries whose seasons are those of the southern hemisphere. */
const SOUTHERN = new Set(['AU', 'NZ', 'ZA', 'BR', 'AR', 'CL', 'UY', 'PY']);

export function isSouthern(country: string): boolean {
  return SOUTHERN.has(country.toUpperCase());
}

/** Season of a calendar month (1..12): Dec-Feb winter in the north, Jun-Aug winter in the south. */
export function seasonOf(month: number, southern: boolean): Season {
  const m = southern ? ((month + 5) % 12) + 1 : month;
  return Math.floor((m % 12) / 3) as Season;
}

/**
 * A typical day per season, `values[season][localHour]` in the unit of the metric, averaged over the week;
 * local weekdays are multiplied by `weekdayFactor` and Saturdays and Sundays by `weekendFactor` (the weekly
 * mean stays the same).
 */
export interface DayProfile {
  /** the zone or country whose figures these are (a parent or the country when the zone has none of its own) */
  basis: string;
  unit: Unit;
  values: readonly (readonly number[])[];
  weekdayFactor: number;
  weekendFactor: number;
  /** where the level and shape come from */
  source: string;
}

/** The multiplier for a local weekday (0 = Sunday). */
export function dayFactor(profile: DayProfile, weekday: number): number {
  return weekday === 0 || weekday === 6 ? profile.weekendFactor : profile.weekdayFactor;
}

const SUN_BY_SEASON = [0.45, 0.85, 1, 0.7];

/** Wrapped distance in hours between the middle of `hour` and `centre`, as a Gaussian bump of width `width`. */
function bump(hour: number, centre: number, width: number): number {
  let d = Math.abs(hour + 0.5 - centre);
  if (d > 12) d = 24 - d;
  return Math.exp(-0.5 * (d / width) ** 2);
}

/**
 * Turns shape parameters into 4 x 24 factors whose mean over the year is 1: a morning and an evening peak,
 * a midday dip scaled by how much sun the season has, a night dip, each season normalised to its
 * seasonal multiplier.
 */
export function shapeFactors(p: ShapeParams): number[][] {
  const seasonalMean = (p.seasonal[0] + p.seasonal[1] + p.seasonal[2] + p.seasonal[3]) / 4;
  const out: number[][] = [];
  for (let s = 0; s < 4; s++) {
    const raw: number[] = [];
    for (let h = 0; h < 24; h++)
      raw.push(
        1 +
          p.morningPeak * bump(h, 8, 1.5) +
          p.eveningPeak * bump(h, 19, 2) -
          p.solarDip * SUN_BY_SEASON[s] * bump(h, 13, 2.5) -
          p.nightDip * bump(h, 3, 2.5),
      );
    const mean = raw.reduce((a, b) => a + b, 0) / 24;
    const scale = p.seasonal[s] / seasonalMean / mean;
    out.push(raw.map((v) => v * scale));
  }
  return out;
}

function entryValues(entry: ProfileEntry): number[][] {
  const factors =
    typeof entry.shape === 'string'
      ? DERIVED_SHAPES[entry.shape].map((row) => [...row])
      : shapeFactors(entry.shape);
  return factors.map((row) => row.map((f) => f * entry.mean));
}

const cache = new Map<string, DayProfile | null>();

function lookup(
  zone: Zone,
  table: Readonly<Record<string, ProfileEntry>>,
  kind: string,
  unitOf: (code: string) => Unit,
): DayProfile | undefined {
  const key = `${kind}:${zone.code}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit ?? undefined;
  let found: DayProfile | null = null;
  for (const code of zoneLineage(zone)) {
    const entry = table[code];
    if (entry) {
      const ratio =
        entry.weekend ?? (typeof entry.shape === 'string' ? DERIVED_WEEKEND[entry.shape] : undefined) ?? 1;
      const weekdayFactor = 7 / (5 + 2 * ratio);
      found = {
        basis: code,
        unit: unitOf(code),
        values: entryValues(entry),
        weekdayFactor,
        weekendFactor: ratio * weekdayFactor,
        source: entry.source,
      };
      break;
    }
  }
  cache.set(key, found);
  return found ?? undefined;
}

/** Typical carbon intensity day (gCO2eq/kWh, life-cycle average) for the zone, its parent or its country. */
export function carbonProfile(zone: Zone): DayProfile | undefined {
  return lookup(zone, CARBON_PROFILES, 'carbon', () => CARBON_UNIT);
}

/** Typical day-ahead price day (currency per kWh, see the table) for the zone, its parent or its country. */
export function priceProfile(zone: Zone): DayProfile | undefined {
  return lookup(zone, PRICE_PROFILES, 'price', (code) => priceUnit(PRICE_PROFILES[code].currency));
}

/** The profile value that holds at instant `ms` in the zone: by local month (season), weekday and hour. */
export function profileValueAt(profile: DayProfile, zone: Zone, ms: number): number {
  const parts = zonedParts(ms, zone.timeZone);
  const base = profile.values[seasonOf(parts.month, isSouthern(zone.country))][parts.hour];
  return base * dayFactor(profile, parts.weekday);
}

/**
 * Lays a profile over [fromMs, toMs): one point per local hour, starting at the local hour that contains
 * `fromMs`. Points sit on local hour boundaries, so zones with half-hour offsets (India) get points at :30 UTC
 * and DST days get 23 or 25 points.
 */
export function layProfile(profile: DayProfile, zone: Zone, fromMs: number, toMs: number): Point[] {
  const tz = zone.timeZone;
  const southern = isSouthern(zone.country);
  const at = (localMs: number) => {
    const d = new Date(localMs);
    return (
      profile.values[seasonOf(d.getUTCMonth() + 1, southern)][d.getUTCHours()] *
      dayFactor(profile, d.getUTCDay())
    );
  };
  const first = zonedParts(fromMs, tz);
  let t = fromMs - first.minute * MINUTE_MS - first.second * 1000 - (((fromMs % 1000) + 1000) % 1000);
  const points: Point[] = [];
  while (t < toMs) {
    const end = Math.min(t + DAY_MS, toMs);
    const offsetMin = tzOffsetMin(t, tz);
    if (tzOffsetMin(t + DAY_MS, tz) === offsetMin) {
      // no offset change within this day (the common case): local time is plain arithmetic
      for (; t < end; t += HOUR_MS) points.push({ start: t, value: at(t + offsetMin * MINUTE_MS) });
      continue;
    }
    while (t < end) {
      const offset = tzOffsetMin(t, tz);
      points.push({ start: t, value: at(t + offset * MINUTE_MS) });
      let next = t + HOUR_MS;
      // an offset change of less than an hour (rare) moves the local hour boundary: follow it
      const m = zonedParts(next, tz).minute;
      if (m !== 0 && next - m * MINUTE_MS > t) next -= m * MINUTE_MS;
      t = next;
    }
  }
  return points;
}

const PROFILE_TTL_MS = 24 * HOUR_MS;

export const PROFILE_DEGRADED = 'typical profile, not live data';

function profileFor(zone: Zone, metric: Metric): DayProfile | undefined {
  if (metric === 'price') return priceProfile(zone);
  if (metric === 'carbon_average') return carbonProfile(zone);
  return undefined;
}

/**
 * The offline default: a typical day per zone and season for average carbon intensity and day-ahead price,
 * laid over any range in the zone's local time. Always a forecast-kind series marked degraded.
 */
export function profileTable(): SignalProvider {
  const name = 'profile';
  return {
    name,
    ttlMs: PROFILE_TTL_MS,
    supports(zone: Zone, metric: Metric): boolean {
      return profileFor(zone, metric) !== undefined;
    },
    async fetch(req: SignalRequest): Promise<Series[]> {
      const profile = profileFor(req.zone, req.metric);
      if (!profile)
        throw new ProviderError(
          name,
          'unsupported',
          `no typical ${req.metric} profile for ${req.zone.code} (${req.zone.country})`,
        );
      return [
        {
          zone: req.zone.code,
          metric: req.metric,
          unit: profile.unit,
          resolutionMin: 60,
          kind: 'forecast',
          issuedAt: req.nowMs,
          source: 'profile',
          degraded: PROFILE_DEGRADED,
          points: layProfile(profile, req.zone, req.fromMs, req.toMs),
        },
      ];
    },
  };
}

export const profileDescriptor = describeProvider({
  name: 'profile',
  provides: ['carbon_average', 'price'],
  forecasts: true,
  options: z.strictObject({}),
  secrets: {},
  ttlMs: PROFILE_TTL_MS,
  anyRange: true,
  create: () => profileTable(),
});
