import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DE_CARBON, fixtureApi, frCarbon } from './helpers.ts';

/**
 * Compatibility with the Carbon Aware SDK's clients, written from the SDK's own material: the requests of
 * its Postman collection (src/clients/tests/tests.postman_collection.json), the cases of its Web API
 * integration tests (src/CarbonAware.WebApi/test/integrationTests), its controllers and DTOs, and the
 * models of its generated clients (casdk-docs/static/client-apidocs), whose JSON readers refuse fields
 * they do not declare. On the CSV fixtures (DE and FR, hourly, 2025-01-15/16), clock at 2025-01-15T06:20Z.
 */

const api = fixtureApi();
let base: string;
beforeAll(async () => {
  base = await api.app.listen({ port: 0, host: '127.0.0.1' });
});

async function call(method: 'GET' | 'POST', path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${api.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return {
    status: res.status,
    type,
    text,
    body: text && type.includes('json') ? JSON.parse(text) : undefined,
  };
}
const get = (path: string) => call('GET', path);
const post = (path: string, body: unknown) => call('POST', path, body);

const at = (h: number, day = 15) => `2025-01-${day}T${String(h).padStart(2, '0')}:00:00+00:00`;

/** The properties of the generated clients' models (their SERIALIZED_NAME constants). */
const MODEL_KEYS = {
  EmissionsData: ['duration', 'location', 'rating', 'time'],
  EmissionsDataDTO: ['duration', 'location', 'timestamp', 'value'],
  EmissionsForecastDTO: [
    'dataEndAt',
    'dataStartAt',
    'forecastData',
    'generatedAt',
    'location',
    'optimalDataPoints',
    'requestedAt',
    'windowSize',
  ],
  CarbonIntensityDTO: ['carbonIntensity', 'endTime', 'location', 'startTime'],
  Location: ['latitude', 'longitude', 'name'],
};
const keysOf = (o: object) => Object.keys(o).sort();

describe('the Postman collection: GET /emissions/byLocation', () => {
  it('matches the path and the query keys whatever their case, and names the location as asked', async () => {
    const r = await get('/emissions/byLocation?location=germanywestcentral');
    expect(r.status).toBe(200);
    expect(r.body.length).toBeGreaterThan(0);
    for (const point of r.body) {
      expect(keysOf(point)).toEqual(MODEL_KEYS.EmissionsData);
      expect(point.location).toBe('germanywestcentral');
    }
  });

  it('keeps every point within [time, toTime]', async () => {
    const r = await get(
      '/emissions/byLocation?Location=germanywestcentral&TIME=2025-01-15T02:00:00.000Z&toTime=2025-01-15T04:00:00.000Z',
    );
    expect(r.status).toBe(200);
    expect(r.body.map((p: { time: string; rating: number }) => [p.time, p.rating])).toEqual([
      [at(2), DE_CARBON[2]],
      [at(3), DE_CARBON[3]],
    ]);
  });

  it('leaves gridshift’s own routes case-sensitive', async () => {
    expect((await get('/v1/zones')).status).toBe(200);
    expect((await get('/V1/Zones')).status).toBe(404);
  });
});

describe('ASP.NET list binding', () => {
  it('binds location[0], location[1] like repeated location=', async () => {
    const range = 'time=2025-01-15T02:00:00Z&toTime=2025-01-15T03:00:00Z';
    const repeated = await get(`/emissions/bylocations?location=DE&location=francecentral&${range}`);
    const indexed = await get(`/emissions/bylocations?location[1]=francecentral&location[0]=DE&${range}`);
    const encoded = await get(
      `/emissions/bylocations?location%5B0%5D=DE&location%5B1%5D=francecentral&${range}`,
    );
    expect(repeated.body).toEqual([
      { location: 'DE', time: at(2), rating: DE_CARBON[2], duration: '01:00:00' },
      { location: 'francecentral', time: at(2), rating: frCarbon(2), duration: '01:00:00' },
    ]);
    expect(indexed.body).toEqual(repeated.body);
    expect(encoded.body).toEqual(repeated.body);
  });
});

describe('model shapes the generated clients read', () => {
  it('GET /locations: { latitude, longitude, name } and no other field', async () => {
    const r = await get('/LOCATIONS');
    expect(r.status).toBe(200);
    for (const location of Object.values(r.body))
      expect(keysOf(location as object)).toEqual(MODEL_KEYS.Location);
    expect(r.body.northeurope).toEqual({ latitude: null, longitude: null, name: 'northeurope' });
    expect(r.body.eastus.name).toBe('eastus');
  });

  it('GET /emissions/forecasts/current: windowSize 0 when not asked, locations as asked', async () => {
    const r = await get('/emissions/forecasts/current?location=germanywestcentral');
    expect(r.status).toBe(200);
    const [forecast] = r.body;
    expect(keysOf(forecast)).toEqual(MODEL_KEYS.EmissionsForecastDTO);
    expect(forecast.windowSize).toBe(0);
    expect(forecast.location).toBe('germanywestcentral');
    expect(keysOf(forecast.forecastData[0])).toEqual(MODEL_KEYS.EmissionsDataDTO);
    expect(forecast.forecastData[0]).toEqual({
      location: 'germanywestcentral',
      timestamp: at(6),
      duration: 60,
      value: 280,
    });
  });
});

describe('POST /emissions/forecasts/batch', () => {
  it('answers one forecast per item, as known at requestedAt', async () => {
    const item = {
      requestedAt: '2025-01-15T06:20:00Z',
      dataStartAt: '2025-01-15T08:00:00Z',
      dataEndAt: '2025-01-15T14:00:00Z',
      location: 'DE',
      windowSize: 120,
    };
    const r = await post('/emissions/forecasts/batch', [item, item, item]);
    expect(r.status).toBe(200);
    expect(r.body).toHaveLength(3);
    const current = await get(
      '/emissions/forecasts/current?location=DE&dataStartAt=2025-01-15T08:00:00Z&dataEndAt=2025-01-15T14:00:00Z&windowSize=120',
    );
    for (const forecast of r.body) {
      expect(keysOf(forecast)).toEqual(MODEL_KEYS.EmissionsForecastDTO);
      expect(forecast.requestedAt).toBe('2025-01-15T06:20:00+00:00');
      expect(forecast).toEqual(current.body[0]);
    }
    // hours 12 and 13: 160 and 170
    expect(r.body[0].optimalDataPoints).toEqual([
      { location: 'DE', timestamp: at(12), duration: 120, value: 165 },
    ]);
  });

  it('reads the forecast as it stood at an earlier requestedAt', async () => {
    const r = await post('/emissions/forecasts/batch', [
      { requestedAt: '2025-01-15T02:00:00Z', location: 'FR' },
    ]);
    expect(r.status).toBe(200);
    expect(r.body[0].requestedAt).toBe(at(2));
    expect(r.body[0].windowSize).toBe(0);
    expect(r.body[0].forecastData[0]).toEqual({
      location: 'FR',
      timestamp: at(2),
      duration: 60,
      value: frCarbon(2),
    });
  });

  it.each([
    [{ location: null, requestedAt: null }, ['location', 'requestedAt']],
    [{ location: 'eastus', requestedAt: null }, ['requestedAt']],
    [{ location: null, requestedAt: '2021-09-01T08:30:00Z' }, ['location']],
  ])('400 ValidationProblemDetails for missing parameters %j', async (item, missing) => {
    const r = await post('/emissions/forecasts/batch', [item]);
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/application\/problem\+json/);
    expect(r.body).toMatchObject({ status: 400, title: 'ArgumentException' });
    expect(Object.keys(r.body.errors).sort()).toEqual(missing);
    for (const field of missing) expect(r.body.errors[field]).toEqual([`${field} is not set`]);
  });

  it('400 for a date System.Text.Json cannot read, naming its JSON path', async () => {
    const r = await post('/emissions/forecasts/batch', [
      { location: 'eastus', requestedAt: '2021-9-1T08:30:00Z' },
    ]);
    expect(r.status).toBe(400);
    expect(r.body.title).toBe('One or more validation errors occurred.');
    expect(Object.keys(r.body.errors)).toEqual(['$[0].requestedAt']);
    const notAList = await post('/emissions/forecasts/batch', { location: 'DE' });
    expect(notAList.status).toBe(400);
    expect(notAList.body.errors).toBeDefined();
  });
});

describe('POST /emissions/average-carbon-intensity/batch', () => {
  it('answers one average per item, the same as the GET route', async () => {
    const item = { location: 'DE', startTime: '2025-01-15T00:30:00Z', endTime: '2025-01-15T03:00:00Z' };
    const offset = {
      location: 'francecentral',
      startTime: '2025-01-15T01:00:00+01:00',
      endTime: '2025-01-15T03:00:00+01:00',
    };
    const r = await post('/emissions/average-carbon-intensity/batch', [item, offset, item]);
    expect(r.status).toBe(200);
    for (const value of r.body) expect(keysOf(value)).toEqual(MODEL_KEYS.CarbonIntensityDTO);
    // 30 min of 400, an hour each of 380 and 360, over 2.5 h
    expect(r.body[0]).toEqual({
      location: 'DE',
      startTime: '2025-01-15T00:30:00+00:00',
      endTime: '2025-01-15T03:00:00+00:00',
      carbonIntensity: 376,
    });
    expect(r.body[1]).toEqual({
      location: 'francecentral',
      startTime: at(0),
      endTime: at(2),
      carbonIntensity: (frCarbon(0) + frCarbon(1)) / 2,
    });
    expect(r.body[2]).toEqual(r.body[0]);
  });

  it.each([
    [{ location: null, startTime: null, endTime: null }, ['endTime', 'location', 'startTime']],
    [{ location: 'eastus', startTime: null, endTime: null }, ['endTime', 'startTime']],
    [{ location: 'eastus', startTime: '2022-03-01T15:30:00Z', endTime: null }, ['endTime']],
    [{ location: 'eastus', startTime: null, endTime: '2022-03-01T18:00:00Z' }, ['startTime']],
  ])('400 for missing parameters %j', async (item, missing) => {
    const r = await post('/emissions/average-carbon-intensity/batch', [item]);
    expect(r.status).toBe(400);
    expect(Object.keys(r.body.errors).sort()).toEqual(missing);
  });

  it('400 for a date in the wrong format', async () => {
    const r = await post('/emissions/average-carbon-intensity/batch', [
      { location: 'westus', startTime: '2022-3-1T15:30:00Z', endTime: '2022-3-1T18:00:00Z' },
    ]);
    expect(r.status).toBe(400);
    expect(Object.keys(r.body.errors).sort()).toEqual(['$[0].endTime', '$[0].startTime']);
  });
});

describe('GET /health and the OpenAPI document', () => {
  it('/health answers Healthy without a token', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('Healthy');
  });

  it('serves the SDK routes alone at /api/v1/swagger.yaml and /swagger/v1/swagger.json', async () => {
    const yaml = await fetch(`${base}/api/v1/swagger.yaml`);
    expect(yaml.status).toBe(200);
    const doc = parseYaml(await yaml.text());
    const operations = Object.entries(doc.paths as Record<string, object>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual([
      'GET /emissions/average-carbon-intensity',
      'GET /emissions/bylocation',
      'GET /emissions/bylocations',
      'GET /emissions/bylocations/best',
      'GET /emissions/forecasts/current',
      'GET /health',
      'GET /locations',
      'POST /emissions/average-carbon-intensity/batch',
      'POST /emissions/forecasts/batch',
    ]);
    const schemas = doc.components.schemas as Record<string, { properties?: object }>;
    for (const [name, keys] of Object.entries(MODEL_KEYS))
      expect(keysOf(schemas[name]?.properties ?? {}), name).toEqual(keys);
    expect(Object.keys(schemas).some((name) => name.startsWith('Load'))).toBe(false);
    const json = await (await fetch(`${base}/swagger/v1/swagger.json`)).json();
    expect(json).toEqual(doc);
  });
});
