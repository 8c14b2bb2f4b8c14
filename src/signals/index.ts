/**
 * The signals layer: providers (one module each), the registry that chains them per zone with fallbacks
 * and failure policy, the cache, and quality levels. Import from here outside src/signals.
 */

export { type AnnualFigure, annualAverage, annualFigure } from './annual.ts';
export {
  type CacheSource,
  type CacheStats,
  createSignalCache,
  type SignalCache,
  type SignalCacheOptions,
} from './cache.ts';
export { clearSkyPv, clearSkySource, sunPosition } from './clear-sky.ts';
export { loadConfig, parseConfig } from './config.ts';
export {
  type CsvFileOptions,
  type CsvReadOptions,
  type CsvShape,
  csvFile,
  detectCsvShape,
  readCsvSeries,
  readIssuedForecasts,
  sliceSeries,
} from './csv.ts';
export { type ElectricityMapsOptions, electricityMaps } from './electricitymaps.ts';
export { type EntsoeOptions, entsoe } from './entsoe.ts';
export { extendPastHorizon, FORECAST_SOURCE, HORIZON_DEFAULTS, type HorizonOptions } from './extend.ts';
export {
  createForecaster,
  type Forecaster,
  type ForecasterConfig,
  type ForecastOptions,
  forecastSeries,
} from './forecast.ts';
export { forecastSolar } from './forecast-solar.ts';
export { forecastHouseLoad, HOUSE_LOAD_FORECAST } from './house-load.ts';
export { type NordPoolCurrency, type NordPoolOptions, nordPool } from './nordpool.ts';
export { OCTOPUS_AGILE_PRODUCT, OCTOPUS_REGIONS, type OctopusAgileOptions, octopusAgile } from './octopus.ts';
export { openMeteo } from './open-meteo.ts';
export { PROFILE_DEGRADED, profileTable } from './profile.ts';
export {
  describeProvider,
  type FactoryContext,
  type ProviderDescriptor,
  type ProviderFactory,
  type PublicationTime,
  type SignalProvider,
  type SignalRequest,
} from './provider.ts';
export { PROVIDERS, type ProviderName, providerDescriptor } from './providers.ts';
export {
  AGILE_PUBLICATION,
  DAY_AHEAD_CEILING_MS,
  dayAheadFetchEndMs,
  dayAheadFreshness,
  EU_DAY_AHEAD_PUBLICATION,
  LATE_RETRY_MS,
  lastPublicationMs,
  nextPublicationMs,
  publishedUntilMs,
} from './publication.ts';
export { type PvSite, type PvSourceOptions, pvKwFromIrradiance, readPvSource } from './pv-site.ts';
export {
  CARBON_BANDS_G,
  type CleanNow,
  type CleanNowOptions,
  carbonLevel,
  type DayWindows,
  dayWindows,
  isBestNow,
  isCleanNow,
  percentileRank,
  QUALITY_LEVELS,
  type QualityLevel,
  relativeLevel,
} from './quality.ts';
export {
  type ChainEntry,
  createRegistry,
  type RegistryOptions,
  type SignalAnswer,
  type SignalQuery,
  type SignalRegistry,
  type SourceFailure,
  type ZoneSignalsQuery,
  type ZoneSignalsResult,
} from './registry.ts';
export { type RetailTariff, retailPrice } from './retail.ts';
export { type SimulatorOptions, simulator, solarAvailableAt } from './simulator.ts';
export { type Span, type Stitched, stitch } from './stitch.ts';
export { type UkCarbonIntensityOptions, ukCarbonIntensity } from './ukgrid.ts';
export { type RegionAtLocation, type WattTimeOptions, type WattTimeProvider, watttime } from './watttime.ts';
