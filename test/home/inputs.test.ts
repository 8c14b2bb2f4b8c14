import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HomeConfig } from '../../src/core/home-config.ts';
import { MINUTE_MS } from '../../src/core/time.ts';
import { homeState } from '../../src/home/controller.ts';
import { gatherHomeInputs, measuredGrid } from '../../src/home/inputs.ts';
import { clearSkyPv } from '../../src/signals/clear-sky.ts';
import { readPvSource } from '../../src/signals/pv-site.ts';
import type { Store } from '../../src/store/db.ts';
import { recordHomeMeasurements, saveHomePlan } from '../../src/store/home.ts';
import { testHome } from '../helpers/home.ts';
import { sendJson, startServer, type TestServer } from '../helpers/http-server.ts';
import { tableRegistry, tableSource } from '../runner/helpers.ts';
import { BACKENDS, type TestBackend } from '../store/backends.ts';

const NOW = Date.parse('2024-04-26T10:10:00Z');
const SLOT0 = Date.parse('2024-04-26T10:00:00Z');
const SITE = { latitude: 52.16, longitude: 4.47, kwp: 4, tiltDeg: 35, azimuthDeg: -10 };

function home(extra: Record<string, unknown> = {}): HomeConfig {
  return testHome({
    zone: 'NL',
    stepMin: 60,
    horizonHours: 3,
    baseLoadKw: 0.5,
    appliances: [],
    ...extra,
  });
}

const registry = tableRegistry(
  tableSource(
    () => 300,
    () => 0.2,
  ),
);

describe('measuredGrid', () => {
  it('averages the readings in each slot and leaves slots without one missing', () => {
    const end = SLOT0;
    const grid = measuredGrid(
      [
        { atMs: end - 150 * MINUTE_MS, loadKw: 1 },
        { atMs: end - 140 * MINUTE_MS, loadKw: 2 },
        { atMs: end - 30 * MINUTE_MS, loadKw: 0.6 },
        { atMs: end - 20 * MINUTE_MS, pvKw: 3 },
      ],
      'loadKw',
      end,
      60,
      3 * 60 * MINUTE_MS,
    );
    expect(grid.startMs).toBe(end - 180 * MINUTE_MS);
    expect(Array.from(grid.values)).toEqual([1.5, Number.NaN, 0.6]);
  });
});

describe('gatherHomeInputs', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('assumes the base load without half a day of readings, and forecasts from the readings with it', async () => {
    const none = await gatherHomeInputs(home(), NOW, { registry, readings: [] });
    expect(Array.from(none.forecasts.loadKw)).toEqual([0.5, 0.5, 0.5]);
    expect(none.sources.load).toMatch(/^base load 0.5 kW/);
    // two days at a steady 0.8 kW: the forecast is 0.8 kW
    const readings = Array.from({ length: 48 }, (_, i) => ({
      atMs: SLOT0 - (i + 1) * 60 * MINUTE_MS,
      loadKw: 0.8,
    }));
    const some = await gatherHomeInputs(home(), NOW, { registry, readings });
    expect(Array.from(some.forecasts.loadKw, (v) => Number(v.toFixed(6)))).toEqual([0.8, 0.8, 0.8]);
    expect(some.sources.load).toBe('forecast from 48 measured slots');
    expect(some.forecasts.importPrice).toEqual([0.2, 0.2, 0.2]);
  });

  it('takes PV from the configured source, and the clear sky when it fails, saying so', async () => {
    const answer = {
      hourly: {
        time: ['2024-04-26T11:00', '2024-04-26T12:00', '2024-04-26T13:00'],
        global_tilted_irradiance: [500, 800, 0],
      },
    };
    server = await startServer((_r, res) => sendJson(res, 200, answer));
    const h = home({ pv: { source: 'openMeteo', ...SITE, baseUrl: server.url } });
    const ok = await gatherHomeInputs(h, NOW, { registry, readings: [] });
    // 4 kWp x irradiance / 1000 x (1 - 14 % losses); 10:00-11:00 is stamped 11:00
    expect(Array.from(ok.forecasts.pvKw ?? [])).toEqual([1.72, 2.752, 0]);
    expect(ok.sources.pv).toBe('open-meteo');
    expect(ok.degraded).toEqual([]);

    server.handle((_r, res) => sendJson(res, 503, { error: true, reason: 'down' }));
    const down = await gatherHomeInputs(h, NOW, { registry, readings: [] });
    const site = readPvSource(SITE, 'test').site;
    const clear = clearSkyPv(site, SLOT0, SLOT0 + 3 * 60 * MINUTE_MS, 60).map((p) => p.value);
    expect(Array.from(down.forecasts.pvKw ?? [])).toEqual(clear.map((v) => expect.closeTo(v, 9)));
    expect(clear[0]).toBeGreaterThan(1);
    expect(down.sources.pv).toBe('clear-sky');
    expect(down.degraded).toEqual([expect.stringMatching(/^PV: .*; clear-sky production instead$/)]);
  });
});

describe.each(BACKENDS)('homeState ($kind store)', (b) => {
  let backend: TestBackend;
  let store: Store;
  beforeAll(async () => {
    backend = b.make();
    store = await backend.open();
  });
  afterAll(async () => backend?.cleanup());

  const ev = {
    energyNeededKwh: 10,
    maxChargeKw: 4,
    minChargeKw: 0,
    efficiency: 0.9,
    arrive: '08:00',
    depart: '18:00',
    phases: 1,
    volts: 230,
  };

  it('counts the energy the plans charged into the car since it arrived, until a reading says more', async () => {
    const h = home({ ev });
    const slot = (iso: string, evKw: number) =>
      saveHomePlan(
        store,
        {
          solvedMs: Date.parse(iso),
          startMs: Date.parse(iso),
          stepMin: 60,
          slots: 1,
          reason: 'slot',
          inputsHash: 'x',
          scenario: {},
          plan: {},
          inputs: {},
        },
        { setpoints: { appliances: {} }, planned: { evKw } },
        30 * 24 * 60 * MINUTE_MS,
      );
    await slot('2024-04-26T07:00:00Z', 3); // before it arrived: not counted
    await slot('2024-04-26T08:00:00Z', 4);
    await slot('2024-04-26T09:00:00Z', 2);
    // (4 + 2) kW x 1 h x 0.9
    expect(await homeState(store, h, NOW)).toEqual({ applianceOnSlots: {}, evDeliveredKwh: 5.4 });
    await recordHomeMeasurements(store, [{ atMs: Date.parse('2024-04-26T09:30:00Z'), evEnergyKwh: 6 }], 1e12);
    expect((await homeState(store, h, NOW)).evDeliveredKwh).toBe(6);
  });
});
