import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from './errors.ts';
import { type GridEventsConfig, gridEventsSchema } from './grid-events-config.ts';
import { type HomeConfig, homeSchema, readHome } from './home-config.ts';
import { parseDuration } from './human-time.ts';
import { type ControllerConfig, kubernetesSchema, readKubernetes } from './kubernetes-config.ts';
import { type GatewayConfig, gatewaySchema, readGateway } from './openai-config.ts';
import { readScaling, type ScalingTarget, scalingTargetSchema } from './scaling-config.ts';
import { METRICS, type Metric } from './series.ts';
import { editDistance } from './text.ts';
import { MINUTE_MS } from './time.ts';
import { resolveZone } from './zones.ts';

/**
 * gridshift configuration: which signal sources answer for which zone, in which order, what happens when
 * none can, and how long answers stay cached. Read from `gridshift.config.json` / `gridshift.config.yaml`
 * plus `GRIDSHIFT_*` environment variables. Secrets come only from the environment.
 */

/**
 * What the configuration needs to know about a provider. src/signals describes each provider (this and
 * more: its factory, cache TTL ...) and passes the list in; the configuration names none of them itself.
 */
export interface ConfigProvider {
  readonly name: string;
  /** the metrics it can answer at all, so that `price: [ukgrid]` is refused when the file is read */
  readonly provides: readonly Metric[];
  /** the options it accepts in the file: a strict object; `baseUrl` among them makes GRIDSHIFT_<NAME>_BASE_URL work */
  readonly options: z.ZodObject;
  /** its secrets: option name -> the environment variable it is read from (never from the file) */
  readonly secrets: Readonly<Record<string, string>>;
}

/** `open`: when no source answers, run loads at their baseline; `closed`: hold them (never past the deadline). */
export type FailurePolicy = 'open' | 'closed';
export type CarbonMetric = 'carbon_average' | 'carbon_marginal';
/** A zone has two chains: one for carbon intensity, one for price. */
export type SignalKind = 'carbon' | 'price';

/** One entry of a chain: a provider and the options its factory gets (provider-level options merged in). */
export interface SourceSpec {
  provider: string;
  options: Record<string, unknown>;
}

/** The sources and policy of one zone (defaults filled in). */
export interface ZoneConfig {
  carbon: SourceSpec[];
  price: SourceSpec[];
  /** which carbon signal the zone plans on */
  metric: CarbonMetric;
  failurePolicy: FailurePolicy;
  /** the retail tariff applied to the zone's prices (see signals/retail.ts); absent = prices as the sources give them */
  retail?: { factor: number; feePerKwh: number; vatPct: number };
}

/** A CSV series the user supplies for a zone and metric; it answers first in that zone's chain. */
export interface FileSource {
  zone: string;
  metric: Metric;
  /** absolute path */
  path: string;
}

export interface CacheConfig {
  /** per-provider time to live, overriding the provider's own */
  ttlMs: Record<string, number>;
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
  providers: Record<string, Record<string, unknown>>;
  cache: CacheConfig;
  files: FileSource[];
  /** the providers' secrets that are set, by environment variable name (GRIDSHIFT_ENTSOE_TOKEN ...) */
  secrets: Record<string, string>;
  /** replica caps by carbon intensity, by target name */
  scaling: Record<string, ScalingTarget>;
  /** the Kubernetes controller (node taints, replica caps), when `kubernetes.controller` is configured */
  kubernetesController?: ControllerConfig;
  /** the household the service plans ahead (home-config.ts); absent = no home */
  home?: HomeConfig;
  /** where grid events come from besides the API */
  gridEvents: GridEventsConfig;
  /** the OpenAI-compatible gateway at /openai/v1; absent when not configured */
  openai?: GatewayConfig;
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

const OFFLINE_DEFAULTS: ZoneConfig = {
  carbon: [spec('profile'), spec('annual')],
  price: [spec('profile')],
  metric: 'carbon_average',
  failurePolicy: 'open',
};

function spec(provider: string, options: Record<string, unknown> = {}): SourceSpec {
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
    secrets: {},
    scaling: {},
    gridEvents: {},
  };
}

function cloneZone(z: ZoneConfig): ZoneConfig {
  return {
    ...z,
    ...(z.retail ? { retail: { ...z.retail } } : {}),
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

const chainEntry = z.union([z.string(), z.looseObject({ provider: z.string() })]);
const chain = z.array(chainEntry).min(1, 'a chain needs at least one provider');
const policy = z.enum(['open', 'closed'], { message: 'must be open or closed' });
const carbonMetric = z.enum(['carbon_average', 'carbon_marginal'], {
  message: 'must be carbon_average or carbon_marginal',
});

const retail = z.strictObject({
  factor: z.number().positive('must be a number > 0').optional(),
  feePerKwh: z.number().optional(),
  vatPct: z.number().min(0, 'must be 0 to 100').max(100, 'must be 0 to 100').optional(),
});

const zoneSchema = z.strictObject({
  carbon: chain.optional(),
  price: chain.optional(),
  metric: carbonMetric.optional(),
  failurePolicy: policy.optional(),
  retail: retail.optional(),
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
  // a file is a csv source for one zone: keys other than these are the csv provider's options
  files: z
    .array(z.looseObject({ zone: z.string(), metric: z.enum(METRICS).optional(), path: z.string().min(1) }))
    .optional(),
  scaling: z.record(z.string(), scalingTargetSchema).optional(),
  kubernetes: kubernetesSchema.optional(),
  home: homeSchema.optional(),
  gridEvents: gridEventsSchema,
  openai: gatewaySchema.optional(),
});
type ConfigDocument = z.infer<typeof configSchema>;
type RawChainEntry = z.infer<typeof chainEntry>;
type RawZone = z.infer<typeof zoneSchema>;
type Env = Record<string, string | undefined>;

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

/** The env vars that hold the secret a file key looks like, judged by the provider it sits under. */
function secretEnvFor(providers: readonly ConfigProvider[], owner: string | undefined, key: string): string {
  const secrets = Object.entries(providers.find((p) => p.name === owner)?.secrets ?? {});
  if (secrets.length === 0) return unique(providers.flatMap((p) => Object.values(p.secrets))).join(', ');
  const k = key.toLowerCase();
  const matching = secrets.filter(([option]) => {
    const o = option.toLowerCase();
    return o.includes(k) || k.includes(o);
  });
  return (matching.length > 0 ? matching : secrets).map(([, env]) => env).join(', ');
}

/** Refuses any key that looks like a secret, anywhere in the file. */
function refuseSecrets(value: unknown, path: PropertyKey[], r: Reading, provider?: string): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      refuseSecrets(v, [...path, i], r, provider);
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
    // a key ending in Env names the variable that holds a secret (apiKeyEnv), which is what is asked for
    if (SECRET_KEY.test(key) && !/Env$/.test(key))
      r.fail(
        formatKeyPath([...path, key]),
        `secrets are not read from the config file; remove "${key}" and set ${secretEnvFor(r.providers, owner, key)} in the environment`,
      );
    refuseSecrets(v, [...path, key], r, owner);
  }
}

/** The secrets that are set, by environment variable. */
function readSecrets(providers: readonly ConfigProvider[], env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of providers.flatMap((p) => Object.values(p.secrets))) {
    const v = env[name]?.trim();
    if (v) out[name] = v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// parsing

export interface ParseOptions {
  /** name of the file (or other origin) for error messages */
  source?: string;
  /** directory relative file paths are resolved against */
  baseDir?: string;
  /** environment variables (GRIDSHIFT_*); default none */
  env?: Env;
}

/** What each step of reading a document needs: where it came from, the known providers, how to fail. */
interface Reading {
  source: string;
  baseDir: string;
  env: Env;
  providers: readonly ConfigProvider[];
  /** throws a ConfigError at a key path of the document */
  fail(keyPath: string, message: string): never;
}

/**
 * Validates a parsed config document (the object from JSON or YAML) against the given providers and
 * applies the environment. Throws ConfigError naming the source, the key path and the problem.
 */
export function parseConfigWith(
  raw: unknown,
  providers: readonly ConfigProvider[],
  options: ParseOptions = {},
): GridshiftConfig {
  const source = options.source ?? 'config';
  const r: Reading = {
    source,
    baseDir: options.baseDir ?? process.cwd(),
    env: options.env ?? {},
    providers,
    fail(keyPath, message) {
      throw new ConfigError(message, { source, keyPath: keyPath || undefined });
    },
  };
  const doc = raw ?? {};
  refuseSecrets(doc, [], r);
  const file = validateDocument(doc, r);
  const shared: GridshiftConfig['providers'] = {};
  for (const [name, opts] of Object.entries(file.providers ?? {}))
    shared[name] = providerOptions(r, providerNamed(r, name, `providers.${name}`), opts, `providers.${name}`);
  const defaults = readDefaults(file.defaults ?? {}, r, shared);
  const zones = readZones(file.zones ?? {}, defaults, r, shared);
  const files = readFiles(file.files ?? [], zones, defaults, r);
  placeCsvPaths(defaults, 'defaults', true, r);
  for (const [code, z] of Object.entries(zones)) placeCsvPaths(z, `zones.${code}`, false, r);
  const config: GridshiftConfig = {
    defaults,
    zones,
    providers: shared,
    cache: readCache(file.cache, r),
    files,
    secrets: readSecrets(providers, r.env),
    scaling: readScaling(file.scaling ?? {}, r.fail),
    ...(file.home ? { home: readHome(file.home, r.fail) } : {}),
    gridEvents: file.gridEvents,
    ...(file.openai ? { openai: readGateway(file.openai, r.fail) } : {}),
  };
  const controller = readKubernetes(file.kubernetes, config.scaling, parseDurationMs, r.fail);
  if (controller) {
    if (controller.kubeconfig) controller.kubeconfig = resolve(r.baseDir, expandHome(controller.kubeconfig));
    config.kubernetesController = controller;
  }
  applyEnvBaseUrls(config, r);
  return config;
}

function validateDocument(doc: unknown, r: Reading): ConfigDocument {
  const parsed = configSchema.safeParse(doc);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys')
    return r.fail(formatKeyPath([...issue.path, issue.keys[0]]), `unknown key "${issue.keys[0]}"`);
  return r.fail(formatKeyPath(issue.path), issue.message);
}

/** The defaults: the file's, else the offline ones; then the environment's. */
function readDefaults(d: RawZone, r: Reading, shared: GridshiftConfig['providers']): ZoneConfig {
  const defaults: ZoneConfig = {
    carbon: readChain(d.carbon, 'carbon', 'defaults.carbon', r, shared) ?? cloneZone(OFFLINE_DEFAULTS).carbon,
    price: readChain(d.price, 'price', 'defaults.price', r, shared) ?? cloneZone(OFFLINE_DEFAULTS).price,
    metric: d.metric ?? OFFLINE_DEFAULTS.metric,
    failurePolicy: d.failurePolicy ?? OFFLINE_DEFAULTS.failurePolicy,
    ...(d.retail ? { retail: readRetail(d.retail) } : {}),
  };
  applyEnvDefaults(defaults, r, shared);
  return defaults;
}

function readRetail(raw: NonNullable<RawZone['retail']>): NonNullable<ZoneConfig['retail']> {
  return { factor: raw.factor ?? 1, feePerKwh: raw.feePerKwh ?? 0, vatPct: raw.vatPct ?? 0 };
}

/** Zone keys may be codes, aliases, names or cloud regions; they are stored under the zone's code, which is what lookups use. */
function zoneCodeAt(text: string, keyPath: string, r: Reading): string {
  try {
    return resolveZone(text).code;
  } catch (err) {
    return r.fail(keyPath, (err as Error).message.replace(/^zone: /, ''));
  }
}

function readZones(
  raw: Record<string, RawZone>,
  defaults: ZoneConfig,
  r: Reading,
  shared: GridshiftConfig['providers'],
): Record<string, ZoneConfig> {
  const zones: Record<string, ZoneConfig> = {};
  const keyOf: Record<string, string> = {};
  for (const [key, z] of Object.entries(raw)) {
    const keyPath = `zones.${key}`;
    const code = zoneCodeAt(key, keyPath, r);
    if (keyOf[code]) r.fail(keyPath, `the same zone as zones.${keyOf[code]} (${code})`);
    keyOf[code] = key;
    zones[code] = {
      carbon: readChain(z.carbon, 'carbon', `${keyPath}.carbon`, r, shared) ?? cloneZone(defaults).carbon,
      price: readChain(z.price, 'price', `${keyPath}.price`, r, shared) ?? cloneZone(defaults).price,
      metric: z.metric ?? defaults.metric,
      failurePolicy: z.failurePolicy ?? defaults.failurePolicy,
      ...(z.retail
        ? { retail: readRetail(z.retail) }
        : defaults.retail
          ? { retail: { ...defaults.retail } }
          : {}),
    };
  }
  return zones;
}

/** User files: each answers first in its zone's chain, or where the chain names a bare `csv`. */
function readFiles(
  raw: NonNullable<ConfigDocument['files']>,
  zones: Record<string, ZoneConfig>,
  defaults: ZoneConfig,
  r: Reading,
): FileSource[] {
  const files: FileSource[] = [];
  for (const [i, { zone, ...rest }] of raw.entries()) {
    const keyPath = `files[${i}]`;
    const code = zoneCodeAt(zone, `${keyPath}.zone`, r);
    const metric = rest.metric ?? 'carbon_average';
    const path = resolve(r.baseDir, expandHome(rest.path));
    files.push({ zone: code, metric, path });
    zones[code] ??= cloneZone(defaults);
    const target = metric === 'price' ? zones[code].price : zones[code].carbon;
    const csv = spec(
      'csv',
      providerOptions(r, providerNamed(r, 'csv', keyPath), { ...rest, path, metric }, keyPath),
    );
    const slot = target.findIndex((s) => s.provider === 'csv' && s.options.path === undefined);
    if (slot >= 0) target[slot] = csv;
    else target.unshift(csv);
  }
  return files;
}

/**
 * csv entries: paths relative to the file; a bare `csv` is a placeholder for a listed file and is dropped
 * where the zone has none.
 */
function placeCsvPaths(z: ZoneConfig, where: string, isDefaults: boolean, r: Reading): void {
  for (const kind of ['carbon', 'price'] as const) {
    z[kind].forEach((s, i) => {
      if (s.provider !== 'csv' || s.options.path === undefined) return;
      if (isDefaults)
        r.fail(
          `${where}.${kind}[${i}]`,
          'a csv file belongs to one zone: put it under zones.<code> or files',
        );
      s.options.path = resolve(r.baseDir, expandHome(String(s.options.path)));
      s.options.metric ??= kind === 'price' ? 'price' : z.metric;
    });
    const kept = z[kind].filter((s) => s.provider !== 'csv' || s.options.path !== undefined);
    if (kept.length === 0 && !isDefaults)
      r.fail(`${where}.${kind}`, 'no source left: the chain names csv but no file is listed for this zone');
    z[kind] = kept;
  }
}

function readCache(raw: ConfigDocument['cache'], r: Reading): CacheConfig {
  const ttlMs: CacheConfig['ttlMs'] = {};
  for (const [name, text] of Object.entries(raw?.ttl ?? {})) {
    const keyPath = `cache.ttl.${name}`;
    const provider = providerNamed(r, name, keyPath);
    try {
      ttlMs[provider.name] = parseDurationMs(text);
    } catch (err) {
      r.fail(keyPath, (err as Error).message);
    }
  }
  const cache: CacheConfig = { ttlMs };
  const persist = envBool(r.env, 'GRIDSHIFT_CACHE_PERSIST') ?? raw?.persist ?? false;
  if (persist) {
    const dir = r.env.GRIDSHIFT_CACHE_DIR
      ? resolve(r.env.GRIDSHIFT_CACHE_DIR)
      : raw?.dir
        ? resolve(r.baseDir, expandHome(raw.dir))
        : defaultCacheDir(r.env);
    cache.file = join(dir, 'signals.json');
  }
  return cache;
}

function providerNamed(r: Reading, name: string, keyPath: string): ConfigProvider {
  const found = r.providers.find((p) => p.name === name);
  if (found) return found;
  const names = r.providers.map((p) => p.name);
  const near = closest(name, names);
  return r.fail(
    keyPath,
    `unknown provider "${name}"${near ? ` (did you mean ${near}?)` : ''}; known: ${names.join(', ')}`,
  );
}

function providerOptions(
  r: Reading,
  provider: ConfigProvider,
  options: Record<string, unknown>,
  keyPath: string,
): Record<string, unknown> {
  const parsed = provider.options.safeParse(options);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (issue.code === 'unrecognized_keys')
    return r.fail(`${keyPath}.${issue.keys[0]}`, `unknown option "${issue.keys[0]}" for ${provider.name}`);
  return r.fail(formatKeyPath([keyPath, ...issue.path]), issue.message);
}

const providesKind = (provider: ConfigProvider, kind: SignalKind): boolean =>
  provider.provides.some((m) => (kind === 'price') === (m === 'price'));

function readChain(
  entries: RawChainEntry[] | undefined,
  kind: SignalKind,
  keyPath: string,
  r: Reading,
  shared: GridshiftConfig['providers'],
): SourceSpec[] | undefined {
  return entries?.map((e, i) => chainSpec(e, kind, `${keyPath}[${i}]`, r, shared));
}

function chainSpec(
  entry: RawChainEntry,
  kind: SignalKind,
  keyPath: string,
  r: Reading,
  shared: GridshiftConfig['providers'],
): SourceSpec {
  const { provider: rawName, ...inline } = typeof entry === 'string' ? { provider: entry } : entry;
  const provider = providerNamed(r, rawName, typeof entry === 'string' ? keyPath : `${keyPath}.provider`);
  if (!providesKind(provider, kind))
    r.fail(keyPath, `${provider.name} does not provide ${kind === 'price' ? 'prices' : 'carbon intensity'}`);
  const options = { ...(shared[provider.name] ?? {}), ...providerOptions(r, provider, inline, keyPath) };
  return { provider: provider.name, options };
}

// ---------------------------------------------------------------------------------------------------
// environment

function envList(env: Env, name: string): string[] | undefined {
  const v = env[name]?.trim();
  if (!v) return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function envBool(env: Env, name: string): boolean | undefined {
  const v = env[name]?.trim().toLowerCase();
  if (!v) return undefined;
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`"${env[name]}" is not a yes/no value (use 1/0, true/false)`, { source: name });
}

function applyEnvDefaults(defaults: ZoneConfig, r: Reading, shared: GridshiftConfig['providers']): void {
  const { env } = r;
  for (const [kind, name] of [
    ['carbon', 'GRIDSHIFT_DEFAULT_CARBON'],
    ['price', 'GRIDSHIFT_DEFAULT_PRICE'],
  ] as const) {
    const list = envList(env, name);
    if (!list) continue;
    const fromEnv: Reading = {
      ...r,
      fail(_keyPath, message) {
        throw new ConfigError(message, { source: name });
      },
    };
    defaults[kind] = list.map((p) => chainSpec(p, kind, name, fromEnv, shared));
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

/**
 * Base URL overrides from the environment (GRIDSHIFT_ENTSOE_BASE_URL ...), applied over the file, for
 * every provider with a `baseUrl` option; checked by that option's own schema.
 */
function applyEnvBaseUrls(config: GridshiftConfig, r: Reading): void {
  for (const provider of r.providers) {
    const name = `GRIDSHIFT_${provider.name.toUpperCase()}_BASE_URL`;
    const url = r.env[name]?.trim();
    if (!url) continue;
    const schema = provider.options.shape.baseUrl as z.ZodType | undefined;
    if (!schema) throw new ConfigError(`${provider.name} has no base URL to override`, { source: name });
    if (!schema.safeParse(url).success)
      throw new ConfigError(`"${url}" must be an http(s) URL`, { source: name });
    config.providers[provider.name] = { ...config.providers[provider.name], baseUrl: url };
    const zones = [config.defaults, ...Object.values(config.zones)];
    for (const z of zones)
      for (const s of [...z.carbon, ...z.price]) if (s.provider === provider.name) s.options.baseUrl = url;
  }
}

function unique<T>(list: T[]): T[] {
  return [...new Set(list)];
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
 * Finds, reads and validates the configuration against the given providers. Order: `path`, then
 * GRIDSHIFT_CONFIG, then gridshift.config.{json,yaml,yml} in `cwd`; with none, the offline defaults (still
 * with env overrides).
 */
export function loadConfigWith(
  providers: readonly ConfigProvider[],
  options: LoadConfigOptions = {},
): GridshiftConfig {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const file = findConfigFile(cwd, env, options.path);
  let config: GridshiftConfig;
  if (!file) {
    config = parseConfigWith({}, providers, { source: 'environment', baseDir: cwd, env });
  } else {
    const doc = readConfigFile(file);
    config = parseConfigWith(doc, providers, { source: file, baseDir: dirname(file), env });
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
