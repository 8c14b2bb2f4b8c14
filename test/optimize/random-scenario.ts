/** Random small home scenarios (fast-check) covering every part of the contract, for property tests. */
import fc from 'fast-check';

const kw = (max: number) => fc.double({ min: 0, max, noNaN: true }).map((x) => Math.round(x * 100) / 100);
const price = (min: number, max: number) =>
  fc.double({ min, max, noNaN: true }).map((x) => Math.round(x * 1000) / 1000);
const series = (slots: number, value: fc.Arbitrary<number>) =>
  fc.array(value, { minLength: slots, maxLength: slots });
const start = '2026-03-01T00:00:00Z';
const at = (stepMin: number, slot: number) =>
  new Date(Date.parse(start) + slot * stepMin * 60_000).toISOString();

export function randomScenario(maxSlots = 8): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({ slots: fc.integer({ min: 2, max: maxSlots }), stepMin: fc.constantFrom(30, 60) })
    .chain(({ slots, stepMin }) =>
      fc.record({
        start: fc.constant(start),
        stepMin: fc.constant(stepMin),
        slots: fc.constant(slots),
        objective: fc.constantFrom<unknown>('cost', 'carbon', { carbonPricePerKg: 0.2 }),
        series: fc.record({
          loadKw: series(slots, kw(3)),
          // often none: slots without PV (nights) have their own bounds
          pvKw: fc.oneof(series(slots, kw(6)), fc.constant(new Array<number>(slots).fill(0))),
          importPrice: series(slots, price(-0.2, 0.5)),
          exportPrice: series(slots, price(-0.1, 0.6)),
          carbon: series(slots, price(0, 500)),
        }),
        grid: fc.record(
          { maxImportKw: fc.constantFrom(6, 10, 20), maxExportKw: fc.constantFrom(0, 2, 5) },
          { requiredKeys: [] },
        ),
        allowCurtailment: fc.boolean(),
        battery: fc.option(
          fc.record({
            socInitKwh: kw(4),
            socMinKwh: kw(1),
            socMaxKwh: fc.constant(8),
            maxChargeKw: kw(4).map((x) => x + 0.5),
            maxDischargeKw: kw(4).map((x) => x + 0.5),
            chargeEfficiency: price(0.7, 1),
            dischargeEfficiency: price(0.7, 1),
            socFinalMinKwh: kw(4),
            cyclingCostPerKwh: price(0, 0.05),
          }),
          { nil: undefined },
        ),
        ev: fc.option(
          fc.record({
            arrive: fc.integer({ min: 0, max: slots - 1 }).map((k) => at(stepMin, k)),
            depart: fc.constant(at(stepMin, slots)),
            energyNeededKwh: kw(6),
            maxChargeKw: fc.constantFrom(3.7, 7.4),
            minChargeKw: fc.constantFrom(0, 1.4),
            efficiency: price(0.85, 1),
          }),
          { nil: undefined },
        ),
        deferrable: fc.uniqueArray(
          fc.record({
            id: fc.constantFrom('washer', 'dryer', 'dishwasher'),
            powerKw: kw(2),
            durationMin: fc.constantFrom(30, 60, 90),
            earliest: fc.constant(start),
            latestEnd: fc.constant(at(stepMin, slots)),
            contiguous: fc.boolean(),
          }),
          { maxLength: 2, selector: (d) => d.id },
        ),
      }),
    );
}
