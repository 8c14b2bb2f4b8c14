import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/config.ts';
import type { Metric } from '../../src/core/series.ts';
import { listZones, type Zone } from '../../src/core/zones.ts';
import { parseConfig } from '../../src/signals/config.ts';
import type { ProviderDescriptor } from '../../src/signals/provider.ts';
import { PROVIDERS } from '../../src/signals/providers.ts';
import { createRegistry } from '../../src/signals/registry.ts';
import { startServer, type TestServer } from '../helpers/http-server.ts';

/**
 * Every provider in the list is usable from the configuration as it describes itself: named in a chain it
 * provides for, with its options checked by its schema, its secrets read from the environment only (and
 * named when missing), its base URL overridable, its file, test and docs page in place.
 */

const NOW = Date.parse('2026-03-10T10:00:00Z');
const ROOT = join(import.meta.dirname, '..', '..');
let server: TestServer;
let dir: string;
let csvPath: string;

beforeAll(async () => {
  // a provider API that is down: whoever reaches it fails with `unavailable`, and each request is counted
  server = await startServer((_req, res) => {
    res.statusCode = 503;
    res.end('down');
  });
  dir = mkdtempSync(join(tmpdir(), 'gridshift-providers-'));
  csvPath = join(dir, 'series.csv');
  writeFileSync(csvPath, 'timestamp,carbon_intensity\n2026-03-10T10:00:00Z,100\n2026-03-10T11:00:00Z,120\n');
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const kindOf = (metric: Metric) => (metric === 'price' ? 'price' : 'carbon');

/** A zone the provider answers its first metric for, found by asking a built instance (no I/O). */
function supportedZone(d: ProviderDescriptor, metric: Metric): Zone {
  const options = d.perZone ? { path: csvPath } : {};
  const zone = listZones().find((z) => d.create(options, { zone: z, metric }).supports(z, metric));
  if (!zone) throw new Error(`${d.name} supports ${metric} in no known zone`);
  return zone;
}

/** The configuration naming the provider alone in the zone's chain, its API at the local server. */
function configFor(d: ProviderDescriptor, zone: Zone, metric: Metric, env: Record<string, string> = {}) {
  const entry = d.perZone ? { provider: d.name, path: csvPath, metric } : d.name;
  const baseUrl =
    'baseUrl' in d.options.shape ? { [`GRIDSHIFT_${d.name.toUpperCase()}_BASE_URL`]: server.url } : {};
  return parseConfig(
    { zones: { [zone.code]: { [kindOf(metric)]: [entry] } } },
    { source: 'test', baseDir: dir, env: { ...baseUrl, ...env } },
  );
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('the list of providers', () => {
  it('names each provider once', () => {
    const names = PROVIDERS.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(['electricitymaps', 'entsoe', 'profile', 'annual', 'csv']));
  });

  for (const d of PROVIDERS) {
    describe(d.name, () => {
      const metric = d.provides[0];

      it('has its module, its test and a docs page', () => {
        expect(existsSync(join(ROOT, 'src', 'signals', `${d.name}.ts`))).toBe(true);
        expect(existsSync(join(ROOT, 'test', 'signals', `${d.name}.test.ts`))).toBe(true);
        const page = join(ROOT, 'docs', 'providers', `${d.name}.md`);
        const offline = readFileSync(join(ROOT, 'docs', 'providers', 'offline.md'), 'utf8');
        expect(existsSync(page) || offline.includes(`## \`${d.name}\``)).toBe(true);
      });

      it('builds from a chain entry, as it describes itself', async () => {
        const zone = supportedZone(d, metric);
        const registry = createRegistry({ config: configFor(d, zone, metric), cache: false });
        expect(registry.chain(zone, metric).map((e) => e.provider)).toEqual([d.name]);
        const built = d.create(d.perZone ? { path: csvPath } : {}, { zone, metric });
        expect(built.name).toBe(d.name);
        expect(built.ttlMs).toBe(d.ttlMs);
        expect(built.publication).toEqual(d.publication);
      });

      it('checks its options with its own schema', () => {
        expect(configError(() => parseConfig({ providers: { [d.name]: { nope: 1 } } })).message).toBe(
          `config: providers.${d.name}.nope: unknown option "nope" for ${d.name}`,
        );
        const other = kindOf(metric) === 'price' ? 'carbon' : 'price';
        if (!d.provides.some((m) => kindOf(m) === other))
          expect(configError(() => parseConfig({ defaults: { [other]: [d.name] } })).message).toMatch(
            `${d.name} does not provide`,
          );
      });

      it('takes its base URL from the environment when it has one', () => {
        const name = `GRIDSHIFT_${d.name.toUpperCase()}_BASE_URL`;
        if ('baseUrl' in d.options.shape)
          expect(parseConfig({}, { env: { [name]: 'http://127.0.0.1:9' } }).providers[d.name]).toEqual({
            baseUrl: 'http://127.0.0.1:9',
          });
        else expect(configError(() => parseConfig({}, { env: { [name]: 'http://x' } })).source).toBe(name);
      });

      const secrets = Object.entries(d.secrets);
      if (secrets.length === 0) return;

      it('refuses its secrets in the file, naming the variable for each', () => {
        for (const [option, env] of secrets)
          expect(
            configError(() => parseConfig({ providers: { [d.name]: { [option]: 'x' } } })).message,
          ).toContain(`set ${env} in the environment`);
      });

      it('fails with auth naming its variables when they are missing, without a request', async () => {
        const zone = supportedZone(d, metric);
        const before = server.requests.length;
        const registry = createRegistry({ config: configFor(d, zone, metric), cache: false });
        const answer = await registry.getSignal({
          zone,
          metric,
          fromMs: NOW,
          toMs: NOW + 3_600_000,
          nowMs: NOW,
        });
        expect(answer.failures).toHaveLength(1);
        expect(answer.failures[0].kind).toBe('auth');
        for (const [, env] of secrets) expect(answer.failures[0].message).toContain(env);
        expect(server.requests.length).toBe(before);
      });

      it('passes its secrets from the environment to the provider', async () => {
        const zone = supportedZone(d, metric);
        const env = Object.fromEntries(secrets.map(([, name]) => [name, 'secret-value']));
        const before = server.requests.length;
        const registry = createRegistry({ config: configFor(d, zone, metric, env), cache: false });
        const answer = await registry.getSignal({
          zone,
          metric,
          fromMs: NOW,
          toMs: NOW + 3_600_000,
          nowMs: NOW,
        });
        // it reached the (failing) API instead of stopping for a missing secret
        expect(answer.failures[0].kind).toBe('unavailable');
        expect(server.requests.length).toBeGreaterThan(before);
      });
    });
  }
});
