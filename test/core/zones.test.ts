import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import {
  CLOUD_REGIONS,
  closeMatches,
  findCloudRegion,
  findZone,
  listZones,
  resolveZone,
  UK_REGION_ZONES,
  ZONE_ALIASES,
  zoneLineage,
} from '../../src/core/zones.ts';

describe('zone registry', () => {
  it('has unique codes, valid IANA time zones, ISO country codes and existing parents', () => {
    const zones = listZones();
    const codes = zones.map((z) => z.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const z of zones) {
      expect(() => new Intl.DateTimeFormat('en', { timeZone: z.timeZone }), z.code).not.toThrow();
      expect(z.country, z.code).toMatch(/^[A-Z]{2}$/);
      if (z.parent !== undefined) expect(findZone(z.parent), `${z.code} parent`).toBeDefined();
    }
  });

  it('includes the zones users ask for', () => {
    const required = [
      'US-CAL-CISO',
      'US-NE-ISNE',
      'US-MIDA-PJM',
      'US-MIDW-MISO',
      'US-TEX-ERCO',
      'SE',
      'SE-SE1',
      'SE-SE4',
      'DE',
      'GB',
      'FR',
      'JP',
      'JP-TK',
      'AU',
      'AU-NSW',
      'AU-VIC',
      'SG',
      'IN',
      'IN-BR',
      'IN-GJ',
      'IN-MH',
      'IN-KA',
      'IN-TN',
      'IN-UP',
      'IN-DL',
      'ZA',
      'ES',
      'NL',
      'BE',
      'IE',
      'NO',
      'NO-NO1',
      'NO-NO5',
      'DK',
      'DK-DK1',
      'DK-DK2',
      'FI',
      'PL',
      'IT',
      'AT',
      'CH',
      'CA-ON',
      'CA-QC',
      'BR',
    ];
    for (const code of required) expect(findZone(code), code).toBeDefined();
  });

  it('finds zones by code case-insensitively and by alias', () => {
    expect(findZone('de')?.name).toBe('Germany');
    expect(findZone(' se-se3 ')?.code).toBe('SE-SE3');
    expect(findZone('US-NEISO')?.code).toBe('US-NE-ISNE');
    expect(findZone('US-NE-ISNE')?.code).toBe('US-NE-ISNE');
    expect(findZone('us-pjm')?.code).toBe('US-MIDA-PJM');
    expect(findZone('US-MISO')?.code).toBe('US-MIDW-MISO');
    expect(findZone('SE3')?.code).toBe('SE-SE3');
    expect(findZone('XX-NOPE')).toBeUndefined();
  });

  it('every alias points at a registry zone', () => {
    for (const [alias, code] of Object.entries(ZONE_ALIASES)) expect(findZone(code), alias).toBeDefined();
  });

  it('has the 17 UK Carbon Intensity regions with their ids', () => {
    expect(UK_REGION_ZONES).toHaveLength(17);
    expect(UK_REGION_ZONES.map((z) => z.ids?.ukRegion)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
    expect(findZone('GB-NSCOT')?.ids).toEqual({ ukRegion: 1, octopusRegion: 'P' });
    expect(findZone('GB-LONDON')?.ids?.octopusRegion).toBe('C');
    expect(findZone('GB-REGION-13')?.code).toBe('GB-LONDON');
    for (const z of UK_REGION_ZONES) {
      expect(z.country).toBe('GB');
      expect(z.parent).toBe('GB');
    }
  });

  it('walks from a zone to its parents and country', () => {
    expect(zoneLineage(findZone('IN-GJ')!)).toEqual(['IN-GJ', 'IN-WE', 'IN']);
    expect(zoneLineage(findZone('SE-SE3')!)).toEqual(['SE-SE3', 'SE']);
    expect(zoneLineage(findZone('DE')!)).toEqual(['DE']);
    expect(zoneLineage(findZone('US-CAL-CISO')!)).toEqual(['US-CAL-CISO', 'US']);
  });
});

describe('cloud regions', () => {
  it('maps a sample of real region names to their grid zones', () => {
    const sample: [string, string][] = [
      ['us-east-1', 'US-MIDA-PJM'],
      ['eu-west-1', 'IE'],
      ['eu-central-1', 'DE'],
      ['ap-southeast-1', 'SG'],
      ['westeurope', 'NL'],
      ['northeurope', 'IE'],
      ['europe-west1', 'BE'],
      ['europe-north1', 'FI'],
      ['us-central1', 'US-MIDW-MISO'],
      ['ap-northeast-1', 'JP-TK'],
      ['australiaeast', 'AU-NSW'],
    ];
    for (const [region, zone] of sample) expect(resolveZone(region).code, region).toBe(zone);
  });

  it('covers the main regions of each provider, each once, each on a registry zone', () => {
    const count = (p: string) => CLOUD_REGIONS.filter((r) => r.provider === p).length;
    expect(count('aws')).toBeGreaterThanOrEqual(25);
    expect(count('azure')).toBeGreaterThanOrEqual(30);
    expect(count('gcp')).toBeGreaterThanOrEqual(25);
    const keys = CLOUD_REGIONS.map((r) => `${r.provider}:${r.region}`);
    expect(new Set(keys).size).toBe(keys.length);
    const names = CLOUD_REGIONS.map((r) => r.region);
    expect(new Set(names).size).toBe(names.length);
    for (const r of CLOUD_REGIONS) expect(findZone(r.zone), r.region).toBeDefined();
  });

  it('accepts a provider prefix, case-insensitively, and checks it', () => {
    expect(resolveZone('aws:eu-west-1').code).toBe('IE');
    expect(resolveZone('AZURE:WestEurope').code).toBe('NL');
    expect(resolveZone('gcp:europe-west1').code).toBe('BE');
    expect(findCloudRegion('aws:westeurope')).toBeUndefined();
    expect(() => resolveZone('gcp:eu-west-1')).toThrow(InputError);
  });
});

describe('resolveZone', () => {
  it('accepts codes, aliases and zone names', () => {
    expect(resolveZone('fr').code).toBe('FR');
    expect(resolveZone('US-NEISO').code).toBe('US-NE-ISNE');
    expect(resolveZone('Germany').code).toBe('DE');
  });

  it('names close matches when the zone is unknown', () => {
    expect(() => resolveZone('westeurop')).toThrow(
      /unknown zone or cloud region "westeurop"; did you mean westeurope\?/,
    );
    expect(() => resolveZone('DE-XX')).toThrow(/did you mean DE\b/);
    expect(() => resolveZone('US-CAL-CIS0')).toThrow(/US-CAL-CISO/);
    expect(() => resolveZone('SE-SE5')).toThrow(InputError);
    expect(closeMatches('eu-west-9').slice(0, 3)).toEqual(['eu-west-1', 'eu-west-2', 'eu-west-3']);
  });

  it('suggests the nearest names, not whatever is as far as everything else', () => {
    // "XX" is two substitutions from every two-letter code: nothing is near
    expect(closeMatches('XX')).toEqual([]);
    expect(() => resolveZone('XX')).toThrow(
      'zone: unknown zone or cloud region "XX" (`gridshift zones` lists them all)',
    );
    expect(closeMatches('Q')).toEqual([]);
    // one substitution away: only the names at that distance, in alphabetical order
    expect(closeMatches('DX')).toEqual(['DE', 'DK']);
    expect(closeMatches('FRR')).toEqual(['FR']);
    expect(closeMatches('eu-west-9')).toEqual(['eu-west-1', 'eu-west-2', 'eu-west-3']);
    // zone names and subzones without their country
    expect(closeMatches('Germny')).toEqual(['Germany']);
    expect(closeMatches('PJMM')).toEqual(['US-MIDA-PJM', 'US-PJM']);
    expect(() => resolveZone('westeuropa')).toThrow(/did you mean westeurope\?/);
  });

  it('a code, alias or region with one character changed is among the suggestions', () => {
    const names = [
      ...listZones().map((z) => z.code),
      ...Object.keys(ZONE_ALIASES),
      ...CLOUD_REGIONS.map((r) => r.region),
    ].filter((n) => n.length >= 2);
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.nat(), fc.constantFrom(...'#QXZ9'), (name, at, ch) => {
        const i = at % name.length;
        const typed = name.slice(0, i) + ch + name.slice(i + 1);
        let known = true;
        try {
          resolveZone(typed);
        } catch {
          known = false;
        }
        fc.pre(!known);
        expect(closeMatches(typed, Number.POSITIVE_INFINITY)).toContain(name);
      }),
      { seed: 8, numRuns: 500 },
    );
  });

  it('says so plainly when nothing is close', () => {
    let message = '';
    try {
      resolveZone('qwertyuiop');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toBe(
      'zone: unknown zone or cloud region "qwertyuiop" (`gridshift zones` lists them all)',
    );
  });
});
