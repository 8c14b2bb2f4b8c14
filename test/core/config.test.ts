import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, parseDurationMs, zoneConfig } from '../../src/core/config.ts';
import { InputError } from '../../src/core/errors.ts';
import { loadConfig, parseConfig } from '../../src/signals/config.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(files: Record<string, string> = {}): string {
  const d = mkdtempSync(join(tmpdir(), 'gridshift-config-'));
  dirs.push(d);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(d, name, '..'), { recursive: true });
    writeFileSync(join(d, name), text);
  }
  return d;
}

const parse = (raw: unknown, env: Record<string, string> = {}) =>
  parseConfig(raw, { source: 'gridshift.config.yaml', baseDir: '/etc/gridshift', env });
const names = (chain: { provider: string }[]) => chain.map((s) => s.provider);

/** The ConfigError thrown by `fn`, to assert on its message and fields. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(InputError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const YAML_EXAMPLE = `
defaults:
  carbon: [profile, annual]
  price: [profile]
  failurePolicy: open
zones:
  DE: { carbon: [electricitymaps, profile, annual], price: [entsoe, profile], failurePolicy: closed }
  GB: { carbon: [ukgrid, profile], price: [{ provider: octopus, region: C }] }
  US-CAL-CISO: { carbon: [watttime], metric: carbon_marginal }
providers:
  octopus: { product: AGILE-24-10-01 }
  electricitymaps: { baseUrl: "https://em.example.com", timeoutMs: 5s }
cache: { ttl: { entsoe: 6h, electricitymaps: 15m } }
files:
  - { zone: DE, metric: carbon_average, path: ./de.csv }
`;

describe('loadConfig', () => {
  it('runs on the offline defaults when there is no file', () => {
    const c = loadConfig({ cwd: tmp(), env: {} });
    expect(c.file).toBeUndefined();
    expect(names(c.defaults.carbon)).toEqual(['profile', 'annual']);
    expect(names(c.defaults.price)).toEqual(['profile']);
    expect(c.defaults.failurePolicy).toBe('open');
    expect(c.defaults.metric).toBe('carbon_average');
    expect(c).toEqual({ ...defaultConfig() });
  });

  it('reads gridshift.config.yaml from the directory, with everything the example shows', () => {
    const dir = tmp({ 'gridshift.config.yaml': YAML_EXAMPLE });
    const c = loadConfig({ cwd: dir, env: {} });
    expect(c.file).toBe(join(dir, 'gridshift.config.yaml'));
    const de = zoneConfig(c, 'DE');
    // the file listed for DE answers first
    expect(de.carbon[0]).toEqual({
      provider: 'csv',
      options: { path: join(dir, 'de.csv'), metric: 'carbon_average' },
    });
    expect(names(de.carbon)).toEqual(['csv', 'electricitymaps', 'profile', 'annual']);
    expect(names(de.price)).toEqual(['entsoe', 'profile']);
    expect(de.failurePolicy).toBe('closed');
    // provider-level options merge under inline ones
    expect(zoneConfig(c, 'GB').price).toEqual([
      { provider: 'octopus', options: { product: 'AGILE-24-10-01', region: 'C' } },
    ]);
    expect(zoneConfig(c, 'GB').failurePolicy).toBe('open');
    expect(zoneConfig(c, 'DE').carbon[1].options).toEqual({
      baseUrl: 'https://em.example.com',
      timeoutMs: 5000,
    });
    const us = zoneConfig(c, 'US-CAL-CISO');
    expect(us.metric).toBe('carbon_marginal');
    expect(names(us.price)).toEqual(['profile']); // inherited from defaults
    expect(c.cache.ttlMs).toEqual({ entsoe: 6 * 3_600_000, electricitymaps: 15 * 60_000 });
    expect(c.files).toEqual([{ zone: 'DE', metric: 'carbon_average', path: join(dir, 'de.csv') }]);
    // zones not listed use the defaults
    expect(zoneConfig(c, 'FR')).toBe(c.defaults);
  });

  it('reads JSON too, and an explicit path or GRIDSHIFT_CONFIG wins over the lookup', () => {
    const dir = tmp({
      'gridshift.config.json': JSON.stringify({ defaults: { failurePolicy: 'closed' } }),
      'other/custom.yaml': 'defaults: { carbon: [annual] }',
    });
    expect(loadConfig({ cwd: dir, env: {} }).defaults.failurePolicy).toBe('closed');
    const viaEnv = loadConfig({ cwd: dir, env: { GRIDSHIFT_CONFIG: 'other/custom.yaml' } });
    expect(names(viaEnv.defaults.carbon)).toEqual(['annual']);
    expect(viaEnv.file).toBe(join(dir, 'other', 'custom.yaml'));
    const viaPath = loadConfig({
      cwd: dir,
      env: { GRIDSHIFT_CONFIG: 'missing.yaml' },
      path: join(dir, 'other/custom.yaml'),
    });
    expect(names(viaPath.defaults.carbon)).toEqual(['annual']);
  });

  it('treats an empty file as the defaults', () => {
    const c = loadConfig({ cwd: tmp({ 'gridshift.config.yaml': '# nothing yet\n' }), env: {} });
    expect(names(c.defaults.carbon)).toEqual(['profile', 'annual']);
  });

  it('names the missing file given by --config or GRIDSHIFT_CONFIG', () => {
    const dir = tmp();
    expect(configError(() => loadConfig({ cwd: dir, env: {}, path: 'nope.yaml' })).message).toBe(
      `--config: config file not found: ${join(dir, 'nope.yaml')}`,
    );
    expect(configError(() => loadConfig({ cwd: dir, env: { GRIDSHIFT_CONFIG: 'x.json' } })).source).toBe(
      'GRIDSHIFT_CONFIG',
    );
  });

  it('refuses two config files side by side', () => {
    const dir = tmp({ 'gridshift.config.json': '{}', 'gridshift.config.yaml': '' });
    expect(configError(() => loadConfig({ cwd: dir, env: {} })).message).toContain('several config files');
  });

  it('reports YAML and JSON syntax errors with the file and position', () => {
    const yamlDir = tmp({ 'gridshift.config.yaml': 'zones:\n  DE: { carbon: [profile\n' });
    const y = configError(() => loadConfig({ cwd: yamlDir, env: {} }));
    expect(y.message).toMatch(/gridshift\.config\.yaml: not valid YAML: line \d+, column \d+/);
    const jsonDir = tmp({ 'gridshift.config.json': '{ "zones": ' });
    expect(configError(() => loadConfig({ cwd: jsonDir, env: {} })).message).toMatch(
      /gridshift\.config\.json: not valid JSON/,
    );
  });

  it('resolves file paths relative to the config file, not the working directory', () => {
    const dir = tmp({ 'conf/gridshift.config.yaml': 'files: [{ zone: FR, path: data/fr.csv }]' });
    const c = loadConfig({ cwd: dir, env: {}, path: 'conf/gridshift.config.yaml' });
    expect(c.files[0].path).toBe(join(dir, 'conf', 'data', 'fr.csv'));
  });
});

describe('validation errors name the file, the key path and the problem', () => {
  it('unknown provider, with a suggestion', () => {
    const e = configError(() => parse({ zones: { DE: { carbon: ['electricmaps'] } } }));
    expect(e.keyPath).toBe('zones.DE.carbon[0]');
    expect(e.message).toBe(
      'gridshift.config.yaml: zones.DE.carbon[0]: unknown provider "electricmaps" (did you mean electricitymaps?); ' +
        'known: electricitymaps, watttime, ukgrid, octopus, entsoe, nordpool, csv, profile, simulator, annual',
    );
    expect(configError(() => parse({ zones: { GB: { price: [{ provider: 'octopuss' }] } } })).keyPath).toBe(
      'zones.GB.price[0].provider',
    );
    expect(configError(() => parse({ providers: { wattime: {} } })).message).toContain(
      'did you mean watttime?',
    );
  });

  it('a provider in the wrong chain', () => {
    expect(configError(() => parse({ zones: { DE: { carbon: ['entsoe'] } } })).message).toBe(
      'gridshift.config.yaml: zones.DE.carbon[0]: entsoe does not provide carbon intensity',
    );
    expect(configError(() => parse({ defaults: { price: ['ukgrid'] } })).message).toContain(
      'defaults.price[0]: ukgrid does not provide prices',
    );
  });

  it('bad duration', () => {
    const e = configError(() => parse({ cache: { ttl: { entsoe: '6 hourz' } } }));
    expect(e.keyPath).toBe('cache.ttl.entsoe');
    expect(e.message).toContain('"6 hourz" as a duration');
    expect(configError(() => parse({ cache: { ttl: { entsoe: 6 } } })).keyPath).toBe('cache.ttl.entsoe');
    expect(configError(() => parse({ cache: { ttl: { entsoee: '6h' } } })).message).toContain(
      'unknown provider',
    );
  });

  it('bad failure policy and metric', () => {
    const e = configError(() => parse({ zones: { DE: { failurePolicy: 'half-open' } } }));
    expect(e.message).toBe('gridshift.config.yaml: zones.DE.failurePolicy: must be open or closed');
    expect(configError(() => parse({ defaults: { metric: 'price' } })).keyPath).toBe('defaults.metric');
  });

  it('unknown keys and provider options', () => {
    expect(
      configError(() => parse({ zones: { DE: { carbon: ['profile'], colour: 'green' } } })).message,
    ).toBe('gridshift.config.yaml: zones.DE.colour: unknown key "colour"');
    expect(configError(() => parse({ defautls: {} })).keyPath).toBe('defautls');
    expect(configError(() => parse({ providers: { ukgrid: { region: 3 } } })).message).toBe(
      'gridshift.config.yaml: providers.ukgrid.region: unknown option "region" for ukgrid',
    );
    expect(
      configError(() => parse({ zones: { GB: { price: [{ provider: 'octopus', region: 'I' }] } } })).keyPath,
    ).toBe('zones.GB.price[0].region');
    expect(configError(() => parse({ providers: { entsoe: { baseUrl: 'not a url' } } })).keyPath).toBe(
      'providers.entsoe.baseUrl',
    );
  });

  it('unknown zones, zones given twice, and empty chains', () => {
    const e = configError(() => parse({ zones: { DX: {} } }));
    expect(e.keyPath).toBe('zones.DX');
    expect(e.message).toMatch(/zones\.DX: unknown zone or cloud region "DX"; did you mean .*DE/);
    expect(configError(() => parse({ files: [{ zone: 'Atlantis', path: 'a.csv' }] })).keyPath).toBe(
      'files[0].zone',
    );
    expect(configError(() => parse({ zones: { 'DK-DK1': {}, DK1: {} } })).message).toBe(
      'gridshift.config.yaml: zones.DK1: the same zone as zones.DK-DK1 (DK-DK1)',
    );
    expect(configError(() => parse({ zones: { DE: { carbon: [] } } })).keyPath).toBe('zones.DE.carbon');
    expect(configError(() => parse({ zones: { DE: { carbon: ['csv'] } } })).message).toContain(
      'zones.DE.carbon: no source left: the chain names csv but no file is listed for this zone',
    );
    expect(
      configError(() => parse({ defaults: { carbon: [{ provider: 'csv', path: 'x.csv' }] } })).message,
    ).toContain('a csv file belongs to one zone');
  });
});

describe('secrets', () => {
  it('refuses a secret-looking key in the file and names the env var to use', () => {
    expect(configError(() => parse({ providers: { electricitymaps: { apiKey: 'abc' } } })).message).toBe(
      'gridshift.config.yaml: providers.electricitymaps.apiKey: secrets are not read from the config file; ' +
        'remove "apiKey" and set GRIDSHIFT_ELECTRICITYMAPS_TOKEN in the environment',
    );
    expect(
      configError(() => parse({ zones: { DE: { price: [{ provider: 'entsoe', securityToken: 'x' }] } } }))
        .message,
    ).toContain(
      'zones.DE.price[0].securityToken: secrets are not read from the config file; remove "securityToken" and set GRIDSHIFT_ENTSOE_TOKEN',
    );
    expect(configError(() => parse({ providers: { watttime: { username: 'me' } } })).message).toContain(
      'GRIDSHIFT_WATTTIME_USERNAME',
    );
    expect(configError(() => parse({ providers: { watttime: { password: 'pw' } } })).message).toContain(
      'GRIDSHIFT_WATTTIME_PASSWORD',
    );
    // a secret outside any provider: all the variables are named
    expect(configError(() => parse({ token: 'x' })).message).toContain('GRIDSHIFT_ENTSOE_TOKEN');
  });

  it('reads secrets from the environment only', () => {
    const c = parse(
      {},
      {
        GRIDSHIFT_ELECTRICITYMAPS_TOKEN: ' em-key ',
        GRIDSHIFT_WATTTIME_USERNAME: 'user',
        GRIDSHIFT_WATTTIME_PASSWORD: 'pw',
        GRIDSHIFT_ENTSOE_TOKEN: 'entsoe-key',
      },
    );
    expect(c.secrets).toEqual({
      GRIDSHIFT_ELECTRICITYMAPS_TOKEN: 'em-key',
      GRIDSHIFT_WATTTIME_USERNAME: 'user',
      GRIDSHIFT_WATTTIME_PASSWORD: 'pw',
      GRIDSHIFT_ENTSOE_TOKEN: 'entsoe-key',
    });
    expect(parse({}, { GRIDSHIFT_ENTSOE_TOKEN: '' }).secrets).toEqual({});
  });
});

describe('environment overrides', () => {
  it('sets the default chains, policy and metric', () => {
    const c = parse(
      { zones: { DE: { price: ['entsoe'] } } },
      {
        GRIDSHIFT_DEFAULT_CARBON: 'electricitymaps, profile',
        GRIDSHIFT_DEFAULT_PRICE: 'nordpool,profile',
        GRIDSHIFT_FAILURE_POLICY: 'closed',
        GRIDSHIFT_DEFAULT_METRIC: 'carbon_marginal',
      },
    );
    expect(names(c.defaults.carbon)).toEqual(['electricitymaps', 'profile']);
    expect(names(c.defaults.price)).toEqual(['nordpool', 'profile']);
    expect(c.defaults.failurePolicy).toBe('closed');
    expect(c.defaults.metric).toBe('carbon_marginal');
    // a zone inherits what it does not set itself
    expect(names(c.zones.DE.carbon)).toEqual(['electricitymaps', 'profile']);
    expect(names(c.zones.DE.price)).toEqual(['entsoe']);
    expect(c.zones.DE.failurePolicy).toBe('closed');
  });

  it('names the variable when its value is wrong', () => {
    expect(
      configError(() => parse({}, { GRIDSHIFT_DEFAULT_CARBON: 'electricitymaps,proflie' })).message,
    ).toContain('GRIDSHIFT_DEFAULT_CARBON: unknown provider "proflie" (did you mean profile?)');
    expect(configError(() => parse({}, { GRIDSHIFT_DEFAULT_PRICE: 'ukgrid' })).message).toBe(
      'GRIDSHIFT_DEFAULT_PRICE: ukgrid does not provide prices',
    );
    expect(configError(() => parse({}, { GRIDSHIFT_FAILURE_POLICY: 'maybe' })).message).toBe(
      'GRIDSHIFT_FAILURE_POLICY: "maybe" must be open or closed',
    );
    expect(configError(() => parse({}, { GRIDSHIFT_CACHE_PERSIST: 'perhaps' })).source).toBe(
      'GRIDSHIFT_CACHE_PERSIST',
    );
  });

  it('overrides base URLs everywhere the provider appears', () => {
    const c = parse(
      { zones: { DE: { price: [{ provider: 'entsoe', baseUrl: 'https://file.example.com' }] } } },
      { GRIDSHIFT_ENTSOE_BASE_URL: 'http://127.0.0.1:8080' },
    );
    expect(c.zones.DE.price[0].options.baseUrl).toBe('http://127.0.0.1:8080');
    expect(c.providers.entsoe?.baseUrl).toBe('http://127.0.0.1:8080');
    expect(configError(() => parse({}, { GRIDSHIFT_PROFILE_BASE_URL: 'http://x' })).message).toContain(
      'profile has no base URL',
    );
  });

  it('turns on the persisted cache under the user cache directory', () => {
    expect(parse({}).cache.file).toBeUndefined();
    expect(parse({ cache: { persist: true } }, { XDG_CACHE_HOME: '/var/cache' }).cache.file).toBe(
      '/var/cache/gridshift/signals.json',
    );
    expect(parse({}, { GRIDSHIFT_CACHE_PERSIST: '1', GRIDSHIFT_CACHE_DIR: '/srv/c' }).cache.file).toBe(
      '/srv/c/signals.json',
    );
    expect(parse({ cache: { persist: true, dir: 'cache' } }).cache.file).toBe(
      '/etc/gridshift/cache/signals.json',
    );
    expect(
      parse({ cache: { persist: true } }, { GRIDSHIFT_CACHE_PERSIST: 'off' }).cache.file,
    ).toBeUndefined();
  });
});

describe('zone keys', () => {
  it('accept aliases, names, cloud regions and any case, stored under the zone code', () => {
    const c = parse({
      zones: { dk1: { failurePolicy: 'closed' }, 'aws:eu-west-1': {} },
      files: [{ zone: 'Germany', path: 'de.csv' }],
    });
    expect(Object.keys(c.zones).sort()).toEqual(['DE', 'DK-DK1', 'IE']);
    expect(zoneConfig(c, 'DK-DK1').failurePolicy).toBe('closed');
    expect(c.files[0].zone).toBe('DE');
  });
});

describe('files', () => {
  it('put a file first in its zone chain, or where the chain names a bare csv', () => {
    const c = parse({
      defaults: { carbon: ['electricitymaps', 'csv', 'profile'] },
      files: [
        { zone: 'FR', path: 'fr.csv' },
        { zone: 'DE', metric: 'price', path: '/data/de-price.csv', currency: 'EUR' },
      ],
    });
    expect(names(c.zones.FR.carbon)).toEqual(['electricitymaps', 'csv', 'profile']);
    expect(c.zones.FR.carbon[1].options).toEqual({ path: '/etc/gridshift/fr.csv', metric: 'carbon_average' });
    expect(c.zones.DE.price[0]).toEqual({
      provider: 'csv',
      options: { path: '/data/de-price.csv', metric: 'price', currency: 'EUR' },
    });
    // the placeholder is dropped where a zone has no file
    expect(names(c.defaults.carbon)).toEqual(['electricitymaps', 'profile']);
    expect(names(c.zones.DE.carbon)).toEqual(['electricitymaps', 'profile']);
  });

  it('takes an inline csv entry with a path relative to the config file', () => {
    const c = parse({
      zones: { ES: { carbon: [{ provider: 'csv', path: 'es.csv', portalColumn: 'direct' }, 'annual'] } },
    });
    expect(c.zones.ES.carbon[0].options).toEqual({
      path: '/etc/gridshift/es.csv',
      portalColumn: 'direct',
      metric: 'carbon_average',
    });
  });
});

describe('parseDurationMs', () => {
  it('reads units and combinations', () => {
    expect(parseDurationMs('15m')).toBe(900_000);
    expect(parseDurationMs('15min')).toBe(900_000);
    expect(parseDurationMs('6h')).toBe(21_600_000);
    expect(parseDurationMs('1h30m')).toBe(5_400_000);
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(parseDurationMs('2d')).toBe(172_800_000);
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs(' 1.5h ')).toBe(5_400_000);
    expect(parseDurationMs('0s')).toBe(0);
  });

  it('refuses bare numbers and unknown units', () => {
    for (const bad of ['15', '', 'h', '5m junk', '-5m'])
      expect(() => parseDurationMs(bad), bad).toThrow(/duration/);
    expect(parseDurationMs('1w')).toBe(604_800_000);
  });
});
