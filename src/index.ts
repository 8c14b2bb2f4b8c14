/**
 * gridshift as a library: grid signals, the planner, the home optimiser and device adapters, accounting and
 * the simulator.
 * The CLI (`gridshift`) is built on exactly these exports.
 */
export type { EnergyEstimate, Equivalents, Footprint, Savings, WorkloadKind } from './accounting/index.ts';
export {
  backupEnergy,
  deviceEnergy,
  EQUIVALENCE_FACTORS,
  equivalents,
  footprintOfSlots,
  footprintOnGrid,
  savings,
  trainingEnergy,
} from './accounting/index.ts';
export { createAccounting } from './accounting/ledger.ts';
export { buildServer } from './api/index.ts';
export { ConfigError, type GridshiftConfig } from './core/config.ts';
export { InputError, ProviderError, type ProviderFailure } from './core/errors.ts';
export { parseDuration, parseTime } from './core/human-time.ts';
export type { LoadSpec, ZoneSignals } from './core/load.ts';
export type { LoadInput } from './core/load-input.ts';
export { type Grid, type Metric, type Point, resample, type Series, type SeriesKind } from './core/series.ts';
export { VERSION as version } from './core/version.ts';
export {
  CLOUD_REGIONS,
  type CloudRegion,
  findZone,
  listZones,
  resolveZone,
  type Zone,
} from './core/zones.ts';
export {
  type AdapterOptions,
  adapterFor,
  type DeviceAdapter,
  DeviceError,
  type DeviceFailure,
  type DeviceState,
} from './home/adapters/index.ts';
export { VirtualDevices } from './home/adapters/virtual.ts';
export {
  activeProtectedWindow,
  type Device,
  type DeviceInput,
  inProtectedWindow,
  parseDevice,
} from './home/device.ts';
export * from './optimize/index.ts';
export * from './planner/index.ts';
export { signPayload, verifySignature } from './runner/dispatch/webhook.ts';
export {
  type Accounting,
  ConflictError,
  createScheduler,
  NotFoundError,
  type RunningService,
  type ServiceOptions,
  startService,
} from './runner/index.ts';
export type * from './runner/service.ts';
export * from './signals/index.ts';
export type { SimulationResult } from './simulate/engine.ts';
export { type SimulateOptions, simulate } from './simulate/simulate.ts';
export { openStore } from './store/index.ts';
