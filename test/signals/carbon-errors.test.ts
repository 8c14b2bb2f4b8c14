import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/core/errors.ts';
import type { Point } from '../../src/core/series.ts';
import { HOUR_MS } from '../../src/core/time.ts';
import { forecastBand } from '../../src/signals/carbon-errors.ts';
import { parseConfig } from '../../src/signals/config.ts';
import { createRegistry } from '../../src/signals/registry.ts';
import { carbonSeries, t, testProvider } from './test-provider.ts';

const now = t('2026-03-10T12:00:00Z');
const query = {
  fromMs: now,
  toMs: now + 48 * HOUR_MS,
  nowMs: now,
  stepMin: 60,
  metrics: ['carbon_average' as const],
};

// a daily shape with a little irregular noise, so the built-in forecaster has errors to learn
const value = (ms: number) => {
  const h = Math.round(ms / HOUR_MS);
  return 300 + 100 * Math.sin((2 * Math.PI * h) / 24) + ((h * 7919) % 13) * 5;
};
const points = (fromMs: number, toMs: number): Point[] => {
  const out: Point[] = [];
  for (let ms = fromMs; ms < toMs; ms += HOUR_MS) out.push({ start: ms, value: value(ms) });
  return out;
};

/**
 * Measured values back to `historyFromMs`, and a forecast from now of `forecastH` hours (24 by default:
 * extended past it built-in); `historyRefused` makes every request for past values fail.
 */
function registry(historyFromMs: number, forecastH = 24, historyRefused = false) {
  const em = testProvider('electricitymaps', (req) => {
    if (req.toMs <= req.nowMs && historyRefused)
      throw new ProviderError('electricitymaps', 'auth', 'past-range not in plan');
    return req.toMs <= now
      ? [carbonSeries('electricitymaps', points(Math.max(req.fromMs, historyFromMs), req.toMs))]
      : [carbonSeries('electricitymaps', points(now, now + forecastH * HOUR_MS), { kind: 'forecast' })];
  });
  const config = parseConfig(
    { zones: { DE: { carbon: ['electricitymaps'] } } },
    { source: 'test', baseDir: '/tmp', env: {} },
  );
  return { em, reg: createRegistry({ config, factories: { electricitymaps: () => em } }) };
}

describe('ZoneSignals.carbonErrors', () => {
  it('holds 32 sampled error paths over the built-in part when the history is long enough', async () => {
    const { em, reg } = registry(now - 14 * 24 * HOUR_MS);
    const z = await reg.getZoneSignals('DE', query);
    // the source's own 24-hour forecast counts as known; the paths cover the built-in forecast after it
    expect(z.carbonErrors?.fromMs).toBe(now + 24 * HOUR_MS);
    expect(z.carbonErrors?.paths).toHaveLength(32);
    for (const p of z.carbonErrors!.paths) expect(p).toHaveLength(24);
    expect(z.carbonErrors!.paths.some((p) => p.some((e) => e !== 0))).toBe(true);
    // no request beyond the forecast and the history the extension already asks for
    expect(em.calls).toHaveLength(2);
    // the same question gets the same paths: kept, not fitted again, within the registry
    const again = await reg.getZoneSignals('DE', query);
    expect(again.carbonErrors).toBe(z.carbonErrors);
    // ... and drawn again the same in another (seeded by zone and slot)
    const other = await registry(now - 14 * 24 * HOUR_MS).reg.getZoneSignals('DE', query);
    expect(other.carbonErrors).not.toBe(z.carbonErrors);
    expect(other.carbonErrors).toEqual(z.carbonErrors);
  });

  it('is absent when the forecast covers the whole range: nothing is estimated', async () => {
    const { em, reg } = registry(now - 14 * 24 * HOUR_MS, 72);
    const z = await reg.getZoneSignals('DE', query);
    expect(z.carbonSource).toBe('electricitymaps');
    expect(z.carbonErrors).toBeUndefined();
    expect(em.calls).toHaveLength(1);
  });

  it('is absent, and the history not asked again within the hour, when the source refuses it', async () => {
    const { em, reg } = registry(now - 14 * 24 * HOUR_MS, 24, true);
    const z = await reg.getZoneSignals('DE', query);
    expect(z.carbonSource).toBe('electricitymaps');
    expect(z.carbonErrors).toBeUndefined();
    expect(z.degraded).toContain(
      'carbon: electricitymaps not extended past its forecast: its history could not be fetched (auth)',
    );
    const pastCalls = () => em.calls.filter((c) => c.toMs <= c.nowMs).length;
    expect(pastCalls()).toBe(1);
    await reg.getZoneSignals('DE', { ...query, nowMs: now + 50 * 60_000 });
    expect(pastCalls()).toBe(1);
    await reg.getZoneSignals('DE', { ...query, nowMs: now + 61 * 60_000 });
    expect(pastCalls()).toBe(2);
  });

  it('is absent when the history holds no past forecast whose errors are known', async () => {
    const { reg } = registry(now - 30 * HOUR_MS);
    const z = await reg.getZoneSignals('DE', query);
    expect(z.carbon.values.length).toBe(48);
    expect(z.carbonErrors).toBeUndefined();
  });
});

describe('forecastBand', () => {
  it('puts the quantiles of value + error around the slots the errors cover', () => {
    // five hourly slots; the errors begin at slot 2, with paths of two leads
    const grid = { startMs: now, stepMin: 60, values: Float64Array.from([100, 110, 200, 300, Number.NaN]) };
    const errors = {
      fromMs: now + 2 * HOUR_MS,
      paths: [Float64Array.from([-10, 40]), Float64Array.from([0, -20]), Float64Array.from([30, 0])],
    };
    const band = forecastBand(grid, errors, 0.25, 0.75);
    // slot 2: 190, 200, 230 -> q25 = 195, q75 = 215; slot 3: 280, 300, 340 -> 290, 320
    expect(Array.from(band.low)).toEqual([Number.NaN, Number.NaN, 195, 290, Number.NaN]);
    expect(Array.from(band.high)).toEqual([Number.NaN, Number.NaN, 215, 320, Number.NaN]);
    // the default 10-90 % band: slot 2 at 192 and 224
    const wide = forecastBand(grid, errors);
    expect(wide.low[2]).toBeCloseTo(192, 9);
    expect(wide.high[2]).toBeCloseTo(224, 9);
  });
});
