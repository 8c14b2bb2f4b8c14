export type { Footprint, Run, Savings, SlotUse } from './emissions.ts';
export { emissionsG, footprintOfSlots, footprintOnGrid, savings } from './emissions.ts';
export type { EnergyEstimate, WorkloadKind } from './energy.ts';
export { backupEnergy, deviceEnergy, trainingEnergy } from './energy.ts';
export type { EquivalenceFactor, Equivalents } from './equivalents.ts';
export {
  CAR_G_PER_KM,
  EQUIVALENCE_FACTORS,
  equivalents,
  PHONE_CHARGE_G,
  TREE_G_PER_DAY,
} from './equivalents.ts';
