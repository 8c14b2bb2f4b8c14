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
 * operation has a method, and the types written out in src/client/types.ts have exactly the fields (and
 * required fields) the document gives. The `satisfies RequiredMap<T>` below tie each list to its type at
 * compile time (`npm run check`); the test ties it to the document.
 */

type Json = Record<string, unknown>;
interface Doc {
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
}

/** For each field of T: true when it is required, false when optional. */
type RequiredMap<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? false : true };
type KeysOfUnion<U> = U extends unknown ? keyof U : never;

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

/** An object schema's fields: name -> required. */
function fieldsOf(schema: Json): Record<string, boolean> {
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.fromEntries(Object.keys(schema.properties as Json).map((k) => [k, required.has(k)]));
}

/** Query parameters of an operation: name -> required. */
function queryOf(method: string, path: string): Record<string, boolean> {
  const params = (operation(method, path).parameters as Json[] | undefined) ?? [];
  return Object.fromEntries(
    params.filter((p) => p.in === 'query').map((p) => [p.name as string, p.required === true]),
  );
}

const sorted = (o: Record<string, boolean>) =>
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

  it('written-out response types have the fields of their schemas', () => {
    const components: [string, Record<string, boolean>][] = [
      [
        'SubmitResult',
        { load: true, plan: true, created: true, templateId: false } satisfies RequiredMap<SubmitResult>,
      ],
      ['PlanPreview', { plan: true } satisfies RequiredMap<PlanPreview>],
      ['LoadDetail', { load: true, events: true, accounting: true } satisfies RequiredMap<LoadDetail>],
      ['LoadPage', { loads: true, nextCursor: true } satisfies RequiredMap<LoadPage>],
      [
        'RecurringLoad',
        {
          id: true,
          name: true,
          spec: true,
          cron: true,
          flexMin: true,
          timeZone: true,
          idempotencyKey: true,
          active: true,
          lastNominal: true,
          createdAt: true,
          updatedAt: true,
          cancelledAt: true,
        } satisfies RequiredMap<RecurringLoad>,
      ],
      [
        'ApiToken',
        {
          id: true,
          name: true,
          scopes: true,
          createdAt: true,
          lastUsedAt: true,
          revokedAt: true,
        } satisfies RequiredMap<ApiToken>,
      ],
      [
        'Zone',
        {
          code: true,
          name: true,
          timeZone: true,
          country: true,
          parent: false,
          aliases: true,
          metric: true,
          failurePolicy: true,
          sources: true,
        } satisfies RequiredMap<Zone>,
      ],
      [
        'CloudRegion',
        { provider: true, region: true, zone: true, location: true } satisfies RequiredMap<CloudRegion>,
      ],
      [
        'DecideNow',
        {
          action: true,
          reason: true,
          zone: true,
          metric: true,
          unit: true,
          startAt: true,
          current: true,
          bestValue: true,
          bestAt: true,
          expectedSavingsPct: true,
          deadline: true,
          durationMin: true,
          source: true,
          degraded: true,
          reasons: true,
        } satisfies RequiredMap<DecideNow>,
      ],
      [
        'ModelTier',
        {
          tier: true,
          reason: true,
          zone: true,
          signals: true,
          source: true,
          degraded: true,
        } satisfies RequiredMap<ModelTier>,
      ],
      [
        'ReplanSummary',
        {
          ran: true,
          skipped: false,
          considered: true,
          moved: true,
          held: true,
          startedAt: true,
          finishedAt: true,
        } satisfies RequiredMap<ReplanSummary>,
      ],
    ];
    for (const [name, fields] of components) {
      expect(sorted(fieldsOf(resolve({ $ref: `#/components/schemas/${name}` }))), name).toEqual(
        sorted(fields),
      );
    }
    const responses: [string, string, string, Record<string, boolean>][] = [
      ['get', '/v1/tokens', '200', { tokens: true } satisfies RequiredMap<TokenList>],
      ['post', '/v1/tokens', '201', { token: true, secret: true } satisfies RequiredMap<CreatedToken>],
      ['get', '/v1/audit', '200', { decisions: true, nextAfterSeq: true } satisfies RequiredMap<AuditPage>],
      ['get', '/v1/recurring', '200', { recurring: true } satisfies RequiredMap<RecurringList>],
      ['post', '/v1/loads/purge', '200', { purged: true } satisfies RequiredMap<PurgeResult>],
      ['post', '/v1/loads/{id}/cancel', '200', { load: true } satisfies RequiredMap<LoadAction>],
      ['get', '/readyz', '200', { status: true, checks: true } satisfies RequiredMap<Readiness>],
    ];
    for (const [method, path, status, fields] of responses) {
      expect(sorted(fieldsOf(responseSchema(method, path, status))), `${method} ${path}`).toEqual(
        sorted(fields),
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

  it('written-out request types have the fields of their bodies and query parameters', () => {
    const bodies: [string, Record<string, boolean>][] = [
      [
        '/v1/decide/now',
        {
          zone: true,
          durationMin: false,
          deadline: false,
          metric: false,
          tolerancePct: false,
          runAtOrBelow: false,
          stepMin: false,
        } satisfies RequiredMap<DecideNowRequest>,
      ],
      [
        '/v1/decide/model-tier',
        {
          zone: true,
          carbonBelow: false,
          belowForecastMean: false,
          priceBelow: false,
          solarKw: false,
          minSolarKw: false,
          forecastHours: false,
        } satisfies RequiredMap<ModelTierRequest>,
      ],
      ['/v1/tokens', { name: true, scopes: true } satisfies RequiredMap<NewToken>],
      ['/v1/loads/purge', { before: false, olderThanDays: false } satisfies RequiredMap<PurgeRequest>],
    ];
    for (const [path, fields] of bodies) {
      expect(sorted(fieldsOf(bodySchema('post', path))), path).toEqual(sorted(fields));
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
        } satisfies RequiredMap<ReportQuery>,
      ],
      ['/v1/audit', { afterSeq: false, loadId: false, limit: false } satisfies RequiredMap<AuditQuery>],
      ['/v1/audit/export', { afterSeq: false, loadId: false } satisfies RequiredMap<AuditExportQuery>],
      [
        '/v1/signals/{zone}',
        { metric: false, hours: false, stepMin: false, threshold: false } satisfies RequiredMap<SignalsQuery>,
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
