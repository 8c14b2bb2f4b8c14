import { beforeAll, describe, expect, it } from 'vitest';
import { DE_CARBON, fixtureApi, frCarbon } from './helpers.ts';

/**
 * The Carbon Aware SDK routes over real HTTP, on the CSV fixtures (DE and FR, hourly, 2025-01-15/16) with
 * the clock at 2025-01-15T06:20Z. Expected values are worked out by hand from the fixture tables.
 */

const api = fixtureApi();
let base: string;
beforeAll(async () => {
  base = await api.app.listen({ port: 0, host: '127.0.0.1' });
});

async function get(path: string, auth = true) {
  const res = await fetch(`${base}${path}`, {
    headers: auth ? { authorization: `Bearer ${api.token}` } : {},
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    body: text ? JSON.parse(text) : undefined,
  };
}

const at = (h: number, day = 15) => `2025-01-${day}T${String(h).padStart(2, '0')}:00:00+00:00`;

describe('GET /emissions/bylocation', () => {
  it('returns the values overlapping [time, toTime) with their duration', async () => {
    const r = await get(
      '/emissions/bylocation?location=DE&time=2025-01-15T02:00:00Z&toTime=2025-01-15T04:00:00Z',
    );
    expect(r.status).toBe(200);
    expect(r.body).toEqual([
      { location: 'DE', time: at(2), rating: DE_CARBON[2], duration: '01:00:00' },
      { location: 'DE', time: at(3), rating: DE_CARBON[3], duration: '01:00:00' },
    ]);
  });

  it('defaults to the value holding now, and accepts a cloud region', async () => {
    const r = await get('/emissions/bylocation?location=germanywestcentral');
    expect(r.body).toEqual([
      { location: 'germanywestcentral', time: at(6), rating: 280, duration: '01:00:00' },
    ]);
  });

  it('answers 204 without a body when there is no data', async () => {
    const r = await get('/emissions/bylocation?location=westeurope');
    expect(r.status).toBe(204);
    expect(r.body).toBeUndefined();
  });

  it('answers bad requests with a ValidationProblemDetails naming the parameter', async () => {
    const missing = await get('/emissions/bylocation');
    expect(missing.status).toBe(400);
    expect(missing.type).toMatch(/application\/problem\+json/);
    expect(missing.body).toMatchObject({
      title: 'One or more validation errors occurred.',
      status: 400,
      errors: { location: ['The location field is required.'] },
    });
    expect((await get('/emissions/bylocation?location=')).body.errors.location).toBeDefined();
    const toOnly = await get('/emissions/bylocation?location=DE&toTime=2025-01-15T04:00:00Z');
    expect(toOnly.status).toBe(400);
    expect(toOnly.body).toMatchObject({
      title: 'ArgumentException',
      errors: { time: [expect.stringMatching(/defined/)] },
    });
    const reversed = await get(
      '/emissions/bylocation?location=DE&time=2025-01-15T04:00Z&toTime=2025-01-15T04:00Z',
    );
    expect(reversed.body.errors.time).toEqual(['time must be before toTime']);
    const badTime = await get('/emissions/bylocation?location=DE&time=tomorrow');
    expect(badTime.body.errors.time).toEqual(["The value 'tomorrow' is not valid for time."]);
    const unknown = await get('/emissions/bylocation?location=atlantis');
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors.location[0]).toMatch(/unknown zone or cloud region "atlantis"/);
  });

  it('needs a read token like every data route', async () => {
    const r = await get('/emissions/bylocation?location=DE', false);
    expect(r.status).toBe(401);
  });
});

describe('GET /emissions/bylocations and /bylocations/best', () => {
  const range = 'time=2025-01-15T02:00:00Z&toTime=2025-01-15T04:00:00Z';

  it('returns the data of every location', async () => {
    const r = await get(`/emissions/bylocations?location=DE&location=FR&${range}`);
    expect(r.status).toBe(200);
    expect(r.body.map((e: { location: string; rating: number }) => [e.location, e.rating])).toEqual([
      ['DE', 360],
      ['DE', 340],
      ['FR', frCarbon(2)],
      ['FR', frCarbon(3)],
    ]);
  });

  it('best: the lowest rating across locations and times', async () => {
    const r = await get(`/emissions/bylocations/best?location=DE&location=FR&${range}`);
    expect(r.body).toEqual([{ location: 'FR', time: at(2), rating: 70, duration: '01:00:00' }]);
  });

  it('best: every point on a tie', async () => {
    const r = await get(
      '/emissions/bylocations/best?location=FR&time=2025-01-15T00:00Z&toTime=2025-01-15T08:00Z',
    );
    expect(r.body.map((e: { time: string; rating: number }) => [e.time, e.rating])).toEqual([
      [at(0), 50],
      [at(4), 50],
    ]);
  });

  it('best: 204 when no location has data; 400 without a location', async () => {
    expect((await get(`/emissions/bylocations/best?location=westeurope&${range}`)).status).toBe(204);
    expect((await get(`/emissions/bylocations/best?${range}`)).status).toBe(400);
  });
});

describe('GET /emissions/forecasts/current', () => {
  it('rolls the forecast over windowSize within dataStartAt..dataEndAt and names the optimal window', async () => {
    const r = await get(
      '/emissions/forecasts/current?location=DE&dataStartAt=2025-01-15T08:00:00Z&dataEndAt=2025-01-15T14:00:00Z&windowSize=120',
    );
    expect(r.status).toBe(200);
    // hours 8..13: 240 220 200 180 160 170; two-hour means from 08:00, the last ending at 14:00
    const mean = (h: number) => (DE_CARBON[h] + DE_CARBON[h + 1]) / 2;
    const window = (h: number) => ({ location: 'DE', timestamp: at(h), duration: 120, value: mean(h) });
    expect(r.body).toEqual([
      {
        generatedAt: '2025-01-15T06:20:00+00:00',
        requestedAt: '2025-01-15T06:20:00+00:00',
        location: 'DE',
        dataStartAt: at(8),
        dataEndAt: at(14),
        windowSize: 120,
        optimalDataPoints: [window(12)],
        forecastData: [8, 9, 10, 11, 12].map(window),
      },
    ]);
    expect(mean(12)).toBe(165);
  });

  it('without parameters returns the data points from the slot holding now, one per location', async () => {
    const r = await get('/emissions/forecasts/current?location=DE&location=eu-west-3');
    expect(r.body).toHaveLength(2);
    const [de, fr] = r.body;
    expect(de.forecastData).toHaveLength(24);
    expect(de.forecastData[0]).toEqual({ location: 'DE', timestamp: at(6), duration: 60, value: 280 });
    // no windowSize asked: the SDK answers 0
    expect(de.windowSize).toBe(0);
    expect(de.dataStartAt).toBe(at(6));
    expect(de.dataEndAt).toBe(at(5, 16));
    // lowest of hours 6..23 and 0..5 of the next day: 160 at 12:00
    expect(de.optimalDataPoints).toEqual([{ location: 'DE', timestamp: at(12), duration: 60, value: 160 }]);
    expect(fr.location).toBe('eu-west-3');
    expect(fr.forecastData[0].location).toBe('eu-west-3');
    // FR repeats 50 60 70 80 from midnight: every 4th hour from 08:00 is a 50
    expect(fr.optimalDataPoints.map((p: { timestamp: string }) => p.timestamp)).toEqual([
      at(8),
      at(12),
      at(16),
      at(20),
      at(0, 16),
      at(4, 16),
    ]);
  });

  it('refuses boundaries outside the forecast', async () => {
    const r = await get(
      '/emissions/forecasts/current?location=DE&dataStartAt=1999-01-01T00:00:00Z&dataEndAt=1999-01-02T00:00:00Z',
    );
    expect(r.status).toBe(400);
    expect(r.body.title).toBe('ArgumentException');
    expect(r.body.errors.dataStartAt[0]).toMatch(/must be within time range of the forecasted data/);
    expect(r.body.errors.dataEndAt[0]).toMatch(/must be within time range of the forecasted data/);
    const bad = await get('/emissions/forecasts/current?location=DE&windowSize=ten');
    expect(bad.body.errors.windowSize).toBeDefined();
  });

  it('answers 501 where there is no forecast', async () => {
    const r = await get('/emissions/forecasts/current?location=westeurope');
    expect(r.status).toBe(501);
    expect(r.body.status).toBe(501);
  });
});

describe('GET /emissions/average-carbon-intensity', () => {
  it('time-weights the values over the period', async () => {
    const r = await get(
      '/emissions/average-carbon-intensity?location=DE&startTime=2025-01-15T00:30:00Z&endTime=2025-01-15T03:00:00Z',
    );
    expect(r.status).toBe(200);
    // 30 min of 400, an hour each of 380 and 360, over 2.5 h
    expect(r.body).toEqual({
      location: 'DE',
      startTime: '2025-01-15T00:30:00+00:00',
      endTime: '2025-01-15T03:00:00+00:00',
      carbonIntensity: (400 * 0.5 + 380 + 360) / 2.5,
    });
    expect(r.body.carbonIntensity).toBe(376);
  });

  it('reads offsets and echoes the location as given', async () => {
    const r = await get(
      '/emissions/average-carbon-intensity?location=francecentral&startTime=2025-01-15T01:00:00%2B01:00&endTime=2025-01-15T03:00:00%2B01:00',
    );
    // 00:00Z to 02:00Z
    expect(r.body.location).toBe('francecentral');
    expect(r.body.startTime).toBe('2025-01-15T00:00:00+00:00');
    expect(r.body.carbonIntensity).toBe((frCarbon(0) + frCarbon(1)) / 2);
  });

  it('names missing parameters and refuses a period without data', async () => {
    const r = await get('/emissions/average-carbon-intensity?location=DE');
    expect(r.status).toBe(400);
    expect(Object.keys(r.body.errors).sort()).toEqual(['endTime', 'startTime']);
    const reversed = await get(
      '/emissions/average-carbon-intensity?location=DE&startTime=2025-01-15T03:00Z&endTime=2025-01-15T01:00Z',
    );
    expect(reversed.body.errors.startTime).toEqual(['startTime must be before endTime']);
    const none = await get(
      '/emissions/average-carbon-intensity?location=DE&startTime=2024-01-15T03:00Z&endTime=2024-01-15T05:00Z',
    );
    expect(none.status).toBe(400);
    expect(none.body.detail).toMatch(/does not cover/);
  });
});

describe('GET /locations', () => {
  it('lists zone codes and cloud regions in the SDK location shape', async () => {
    const r = await get('/locations');
    expect(r.status).toBe(200);
    expect(r.body.DE).toEqual({ latitude: null, longitude: null, name: 'DE' });
    expect(r.body.westeurope).toEqual({ latitude: null, longitude: null, name: 'westeurope' });
    expect(r.body['eu-west-1']).toBeDefined();
  });
});
