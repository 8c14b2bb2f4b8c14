import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiToken,
  type AuditExportQuery,
  type AuditPage,
  type AuditQuery,
  type AuditVerdict,
  type CloudRegion,
  type CreatedToken,
  createClient,
  type DashboardQuery,
  type DecideNow,
  type DecideNowRequest,
  type ListLoadsQuery,
  type LoadAction,
  type LoadDetail,
  type LoadPage,
  type ModelTier,
  type ModelTierRequest,
  type NewToken,
  OPERATIONS,
  type PlanPreview,
  type PurgeRequest,
  type PurgeResult,
  type Readiness,
  type RecurringList,
  type RecurringLoad,
  type ReplanSummary,
  type ReportQuery,
  type SignalsQuery,
  type SubmitResult,
  type TokenList,
  type Zone,
} from '../../src/client/index.ts';
import { startTestApi, type TestApi } from './harness.ts';

/**
 * The client against the OpenAPI document of a real server: every method's operation exists, every /v1
 * operation has a method, and the types written out in src/client/types.ts have exactly the fields the
 * document gives, each required or optional as there and of the same JSON kinds (string, number, boolean,
 * array, object, null). Each field list is written once, as `{ field: 'string|null', other: 'number?' }`:
 * `fields<T>()` ties it to the type at compile time (`npm run check`), the test ties it to the document.
 */

type Json = Record<string, unknown>;
interface Doc {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
}

/** For each field of T: true when it is required, false when optional (query parameters). */
type RequiredMap<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? false : true };
type KeysOfUnion<U> = U extends unknown ? keyof U : never;

/** The JSON kinds a TypeScript type takes (a union of them). */
type JsonKind<V> = V extends null
  ? 'null'
  : V extends string
    ? 'string'
    : V extends number
      ? 'number'
      : V extends boolean
        ? 'boolean'
        : V extends readonly unknown[]
          ? 'array'
          : V extends object
            ? 'object'
            : never;
type KindsIn<S extends string> = S extends `${infer A}|${infer B}` ? A | KindsIn<B> : S;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type IsOptional<T, K extends keyof T> = Record<never, never> extends Pick<T, K> ? true : false;
/** Whether `spec` (`string|null`, `number?` ...) says what field K of T is. */
type FieldMatches<T, K extends keyof T, Spec> = Spec extends `${infer Kinds}?`
  ? IsOptional<T, K> extends true
    ? Same<JsonKind<Exclude<T[K], undefined>>, KindsIn<Kinds>>
    : false
  : Spec extends string
    ? IsOptional<T, K> extends true
      ? false
      : Same<JsonKind<T[K]>, KindsIn<Spec>>
    : false;
type FieldSpecs<T, S> = {
  [K in keyof T]-?: K extends keyof S
    ? FieldMatches<T, K, S[K]> extends true
      ? S[K]
      : 'not its type'
    : string;
} & { [K in Exclude<keyof S, keyof T>]: never };

/** Every field of T with its JSON kinds, `?` marking an optional one; checked against T when compiled. */
const fields =
  <T>() =>
  <const S extends Record<keyof T, string>>(spec: S & FieldSpecs<T, S>): Record<string, string> =>
    spec;

let api: TestApi;
let doc: Doc;

beforeAll(async () => {
  api = await startTestApi();
  const response = await fetch(`${api.url}/openapi.json`);
  expect(response.status).toBe(200);
  doc = (await response.json()) as Doc;
});
afterAll(async () => {
  await api?.close();
});

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function operationsIn(d: Doc): string[] {
  return Object.entries(d.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => METHODS.includes(m))
      .map((m) => `${m.toUpperCase()} ${path}`),
  );
}

/** The client's methods as dotted names (`loads.create`), found by walking a client object. */
function clientMethods(): string[] {
  const names: string[] = [];
  const walk = (o: Record<string, unknown>, prefix: string) => {
    for (const [key, value] of Object.entries(o)) {
      if (typeof value === 'function') names.push(prefix + key);
      else if (value && typeof value === 'object') walk(value as Record<string, unknown>, `${prefix}${key}.`);
    }
  };
  walk(createClient({ baseUrl: 'http://127.0.0.1:1' }) as unknown as Record<string, unknown>, '');
  return names.sort();
}

function resolve(schema: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.replace('#/components/schemas/', '');
  const target = doc.components.schemas[name];
  if (!target) throw new Error(`no component ${name}`);
  return resolve(target);
}

const operation = (method: string, path: string): Json => {
  const op = doc.paths[path]?.[method];
  if (!op) throw new Error(`no operation ${method.toUpperCase()} ${path}`);
  return op;
};

function responseSchema(method: string, path: string, status: string): Json {
  const content = (operation(method, path).responses as Record<string, Json>)[status].content as Record<
    string,
    Json
  >;
  return resolve(content['application/json'].schema as Json);
}

function bodySchema(method: string, path: string): Json {
  const body = operation(method, path).requestBody as Json;
  return resolve((body.content as Record<string, Json>)['application/json'].schema as Json);
}

/** The JSON kinds a schema allows, sorted: `integer` is a number, a schema without a type any. */
function kindsOf(schema: Json): string[] {
  const s = resolve(schema);
  const alternatives = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  const kinds = alternatives
    ? alternatives.flatMap(kindsOf)
    : s.type === undefined
      ? ['any']
      : [s.type as string | string[]].flat().map((t) => (t === 'integer' ? 'number' : t));
  return [...new Set(kinds)].sort();
}

/** An object schema's fields: name -> `kind|kind`, with `?` when optional. */
function fieldsOf(schema: Json): Record<string, string> {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.fromEntries(
    Object.entries(schema.properties as Record<string, Json>).map(([k, v]) => [
      k,
      `${kindsOf(v).join('|')}${required.has(k) ? '' : '?'}`,
    ]),
  );
}

/** A field list with the kinds of each field in sorted order, to compare with the document's. */
const canonical = (spec: Record<string, string>) =>
  sorted(
    Object.fromEntries(
      Object.entries(spec).map(([k, v]) => {
        const optional = v.endsWith('?');
        const kinds = v.replace(/\?$/, '').split('|').sort().join('|');
        return [k, `${kinds}${optional ? '?' : ''}`];
      }),
    ),
  );

/** Query parameters of an operation: name -> required. */
function queryOf(method: string, path: string): Record<string, boolean> {
  const params = (operation(method, path).parameters as Json[] | undefined) ?? [];
  return Object.fromEntries(
    params.filter((p) => p.in === 'query').map((p) => [p.name as string, p.required === true]),
  );
}

const sorted = <V>(o: Record<string, V>) =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));

describe('the client and /openapi.json', () => {
  it('every client method calls an operation of the document, with that method and path', () => {
    const inDoc = new Set(operationsIn(doc));
    for (const [name, [method, path]] of Object.entries(OPERATIONS)) {
      expect(inDoc.has(`${method} ${path}`), `${name}: ${method} ${path}`).toBe(true);
    }
  });

  it('every /v1 operation of the document (and the health routes) has a client method', () => {
    const covered = new Set(Object.values(OPERATIONS).map(([m, p]) => `${m} ${p}`));
    const wanted = operationsIn(doc).filter((op) => / \/v1\//.test(op) || / \/(healthz|readyz)$/.test(op));
    expect(wanted.length).toBeGreaterThan(25);
    expect(wanted.filter((op) => !covered.has(op))).toEqual([]);
  });

  it('the client object has exactly the methods of the operations table', () => {
    expect(clientMethods()).toEqual(Object.keys(OPERATIONS).sort());
  });

  it('written-out response types have the fields of their schemas, of the same kinds', () => {
    const components: [string, Record<string, string>][] = [
      [
        'SubmitResult',
        fields<SubmitResult>()({ load: 'object', plan: 'object', created: 'boolean', templateId: 'string?' }),
      ],
      ['PlanPreview', fields<PlanPreview>()({ plan: 'object' })],
      ['LoadDetail', fields<LoadDetail>()({ load: 'object', events: 'array', accounting: 'object|null' })],
      ['LoadPage', fields<LoadPage>()({ loads: 'array', nextCursor: 'string|null' })],
      [
        'RecurringLoad',
        fields<RecurringLoad>()({
          id: 'string',
          name: 'string',
          spec: 'object',
          cron: 'string',
          flexMin: 'number',
          timeZone: 'string',
          idempotencyKey: 'string|null',
          active: 'boolean',
          lastNominal: 'string|null',
          createdAt: 'string',
          updatedAt: 'string',
          cancelledAt: 'string|null',
        }),
      ],
      [
        'ApiToken',
        fields<ApiToken>()({
          id: 'string',
          name: 'string',
          scopes: 'array',
          createdAt: 'string',
          lastUsedAt: 'string|null',
          revokedAt: 'string|null',
        }),
      ],
      [
        'Zone',
        fields<Zone>()({
          code: 'string',
          name: 'string',
          timeZone: 'string',
          country: 'string',
          parent: 'string?',
          aliases: 'array',
          metric: 'string',
          failurePolicy: 'string',
          sources: 'object',
        }),
      ],
      [
        'CloudRegion',
        fields<CloudRegion>()({ provider: 'string', region: 'string', zone: 'string', location: 'string' }),
      ],
      [
        'DecideNow',
        fields<DecideNow>()({
          action: 'string',
          reason: 'string',
          zone: 'string',
          metric: 'string',
          unit: 'string|null',
          startAt: 'string',
          current: 'number|null',
          bestValue: 'number|null',
          bestAt: 'string|null',
          expectedSavingsPct: 'number',
          deadline: 'string',
          durationMin: 'number',
          source: 'string|null',
          degraded: 'boolean',
          reasons: 'array',
        }),
      ],
      [
        'ModelTier',
        fields<ModelTier>()({
          tier: 'string',
          reason: 'string',
          zone: 'string',
          signals: 'object',
          source: 'string|null',
          degraded: 'boolean',
        }),
      ],
      [
        'ReplanSummary',
        fields<ReplanSummary>()({
          ran: 'boolean',
          skipped: 'string?',
          considered: 'number',
          moved: 'number',
          held: 'number',
          startedAt: 'string',
          finishedAt: 'string',
        }),
      ],
    ];
    for (const [name, spec] of components) {
      expect(sorted(fieldsOf(resolve({ $ref: `#/components/schemas/${name}` }))), name).toEqual(
        canonical(spec),
      );
    }
    const responses: [string, string, string, Record<string, string>][] = [
      ['get', '/v1/tokens', '200', fields<TokenList>()({ tokens: 'array' })],
      ['post', '/v1/tokens', '201', fields<CreatedToken>()({ token: 'object', secret: 'string' })],
      ['get', '/v1/audit', '200', fields<AuditPage>()({ decisions: 'array', nextAfterSeq: 'number|null' })],
      ['get', '/v1/recurring', '200', fields<RecurringList>()({ recurring: 'array' })],
      ['post', '/v1/loads/purge', '200', fields<PurgeResult>()({ purged: 'number' })],
      ['post', '/v1/loads/{id}/cancel', '200', fields<LoadAction>()({ load: 'object' })],
      ['get', '/readyz', '200', fields<Readiness>()({ status: 'string', checks: 'array' })],
    ];
    for (const [method, path, status, spec] of responses) {
      expect(sorted(fieldsOf(responseSchema(method, path, status))), `${method} ${path}`).toEqual(
        canonical(spec),
      );
    }
    // the verdict is a union in TypeScript (ok: true | ok: false): its fields together are the schema's
    const verdictKeys = {
      ok: true,
      count: true,
      lastHash: true,
      brokenSeq: true,
      problem: true,
    } satisfies Record<KeysOfUnion<AuditVerdict>, true>;
    expect(Object.keys(fieldsOf(resolve({ $ref: '#/components/schemas/AuditVerdict' }))).sort()).toEqual(
      Object.keys(verdictKeys).sort(),
    );
  });

  it('the kinds are read from the document as written', () => {
    expect(kindsOf({ type: ['string', 'null'] })).toEqual(['null', 'string']);
    expect(kindsOf({ anyOf: [{ type: 'integer' }, { type: 'null' }] })).toEqual(['null', 'number']);
    expect(kindsOf({ $ref: '#/components/schemas/LoadAccounting' })).toEqual(['object']);
    expect(kindsOf({})).toEqual(['any']);
    expect(canonical({ b: 'string|null', a: 'null|number?' })).toEqual({
      a: 'null|number?',
      b: 'null|string',
    });
  });

  it('written-out request types have the fields of their bodies and query parameters', () => {
    const bodies: [string, Record<string, string>][] = [
      [
        '/v1/decide/now',
        fields<DecideNowRequest>()({
          zone: 'string',
          durationMin: 'number?',
          deadline: 'string?',
          metric: 'string?',
          tolerancePct: 'number?',
          runAtOrBelow: 'number?',
          stepMin: 'number?',
        }),
      ],
      [
        '/v1/decide/model-tier',
        fields<ModelTierRequest>()({
          zone: 'string',
          carbonBelow: 'number?',
          belowForecastMean: 'boolean?',
          priceBelow: 'number?',
          solarKw: 'number?',
          minSolarKw: 'number?',
          forecastHours: 'number?',
        }),
      ],
      ['/v1/tokens', fields<NewToken>()({ name: 'string', scopes: 'array' })],
      ['/v1/loads/purge', fields<PurgeRequest>()({ before: 'string?', olderThanDays: 'number?' })],
    ];
    for (const [path, spec] of bodies) {
      expect(sorted(fieldsOf(bodySchema('post', path))), path).toEqual(canonical(spec));
    }
    const queries: [string, Record<string, boolean>][] = [
      [
        '/v1/loads',
        {
          state: false,
          tag: false,
          zone: false,
          createdFrom: false,
          createdBefore: false,
          cursor: false,
          limit: false,
        } satisfies RequiredMap<ListLoadsQuery>,
      ],
      [
        '/v1/reports',
        {
          from: false,
          to: false,
          groupBy: false,
          zone: false,
          tag: false,
          tz: false,
        } satisfies RequiredMap<ReportQuery>,
      ],
      ['/v1/audit', { afterSeq: false, loadId: false, limit: false } satisfies RequiredMap<AuditQuery>],
      ['/v1/audit/export', { afterSeq: false, loadId: false } satisfies RequiredMap<AuditExportQuery>],
      [
        '/v1/signals/{zone}',
        { metric: false, hours: false, stepMin: false, threshold: false } satisfies RequiredMap<SignalsQuery>,
      ],
      [
        '/v1/dashboard',
        {
          zone: false,
          hours: false,
          pastHours: false,
          stepMin: false,
          threshold: false,
        } satisfies RequiredMap<DashboardQuery>,
      ],
      ['/v1/zones', { search: false }],
      ['/v1/cloud-regions', { provider: false, zone: false }],
      ['/v1/recurring', { active: false }],
      ['/v1/events', { types: false }],
    ];
    for (const [path, params] of queries) {
      expect(sorted(queryOf('get', path)), path).toEqual(sorted(params));
    }
  });
});

describe('the client bundle', () => {
  it('loads nothing at run time but its own modules (no Fastify, no zod, no store)', () => {
    const dir = fileURLToPath(new URL('../../src/client/', import.meta.url));
    const imports: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(`${dir}${file}`, 'utf8');
      // `import type` and `export type` are erased; everything else is loaded
      for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+'([^']+)'/gms))
        imports.push(`${file} -> ${m[1]}`);
    }
    expect(imports).toContain('index.ts -> ./errors.ts');
    expect(imports.filter((i) => !/ -> \.\/[\w-]+\.ts$/.test(i))).toEqual([]);
  });
});
