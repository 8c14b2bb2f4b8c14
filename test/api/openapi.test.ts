import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { bearer, fixtureApi } from './helpers.ts';

/**
 * /openapi.json describes every route with its parameters, is an OpenAPI 3.1 document whose schemas
 * compile as JSON Schema 2020-12 with every $ref resolving, and its response schemas accept what the
 * routes actually answer.
 */

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document walked by hand
type Json = Record<string, any>;

const api = fixtureApi();
let doc: Json;

beforeAll(async () => {
  await api.app.ready();
  const r = await api.app.inject({ url: '/openapi.json' });
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toMatch(/application\/json/);
  doc = r.json();
});

/** Every route of the server, from Fastify's route tree: method and path in Fastify syntax (`:id`). */
function serverRoutes(instance: FastifyInstance): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of instance.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+) \(([^)]+)\)$/.exec(line);
    if (!m) continue;
    const depth = m[1].length / 4;
    stack.length = depth;
    stack.push(m[2]);
    const path = stack.join('');
    for (const method of m[3].split(', ')) if (method !== 'HEAD') out.push({ method, path });
  }
  return out;
}

const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

describe('/openapi.json', () => {
  it('is an OpenAPI 3.1 document with paths, components and a bearer scheme', () => {
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'gridshift' });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(25);
    expect(Object.keys(doc.components.schemas).length).toBeGreaterThan(10);
    expect(doc.components.securitySchemes.bearer).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
  });

  it('documents every route the server has, except the documents themselves', () => {
    const documents = ['/openapi.json', '/api/v1/swagger.yaml', '/swagger/v1/swagger.json'];
    const routes = serverRoutes(api.app).filter(
      (r) => !r.path.startsWith('/docs') && !documents.includes(r.path),
    );
    expect(routes.length).toBeGreaterThan(30);
    const missing = routes.filter((r) => !doc.paths[toOpenApiPath(r.path)]?.[r.method.toLowerCase()]);
    expect(missing).toEqual([]);
    // and nothing that does not exist
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops as Json).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${toOpenApiPath(r.path)}`).sort());
  });

  it('names the scope of every operation; public ones need no token', () => {
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops as Json))
        expect(['public', 'read', 'write', 'admin'], `${method} ${path}`).toContain(op['x-gridshift-scope']);
    expect(doc.paths['/healthz'].get.security).toEqual([]);
    expect(doc.paths['/v1/loads'].post['x-gridshift-scope']).toBe('write');
    expect(doc.paths['/v1/scheduler/pause'].post['x-gridshift-scope']).toBe('admin');
    expect(doc.paths['/v1/loads'].get.security).toBeUndefined();
  });

  it('declares every path parameter, and the query parameters of the routes', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(ops as Json)) {
        const params = (op.parameters ?? []) as Json[];
        for (const name of names)
          expect(
            params.some((p) => p.in === 'path' && p.name === name && p.required),
            `${method} ${path} ${name}`,
          ).toBe(true);
        expect(
          Object.keys(op.responses ?? {}).some((s) => s.startsWith('2')),
          `${method} ${path}`,
        ).toBe(true);
      }
    }
    const query = (path: string, method = 'get') =>
      (doc.paths[path][method].parameters as Json[]).filter((p) => p.in === 'query').map((p) => p.name);
    expect(query('/v1/loads')).toEqual([
      'state',
      'tag',
      'zone',
      'createdFrom',
      'createdBefore',
      'cursor',
      'limit',
    ]);
    expect(query('/v1/signals/{zone}')).toEqual(['metric', 'hours', 'stepMin', 'threshold']);
    expect(query('/v1/reports')).toEqual(['from', 'to', 'groupBy', 'zone', 'tag', 'tz']);
    expect(query('/emissions/bylocations')).toEqual(['location', 'time', 'toTime', 'durationMinutes']);
    expect(query('/emissions/forecasts/current')).toEqual([
      'location',
      'dataStartAt',
      'dataEndAt',
      'windowSize',
    ]);
    expect(query('/emissions/average-carbon-intensity')).toEqual(['location', 'startTime', 'endTime']);
    expect(doc.paths['/v1/loads'].post.requestBody.content['application/json'].schema.$ref).toBe(
      '#/components/schemas/NewLoadInput',
    );
  });

  it('has schemas that compile as JSON Schema 2020-12, with every $ref resolving', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema(doc, 'openapi.json');
    const schemas: Json[] = [];
    const collect = (node: unknown, key?: string): void => {
      if (Array.isArray(node)) {
        for (const n of node) collect(n);
        return;
      }
      if (node === null || typeof node !== 'object') return;
      if (key === 'schema') schemas.push(node as Json);
      for (const [k, v] of Object.entries(node)) collect(v, k);
    };
    collect(doc.paths);
    schemas.push(...Object.values(doc.components.schemas as Json));
    expect(schemas.length).toBeGreaterThan(50);
    for (const s of schemas) {
      const text = JSON.stringify(s).replaceAll('"#/components/', '"openapi.json#/components/');
      expect(() => ajv.compile(JSON.parse(text))).not.toThrow();
    }
  });

  it('describes what the routes answer', async () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema(doc, 'openapi.json');
    const check = async (path: string, url: string, status = 200) => {
      const r = await api.app.inject({ url, headers: bearer(api.token) });
      expect(r.statusCode, url).toBe(status);
      const responses = doc.paths[path].get.responses[String(status)];
      const schema =
        responses.content['application/json']?.schema ??
        responses.content['application/problem+json']?.schema;
      const validate = ajv.compile(
        JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/')),
      );
      expect(validate(r.json()), `${url}: ${JSON.stringify(validate.errors)}`).toBe(true);
    };
    await check('/v1/signals/{zone}', '/v1/signals/DE?hours=4');
    await check('/v1/zones', '/v1/zones');
    await check('/emissions/forecasts/current', '/emissions/forecasts/current?location=DE&windowSize=90');
    await check(
      '/emissions/bylocations',
      '/emissions/bylocations?location=DE&location=FR&time=2025-01-15T00:00Z&toTime=2025-01-15T05:00Z',
    );
    await check('/emissions/bylocations', '/emissions/bylocations?time=2025-01-15T00:00Z', 400);
    await check('/locations', '/locations');
    await check('/v1/signals/{zone}', '/v1/signals/nowhere', 404);
  });

  it('is browsable at /docs', async () => {
    const r = await api.app.inject({ url: '/docs' });
    expect([200, 302]).toContain(r.statusCode);
    const page = await api.app.inject({ url: '/docs/' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('swagger');
  });
});
