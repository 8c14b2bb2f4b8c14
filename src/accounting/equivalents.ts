/**
 * Everyday equivalents of an amount of CO2, to make grams tangible. The factors are rough averages
 * from public sources (listed with each factor and in docs/accounting.md); they illustrate, they do not
 * account. Savings are what gridshift reports; equivalents only put them in words.
 */

export interface EquivalenceFactor {
  key: 'carKm' | 'treeDays' | 'phoneCharges';
  /** grams of CO2 per unit */
  gPerUnit: number;
  /** what one unit is, for display */
  unit: string;
  source: string;
}

const GRAMS_PER_POUND = 453.59237;
const KM_PER_MILE = 1.609344;

/**
 * Driving a typical petrol passenger car: about 400 g CO2 per mile (US EPA, "Greenhouse Gas Emissions
 * from a Typical Passenger Vehicle": ~22 mpg at 8,887 g CO2 per gallon of gasoline) = 248.5 g/km.
 * New cars sold in the EU emit less (around 110 g/km WLTP in the EEA's new-car monitoring), so this
 * figure gives the fewer, more conservative kilometres.
 */
export const CAR_G_PER_KM = 400 / KM_PER_MILE;

/**
 * One day of CO2 uptake by a mature tree: the widely cited 48 lb (21.8 kg) of CO2 per year
 * (Arbor Day Foundation) / 365 = 59.6 g per day. Real uptake varies severalfold with species, age
 * and climate.
 */
export const TREE_G_PER_DAY = (48 * GRAMS_PER_POUND) / 365;

/**
 * Charging a smartphone once: 8.22 × 10⁻⁶ t CO2 = 8.22 g (US EPA Greenhouse Gas Equivalencies
 * Calculator: 0.012 kWh per charge × 1,562.4 lb CO2/MWh, the US average electricity emission rate it used).
 */
export const PHONE_CHARGE_G = 8.22;

export const EQUIVALENCE_FACTORS: readonly EquivalenceFactor[] = [
  {
    key: 'carKm',
    gPerUnit: CAR_G_PER_KM,
    unit: 'km driven in a petrol car',
    source: 'US EPA, Greenhouse Gas Emissions from a Typical Passenger Vehicle (400 g CO2/mile)',
  },
  {
    key: 'treeDays',
    gPerUnit: TREE_G_PER_DAY,
    unit: 'days of CO2 uptake by a mature tree',
    source: 'Arbor Day Foundation, a mature tree absorbs ~48 lb (21.8 kg) CO2 per year',
  },
  {
    key: 'phoneCharges',
    gPerUnit: PHONE_CHARGE_G,
    unit: 'smartphone charges',
    source: 'US EPA Greenhouse Gas Equivalencies Calculator (8.22 g CO2 per smartphone charge)',
  },
];

export interface Equivalents {
  carKm: number;
  treeDays: number;
  phoneCharges: number;
}

/** The equivalents of `emissionsG` grams of CO2 (negative grams give negative equivalents). */
export function equivalents(emissionsG: number): Equivalents {
  return {
    carKm: emissionsG / CAR_G_PER_KM,
    treeDays: emissionsG / TREE_G_PER_DAY,
    phoneCharges: emissionsG / PHONE_CHARGE_G,
  };
}
