import type { Credentials, ProviderName } from '../core/config.ts';
import type { Metric } from '../core/series.ts';
import type { Currency } from '../core/units.ts';
import type { Zone } from '../core/zones.ts';
import { annualAverage } from './annual.ts';
import { csvFile } from './csv.ts';
import { electricityMaps } from './electricitymaps.ts';
import { entsoe } from './entsoe.ts';
import { nordPool } from './nordpool.ts';
import { octopusAgile } from './octopus.ts';
import { profileTable } from './profile.ts';
import type { SignalProvider } from './provider.ts';
import { type SimulatorOptions, simulator } from './simulator.ts';
import { ukCarbonIntensity } from './ukgrid.ts';
import { watttime } from './watttime.ts';

/** What a factory knows besides the configured options: the secrets, and for per-zone sources the zone. */
export interface FactoryContext {
  credentials: Credentials;
  /** the zone the source is first needed for; per-zone sources (csv) answer only for it */
  zone: Zone;
  /** the metric it is first needed for */
  metric: Metric;
}

/** Builds a provider from its configured options. Options are the file's, secrets come through `context`. */
export type ProviderFactory = (options: Record<string, unknown>, context: FactoryContext) => SignalProvider;

/** Whether instances of a provider are per zone (a file answers for one zone only). */
export const PER_ZONE: ReadonlySet<ProviderName> = new Set<ProviderName>(['csv']);

/** How each provider name in a chain becomes a SignalProvider. */
export const DEFAULT_FACTORIES: Record<ProviderName, ProviderFactory> = {
  electricitymaps: (o, { credentials }) =>
    electricityMaps({ ...o, apiKey: credentials.electricityMapsToken }),
  watttime: (o, { credentials }) =>
    watttime({ ...o, username: credentials.wattTimeUsername, password: credentials.wattTimePassword }),
  ukgrid: (o) => ukCarbonIntensity(o),
  octopus: (o) => octopusAgile(o),
  entsoe: (o, { credentials }) => entsoe({ ...o, securityToken: credentials.entsoeToken }),
  nordpool: (o) => nordPool(o),
  csv: (o, { zone, metric }) =>
    csvFile({
      path: String(o.path),
      zone: zone.code,
      metric: (o.metric as Metric | undefined) ?? metric,
      currency: o.currency as Currency | undefined,
      portalColumn: o.portalColumn as 'lifecycle' | 'direct' | undefined,
    }),
  profile: () => profileTable(),
  simulator: (o) => simulator(o as SimulatorOptions),
  annual: () => annualAverage(),
};
