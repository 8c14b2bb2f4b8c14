/** A grid zone: a bidding zone, balancing authority or country that grid signals are published for. */
export interface Zone {
  /** Electricity Maps style code: `DE`, `GB`, `US-CAL-CISO`, `IN-GJ` */
  code: string;
  name: string;
  /** IANA time zone, for local-hour profiles and display */
  timeZone: string;
  /** ISO 3166-1 alpha-2 (GB for the UK), for annual averages */
  country: string;
  /** provider-specific identifiers, where the provider covers the zone */
  ids?: {
    /** WattTime region, e.g. `CAISO_NORTH` */
    watttime?: string;
    /** ENTSO-E EIC code of the bidding zone */
    entsoe?: string;
    /** Nord Pool delivery area, e.g. `SE3` */
    nordpool?: string;
    /** UK Carbon Intensity region id 1..17 */
    ukRegion?: number;
    /** Octopus region letter A..P */
    octopusRegion?: string;
  };
}

/** A cloud provider region mapped to the grid zone that powers it. */
export interface CloudRegion {
  provider: 'aws' | 'azure' | 'gcp';
  region: string;
  zone: string;
  location: string;
}
