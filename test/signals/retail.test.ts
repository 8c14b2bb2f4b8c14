import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/config.ts';
import { HOUR_MS } from '../../src/core/time.ts';
import { parseConfig } from '../../src/signals/config.ts';
import { createRegistry } from '../../src/signals/registry.ts';
import { retailPrice } from '../../src/signals/retail.ts';
import { hourly, priceSeries, t, testProvider } from './test-provider.ts';

const parse = (raw: unknown) =>
  parseConfig(raw, { source: 'gridshift.config.yaml', baseDir: '/tmp', env: {} });
const TARIFF = { factor: 1.1, feePerKwh: 0.15, vatPct: 20 };

describe('retailPrice', () => {
  it('is (spot x factor + fee) x (1 + VAT)', () => {
    // (0.10 x 1.1 + 0.15) x 1.2 = 0.312
    expect(retailPrice(0.1, TARIFF)).toBeCloseTo(0.312, 12);
    // a negative spot price: (-0.05 x 1.1 + 0.15) x 1.2 = 0.114, still positive once the fee is added
    expect(retailPrice(-0.05, TARIFF)).toBeCloseTo(0.114, 12);
    // deep enough, it stays negative: (-0.5 x 1.1 + 0.15) x 1.2 = -0.48
    expect(retailPrice(-0.5, TARIFF)).toBeCloseTo(-0.48, 12);
    expect(retailPrice(0.2, { factor: 1, feePerKwh: 0, vatPct: 0 })).toBe(0.2);
  });

  it('keeps the order of prices (a cheaper spot slot stays cheaper)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        fc.double({ min: 0.01, max: 3, noNaN: true }),
        fc.double({ min: -0.5, max: 0.5, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (a, b, factor, feePerKwh, vatPct) => {
          const tariff = { factor, feePerKwh, vatPct };
          if (a < b) expect(retailPrice(a, tariff)).toBeLessThanOrEqual(retailPrice(b, tariff));
        },
      ),
    );
  });
});

describe('zones.<code>.retail', () => {
  it('is read with defaults, inherited from defaults, and refused when out of range', () => {
    const c = parse({ defaults: { retail: { feePerKwh: 0.2 } }, zones: { DE: { retail: TARIFF }, FR: {} } });
    expect(c.zones.DE.retail).toEqual(TARIFF);
    expect(c.zones.FR.retail).toEqual({ factor: 1, feePerKwh: 0.2, vatPct: 0 });
    expect(parse({}).defaults.retail).toBeUndefined();
    expect(() => parse({ zones: { DE: { retail: { vatPct: 120 } } } })).toThrow(ConfigError);
    expect(() => parse({ zones: { DE: { retail: { vatPct: 120 } } } })).toThrow(
      'zones.DE.retail.vatPct: must be 0 to 100',
    );
    expect(() => parse({ zones: { DE: { retail: { factor: 0 } } } })).toThrow('zones.DE.retail.factor');
    expect(() => parse({ zones: { DE: { retail: { tax: 0.19 } } } })).toThrow(/zones\.DE\.retail/);
  });

  it('turns the zone spot prices into what the household pays, after the cache', async () => {
    const now = t('2026-03-10T12:00:00Z');
    const spot = testProvider('entsoe', () => [
      priceSeries('entsoe', hourly('2026-03-10T12:00:00Z', [0.1, -0.05, 0.2]), { kind: 'forecast' }),
    ]);
    const config = parseConfig(
      { zones: { DE: { price: ['entsoe'], retail: TARIFF }, FR: { price: ['entsoe'] } } },
      { source: 'test', baseDir: '/tmp', env: {} },
    );
    const reg = createRegistry({ config, factories: { entsoe: () => spot } });
    const query = { metric: 'price' as const, fromMs: now, toMs: now + 3 * HOUR_MS, nowMs: now };
    const de = await reg.getSignal({ ...query, zone: 'DE' });
    const values = de.series!.points.map((p) => p.value);
    [0.312, 0.114, 0.444].forEach((v, i) => {
      expect(values[i]).toBeCloseTo(v, 12);
    });
    expect(de.source).toBe('entsoe (retail)');
    // asked again, the cache answers with the spot prices it keeps, and the tariff is applied once
    const calls = spot.calls.length;
    const again = await reg.getSignal({ ...query, zone: 'DE' });
    expect(spot.calls.length).toBe(calls);
    expect(again.series!.points[0].value).toBeCloseTo(0.312, 12);
    // another zone without a tariff gets the spot prices as they are
    const fr = await reg.getSignal({ ...query, zone: 'FR' });
    expect(fr.series!.points.map((p) => p.value)).toEqual([0.1, -0.05, 0.2]);
    expect(fr.source).toBe('entsoe');
    // and the planner's signals say where the prices come from
    const z = await reg.getZoneSignals('DE', {
      fromMs: now,
      toMs: now + 3 * HOUR_MS,
      nowMs: now,
      stepMin: 60,
    });
    expect(z.priceSource).toBe('entsoe (retail)');
    expect(Array.from(z.price!.values)[0]).toBeCloseTo(0.312, 12);
  });
});
