import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.ts';
import type { GridshiftConfig } from '../../src/core/config.ts';
import type { HomeConfig } from '../../src/core/home-config.ts';
import { MINUTE_MS } from '../../src/core/time.ts';
import { createHomeController, type HomeController } from '../../src/home/controller.ts';
import { createHomePublisher } from '../../src/home/publish.ts';
import { MqttPool } from '../../src/runner/dispatch/mqtt.ts';
import { signPayload } from '../../src/runner/dispatch/webhook.ts';
import { createEventBus } from '../../src/runner/events.ts';
import type { SchedulerEvent } from '../../src/runner/service.ts';
import { parseConfig } from '../../src/signals/config.ts';
import type { Store } from '../../src/store/db.ts';
import { latestHomePlan } from '../../src/store/home.ts';
import { bearer, tokensFor } from '../api/helpers.ts';
import { startServer, type TestServer } from '../helpers/http-server.ts';
import { tableRegistry, tableSource } from '../runner/helpers.ts';
import { BACKENDS, type TestBackend } from '../store/backends.ts';

/**
 * The home controller on a real store, with prices from a table source, setpoints to the local Mosquitto
 * broker and a webhook receiver. Half-hour slots from 10:00; prices 0.30, 0.10, then 0.40; the house uses
 * 1 kW. The battery (2 of 4 kWh, 2 kW, lossless, must end where it starts) fills up in the first two slots
 * (1 kWh each) and gives the 2 kWh back when prices are 0.40; the dishwasher (1 kW, 30 min, 10:00-13:00)
 * runs in the cheapest slot.
 */
const T0 = Date.parse('2026-03-10T10:05:00Z');
const SLOT = 30 * MINUTE_MS;
const slot0 = Date.parse('2026-03-10T10:00:00Z');
const PRICES = [0.3, 0.1, 0.4, 0.4, 0.4, 0.4, 0.4, 0.4];
const BROKER = 'mqtt://127.0.0.1:1883';
const SECRET = 'home-webhook-secret';

function homeConfig(prefix: string, webhook: string): GridshiftConfig {
  const raw = {
    home: {
      zone: 'DE',
      stepMin: 30,
      horizonHours: 3,
      baseLoadKw: 1,
      battery: {
        socMinKwh: 0,
        socMaxKwh: 4,
        maxChargeKw: 2,
        maxDischargeKw: 2,
        chargeEfficiency: 1,
        dischargeEfficiency: 1,
        initialSocKwh: 2,
      },
      appliances: [{ id: 'dishwasher', powerKw: 1, durationMin: 30, earliest: '10:00', latestEnd: '13:00' }],
      publish: { mqtt: { url: BROKER, topicPrefix: prefix }, webhook: { url: webhook } },
    },
  };
  return parseConfig(raw);
}

describe.each(BACKENDS)('the home controller ($kind store)', (b) => {
  let backend: TestBackend;
  let store: Store;
  let clock = T0;
  let home: HomeConfig;
  let config: GridshiftConfig;
  let receiver: TestServer;
  let subscriber: MqttClient;
  const retained = new Map<string, string>();
  const events: SchedulerEvent[] = [];
  const prefix = `gridshift-test/home-${randomUUID().slice(0, 8)}`;
  const source = tableSource(
    () => 300,
    (_zone, t) => PRICES[Math.round((t - slot0) / SLOT)] ?? 0.4,
  );
  const registry = tableRegistry(source);
  const pools: MqttPool[] = [];
  let controller: HomeController;
  let app: FastifyInstance;
  let tokens: Awaited<ReturnType<typeof tokensFor>>;

  const makeController = () => {
    const mqtt = new MqttPool();
    pools.push(mqtt);
    const bus = createEventBus(store);
    bus.onEvent((e) => events.push(e));
    return createHomeController({
      home,
      store,
      registry,
      bus,
      now: () => clock,
      publisher: createHomePublisher(home.publish, { mqtt, env: { GRIDSHIFT_WEBHOOK_SECRET: SECRET } }),
    });
  };

  beforeAll(async () => {
    backend = b.make();
    store = await backend.open();
    receiver = await startServer((_req, res) => {
      res.statusCode = 204;
      res.end();
    });
    config = homeConfig(prefix, `${receiver.url}/setpoints`);
    if (!config.home) throw new Error('no home');
    home = config.home;
    subscriber = await connectAsync(BROKER, { clientId: `gridshift-test-${randomUUID().slice(0, 8)}` });
    subscriber.on('message', (topic, payload) => retained.set(topic, payload.toString()));
    await subscriber.subscribeAsync(`${prefix}/#`, { qos: 1 });
    controller = makeController();
    tokens = await tokensFor(store);
    app = await buildServer({
      registry,
      store,
      config,
      home: controller,
      now: () => clock,
      logger: false,
    });
  });
  afterAll(async () => {
    await app?.close();
    await controller?.close();
    for (const p of pools) await p.close();
    await subscriber?.endAsync();
    await receiver?.close();
    await backend?.cleanup();
  });

  const waitFor = async (check: () => boolean) => {
    for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(check()).toBe(true);
  };

  it('solves at start and publishes the setpoints of the slot under way', async () => {
    const tick = await controller.tick();
    expect(tick).toMatchObject({ solved: true, reason: 'start' });
    const stored = await latestHomePlan(store);
    expect(stored?.startMs).toBe(slot0);
    expect(stored?.slots).toBe(6);
    // 10:00 costs 0.30, less than the 0.40 later: the battery charges; the dishwasher waits for 10:30
    expect(stored?.plan.setpoints).toMatchObject({
      slotStart: '2026-03-10T10:00:00Z',
      battery: { mode: 'charge', powerKw: 2, socKwh: 3 },
      appliances: { dishwasher: 'off' },
      grid: { importKw: 3, exportKw: 0 },
    });
    await waitFor(() => retained.get(`${prefix}/appliance/dishwasher`) === 'off');
    expect(retained.get(`${prefix}/battery/mode`)).toBe('charge');
    await waitFor(() => receiver.requests.length === 1);
    const [req] = receiver.requests;
    const t = Number(/t=(\d+)/.exec(String(req.headers['x-gridshift-signature']))?.[1]);
    expect(req.headers['x-gridshift-signature']).toBe(signPayload(SECRET, req.body, t));
    expect(JSON.parse(req.body)).toMatchObject({ type: 'home.setpoints', reason: 'start' });
    expect(events.map((e) => e.type)).toEqual(['home.setpoints']);
  });

  it('does not solve again while nothing changes in the slot', async () => {
    clock = T0 + 2 * MINUTE_MS;
    expect(await controller.tick()).toMatchObject({ solved: false, reason: 'nothing changed' });
    expect(receiver.requests).toHaveLength(1);
  });

  it('solves when the next slot begins: the battery charges and the dishwasher runs in the cheap slot', async () => {
    clock = T0 + SLOT;
    expect(await controller.tick()).toMatchObject({ solved: true, reason: 'slot' });
    await waitFor(() => retained.get(`${prefix}/appliance/dishwasher`) === 'on');
    expect(retained.get(`${prefix}/battery/mode`)).toBe('charge');
    expect(retained.get(`${prefix}/battery/power_kw`)).toBe('2');
    const all = JSON.parse(retained.get(`${prefix}/setpoints`) ?? '{}');
    // load 1 + dishwasher 1 + charging 2
    expect(all.setpoints.grid).toEqual({ importKw: 4, exportKw: 0 });
  });

  it('builds on what happened: the expected charge, the appliance run done, then a measured charge', async () => {
    clock = T0 + 2 * SLOT;
    await controller.tick();
    let stored = await latestHomePlan(store);
    expect(stored?.scenario.battery).toMatchObject({ socInitKwh: 4, socFinalMinKwh: 4 });
    expect(stored?.scenario.deferrable).toBeUndefined();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/home/measurements',
      headers: bearer(tokens.write),
      payload: { socKwh: 2.5, loadKw: 0.8 },
    });
    expect(res.statusCode).toBe(202);
    expect(await controller.tick()).toMatchObject({ solved: true, reason: 'inputs' });
    stored = await latestHomePlan(store);
    expect(stored?.scenario.battery).toMatchObject({ socInitKwh: 2.5 });
  });

  it('serves the plan, its scenario and the history through the API', async () => {
    const plan = await app.inject({ url: '/v1/home/plan', headers: bearer(tokens.read) });
    expect(plan.statusCode).toBe(200);
    const body = plan.json();
    expect(body).toMatchObject({ reason: 'inputs', stepMin: 30, start: '2026-03-10T11:00:00Z' });
    expect(body.series[0]).toMatchObject({ start: '2026-03-10T11:00:00Z', importPrice: 0.4, loadKw: 1 });
    const scenario = await app.inject({ url: '/v1/home/scenario', headers: bearer(tokens.read) });
    expect(scenario.json()).toMatchObject({ start: '2026-03-10T11:00:00Z', slots: 6, stepMin: 30 });
    const history = await app.inject({ url: '/v1/home/history?hours=2', headers: bearer(tokens.read) });
    const h = history.json();
    expect(h.slots.map((s: { start: string }) => s.start)).toEqual([
      '2026-03-10T10:00:00Z',
      '2026-03-10T10:30:00Z',
      '2026-03-10T11:00:00Z',
    ]);
    expect(h.measurements).toEqual([expect.objectContaining({ socKwh: 2.5, loadKw: 0.8, pvKw: null })]);
    // today so far as planned: 10:00 imports 3 kW at 0.30; 10:30 4 kW at 0.10; 11:00 from the newest plan
    expect(h.today.slots).toBe(3);
    expect(h.today.cost).toBeCloseTo(0.5 * 3 * 0.3 + 0.5 * 4 * 0.1 + h.slots[2].planned.cost, 9);
  });

  it('refuses bad readings naming the field, and writes without a write token', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/home/measurements',
      headers: bearer(tokens.write),
      payload: { readings: [{ at: '2026-03-11T10:00:00Z', socKwh: 1 }] },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toMatch(/body\.readings\[0\]\.at: .* is in the future/);
    const readOnly = await app.inject({
      method: 'POST',
      url: '/v1/home/measurements',
      headers: bearer(tokens.read),
      payload: { socKwh: 1 },
    });
    expect(readOnly.statusCode).toBe(403);
  });

  it('after a restart publishes the plan in force again without solving it again', async () => {
    await controller.close();
    retained.clear();
    const again = makeController();
    try {
      expect(await again.tick()).toMatchObject({ solved: false, reason: 'nothing changed' });
      await waitFor(() => retained.has(`${prefix}/setpoints`));
    } finally {
      await again.close();
    }
  });

  it('publishes again at the next check to an output that failed', async () => {
    const again = makeController();
    try {
      receiver.handle((_req, res) => {
        res.statusCode = 500;
        res.end();
      });
      const before = receiver.requests.length;
      await again.tick({ force: true });
      expect(receiver.requests.length).toBe(before + 1);
      receiver.handle((_req, res) => {
        res.statusCode = 204;
        res.end();
      });
      expect(await again.tick()).toMatchObject({ solved: false });
      expect(receiver.requests.length).toBe(before + 2);
      await again.tick();
      expect(receiver.requests.length).toBe(before + 2); // taken: not sent again
    } finally {
      await again.close();
    }
  });

  it('says why it cannot plan when no price answers', async () => {
    source.down.add('DE');
    clock = T0 + 3 * SLOT;
    const again = makeController();
    try {
      const tick = await again.tick();
      expect(tick.solved).toBe(false);
      expect(tick.reason).toMatch(/^nothing to plan on: .*no price for DE now/);
    } finally {
      source.down.delete('DE');
      await again.close();
    }
  });
});
