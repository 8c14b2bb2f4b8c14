// Types for the data export of @tgwf/co2, which ships without declarations.
declare module '@tgwf/co2/data' {
  /** Ember annual average grid intensity (gCO2eq/kWh) of each country's latest reported year, by ISO 3166-1 alpha-3 code. */
  export const averageIntensity: { data: Record<string, number>; type: string };

  export interface ElectricityMapsYearlyZone {
    zone: { zoneName: string; countryName?: string };
    carbonIntensity: { value: number; unit: string };
    renewableEnergy?: { value: number; unit: string };
    carbonFreeEnergy?: { value: number; unit: string };
  }

  /** Electricity Maps annual averages by zone code, one entry per year: `yearly2024` etc. */
  export const electricityMaps: Record<
    string,
    { data: Record<string, ElectricityMapsYearlyZone>; methodology?: string }
  >;
}
