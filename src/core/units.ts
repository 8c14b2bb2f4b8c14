/** Units used across gridshift. Carbon is always normalised to gCO2eq/kWh; prices to currency per kWh. */
export const CARBON_UNIT = 'gCO2eq/kWh';
export type CarbonUnit = typeof CARBON_UNIT;
export type Currency = 'EUR' | 'GBP' | 'USD' | 'SEK' | 'NOK' | 'DKK' | 'AUD' | 'JPY' | 'INR' | 'SGD';
export type PriceUnit = `${Currency}/kWh`;
export const POWER_UNIT = 'kW';
export type Unit = CarbonUnit | PriceUnit | typeof POWER_UNIT;

const GRAMS_PER_POUND = 453.59237;

/** WattTime reports MOER in lbs CO2 per MWh. 1 lbs/MWh = 453.59237 g / 1000 kWh. */
export function lbsPerMwhToGPerKwh(lbsPerMwh: number): number {
  return (lbsPerMwh * GRAMS_PER_POUND) / 1000;
}

/** Day-ahead markets quote per MWh. */
export function perMwhToPerKwh(pricePerMwh: number): number {
  return pricePerMwh / 1000;
}

/** Octopus quotes pence per kWh. */
export function penceToPounds(pence: number): number {
  return pence / 100;
}

export function priceUnit(currency: Currency): PriceUnit {
  return `${currency}/kWh`;
}

export function energyKwh(powerKw: number, durationMin: number): number {
  return (powerKw * durationMin) / 60;
}
