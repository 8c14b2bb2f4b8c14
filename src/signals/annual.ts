import { averageIntensity, electricityMaps } from '@tgwf/co2/data';
import { z } from 'zod';
import { ProviderError } from '../core/errors.ts';
import type { Metric, Point, Series } from '../core/series.ts';
import { DAY_MS, floorToStep, HOUR_MS } from '../core/time.ts';
import { CARBON_UNIT } from '../core/units.ts';
import { type Zone, zoneLineage } from '../core/zones.ts';
import { describeProvider, type SignalProvider, type SignalRequest } from './provider.ts';

/** ISO 3166-1 alpha-2 -> alpha-3, for the Ember table (keyed by alpha-3). */
const ISO3: ReadonlyMap<string, string> = new Map(
  (
    'AE:ARE AR:ARG AT:AUT AU:AUS BA:BIH BD:BGD BE:BEL BG:BGR BR:BRA CA:CAN CH:CHE CL:CHL CN:CHN ' +
    'CO:COL CY:CYP CZ:CZE DE:DEU DK:DNK DZ:DZA EE:EST EG:EGY ES:ESP FI:FIN FR:FRA GB:GBR GR:GRC ' +
    'HK:HKG HR:HRV HU:HUN ID:IDN IE:IRL IL:ISR IN:IND IS:ISL IT:ITA JP:JPN KE:KEN KR:KOR KZ:KAZ ' +
    'LT:LTU LU:LUX LV:LVA MA:MAR MX:MEX MY:MYS NG:NGA NL:NLD NO:NOR NZ:NZL PE:PER PH:PHL PK:PAK ' +
    'PL:POL PT:PRT QA:QAT RO:ROU RS:SRB SA:SAU SE:SWE SG:SGP SI:SVN SK:SVK TH:THA TR:TUR TW:TWN ' +
    'UA:UKR US:USA UY:URY VN:VNM ZA:ZAF'
  )
    .split(' ')
    .map((pair) => pair.split(':') as [string, string]),
);

/** One published annual mean and what it is for. */
export interface AnnualFigure {
  /** the zone or country code the figure is for */
  area: string;
  gPerKwh: number;
  /** calendar year of the figure; undefined for Ember's "latest reported year" */
  year?: number;
  source: 'Electricity Maps' | 'Ember';
}

const YEARS: number[] = Object.keys(electricityMaps)
  .map((k) => Number(k.replace('yearly', '')))
  .filter((y) => Number.isInteger(y))
  .sort((a, b) => a - b);

function utcYear(ms: number): number {
  return new Date(ms).getUTCFullYear();
}

/**
 * The year whose figure stands for `wantedYear`: that year when published, else the nearest one, but never a
 * year that had not ended at `nowMs` (a running year's figure is partial).
 */
export function figureYear(wantedYear: number, nowMs: number): number | undefined {
  const complete = YEARS.filter((y) => y < utcYear(nowMs));
  const usable = complete.length > 0 ? complete : YEARS;
  if (usable.length === 0) return undefined;
  if (wantedYear <= usable[0]) return usable[0];
  const last = usable[usable.length - 1];
  return Math.min(wantedYear, last);
}

/**
 * The annual mean for a zone in a year: the Electricity Maps figure for the zone, its parents or its country
 * (life-cycle, by year), else Ember's country figure (latest reported year). Both ship in @tgwf/co2.
 */
export function annualFigure(zone: Zone, year: number | undefined): AnnualFigure | undefined {
  if (year !== undefined) {
    const table = electricityMaps[`yearly${year}`]?.data;
    if (table)
      for (const area of zoneLineage(zone)) {
        const v = table[area]?.carbonIntensity?.value;
        if (typeof v === 'number' && Number.isFinite(v))
          return { area, gPerKwh: v, year, source: 'Electricity Maps' };
      }
  }
  const iso3 = ISO3.get(zone.country.toUpperCase());
  const ember = iso3 === undefined ? undefined : averageIntensity.data[iso3];
  if (typeof ember === 'number' && Number.isFinite(ember))
    return { area: zone.country.toUpperCase(), gPerKwh: ember, source: 'Ember' };
  return undefined;
}

function describe(f: AnnualFigure): string {
  return `annual average for ${f.area} (${f.year ?? 'Ember, latest reported year'})`;
}

/**
 * The last resort for carbon: a flat hourly series at the published annual mean of the zone (or its country),
 * the figure changing at each new calendar year in the range. Marked degraded with the area and year.
 */
const ANNUAL_TTL_MS = DAY_MS;

export function annualAverage(): SignalProvider {
  const name = 'annual';
  return {
    name,
    ttlMs: ANNUAL_TTL_MS,
    supports(zone: Zone, metric: Metric): boolean {
      return metric === 'carbon_average' && annualFigure(zone, YEARS[YEARS.length - 1]) !== undefined;
    },
    async fetch(req: SignalRequest): Promise<Series[]> {
      if (req.metric !== 'carbon_average')
        throw new ProviderError(name, 'unsupported', `only average carbon intensity, not ${req.metric}`);
      const points: Point[] = [];
      const notes: string[] = [];
      let year = Number.NaN;
      let value = Number.NaN;
      for (let t = floorToStep(req.fromMs, 60); t < req.toMs; t += HOUR_MS) {
        const y = utcYear(t);
        if (y !== year) {
          year = y;
          const figure = annualFigure(req.zone, figureYear(y, req.nowMs));
          if (!figure)
            throw new ProviderError(
              name,
              'unsupported',
              `no annual average for ${req.zone.code} (${req.zone.country})`,
            );
          value = figure.gPerKwh;
          const note = describe(figure);
          if (!notes.includes(note)) notes.push(note);
        }
        points.push({ start: t, value });
      }
      return [
        {
          zone: req.zone.code,
          metric: 'carbon_average',
          unit: CARBON_UNIT,
          resolutionMin: 60,
          kind: 'forecast',
          issuedAt: req.nowMs,
          source: name,
          degraded: notes.join('; '),
          points,
        },
      ];
    },
  };
}

export const annualDescriptor = describeProvider({
  name: 'annual',
  provides: ['carbon_average'],
  forecasts: true,
  options: z.strictObject({}),
  secrets: {},
  ttlMs: ANNUAL_TTL_MS,
  anyRange: true,
  create: () => annualAverage(),
});
