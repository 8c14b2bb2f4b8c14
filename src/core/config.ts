import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from './errors.ts';
import { parseDuration } from './human-time.ts';
import { METRICS, type Metric } from './series.ts';
import { editDistance } from './text.ts';
import { MINUTE_MS } from './time.ts';
import { resolveZone } from './zones.ts';

/**
 * gridshift configuration: which signal sources answer for which zone, in which order, what happens when
 * none can, and how long answers stay cached. Read from `gridshift.config.json` / `gridshift.config.yaml`
 * plus `GRIDSHIFT_*` environment variables. Secrets come only from the environment.
 */

/** Names a chain can use. Each maps to one provider module in src/signals. */
export const PROVIDER_NAMES = [
  'electricitymaps',
  'watttime',
  'ukgrid',
  'octopus',
  'entsoe',
  'nordpool',
  'csv',
  'profile',
  'simulator',
  'annual',
] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** What a provider can deliver at all, so that `price: [ukgrid]` is refused when the file is read. */
const PROVIDES: Record<ProviderName, { carbon: boolean; price: boolean }> = {
  electricitymaps: { carbon: true, price: false },
  watttime: { carbon: true, price: false },
  ukgrid: { carbon: true, price: false },
  octopus: { carbon: false, price: true },
  entsoe: { carbon: false, price: true },
  nordpool: { carbon: false, price: true },
  csv: { carbon: true, price: true },
  profile: { carbon: true, price: true },
  simulator: { carbon: true, price: true },
  annual: { carbon: true, price: false },
};

/** `open`: when no source answers, run loads at their baseline; `closed`: hold them (never past the deadline). */
export type FailurePolicy = 'open' | 'closed';
export type CarbonMetric = 'carbon_average' | 'carbon_marginal';
/** A zone has two chains: one for carbon intensity, one for price. */
export type SignalKind = 'carbon' | 'price';

/** One entry of a chain: a provider and the options its factory gets (provider-level options merged in). */
export interface SourceSpec {
  provider: ProviderName;
  options: Record<string, unknown>;
}

/** The sources and policy of one zone (defaults filled in). */
export interface ZoneConfig {
  carbon: SourceSpec[];
  price: SourceSpec[];
  /** which carbon signal the zone plans on */
  metric: CarbonMetric;
  failurePolicy: FailurePolicy;
}

/** A CSV series the user supplies for a zone and metric; it answers first in that zone's chain. */
export interface FileSource {
  zone: string;
  metric: Metric;
  /** absolute path */
  path: string;
}

/** Secrets, from the environment only. */
export interface Credentials {
  electricityMapsToken?: string;
  wattTimeUsername?: string;
  wattTimePassword?: string;
  entsoeToken?: string;
}

export interface CacheConfig {
  /** per-provider time to live, overriding the provider's own */
  ttlMs: Partial<Record<ProviderName, number>>;
  /** JSON file the cache persists to, when persistence is on */
  file?: string;
}

export interface GridshiftConfig {
  /** absolute path of the file read; absent when running on defaults */
  file?: string;
  defaults: ZoneConfig;
  /** zones configured explicitly, by zone code, with the defaults filled in */
  zones: Record<string, ZoneConfig>;
  /** provider-level options (base URLs, product codes ...), as given */
  providers: Partial<Record<ProviderName, Record<string, unknown>>>;
  cache: CacheConfig;
  files: FileSource[];
  credentials: Credentials;
}

/** A problem in the configuration file or a GRIDSHIFT_* variable; the message names where and what. */
export class ConfigError extends InputError {
  override name = 'ConfigError';
  /** the file or environment variable at fault */
  readonly source?: string;
  /** key path inside the file, e.g. `zones.DE.carbon[0]` */
  readonly keyPath?: string;
  constructor(problem: string, where: { source?: string; keyPath?: string } = {}) {
    const prefix = [where.source, where.keyPath].filter(Boolean).join(': ');
    super(prefix ? `${prefix}: ${problem}` : problem);
    this.source = where.source;
    this.keyPath = where.keyPath;
  }
}

export const CONFIG_FILE_NAMES = ['gridshift.config.json', 'gridshift.config.yaml', 'gridshift.config.yml'];

/** The environment variable each secret is read from. */
export const SECRET_ENV = {
  electricityMapsToken: 'GRIDSHIFT_ELECTRICITYMAPS_TOKEN',
  wattTimeUsername: 'GRIDSHIFT_WATTTIME_USERNAME',
  wattTimePassword: 'GRIDSHIFT_WATTTIME_PASSWORD',
  entsoeToken: 'GRIDSHIFT_ENTSOE_TOKEN',
} as const satisfies Record<keyof Credentials, string>;

const OFFLINE_DEFAULTS: ZoneConfig = {
  carbon: [spec('profile'), spec('annual')],
  price: [spec('profile')],
  metric: 'carbon_average',
  failurePolicy: 'open',
};

function spec(provider: ProviderName, options: Record<string, unknown> = {}): SourceSpec {
  return { provider, options };
}

/** The configuration with no file and no environment: built-in profiles and annual averages, no keys needed. */
export function defaultConfig(): GridshiftConfig {
  return {
    defaults: cloneZone(OFFLINE_DEFAULTS),
    zones: {},
    providers: {},
    cache: { ttlMs: {} },
    files: [],
    credentials: {},
  };
}

function cloneZone(z: ZoneConfig): ZoneConfig {
  return {
    ...z,
    carbon: z.carbon.map((s) => ({ ...s, options: { ...s.options } })),
    price: z.price.map((s) => ({ ...s, options: { ...s.options } })),
  };
}

/** The sources and policy for a zone: its own entry, or the defaults. */
export function zoneConfig(config: GridshiftConfig, zoneCode: string): ZoneConfig {
  return config.zones[zoneCode] ?? config.defaults;
}

// ---------------------------------------------------------------------------------------------------
// durations

/**
 * Parses a duration such as `15m`, `6h`, `1h30m`, `90s`, `2d`, `PT6H` or `500ms` into milliseconds.
 * A bare number is refused: in a config file the unit is what makes the value readable.
 */
export function parseDurationMs(text: string): number {
  const t = text.trim().toLowerCase();
  const ms = /^(\d+(?:\.\d+)?)\s*ms$/.exec(t);
  if (ms) return Number(ms[1]);
  if (/^\d+(?:\.\d+)?$/.test(t) || t === '')
    throw new RangeError(`"${text}" is not a duration: give a unit, e.g. 15m, 6h, 1h30m, 90s, 2d`);
  return parseDuration(t) * MINUTE_MS;
}

// ---------------------------------------------------------------------------------------------------
// file schema

const baseUrl = z.url({ message: 'must be an http(s) URL' });

/** A timeout as milliseconds or a duration string (`10s`). */
const timeoutMs = z.union([
  z.number().positive(),
  z.string().transform((text, ctx) => {
    try {
      return parseDurationMs(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
]);
const http = { baseUrl: baseUrl.optional(), timeoutMs: timeoutMs.optional() };
const currency = z.enum(['EUR', 'GBP', 'USD', 'SEK', 'NOK', 'DKK', 'AUD', 'JPY', 'INR', 'SGD'], {
  message: 'must be a currency code like EUR',
});

/** Options each provider accepts in the file (secrets excluded: they come from the environment). */
const PROVIDER_OPTIONS: Record<ProviderName, z.ZodType<Record<string, unknown>>> = {
  electricitymaps: z.strictObject({
    ...http,
    emissionFactorType: z.enum(['lifecycle', 'direct']).optional(),
    temporalGranularity: z.enum(['5_minutes', '15_minutes', 'hourly']).optional(),
    forecastHorizonHours: z.union([z.literal(6), z.literal(24), z.literal(48), z.literal(72)]).optional(),
  }),
  watttime: z.strictObject(http),
  ukgrid: z.strictObject(http),
  octopus: z.strictObject({
    ...http,
    product: z.string().min(1).optional(),
    region: z
      .string()
      .regex(/^[A-HJ-NP]$/, 'must be an Octopus region letter A..P (no I or O)')
      .optional(),
    includeVat: z.boolean().optional(),
  }),
  entsoe: z.strictObject({ ...http, sequence: z.number().int().positive().optional() }),
  nordpool: z.strictObject({
    ...http,
    currency: z.enum(['EUR', 'SEK', 'NOK', 'DKK'], { message: 'must be EUR, SEK, NOK or DKK' }).optional(),
  }),
  csv: z.strictObject({
    path: z.string().min(1).optional(),
    metric: z.enum(METRICS).optional(),
    currency: currency.optional(),
    portalColumn: z.enum(['lifecycle', 'direct']).optional(),
  }),
  profile: z.strictObject({}),
  simulator: z.strictObject({
    seed: z.number().int().optional(),
    priceMinPerKwh: z.number().optional(),
    priceMaxPerKwh: z.number().optional(),
    pricePeriodH: z.number().positive().optional(),
    solarIntervalH: z.number().positive().optional(),
    carbonMin: z.number().nonnegative().optional(),
    carbonMax: z.number().nonnegative().optional(),
    noise: z.number().nonnegative().optional(),
    stepMin: z.number().int().positive().optional(),
    currency: currency.optional(),
    phaseMs: z.number().optional(),
  }),
  annual: z.strictObject({}),
};

const chainEntry = z.union([z.string(), z.looseObject({ provider: z.string() })]);
const chain = z.array(chainEntry).min(1, 'a chain needs at least one provider');
const policy = z.enum(['open', 'closed'], { message: 'must be open or closed' });
const carbonMetric = z.enum(['carbon_average', 'carbon_marginal'], {
  message: 'must be carbon_average or carbon_marginal',
});

const zoneSchema = z.strictObject({
  carbon: chain.optional(),
  price: chain.optional(),
  metric: carbonMetric.optional(),
  failurePolicy: policy.optional(),
});

const configSchema = z.strictObject({
  $schema: z.string().optional(),
  defaults: zoneSchema.optional(),
  zones: z.record(z.string(), zoneSchema).optional(),
  providers: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  cache: z
    .strictObject({
      ttl: z.record(z.string(), z.string()).optional(),
      persist: z.boolean().optional(),
      dir: z.string().min(1).optional(),
    })
    .optional(),
  files: z
    .array(
      z.strictObject({
        zone: z.string(),
        metric: z.enum(METRICS).optional(),
        path: z.string().min(1),
        currency: currency.optional(),
        portalColumn: z.enum(['lifecycle', 'direct']).optional(),
      }),
    )
    .optional(),
});
type RawChainEntry = z.infer<typeof chainEntry>;

/** `zones.DE.carbon[0]` from a zod-style path. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// secrets

const SECRET_KEY = /token|password|passwd|secret|api[-_]?key|username|credential|auth/i;

/** The env var that holds the secret a file key looks like, judged by the provider it sits under. */
function secretEnvFor(provider: string | undefined, key: string): string {
  const k = key.toLowerCase();
  if (provider === 'watttime')
    return k.includes('user') ? SECRET_ENV.wattTimeUsername : SECRET_ENV.wattTimePassword;
  if (provider === 'entsoe') return SECRET_ENV.entsoeToken;
  if (provider === 'electricitymaps') return SECRET_ENV.electricityMapsToken;
  return Object.values(SECRET_ENV).join(', ');
}

/** Refuses any key that looks like a secret, anywhere in the file. */
function refuseSecrets(value: unknown, path: PropertyKey[], source: string, provider?: string): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      refuseSecrets(v, [...path, i], source, provider);
    });
    return;
  }
  if (!value || typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;
  // the provider an object belongs to: `providers.<name>` or a chain entry `{ provider: <name> }`
  const owner =
    typeof obj.provider === 'string'
      ? obj.provider
      : path.length === 2 && path[0] === 'providers'
        ? String(path[1])
        : provider;
  for (const [key, v] of Object.entries(obj)) {
    if (SECRET_KEY.test(key)) {
      throw new ConfigError(
        `secrets are not read from the config file; remove "${key}" and set ${secretEnvFor(owner, key)} in the environment`,
        { source, keyPath: formatKeyPath([...path, key]) },
      );
    }
    refuseSecrets(v, [...path, key], source, owner);
  }
}

// ---------------------------------------------------------------------------------------------------
// parsing

export interface ParseOptions {
  /** name of the file (or other origin) for error messages */
  source?: string;
  /** directory relative file paths are resolved against */
  baseDir?: string;
  /** environment variables (GRIDSHIFT_*); default none */
  env?: Record<string, string | undefined>;
}

/**
 * Validates a parsed config document (the object from JSON or YAML) and applies the environment.
 * Throws ConfigError naming the source, the key path and the problem.
 */
export function parseConfig(raw: unknown, options: ParseOptions = {}): GridshiftConfig {
  const source = options.source ?? 'config';
  const baseDir = options.baseDir ?? process.cwd();
  const env = options.env ?? {};
  const doc = raw ?? {};
  refuseSecrets(doc, [], source);
  const parsed = configSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    let path = issue.path;
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      path = [...issue.path, issue.keys[0]];
      message = `unknown key "${issue.keys[0]}"`;
    }
    throw new ConfigError(message, { source, keyPath: formatKeyPath(path) || undefined });
  }
  const file = parsed.data;
  const fail = (keyPath: string, message: string): never => {
    throw new ConfigError(message, { source, keyPath });
  };

  // provider-level options
  const providers: GridshiftConfig['providers'] = {};
  for (const [name, opts] of Object.entries(file.providers ?? {})) {
    const provider = providerName(name, `providers.${name}`, fail);
    providers[provider] = providerOptions(provider, opts, `providers.${name}`, fail);
  }

  const readChain = (entries: RawChainEntry[] | undefined, kind: SignalKind, keyPath: string) =>
    entries?.map((e, i) => chainSpec(e, kind, `${keyPath}[${i}]`, providers, fail));

  // defaults: file, then environment
  const d = file.defaults ?? {};
  const defaults: ZoneConfig = {
    carbon: readChain(d.carbon, 'carbon', 'defaults.carbon') ?? cloneZone(OFFLINE_DEFAULTS).carbon,
    price: readChain(d.price, 'price', 'defaults.price') ?? cloneZone(OFFLINE_DEFAULTS).price,
    metric: d.metric ?? OFFLINE_DEFAULTS.metric,
    failurePolicy: d.failurePolicy ?? OFFLINE_DEFAULTS.failurePolicy,
  };
  applyEnvDefaults(defaults, env, providers);

  // zone keys may be codes, aliases, names or cloud regions; they are stored under the zone's code, which is what lookups use
  const zoneCode = (text: string, keyPath: string): string => {
    try {
      return resolveZone(text).code;
    } catch (err) {
      return fail(keyPath, (err as Error).message.replace(/^zone: /, ''));
    }
  };
  const zones: Record<string, ZoneConfig> = {};
  const keyOf: Record<string, string> = {};
  for (const [key, z] of Object.entries(file.zones ?? {})) {
    const keyPath = `zones.${key}`;
    const code = zoneCode(key, keyPath);
    if (keyOf[code]) fail(keyPath, `the same zone as zones.${keyOf[code]} (${code})`);
    keyOf[code] = key;
    zones[code] = {
      carbon: readChain(z.carbon, 'carbon', `${keyPath}.carbon`) ?? cloneZone(defaults).carbon,
      price: readChain(z.price, 'price', `${keyPath}.price`) ?? cloneZone(defaults).price,
      metric: z.metric ?? defaults.metric,
      failurePolicy: z.failurePolicy ?? defaults.failurePolicy,
    };
  }

  // user files: each answers first in its zone's chain, or where the chain names a bare `csv`
  const files: FileSource[] = [];
  for (const [i, f] of (file.files ?? []).entries()) {
    const keyPath = `files[${i}]`;
    const code = zoneCode(f.zone, `${keyPath}.zone`);
    const metric = f.metric ?? 'carbon_average';
    const path = resolve(baseDir, expandHome(f.path));
    files.push({ zone: code, metric, path });
    zones[code] ??= cloneZone(defaults);
    const target = metric === 'price' ? zones[code].price : zones[code].carbon;
    const extra = {
      ...(f.currency ? { currency: f.currency } : {}),
      ...(f.portalColumn ? { portalColumn: f.portalColumn } : {}),
    };
    const csv = spec('csv', { path, metric, ...extra });
    const slot = target.findIndex((s) => s.provider === 'csv' && s.options.path === undefined);
    if (slot >= 0) target[slot] = csv;
    else target.unshift(csv);
  }

  // csv entries: paths relative to the file; a bare `csv` is a placeholder for a listed file and is
  // dropped where the zone has none
  const finish = (z: ZoneConfig, where: string, isDefaults: boolean) => {
    for (const kind of ['carbon', 'price'] as const) {
      z[kind].forEach((s, i) => {
        if (s.provider !== 'csv' || s.options.path === undefined) return;
        if (isDefaults)
          fail(
            `${where}.${kind}[${i}]`,
            'a csv file belongs to one zone: put it under zones.<code> or files',
          );
        s.options.path = resolve(baseDir, expandHome(String(s.options.path)));
        s.options.metric ??= kind === 'price' ? 'price' : z.metric;
      });
      const kept = z[kind].filter((s) => s.provider !== 'csv' || s.options.path !== undefined);
      if (kept.length === 0 && !isDefaults)
        fail(`${where}.${kind}`, 'no source left: the chain names csv but no file is listed for this zone');
      z[kind] = kept;
    }
  };
  finish(defaults, 'defaults', true);
  for (const [code, z] of Object.entries(zones)) finish(z, `zones.${code}`, false);

  // cache
  const ttlMs: CacheConfig['ttlMs'] = {};
  for (const [name, text] of Object.entries(file.cache?.ttl ?? {})) {
    const keyPath = `cache.ttl.${name}`;
    const provider = providerName(name, keyPath, fail);
    try {
      ttlMs[provider] = parseDurationMs(text);
    } catch (err) {
      fail(keyPath, (err as Error).message);
    }
  }
  const cache: CacheConfig = { ttlMs };
  const persist = envBool(env, 'GRIDSHIFT_CACHE_PERSIST') ?? file.cache?.persist ?? false;
  if (persist) {
    const dir = env.GRIDSHIFT_CACHE_DIR
      ? resolve(env.GRIDSHIFT_CACHE_DIR)
      : file.cache?.dir
        ? resolve(baseDir, expandHome(file.cache.dir))
        : defaultCacheDir(env);
    cache.file = join(dir, 'signals.json');
  }

  const config: GridshiftConfig = {
    defaults,
    zones,
    providers,
    cache,
    files,
    credentials: readCredentials(env),
  };
  applyEnvBaseUrls(config, env);
  return config;
}

function providerName(name: string, keyPath: string, fail: (k: string, m: string) => never): ProviderName {
  if ((PROVIDER_NAMES as readonly string[]).includes(name)) return name as ProviderName;
  const near = closest(name, PROVIDER_NAMES);
  return fail(
    keyPath,
    `unknown provider "${name}"${near ? ` (did you mean ${near}?)` : ''}; known: ${PROVIDER_NAMES.join(', ')}`,
  );
}

function providerOptions(
  provider: ProviderName,
  options: Record<string, unknown>,
  keyPath: string,
  fail: (k: string, m: string) => never,
): Record<string, unknown> {
  const parsed = PROVIDER_OPTIONS[provider].safeParse(options);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys')
    return fail(`${keyPath}.${issue.keys[0]}`, `unknown option "${issue.keys[0]}" for ${provider}`);
  return fail(formatKeyPath([keyPath, ...issue.path]), issue.message);
}

function chainSpec(
  entry: RawChainEntry,
  kind: SignalKind,
  keyPath: string,
  providers: GridshiftConfig['providers'],
  fail: (k: string, m: string) => never,
): SourceSpec {
  const { provider: rawName, ...inline } = typeof entry === 'string' ? { provider: entry } : entry;
  const provider = providerName(rawName, typeof entry === 'string' ? keyPath : `${keyPath}.provider`, fail);
  if (!PROVIDES[provider][kind])
    fail(keyPath, `${provider} does not provide ${kind === 'price' ? 'prices' : 'carbon intensity'}`);
  const options = { ...(providers[provider] ?? {}), ...providerOptions(provider, inline, keyPath, fail) };
  return { provider, options };
}

// ---------------------------------------------------------------------------------------------------
// environment

function envList(env: Record<string, string | undefined>, name: string): string[] | undefined {
  const v = env[name]?.trim();
  if (!v) return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function envBool(env: Record<string, string | undefined>, name: string): boolean | undefined {
  const v = env[name]?.trim().toLowerCase();
  if (!v) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`"${env[name]}" is not a yes/no value (use 1/0, true/false)`, { source: name });
}

function applyEnvDefaults(
  defaults: ZoneConfig,
  env: Record<string, string | undefined>,
  providers: GridshiftConfig['providers'],
): void {
  for (const [kind, name] of [
    ['carbon', 'GRIDSHIFT_DEFAULT_CARBON'],
    ['price', 'GRIDSHIFT_DEFAULT_PRICE'],
  ] as const) {
    const list = envList(env, name);
    if (!list) continue;
    const fail = (_k: string, m: string): never => {
      throw new ConfigError(m, { source: name });
    };
    defaults[kind] = list.map((p) => chainSpec(p, kind, name, providers, fail));
  }
  const policy = env.GRIDSHIFT_FAILURE_POLICY?.trim();
  if (policy) {
    if (policy !== 'open' && policy !== 'closed')
      throw new ConfigError(`"${policy}" must be open or closed`, { source: 'GRIDSHIFT_FAILURE_POLICY' });
    defaults.failurePolicy = policy;
  }
  const metric = env.GRIDSHIFT_DEFAULT_METRIC?.trim();
  if (metric) {
    if (metric !== 'carbon_average' && metric !== 'carbon_marginal')
      throw new ConfigError(`"${metric}" must be carbon_average or carbon_marginal`, {
        source: 'GRIDSHIFT_DEFAULT_METRIC',
      });
    defaults.metric = metric;
  }
}

const HAS_BASE_URL = new Set<ProviderName>([
  'electricitymaps',
  'watttime',
  'ukgrid',
  'octopus',
  'entsoe',
  'nordpool',
]);

/** Base URL overrides from the environment (GRIDSHIFT_ENTSOE_BASE_URL ...), applied over the file. */
function applyEnvBaseUrls(config: GridshiftConfig, env: Record<string, string | undefined>): void {
  for (const provider of PROVIDER_NAMES) {
    const name = `GRIDSHIFT_${provider.toUpperCase()}_BASE_URL`;
    const url = env[name]?.trim();
    if (!url) continue;
    if (!HAS_BASE_URL.has(provider))
      throw new ConfigError(`${provider} has no base URL to override`, { source: name });
    if (!baseUrl.safeParse(url).success)
      throw new ConfigError(`"${url}" must be an http(s) URL`, { source: name });
    config.providers[provider] = { ...config.providers[provider], baseUrl: url };
    const zones = [config.defaults, ...Object.values(config.zones)];
    for (const z of zones)
      for (const s of [...z.carbon, ...z.price]) if (s.provider === provider) s.options.baseUrl = url;
  }
}

function readCredentials(env: Record<string, string | undefined>): Credentials {
  const out: Credentials = {};
  for (const [key, name] of Object.entries(SECRET_ENV) as [keyof Credentials, string][]) {
    const v = env[name]?.trim();
    if (v) out[key] = v;
  }
  return out;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? join(homedir(), p.slice(1)) : p;
}

/** `$XDG_CACHE_HOME/gridshift`, else `~/.cache/gridshift`. */
export function defaultCacheDir(env: Record<string, string | undefined> = process.env): string {
  const xdg = env.XDG_CACHE_HOME?.trim();
  return join(xdg ? xdg : join(homedir(), '.cache'), 'gridshift');
}

// ---------------------------------------------------------------------------------------------------
// loading

export interface LoadConfigOptions {
  /** directory searched for gridshift.config.{json,yaml,yml}; default process.cwd() */
  cwd?: string;
  /** environment; default process.env */
  env?: Record<string, string | undefined>;
  /** explicit file (--config); wins over GRIDSHIFT_CONFIG and the lookup */
  path?: string;
}

/**
 * Finds, reads and validates the configuration. Order: `path`, then GRIDSHIFT_CONFIG, then
 * gridshift.config.{json,yaml,yml} in `cwd`; with none, the offline defaults (still with env overrides).
 */
export function loadConfig(options: LoadConfigOptions = {}): GridshiftConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const file = findConfigFile(cwd, env, options.path);
  let config: GridshiftConfig;
  if (!file) {
    config = parseConfig({}, { source: 'environment', baseDir: cwd, env });
  } else {
    const doc = readConfigFile(file);
    config = parseConfig(doc, { source: file, baseDir: dirname(file), env });
    config.file = file;
  }
  return config;
}

function findConfigFile(
  cwd: string,
  env: Record<string, string | undefined>,
  explicit: string | undefined,
): string | undefined {
  const given = explicit ?? env.GRIDSHIFT_CONFIG?.trim();
  if (given) {
    const path = resolve(cwd, expandHome(given));
    if (!existsSync(path))
      throw new ConfigError(`config file not found: ${path}`, {
        source: explicit ? '--config' : 'GRIDSHIFT_CONFIG',
      });
    return path;
  }
  const found = CONFIG_FILE_NAMES.map((n) => join(cwd, n)).filter((p) => existsSync(p));
  if (found.length > 1) throw new ConfigError(`several config files found (${found.join(', ')}): keep one`);
  return found[0];
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the file (${(err as Error).message})`, { source: path });
  }
  if (text.trim() === '') return {};
  if (path.endsWith('.json')) {
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`not valid JSON: ${(err as Error).message}`, { source: path });
    }
  }
  try {
    return parseYaml(text);
  } catch (err) {
    const pos = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}: ` : '';
    const first = (err as Error).message.split('\n')[0];
    throw new ConfigError(`not valid YAML: ${where}${first}`, { source: path });
  }
}

/** Nearest known name within a small edit distance, for "did you mean". */
function closest(name: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 4));
  let best: string | undefined;
  let bestD = limit + 1;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best;
}
