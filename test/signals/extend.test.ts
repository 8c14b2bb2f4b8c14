import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { GridshiftConfig } from '../../src/core/config.ts';
import { ProviderError } from '../../src/core/errors.ts';
import type { Point, Series } from '../../src/core/series.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, toIso } from '../../src/core/time.ts';
import { parseConfig } from '../../src/signals/config.ts';
import { extendPastHorizon, type HorizonRequest } from '../../src/signals/extend.ts';
import { forecastSeries } from '../../src/signals/forecast.ts';
import type { ProviderFactory, SignalRequest } from '../../src/signals/provider.ts';
import type { ProviderName } from '../../src/signals/providers.ts';
import { createRegistry } from '../../src/signals/registry.ts';
import { parseUrl, sendJson, startServer, type TestServer } from '../helpers/http-server.ts';
import { carbonSeries, priceSeries, type TestProvider, t, testProvider } from './test-provider.ts';

const now = t('2026-03-10T12:00:00Z');

/**
 * A carbon-like hourly signal: a daily shape, cleaner weekends and some irregularity. Whole numbers, so that
 * putting them on the forecaster's grid (value × duration / duration) gives them back exactly.
 */
function carbonAt(ms: number): number {
  const hour = Math.floor(ms / HOUR_MS);
  const weekday = new Date(ms).getUTCDay();
  const weekend = weekday === 0 || weekday === 6 ? -60 : 0;
  return Math.round(300 + 80 * Math.sin((2 * Math.PI * (hour % 24)) / 24) + weekend + ((hour * 37) % 11));
}

/** Points every `stepMin` minutes over [fromMs, toMs) with the value `value(start)`. */
function points(fromMs: number, toMs: number, value: (ms: number) => number, stepMin = 60): Point[] {
  const out: Point[] = [];
  for (let ms = fromMs; ms < toMs; ms += stepMin * MINUTE_MS) out.push({ start: ms, value: value(ms) });
  return out;
}

const values = (pts: readonly Point[]) => pts.map((p) => p.value);

/** The fill the registry must produce: forecastSeries on the measured hours followed by the provider's forecast. */
function expectedFill(measured: Point[], forecast: Point[], horizonSlots: number): number[] {
  const history = {
    startMs: measured[0].start,
    stepMin: 60,
    values: Float64Array.from(values([...measured, ...forecast])),
  };
  return Array.from(forecastSeries(history, horizonSlots));
}

describe('extendPastHorizon', () => {
  const measured = points(now - 7 * DAY_MS, now, carbonAt);
  const providerForecast = points(now, now + DAY_MS, (ms) => carbonAt(ms) + 40);
  const base: HorizonRequest = {
    provider: 'electricitymaps',
    answer: [carbonSeries('electricitymaps', providerForecast, { kind: 'forecast', issuedAt: now })],
    past: [carbonSeries('electricitymaps', measured)],
    fillFromMs: now + DAY_MS,
    toMs: now + 3 * DAY_MS,
    nowMs: now,
  };

  it('forecasts the rest of the range from the measured values and the provider forecast before the junction', () => {
    const ext = extendPastHorizon(base);
    if (!ext.ok) throw new Error(ext.why);
    expect(ext.history.startMs).toBe(now - 7 * DAY_MS);
    expect(ext.history.stepMin).toBe(60);
    expect(Array.from(ext.history.values)).toEqual(values([...measured, ...providerForecast]));
    expect(ext.series.points.map((p) => p.start)).toEqual(
      points(now + DAY_MS, now + 3 * DAY_MS, () => 0).map((p) => p.start),
    );
    expect(values(ext.series.points)).toEqual(expectedFill(measured, providerForecast, 48));
    expect(ext.series).toMatchObject({
      zone: 'DE',
      metric: 'carbon_average',
      unit: 'gCO2eq/kWh',
      resolutionMin: 60,
      kind: 'forecast',
      source: 'forecast',
      degraded: 'built-in forecast past the horizon of electricitymaps (from 2026-03-11T12:00:00Z)',
    });
    // the anchoring is real: the fill differs from a fit on the measured values alone
    const measuredOnly = Array.from(
      forecastSeries(
        { startMs: measured[0].start, stepMin: 60, values: Float64Array.from(values(measured)) },
        72,
      ),
    ).slice(24);
    expect(values(ext.series.points)).not.toEqual(measuredOnly);
  });

  it('never uses a value at or after now from the look-back answer, nor anything after the junction', () => {
    const reference = extendPastHorizon(base);
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 72, maxLength: 72 }),
        fc.array(fc.double({ min: -1e4, max: 1e4, noNaN: true }), { minLength: 48, maxLength: 48 }),
        (future, afterJunction) => {
          const ext = extendPastHorizon({
            ...base,
            // a source that (wrongly) reports measured values for the future, and values past the junction
            past: [
              carbonSeries('electricitymaps', [
                ...measured,
                ...future.map((value, i) => ({ start: now + i * HOUR_MS, value })),
              ]),
            ],
            answer: [
              ...base.answer,
              carbonSeries(
                'profile',
                afterJunction.map((value, i) => ({ start: now + DAY_MS + i * HOUR_MS, value })),
              ),
            ],
          });
          expect(ext).toEqual(reference);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('changes with the provider forecast exactly as a fit on it says', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 24, maxLength: 24 }),
        (forecastValues) => {
          const forecast = forecastValues.map((value, i) => ({ start: now + i * HOUR_MS, value }));
          const ext = extendPastHorizon({
            ...base,
            answer: [carbonSeries('electricitymaps', forecast, { kind: 'forecast' })],
          });
          if (!ext.ok) throw new Error(ext.why);
          expect(values(ext.series.points)).toEqual(expectedFill(measured, forecast, 48));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('prefers measured values before now over the answer for the same hours', () => {
    const ext = extendPastHorizon({
      ...base,
      answer: [
        carbonSeries(
          'electricitymaps',
          points(now - DAY_MS, now + DAY_MS, () => 999),
          { kind: 'forecast' },
        ),
      ],
    });
    if (!ext.ok) throw new Error(ext.why);
    const v = Array.from(ext.history.values);
    expect(v.slice(0, 168)).toEqual(values(measured));
    expect(v.slice(168)).toEqual(new Array(24).fill(999));
  });

  it('fits only on the look-back window', () => {
    const long = points(now - 20 * DAY_MS, now, carbonAt);
    const ext = extendPastHorizon({ ...base, past: [carbonSeries('electricitymaps', long)] });
    if (!ext.ok) throw new Error(ext.why);
    expect(ext.history.startMs).toBe(now - 14 * DAY_MS);
    const shorter = extendPastHorizon(
      { ...base, past: [carbonSeries('electricitymaps', long)] },
      { lookbackMs: 3 * DAY_MS },
    );
    if (!shorter.ok) throw new Error(shorter.why);
    expect(shorter.history.startMs).toBe(now - 3 * DAY_MS);
  });

  it('refuses with less than a day of measured values before now; the provider forecast does not count', () => {
    const ext = extendPastHorizon({
      ...base,
      past: [carbonSeries('electricitymaps', points(now - 12 * HOUR_MS, now, carbonAt))],
    });
    expect(ext).toEqual({
      ok: false,
      why: '12 h of measured values before 2026-03-10T12:00:00Z, needs 24 h',
    });
    const enough = extendPastHorizon(
      { ...base, past: [carbonSeries('electricitymaps', points(now - 12 * HOUR_MS, now, carbonAt))] },
      { minHistoryMs: 12 * HOUR_MS },
    );
    expect(enough.ok).toBe(true);
    expect(extendPastHorizon({ ...base, past: [] }).ok).toBe(false);
  });

  it('works on the finest resolution that divides a day and starts in the slot holding the junction', () => {
    const quarter = (from: number, to: number) => points(from, to, carbonAt, 15);
    const fillFromMs = now + 6 * HOUR_MS + 20 * MINUTE_MS; // inside the 06:15 slot
    const ext = extendPastHorizon({
      ...base,
      past: [carbonSeries('electricitymaps', quarter(now - 2 * DAY_MS, now), { resolutionMin: 15 })],
      answer: [
        carbonSeries(
          'electricitymaps',
          [...quarter(now, fillFromMs - 5 * MINUTE_MS), { start: fillFromMs - 5 * MINUTE_MS, value: 1 }],
          {
            kind: 'forecast',
            resolutionMin: 5,
          },
        ),
      ],
      fillFromMs,
      toMs: now + DAY_MS + 10 * MINUTE_MS,
    });
    if (!ext.ok) throw new Error(ext.why);
    expect(ext.series.resolutionMin).toBe(5);
    expect(ext.series.points[0].start).toBe(now + 6 * HOUR_MS + 20 * MINUTE_MS);
    expect(ext.series.points.at(-1)?.start).toBe(now + DAY_MS + 5 * MINUTE_MS);

    const coarse = extendPastHorizon({
      ...base,
      past: [carbonSeries('electricitymaps', quarter(now - 2 * DAY_MS, now), { resolutionMin: 15 })],
      answer: [
        carbonSeries('electricitymaps', quarter(now, fillFromMs), { kind: 'forecast', resolutionMin: 15 }),
      ],
      fillFromMs,
    });
    if (!coarse.ok) throw new Error(coarse.why);
    expect(coarse.series.resolutionMin).toBe(15);
    // the 06:15 slot is only partly known: it is forecast, and the fit ends before it
    expect(coarse.series.points[0].start).toBe(now + 6 * HOUR_MS + 15 * MINUTE_MS);
    expect(coarse.history.startMs + coarse.history.values.length * 15 * MINUTE_MS).toBe(
      now + 6 * HOUR_MS + 15 * MINUTE_MS,
    );
  });
});

const config = (raw: unknown, env: Record<string, string> = {}): GridshiftConfig =>
  parseConfig(raw, { source: 'test', baseDir: '/tmp', env });

function factories(providers: Partial<Record<ProviderName, TestProvider>>) {
  const out: Partial<Record<ProviderName, ProviderFactory>> = {};
  for (const [name, p] of Object.entries(providers)) out[name as ProviderName] = () => p!;
  return out;
}

/** A live carbon source: measured values from `measuredFromMs` until now, then a 24 h forecast. */
function liveCarbon(
  name: string,
  options: {
    measuredFromMs?: number;
    forecast?: (ms: number) => number;
    extra?: (req: SignalRequest) => Series[];
  } = {},
) {
  const measured = points(options.measuredFromMs ?? now - 7 * DAY_MS, now, carbonAt);
  const forecast = points(now, now + DAY_MS, options.forecast ?? ((ms) => carbonAt(ms) + 25));
  return {
    measured,
    forecast,
    provider: testProvider(name, (req) => [
      carbonSeries(name, measured),
      carbonSeries(name, forecast, { kind: 'forecast', issuedAt: now - HOUR_MS }),
      ...(options.extra?.(req) ?? []),
    ]),
  };
}

/** A static source that answers any range, hourly, with `value`. */
const flat = (name: string, value: number, metric: 'carbon' | 'price' = 'carbon') =>
  testProvider(name, (req) => {
    const pts = points(Math.floor(req.fromMs / HOUR_MS) * HOUR_MS, req.toMs, () => value);
    return [
      metric === 'price'
        ? priceSeries(name, pts, { kind: 'forecast' })
        : carbonSeries(name, pts, { kind: 'forecast' }),
    ];
  });

const ask72h = {
  zone: 'DE',
  metric: 'carbon_average' as const,
  fromMs: now,
  toMs: now + 3 * DAY_MS,
  nowMs: now,
};

describe('the registry fills past a live source’s horizon', () => {
  it('answers the last 48 of 72 hours from the built-in forecaster, fitted on the source’s history and forecast', async () => {
    const em = liveCarbon('electricitymaps');
    const profile = flat('profile', 1);
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps', 'profile'] } } }),
      factories: factories({ electricitymaps: em.provider, profile }),
    });
    const a = await reg.getSignal(ask72h);
    const pts = a.series!.points;
    expect(pts).toHaveLength(72);
    expect(values(pts.slice(0, 24))).toEqual(values(em.forecast));
    expect(values(pts.slice(24))).toEqual(expectedFill(em.measured, em.forecast, 48));
    expect(pts[24].start).toBe(now + DAY_MS);
    expect(a.source).toBe('electricitymaps');
    expect(a.sources).toEqual(['electricitymaps', 'forecast']);
    expect(a.series?.source).toBe('electricitymaps+forecast');
    expect(a.series?.kind).toBe('forecast');
    expect(a.series?.issuedAt).toBe(now - HOUR_MS);
    expect(a.forecastFromMs).toBe(now);
    expect(a.failures).toEqual([]);
    expect(a.degraded).toBe(true);
    expect(a.reasons).toEqual([
      'forecast: built-in forecast past the horizon of electricitymaps (from 2026-03-11T12:00:00Z)',
    ]);
    // the look-back window went through the same source; the profile was not needed
    expect(em.provider.calls.map((c) => [toIso(c.fromMs), toIso(c.toMs)])).toEqual([
      ['2026-03-10T12:00:00Z', '2026-03-13T12:00:00Z'],
      ['2026-02-24T12:00:00Z', '2026-03-10T12:00:00Z'],
    ]);
    expect(profile.calls).toHaveLength(0);

    // planning again within the TTL: both answers come from the cache
    const again = await reg.getSignal({ ...ask72h, nowMs: now + 5 * MINUTE_MS });
    expect(em.provider.calls).toHaveLength(2);
    expect(again.sources).toEqual(['electricitymaps', 'forecast']);
  });

  it('puts the planning grid together from provider and built-in forecast', async () => {
    const em = liveCarbon('electricitymaps');
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps', 'profile'] } } }),
      factories: factories({ electricitymaps: em.provider, profile: flat('profile', 1) }),
    });
    const z = await reg.getZoneSignals('DE', { ...ask72h, stepMin: 60, metrics: ['carbon_average'] });
    // resampling onto the planning grid (value × duration / duration) may move the last digit
    const fill = expectedFill(em.measured, em.forecast, 48);
    const planned = Array.from(z.carbon.values).slice(24);
    expect(planned).toHaveLength(48);
    for (const [i, v] of planned.entries()) expect(v).toBeCloseTo(fill[i], 9);
    expect(Array.from(z.carbon.values).slice(0, 24)).toEqual(values(em.forecast));
    expect(z.degraded).toEqual([
      'carbon: forecast: built-in forecast past the horizon of electricitymaps (from 2026-03-11T12:00:00Z)',
    ]);
  });

  it('extends day-ahead prices past their last published hour', async () => {
    // day-ahead prices are published values (kind actual) up to tomorrow midnight, 36 h ahead
    // in 1/256 EUR steps: exact on the grid
    const priceAt = (ms: number) =>
      Math.round(256 * (0.1 + 0.05 * Math.cos((2 * Math.PI * new Date(ms).getUTCHours()) / 24))) / 256;
    const published = points(now - 7 * DAY_MS, now + 36 * HOUR_MS, priceAt);
    const entsoe = testProvider('entsoe', () => [priceSeries('entsoe', published)]);
    const reg = createRegistry({
      config: config({ zones: { DE: { price: ['entsoe', 'profile'] } } }),
      factories: factories({ entsoe, profile: flat('profile', 5, 'price') }),
    });
    const a = await reg.getSignal({ ...ask72h, metric: 'price' });
    const pts = a.series!.points;
    expect(values(pts.slice(0, 36))).toEqual(values(published.slice(168)));
    const history = { startMs: now - 7 * DAY_MS, stepMin: 60, values: Float64Array.from(values(published)) };
    expect(values(pts.slice(36))).toEqual(Array.from(forecastSeries(history, 36)));
    expect(a.series?.unit).toBe('EUR/kWh');
    expect(a.sources).toEqual(['entsoe', 'forecast']);
    expect(a.forecastFromMs).toBe(now + 36 * HOUR_MS);
    expect(a.reasons).toEqual([
      'forecast: built-in forecast past the horizon of entsoe (from 2026-03-12T00:00:00Z)',
    ]);
  });

  it('lets the next source fill when the source has less than a day of history', async () => {
    const em = liveCarbon('electricitymaps', { measuredFromMs: now - 20 * HOUR_MS });
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps', 'profile'] } } }),
      factories: factories({ electricitymaps: em.provider, profile: flat('profile', 1) }),
    });
    const a = await reg.getSignal(ask72h);
    expect(a.sources).toEqual(['electricitymaps', 'profile']);
    expect(values(a.series!.points.slice(0, 24))).toEqual(values(em.forecast));
    expect(a.series!.points.slice(24).every((p) => p.value === 1)).toBe(true);
    expect(a.reasons).toEqual([
      'profile fills 2026-03-11T12:00:00Z .. 2026-03-13T12:00:00Z',
      'electricitymaps not extended past its forecast: 20 h of measured values before 2026-03-10T12:00:00Z, needs 24 h',
    ]);
  });

  it('lets the next source fill when the history cannot be fetched, without listing a failure', async () => {
    const em = liveCarbon('electricitymaps');
    const failingHistory = testProvider('electricitymaps', (req) => {
      if (req.toMs <= req.nowMs) throw new ProviderError('electricitymaps', 'unavailable', 'HTTP 503');
      return em.provider.fetch(req);
    });
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps', 'profile'] } } }),
      factories: factories({ electricitymaps: failingHistory, profile: flat('profile', 1) }),
    });
    const a = await reg.getSignal(ask72h);
    expect(failingHistory.calls).toHaveLength(2);
    expect(a.sources).toEqual(['electricitymaps', 'profile']);
    expect(a.failures).toEqual([]);
    expect(a.reasons).toContain(
      'electricitymaps not extended past its forecast: its history could not be fetched (unavailable)',
    );
  });

  it('never extends the static sources', async () => {
    for (const name of ['profile', 'annual', 'simulator'] as const) {
      const dayOnly = liveCarbon(name);
      const fallback = flat(name === 'annual' ? 'profile' : 'annual', 7);
      const chain = name === 'annual' ? ['annual', 'profile'] : [name, 'annual'];
      const reg = createRegistry({
        config: config({ zones: { DE: { carbon: chain } } }),
        factories: factories({ [name]: dayOnly.provider, [fallback.name]: fallback }),
      });
      const a = await reg.getSignal(ask72h);
      expect(dayOnly.provider.calls).toHaveLength(1);
      expect(a.sources).toEqual([name, fallback.name]);
      expect(a.series!.points.slice(24).every((p) => p.value === 7)).toBe(true);
    }
  });

  it('does not look ahead: measured values after now and later sources do not change the fill', async () => {
    const plain = liveCarbon('electricitymaps');
    const leaky = liveCarbon('electricitymaps', {
      // the look-back answer also holds "measured" values for the coming days
      extra: (req) =>
        req.toMs <= req.nowMs
          ? [
              carbonSeries(
                'electricitymaps',
                points(now, now + 3 * DAY_MS, () => 9999),
              ),
            ]
          : [],
    });
    const answerWith = async (em: TestProvider, profileValue: number) =>
      createRegistry({
        config: config({ zones: { DE: { carbon: ['electricitymaps', 'profile'] } } }),
        factories: factories({ electricitymaps: em, profile: flat('profile', profileValue) }),
      }).getSignal(ask72h);
    const reference = await answerWith(plain.provider, 1);
    expect((await answerWith(leaky.provider, 1)).series).toEqual(reference.series);
    expect((await answerWith(plain.provider, 500)).series).toEqual(reference.series);
  });

  it('can be turned off', async () => {
    const em = liveCarbon('electricitymaps');
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps', 'profile'] } } }),
      factories: factories({ electricitymaps: em.provider, profile: flat('profile', 1) }),
      forecastPastHorizon: false,
    });
    const a = await reg.getSignal(ask72h);
    expect(a.sources).toEqual(['electricitymaps', 'profile']);
    expect(em.provider.calls).toHaveLength(1);
  });

  it('does not forecast a range that lies wholly in the past', async () => {
    const em = liveCarbon('electricitymaps');
    const reg = createRegistry({
      config: config({ zones: { DE: { carbon: ['electricitymaps', 'profile'] } } }),
      factories: factories({ electricitymaps: em.provider, profile: flat('profile', 1) }),
    });
    // the source's values end at now + 1 d; asked at now + 3 d, the range after that is history, not a horizon
    const a = await reg.getSignal({
      ...ask72h,
      fromMs: now,
      toMs: now + 2 * DAY_MS,
      nowMs: now + 3 * DAY_MS,
    });
    expect(a.sources).toEqual(['electricitymaps', 'profile']);
    expect(em.provider.calls).toHaveLength(1);
  });
});

describe('with Electricity Maps over real HTTP', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('fetches two weeks of history once and fills past the 24 h forecast', async () => {
    const firstMs = now - 7 * DAY_MS;
    const em = (ms: number) => ({ datetime: new Date(ms).toISOString(), carbonIntensity: carbonAt(ms) });
    const range = (from: number, to: number) => {
      const out = [];
      for (let ms = Math.max(from, firstMs); ms < to; ms += HOUR_MS) out.push(em(ms));
      return out;
    };
    server = await startServer((req, res) => {
      const url = parseUrl(req);
      const endpoint = url.pathname.replace('/v3/carbon-intensity/', '');
      if (endpoint === 'past-range')
        return sendJson(res, 200, {
          zone: 'DE',
          data: range(Date.parse(url.searchParams.get('start')!), Date.parse(url.searchParams.get('end')!)),
        });
      if (endpoint === 'history')
        return sendJson(res, 200, { zone: 'DE', history: range(now - DAY_MS, now) });
      if (endpoint === 'forecast')
        return sendJson(res, 200, {
          zone: 'DE',
          updatedAt: toIso(now - HOUR_MS),
          forecast: range(now, now + DAY_MS).map((p) => ({ ...p, carbonIntensity: p.carbonIntensity + 25 })),
        });
      sendJson(res, 404, { message: 'no such endpoint' });
    });
    const reg = createRegistry({
      config: config(
        { zones: { DE: { carbon: ['electricitymaps', 'profile'] } } },
        { GRIDSHIFT_ELECTRICITYMAPS_TOKEN: 'k', GRIDSHIFT_ELECTRICITYMAPS_BASE_URL: server.url },
      ),
    });
    const a = await reg.getSignal(ask72h);
    const measured = points(firstMs, now, carbonAt);
    const forecast = points(now, now + DAY_MS, (ms) => carbonAt(ms) + 25);
    expect(a.sources).toEqual(['electricitymaps', 'forecast']);
    expect(values(a.series!.points.slice(0, 24))).toEqual(values(forecast));
    expect(values(a.series!.points.slice(24))).toEqual(expectedFill(measured, forecast, 48));
    const endpoints = server.requests.map((r) => parseUrl(r).pathname.split('/').at(-1));
    expect(endpoints.filter((e) => e === 'past-range').length).toBeGreaterThan(0);
    const calls = server.requests.length;
    await reg.getSignal({ ...ask72h, nowMs: now + 5 * MINUTE_MS });
    expect(server.requests.length).toBe(calls);
  });
});
