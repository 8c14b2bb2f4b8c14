import { InputError } from './errors.ts';
import { editDistance } from './text.ts';

/** A grid zone: a bidding zone, balancing authority or country that grid signals are published for. */
export interface Zone {
  /** Electricity Maps style code: `DE`, `GB`, `US-CAL-CISO`, `IN-GJ` */
  code: string;
  name: string;
  /** IANA time zone, for local-hour profiles and display */
  timeZone: string;
  /** ISO 3166-1 alpha-2 (GB for the UK), for annual averages */
  country: string;
  /** the larger zone this one lies in (`SE-SE3` -> `SE`, `IN-GJ` -> `IN-WE`), for fallbacks to coarser data */
  parent?: string;
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

type Ids = NonNullable<Zone['ids']>;

function zone(
  code: string,
  name: string,
  timeZone: string,
  country: string,
  extra: Partial<Zone> = {},
): Zone {
  return { code, name, timeZone, country, ...extra };
}

const US_EAST = 'America/New_York';
const US_CENTRAL = 'America/Chicago';
const US_PACIFIC = 'America/Los_Angeles';

const NORTH_AMERICA: Zone[] = [
  zone('US-CAL-CISO', 'California ISO', US_PACIFIC, 'US', { ids: { watttime: 'CAISO_NORTH' } }),
  zone('US-CAL-LDWP', 'Los Angeles Department of Water and Power', US_PACIFIC, 'US'),
  zone('US-NE-ISNE', 'ISO New England', US_EAST, 'US'),
  zone('US-MIDA-PJM', 'PJM Interconnection (Mid-Atlantic)', US_EAST, 'US'),
  zone('US-MIDW-MISO', 'Midcontinent ISO', US_CENTRAL, 'US'),
  zone('US-TEX-ERCO', 'ERCOT (Texas)', US_CENTRAL, 'US'),
  zone('US-NY-NYIS', 'New York ISO', US_EAST, 'US'),
  zone('US-NW-BPAT', 'Bonneville Power Administration (Pacific Northwest)', US_PACIFIC, 'US'),
  zone('US-NW-GCPD', 'Grant County PUD (Washington)', US_PACIFIC, 'US'),
  zone('US-NW-PACE', 'PacifiCorp East (Utah, Wyoming)', 'America/Denver', 'US'),
  zone('US-NW-NEVP', 'Nevada Power', US_PACIFIC, 'US'),
  zone('US-SW-AZPS', 'Arizona Public Service', 'America/Phoenix', 'US'),
  zone('US-CAR-SC', 'Santee Cooper (South Carolina)', US_EAST, 'US'),
  zone('CA-ON', 'Ontario', 'America/Toronto', 'CA'),
  zone('CA-QC', 'Québec', 'America/Toronto', 'CA'),
  zone('CA-AB', 'Alberta', 'America/Edmonton', 'CA'),
  zone('BR', 'Brazil', 'America/Sao_Paulo', 'BR'),
  zone('BR-CS', 'Central-South Brazil', 'America/Sao_Paulo', 'BR', { parent: 'BR' }),
];

const BERLIN = 'Europe/Berlin';

function nordic(code: string, name: string, timeZone: string, country: string, area: string, eic: string) {
  return zone(code, name, timeZone, country, { parent: country, ids: { nordpool: area, entsoe: eic } });
}

const EUROPE: Zone[] = [
  zone('GB', 'Great Britain', 'Europe/London', 'GB', { ids: { entsoe: '10YGB----------A' } }),
  zone('IE', 'Ireland', 'Europe/Dublin', 'IE', { ids: { entsoe: '10Y1001A1001A59C' } }),
  zone('FR', 'France', 'Europe/Paris', 'FR', { ids: { entsoe: '10YFR-RTE------C' } }),
  zone('DE', 'Germany', BERLIN, 'DE', { ids: { entsoe: '10Y1001A1001A82H' } }),
  zone('NL', 'Netherlands', 'Europe/Amsterdam', 'NL', { ids: { entsoe: '10YNL----------L' } }),
  zone('BE', 'Belgium', 'Europe/Brussels', 'BE', { ids: { entsoe: '10YBE----------2' } }),
  zone('ES', 'Spain', 'Europe/Madrid', 'ES', { ids: { entsoe: '10YES-REE------0' } }),
  zone('IT', 'Italy', 'Europe/Rome', 'IT', { ids: { entsoe: '10YIT-GRTN-----B' } }),
  zone('IT-NO', 'North Italy', 'Europe/Rome', 'IT', { parent: 'IT', ids: { entsoe: '10Y1001A1001A73I' } }),
  zone('AT', 'Austria', 'Europe/Vienna', 'AT', { ids: { entsoe: '10YAT-APG------L' } }),
  zone('CH', 'Switzerland', 'Europe/Zurich', 'CH', { ids: { entsoe: '10YCH-SWISSGRIDZ' } }),
  zone('PL', 'Poland', 'Europe/Warsaw', 'PL', { ids: { entsoe: '10YPL-AREA-----S' } }),
  zone('DK', 'Denmark', 'Europe/Copenhagen', 'DK', { ids: { entsoe: '10Y1001A1001A65H' } }),
  nordic('DK-DK1', 'West Denmark', 'Europe/Copenhagen', 'DK', 'DK1', '10YDK-1--------W'),
  nordic('DK-DK2', 'East Denmark', 'Europe/Copenhagen', 'DK', 'DK2', '10YDK-2--------M'),
  zone('SE', 'Sweden', 'Europe/Stockholm', 'SE', { ids: { entsoe: '10YSE-1--------K' } }),
  nordic('SE-SE1', 'North Sweden (Luleå)', 'Europe/Stockholm', 'SE', 'SE1', '10Y1001A1001A44P'),
  nordic('SE-SE2', 'North Central Sweden (Sundsvall)', 'Europe/Stockholm', 'SE', 'SE2', '10Y1001A1001A45N'),
  nordic('SE-SE3', 'South Central Sweden (Stockholm)', 'Europe/Stockholm', 'SE', 'SE3', '10Y1001A1001A46L'),
  nordic('SE-SE4', 'South Sweden (Malmö)', 'Europe/Stockholm', 'SE', 'SE4', '10Y1001A1001A47J'),
  zone('NO', 'Norway', 'Europe/Oslo', 'NO', { ids: { entsoe: '10YNO-0--------C' } }),
  nordic('NO-NO1', 'Southeast Norway (Oslo)', 'Europe/Oslo', 'NO', 'NO1', '10YNO-1--------2'),
  nordic('NO-NO2', 'Southwest Norway (Kristiansand)', 'Europe/Oslo', 'NO', 'NO2', '10YNO-2--------T'),
  nordic('NO-NO3', 'Middle Norway (Trondheim)', 'Europe/Oslo', 'NO', 'NO3', '10YNO-3--------J'),
  nordic('NO-NO4', 'North Norway (Tromsø)', 'Europe/Oslo', 'NO', 'NO4', '10YNO-4--------9'),
  nordic('NO-NO5', 'West Norway (Bergen)', 'Europe/Oslo', 'NO', 'NO5', '10Y1001A1001A48H'),
  zone('FI', 'Finland', 'Europe/Helsinki', 'FI', { ids: { nordpool: 'FI', entsoe: '10YFI-1--------U' } }),
];

/**
 * The 17 regions of the UK Carbon Intensity API (carbonintensity.org.uk), ids 1..17: the 14 distribution
 * network areas, with the Octopus region letter of the same area, then England, Scotland and Wales (their
 * ISO 3166-2 codes). Codes are `GB-` plus a short name; aliases `GB-REGION-<id>` also work.
 */
export const UK_REGION_ZONES: Zone[] = (
  [
    ['GB-NSCOT', 'North Scotland', 1, 'P'],
    ['GB-SSCOT', 'South Scotland', 2, 'N'],
    ['GB-NWENG', 'North West England', 3, 'G'],
    ['GB-NEENG', 'North East England', 4, 'F'],
    ['GB-YORKS', 'Yorkshire', 5, 'M'],
    ['GB-NWALES', 'North Wales & Merseyside', 6, 'D'],
    ['GB-SWALES', 'South Wales', 7, 'K'],
    ['GB-WMID', 'West Midlands', 8, 'E'],
    ['GB-EMID', 'East Midlands', 9, 'B'],
    ['GB-EENG', 'East England', 10, 'A'],
    ['GB-SWENG', 'South West England', 11, 'L'],
    ['GB-SENG', 'South England', 12, 'H'],
    ['GB-LONDON', 'London', 13, 'C'],
    ['GB-SEENG', 'South East England', 14, 'J'],
    ['GB-ENG', 'England', 15, undefined],
    ['GB-SCT', 'Scotland', 16, undefined],
    ['GB-WLS', 'Wales', 17, undefined],
  ] as const
).map(([code, name, ukRegion, octopusRegion]) => {
  const ids: Ids = { ukRegion };
  if (octopusRegion) ids.octopusRegion = octopusRegion;
  return zone(code, name, 'Europe/London', 'GB', { parent: 'GB', ids });
});

const KOLKATA = 'Asia/Kolkata';

function indianState(code: string, name: string, region: string): Zone {
  return zone(code, name, KOLKATA, 'IN', { parent: region });
}

const ASIA: Zone[] = [
  zone('JP', 'Japan', 'Asia/Tokyo', 'JP'),
  zone('JP-TK', 'Tokyo', 'Asia/Tokyo', 'JP', { parent: 'JP' }),
  zone('JP-KN', 'Kansai', 'Asia/Tokyo', 'JP', { parent: 'JP' }),
  zone('KR', 'South Korea', 'Asia/Seoul', 'KR'),
  zone('TW', 'Taiwan', 'Asia/Taipei', 'TW'),
  zone('HK', 'Hong Kong', 'Asia/Hong_Kong', 'HK'),
  zone('SG', 'Singapore', 'Asia/Singapore', 'SG'),
  zone('ID', 'Indonesia', 'Asia/Jakarta', 'ID'),
  zone('IN', 'India', KOLKATA, 'IN'),
  zone('IN-NO', 'Northern India (regional grid)', KOLKATA, 'IN', { parent: 'IN' }),
  zone('IN-WE', 'Western India (regional grid)', KOLKATA, 'IN', { parent: 'IN' }),
  zone('IN-SO', 'Southern India (regional grid)', KOLKATA, 'IN', { parent: 'IN' }),
  zone('IN-EA', 'Eastern India (regional grid)', KOLKATA, 'IN', { parent: 'IN' }),
  zone('IN-NE', 'North-Eastern India (regional grid)', KOLKATA, 'IN', { parent: 'IN' }),
  indianState('IN-BR', 'Bihar', 'IN-EA'),
  indianState('IN-WB', 'West Bengal', 'IN-EA'),
  indianState('IN-GJ', 'Gujarat', 'IN-WE'),
  indianState('IN-MH', 'Maharashtra', 'IN-WE'),
  indianState('IN-KA', 'Karnataka', 'IN-SO'),
  indianState('IN-TN', 'Tamil Nadu', 'IN-SO'),
  indianState('IN-TG', 'Telangana', 'IN-SO'),
  indianState('IN-UP', 'Uttar Pradesh', 'IN-NO'),
  indianState('IN-DL', 'Delhi', 'IN-NO'),
  indianState('IN-RJ', 'Rajasthan', 'IN-NO'),
  zone('AE', 'United Arab Emirates', 'Asia/Dubai', 'AE'),
  zone('IL', 'Israel', 'Asia/Jerusalem', 'IL'),
];

const OCEANIA_AFRICA: Zone[] = [
  zone('AU', 'Australia', 'Australia/Sydney', 'AU'),
  zone('AU-NSW', 'New South Wales', 'Australia/Sydney', 'AU', { parent: 'AU' }),
  zone('AU-VIC', 'Victoria', 'Australia/Melbourne', 'AU', { parent: 'AU' }),
  zone('AU-QLD', 'Queensland', 'Australia/Brisbane', 'AU', { parent: 'AU' }),
  zone('AU-SA', 'South Australia', 'Australia/Adelaide', 'AU', { parent: 'AU' }),
  zone('AU-TAS', 'Tasmania', 'Australia/Hobart', 'AU', { parent: 'AU' }),
  zone('AU-WA', 'Western Australia', 'Australia/Perth', 'AU', { parent: 'AU' }),
  zone('ZA', 'South Africa', 'Africa/Johannesburg', 'ZA'),
];

const ZONES: readonly Zone[] = [...NORTH_AMERICA, ...EUROPE, ...UK_REGION_ZONES, ...ASIA, ...OCEANIA_AFRICA];

/** Other names users and providers use for a zone, mapped to its code. */
export const ZONE_ALIASES: Readonly<Record<string, string>> = {
  'US-NEISO': 'US-NE-ISNE',
  'US-ISONE': 'US-NE-ISNE',
  'US-PJM': 'US-MIDA-PJM',
  'US-MISO': 'US-MIDW-MISO',
  'US-ERCOT': 'US-TEX-ERCO',
  'US-CAISO': 'US-CAL-CISO',
  'US-NYISO': 'US-NY-NYIS',
  'US-BPA': 'US-NW-BPAT',
  UK: 'GB',
  DK1: 'DK-DK1',
  DK2: 'DK-DK2',
  ...Object.fromEntries([1, 2, 3, 4].map((n) => [`SE${n}`, `SE-SE${n}`])),
  ...Object.fromEntries([1, 2, 3, 4, 5].map((n) => [`NO${n}`, `NO-NO${n}`])),
  // the UK Carbon Intensity region ids, as `GB-REGION-<id>`
  ...Object.fromEntries(UK_REGION_ZONES.map((z) => [`GB-REGION-${z.ids?.ukRegion}`, z.code])),
};

const aws = (region: string, zoneCode: string, location: string): CloudRegion => ({
  provider: 'aws',
  region,
  zone: zoneCode,
  location,
});
const azure = (region: string, zoneCode: string, location: string): CloudRegion => ({
  provider: 'azure',
  region,
  zone: zoneCode,
  location,
});
const gcp = (region: string, zoneCode: string, location: string): CloudRegion => ({
  provider: 'gcp',
  region,
  zone: zoneCode,
  location,
});

/** Main cloud regions and the grid zone that supplies the data centres' area. */
export const CLOUD_REGIONS: readonly CloudRegion[] = [
  aws('us-east-1', 'US-MIDA-PJM', 'N. Virginia'),
  aws('us-east-2', 'US-MIDA-PJM', 'Ohio'),
  aws('us-west-1', 'US-CAL-CISO', 'N. California'),
  aws('us-west-2', 'US-NW-BPAT', 'Oregon'),
  aws('ca-central-1', 'CA-QC', 'Montréal'),
  aws('ca-west-1', 'CA-AB', 'Calgary'),
  aws('sa-east-1', 'BR-CS', 'São Paulo'),
  aws('eu-west-1', 'IE', 'Ireland'),
  aws('eu-west-2', 'GB', 'London'),
  aws('eu-west-3', 'FR', 'Paris'),
  aws('eu-central-1', 'DE', 'Frankfurt'),
  aws('eu-central-2', 'CH', 'Zurich'),
  aws('eu-north-1', 'SE-SE3', 'Stockholm'),
  aws('eu-south-1', 'IT-NO', 'Milan'),
  aws('eu-south-2', 'ES', 'Spain (Aragón)'),
  aws('ap-northeast-1', 'JP-TK', 'Tokyo'),
  aws('ap-northeast-2', 'KR', 'Seoul'),
  aws('ap-northeast-3', 'JP-KN', 'Osaka'),
  aws('ap-southeast-1', 'SG', 'Singapore'),
  aws('ap-southeast-2', 'AU-NSW', 'Sydney'),
  aws('ap-southeast-3', 'ID', 'Jakarta'),
  aws('ap-southeast-4', 'AU-VIC', 'Melbourne'),
  aws('ap-south-1', 'IN-MH', 'Mumbai'),
  aws('ap-south-2', 'IN-TG', 'Hyderabad'),
  aws('ap-east-1', 'HK', 'Hong Kong'),
  aws('me-central-1', 'AE', 'UAE'),
  aws('il-central-1', 'IL', 'Tel Aviv'),
  aws('af-south-1', 'ZA', 'Cape Town'),

  azure('eastus', 'US-MIDA-PJM', 'Virginia'),
  azure('eastus2', 'US-MIDA-PJM', 'Virginia'),
  azure('centralus', 'US-MIDW-MISO', 'Iowa'),
  azure('northcentralus', 'US-MIDA-PJM', 'Illinois'),
  azure('southcentralus', 'US-TEX-ERCO', 'Texas'),
  azure('westus', 'US-CAL-CISO', 'California'),
  azure('westus2', 'US-NW-GCPD', 'Washington'),
  azure('westus3', 'US-SW-AZPS', 'Arizona'),
  azure('canadacentral', 'CA-ON', 'Toronto'),
  azure('canadaeast', 'CA-QC', 'Québec City'),
  azure('brazilsouth', 'BR-CS', 'São Paulo State'),
  azure('northeurope', 'IE', 'Ireland'),
  azure('westeurope', 'NL', 'Netherlands'),
  azure('uksouth', 'GB', 'London'),
  azure('ukwest', 'GB', 'Cardiff'),
  azure('francecentral', 'FR', 'Paris'),
  azure('germanywestcentral', 'DE', 'Frankfurt'),
  azure('switzerlandnorth', 'CH', 'Zurich'),
  azure('norwayeast', 'NO-NO1', 'Oslo'),
  azure('swedencentral', 'SE-SE3', 'Gävle'),
  azure('polandcentral', 'PL', 'Warsaw'),
  azure('italynorth', 'IT-NO', 'Milan'),
  azure('spaincentral', 'ES', 'Madrid'),
  azure('japaneast', 'JP-TK', 'Tokyo, Saitama'),
  azure('japanwest', 'JP-KN', 'Osaka'),
  azure('koreacentral', 'KR', 'Seoul'),
  azure('southeastasia', 'SG', 'Singapore'),
  azure('eastasia', 'HK', 'Hong Kong'),
  azure('australiaeast', 'AU-NSW', 'New South Wales'),
  azure('australiasoutheast', 'AU-VIC', 'Victoria'),
  azure('centralindia', 'IN-MH', 'Pune'),
  azure('southindia', 'IN-TN', 'Chennai'),
  azure('westindia', 'IN-MH', 'Mumbai'),
  azure('southafricanorth', 'ZA', 'Johannesburg'),
  azure('uaenorth', 'AE', 'Dubai'),
  azure('israelcentral', 'IL', 'Israel'),

  gcp('us-central1', 'US-MIDW-MISO', 'Iowa'),
  gcp('us-east1', 'US-CAR-SC', 'South Carolina'),
  gcp('us-east4', 'US-MIDA-PJM', 'N. Virginia'),
  gcp('us-east5', 'US-MIDA-PJM', 'Columbus'),
  gcp('us-south1', 'US-TEX-ERCO', 'Dallas'),
  gcp('us-west1', 'US-NW-BPAT', 'Oregon'),
  gcp('us-west2', 'US-CAL-LDWP', 'Los Angeles'),
  gcp('us-west3', 'US-NW-PACE', 'Salt Lake City'),
  gcp('us-west4', 'US-NW-NEVP', 'Las Vegas'),
  gcp('northamerica-northeast1', 'CA-QC', 'Montréal'),
  gcp('northamerica-northeast2', 'CA-ON', 'Toronto'),
  gcp('southamerica-east1', 'BR-CS', 'São Paulo'),
  gcp('europe-west1', 'BE', 'Belgium'),
  gcp('europe-west2', 'GB', 'London'),
  gcp('europe-west3', 'DE', 'Frankfurt'),
  gcp('europe-west4', 'NL', 'Netherlands'),
  gcp('europe-west6', 'CH', 'Zurich'),
  gcp('europe-west8', 'IT-NO', 'Milan'),
  gcp('europe-west9', 'FR', 'Paris'),
  gcp('europe-southwest1', 'ES', 'Madrid'),
  gcp('europe-north1', 'FI', 'Finland'),
  gcp('europe-central2', 'PL', 'Warsaw'),
  gcp('asia-northeast1', 'JP-TK', 'Tokyo'),
  gcp('asia-northeast2', 'JP-KN', 'Osaka'),
  gcp('asia-northeast3', 'KR', 'Seoul'),
  gcp('asia-southeast1', 'SG', 'Singapore'),
  gcp('asia-southeast2', 'ID', 'Jakarta'),
  gcp('asia-east1', 'TW', 'Taiwan'),
  gcp('asia-east2', 'HK', 'Hong Kong'),
  gcp('asia-south1', 'IN-MH', 'Mumbai'),
  gcp('asia-south2', 'IN-DL', 'Delhi'),
  gcp('australia-southeast1', 'AU-NSW', 'Sydney'),
  gcp('australia-southeast2', 'AU-VIC', 'Melbourne'),
  gcp('me-west1', 'IL', 'Tel Aviv'),
  gcp('africa-south1', 'ZA', 'Johannesburg'),
];

const byCode = new Map<string, Zone>(ZONES.map((z) => [z.code.toUpperCase(), z]));
const byAlias = new Map<string, string>(Object.entries(ZONE_ALIASES).map(([a, c]) => [a.toUpperCase(), c]));
const byName = new Map<string, Zone>(ZONES.map((z) => [z.name.toLowerCase(), z]));

/** Every zone gridshift knows, in registry order (North America, Europe, UK regions, Asia, Oceania, Africa). */
export function listZones(): readonly Zone[] {
  return ZONES;
}

/** The zone with this code or alias (case-insensitive), or undefined. */
export function findZone(codeOrAlias: string): Zone | undefined {
  const key = codeOrAlias.trim().toUpperCase();
  const direct = byCode.get(key);
  if (direct) return direct;
  const target = byAlias.get(key);
  return target === undefined ? undefined : byCode.get(target.toUpperCase());
}

/**
 * The cloud region with this name, optionally prefixed with its provider (`aws:eu-west-1`,
 * `azure:westeurope`, `gcp:europe-west1`). Case-insensitive.
 */
export function findCloudRegion(text: string): CloudRegion | undefined {
  const t = text.trim().toLowerCase();
  const colon = t.indexOf(':');
  const provider = colon > 0 ? t.slice(0, colon) : undefined;
  const region = colon > 0 ? t.slice(colon + 1) : t;
  return CLOUD_REGIONS.find(
    (r) => r.region === region && (provider === undefined || r.provider === provider),
  );
}

/**
 * Resolves what a user typed to a zone: a zone code or alias (case-insensitive), a zone name (`Germany`)
 * or a cloud region (`eu-west-1`, `azure:westeurope`). Throws InputError naming close matches otherwise.
 */
export function resolveZone(text: string): Zone {
  const found = findZone(text) ?? byName.get(text.trim().toLowerCase());
  if (found) return found;
  const cloud = findCloudRegion(text);
  if (cloud) {
    const z = findZone(cloud.zone);
    if (z) return z;
  }
  const close = closeMatches(text);
  const hint = close.length > 0 ? `; did you mean ${close.join(', ')}?` : '';
  throw new InputError(
    `zone: unknown zone or cloud region "${text}"${hint} (\`gridshift zones\` lists them all)`,
  );
}

/** What a zone can be typed as (codes, aliases, zone names, cloud regions), upper case -> as shown. */
const typedNames = new Map<string, string>([
  ...ZONES.map((z): [string, string] => [z.name.toUpperCase(), z.name]),
  ...CLOUD_REGIONS.map((r): [string, string] => [r.region.toUpperCase(), r.region]),
  ...Object.keys(ZONE_ALIASES).map((a): [string, string] => [a.toUpperCase(), a]),
  ...ZONES.map((z): [string, string] => [z.code.toUpperCase(), z.code]),
]);

/**
 * The zone codes, aliases, zone names and cloud regions nearest to `text` by edit distance (all at the
 * least distance found, in alphabetical order). A name is near when fewer edits than the text is long reach
 * it: replacing every character of "XX" reaches any two-letter code, which is no hint at all.
 */
export function closeMatches(text: string, max = 5): string[] {
  const t = text.trim().toUpperCase();
  const limit = Math.min(t.length - 1, t.length <= 5 ? 2 : Math.floor(t.length / 3));
  if (limit < 1) return [];
  const scored: { name: string; d: number }[] = [];
  for (const [upper, shown] of typedNames) {
    const d = nameDistance(t, upper);
    if (d <= limit) scored.push({ name: shown, d });
  }
  const best = Math.min(...scored.map((s) => s.d));
  return scored
    .filter((s) => s.d === best)
    .map((s) => s.name)
    .sort((a, b) => a.localeCompare(b))
    .slice(0, max);
}

/**
 * Edits from what was typed to a name; part of a name (`WESTEUR`), an unknown subzone of a known zone
 * (`DE-XX`) and a subzone without its country (`PJM` for `US-MIDA-PJM`) count as one edit.
 */
function nameDistance(typed: string, name: string): number {
  if (typed === name) return 0;
  if ((typed.length >= 2 && name.includes(typed)) || typed.startsWith(`${name}-`)) return 1;
  const last = name.lastIndexOf('-');
  const suffix = last > 0 ? 1 + editDistance(typed, name.slice(last + 1)) : Number.POSITIVE_INFINITY;
  return Math.min(editDistance(typed, name), suffix);
}

/** The zone, then its parents, then the country's zone: the order to look for coarser data in. */
export function zoneLineage(z: Zone): string[] {
  const out: string[] = [z.code];
  let parent = z.parent;
  while (parent !== undefined && !out.includes(parent)) {
    out.push(parent);
    parent = findZone(parent)?.parent;
  }
  if (!out.includes(z.country)) out.push(z.country);
  return out;
}
