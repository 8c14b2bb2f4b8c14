import { describe, expect, it } from 'vitest';
import { bearer, DE_CARBON, dePrice, fixtureApi } from './helpers.ts';

/** /v1/signals, /v1/zones, /v1/cloud-regions and /v1/decide on the CSV fixtures, clock at 06:20Z. */

const api = fixtureApi();

const get = (url: string) => api.app.inject({ url, headers: bearer(api.token) });
const post = (url: string, payload: object) =>
  api.app.inject({ method: 'POST', url, payload, headers: bearer(api.token) });

describe('GET /v1/signals/:zone', () => {
  it('gives the current values, their quality, clean-now and the forecast from the slot holding now', async () => {
    const r = await get('/v1/signals/DE?hours=3');
    expect(r.statusCode).toBe(200);
    const s = r.json();
    expect(s).toMatchObject({
      zone: 'DE',
      name: 'Germany',
      at: '2025-01-15T06:20:00Z',
      stepMin: 60,
      hours: 3,
    });
    // 06:00-09:00: 280 260 240, mean 260; 280 is the highest of three: percentile (2 + 0.5) / 3 -> top fifth
    expect(s.carbon).toMatchObject({
      metric: 'carbon_average',
      current: 280,
      level: 'moderate',
      relativeLevel: 'very poor',
      cleanNow: false,
      forecastMean: 260,
      source: 'csv',
      degraded: false,
    });
    expect(s.price).toMatchObject({
      unit: 'EUR/kWh',
      currency: 'EUR',
      current: dePrice(6),
      relativeLevel: 'excellent',
    });
    expect(s.forecast).toEqual([
      { start: '2025-01-15T06:00:00Z', carbon: 280, level: 'moderate', price: dePrice(6) },
      { start: '2025-01-15T07:00:00Z', carbon: 260, level: 'moderate', price: dePrice(7) },
      { start: '2025-01-15T08:00:00Z', carbon: 240, level: 'moderate', price: dePrice(8) },
    ]);
  });

  it('honours metric, step and threshold', async () => {
    const r = await get('/v1/signals/eu-central-1?metric=carbon&hours=1&stepMin=30&threshold=250');
    const s = r.json();
    expect(s.zone).toBe('DE');
    expect(s.price).toBeUndefined();
    expect(s.forecast).toEqual([
      { start: '2025-01-15T06:00:00Z', carbon: 280, level: 'moderate' },
      { start: '2025-01-15T06:30:00Z', carbon: 280, level: 'moderate' },
    ]);
    expect(s.carbon.reason).toMatch(/not below the threshold of 250/);
  });

  it('says clean now when the reading is below the coming hours', async () => {
    // FR at 06:20 is 70 (hour 6), the next 12 hours average 65
    const s = (await get('/v1/signals/FR?metric=carbon&hours=12')).json();
    expect(s.carbon.current).toBe(70);
    expect(s.carbon.forecastMean).toBe(65);
    expect(s.carbon.cleanNow).toBe(false);
    const later = (await get('/v1/signals/FR?metric=carbon&hours=2')).json();
    // 70 and 80: 70 is below the mean 75
    expect(later.carbon.cleanNow).toBe(true);
    expect(later.carbon.level).toBe('excellent');
  });

  it('shows a zone without data as degraded, with its failure policy', async () => {
    const s = (await get('/v1/signals/PL?hours=2')).json();
    expect(s.carbon).toMatchObject({ current: null, source: null, degraded: true, policy: 'closed' });
    expect(s.forecast).toEqual([
      { start: '2025-01-15T06:00:00Z', carbon: null, level: null, price: null },
      { start: '2025-01-15T07:00:00Z', carbon: null, level: null, price: null },
    ]);
  });

  it('answers 404 for an unknown zone, with suggestions', async () => {
    const r = await get('/v1/signals/GERMANYY');
    expect(r.statusCode).toBe(404);
    expect(r.json().detail).toMatch(/unknown zone or cloud region "GERMANYY"/);
  });
});

describe('zones and cloud regions', () => {
  it('lists zones with their configured sources and policy', async () => {
    const zones = (await get('/v1/zones')).json().zones;
    expect(zones.length).toBeGreaterThan(50);
    expect(zones.find((z: { code: string }) => z.code === 'DE')).toMatchObject({
      name: 'Germany',
      timeZone: 'Europe/Berlin',
      failurePolicy: 'open',
      sources: { carbon: ['csv'], price: ['csv'] },
    });
    expect(zones.find((z: { code: string }) => z.code === 'PL').failurePolicy).toBe('closed');
    const found = (await get('/v1/zones?search=sweden')).json().zones.map((z: { code: string }) => z.code);
    expect(found).toEqual(['SE', 'SE-SE1', 'SE-SE2', 'SE-SE3', 'SE-SE4']);
  });

  it('lists cloud regions, filtered by provider and zone', async () => {
    const r = (await get('/v1/cloud-regions?provider=aws&zone=de')).json();
    expect(r.regions).toEqual([
      { provider: 'aws', region: 'eu-central-1', zone: 'DE', location: 'Frankfurt' },
    ]);
    expect((await get('/v1/cloud-regions')).json().regions.length).toBeGreaterThan(90);
  });
});

describe('POST /v1/decide/now', () => {
  const twoHourMean = (h: number) => (DE_CARBON[h] + DE_CARBON[h + 1]) / 2;

  it('defers to the cleanest window that still meets the deadline', async () => {
    const r = await post('/v1/decide/now', {
      zone: 'DE',
      durationMin: 120,
      deadline: '2025-01-15T18:00:00Z',
    });
    expect(r.statusCode).toBe(200);
    // now: 06:00-08:00 = 270; later starts 07:00 .. 16:00; best 12:00-14:00 = 165
    expect(r.json()).toMatchObject({
      action: 'defer',
      zone: 'DE',
      metric: 'carbon',
      unit: 'gCO2eq/kWh',
      current: twoHourMean(6),
      bestValue: twoHourMean(12),
      bestAt: '2025-01-15T12:00:00Z',
      startAt: '2025-01-15T12:00:00Z',
      deadline: '2025-01-15T18:00:00Z',
      degraded: false,
    });
    expect(r.json().expectedSavingsPct).toBeCloseTo((100 * (270 - 165)) / 270, 9);
  });

  it('runs now when the best window is within the tolerance, or the deadline leaves no room', async () => {
    const tolerant = await post('/v1/decide/now', {
      zone: 'DE',
      durationMin: 120,
      deadline: '2025-01-15T18:00:00Z',
      tolerancePct: 50,
    });
    expect(tolerant.json()).toMatchObject({ action: 'run', startAt: '2025-01-15T06:20:00Z' });
    const tight = await post('/v1/decide/now', {
      zone: 'DE',
      durationMin: 120,
      deadline: '2025-01-15T07:30:00Z',
    });
    expect(tight.json()).toMatchObject({
      action: 'run',
      reason: 'the deadline leaves no room to wait: run now',
    });
    const soon = await post('/v1/decide/now', {
      zone: 'DE',
      durationMin: 60,
      deadline: '2025-01-15T09:00:00Z',
    });
    // windows 06 (280), 07 (260), 08 (240): defer to 08:00
    expect(soon.json()).toMatchObject({ action: 'defer', bestAt: '2025-01-15T08:00:00Z', bestValue: 240 });
  });

  it('can minimise price instead', async () => {
    const r = await post('/v1/decide/now', {
      zone: 'DE',
      durationMin: 60,
      deadline: '2025-01-15T18:00:00Z',
      metric: 'price',
    });
    // 06:00 0.16; the cheapest hour before 18:00 is 12:00 at 0.10
    expect(r.json()).toMatchObject({
      action: 'defer',
      current: dePrice(6),
      bestValue: dePrice(12),
      unit: 'EUR/kWh',
    });
    expect(r.json().expectedSavingsPct).toBeCloseTo(37.5, 9);
  });

  it('fails open (runs) where there is no signal', async () => {
    const r = await post('/v1/decide/now', { zone: 'PL', durationMin: 60 });
    expect(r.json()).toMatchObject({ action: 'run', current: null, degraded: true });
  });
});

describe('POST /v1/decide/model-tier', () => {
  it('picks large when the grid is below its forecast mean, small otherwise, large with solar', async () => {
    // 24 h from 06:00: hours 6..23 of the first day and 0..5 of the next
    const mean = [...DE_CARBON.slice(6), ...DE_CARBON.slice(0, 6)].reduce((a, b) => a + b, 0) / 24;
    const large = (await post('/v1/decide/model-tier', { zone: 'DE' })).json();
    expect(large).toMatchObject({ tier: 'large', signals: { carbon: 280, price: null, solarKw: null } });
    expect(large.signals.carbonForecastMean).toBeCloseTo(mean, 9);
    expect(large.reason).toMatch(/below the forecast mean/);
    const small = (await post('/v1/decide/model-tier', { zone: 'DE', belowForecastMean: false })).json();
    expect(small).toMatchObject({ tier: 'small' });
    const solar = (
      await post('/v1/decide/model-tier', { zone: 'DE', belowForecastMean: false, solarKw: 2 })
    ).json();
    expect(solar).toMatchObject({ tier: 'large', reason: 'local solar 2 kW available' });
    const cheap = (
      await post('/v1/decide/model-tier', { zone: 'DE', belowForecastMean: false, priceBelow: 0.2 })
    ).json();
    expect(cheap).toMatchObject({ tier: 'large', signals: { price: dePrice(6) } });
  });

  it('fails open without signals', async () => {
    const r = (await post('/v1/decide/model-tier', { zone: 'PL' })).json();
    expect(r).toMatchObject({ tier: 'large', reason: 'no usable signal: large model (fail-open)' });
  });
});
