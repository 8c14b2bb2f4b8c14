import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HomeConfig, HomeNotifyConfig } from '../../src/core/home-config.ts';
import { MINUTE_MS } from '../../src/core/time.ts';
import { activeDailyWindow } from '../../src/home/device.ts';
import { ingestGridEvent } from '../../src/home/grid-watch.ts';
import { runAround, windowNotices } from '../../src/home/notices.ts';
import { createNotifier } from '../../src/home/notifier.ts';
import { MqttPool } from '../../src/runner/dispatch/mqtt.ts';
import type { SchedulerEvent } from '../../src/runner/service.ts';
import { dayWindows } from '../../src/signals/quality.ts';
import type { Store } from '../../src/store/db.ts';
import { recentNotices } from '../../src/store/home.ts';
import { testHome } from '../helpers/home.ts';
import { startServer, type TestServer } from '../helpers/http-server.ts';
import { tableRegistry, tableSource } from '../runner/helpers.ts';
import { BACKENDS, type TestBackend } from '../store/backends.ts';

const DAY = Date.parse('2026-06-01T00:00:00Z');
const at = (h: number, m = 0) => DAY + (h * 60 + m) * MINUTE_MS;

function home(extra: Record<string, unknown> = {}): HomeConfig {
  return testHome({
    zone: 'DE',
    stepMin: 60,
    horizonHours: 24,
    baseLoadKw: 0.5,
    appliances: [{ id: 'dishwasher', powerKw: 1, durationMin: 60, earliest: '10:00', latestEnd: '20:00' }],
    ...extra,
  });
}

const notifyAll: HomeNotifyConfig = {
  windows: ['clean', 'cheapest', 'best'],
  cheapShare: 1 / 3,
  gridEvents: 'warning',
  quietHours: [],
};

describe('the notices, decided', () => {
  it('finds the run of flags around a slot', () => {
    expect(runAround([false, true, true, false, true], 2)).toEqual([1, 3]);
    expect(runAround([false, true, true, false, true], 3)).toBeNull();
    expect(runAround([true, true], 0)).toEqual([0, 2]);
  });

  it('reads daily ranges across midnight in the home time zone', () => {
    expect(
      activeDailyWindow(['22:00-07:00'], Date.parse('2026-06-01T21:30:00Z'), 'Europe/Berlin') !== null,
    ).toBe(true); // 23:30
    expect(
      activeDailyWindow(['22:00-07:00'], Date.parse('2026-06-02T04:59:00Z'), 'Europe/Berlin') !== null,
    ).toBe(true); // 06:59
    expect(
      activeDailyWindow(['22:00-07:00'], Date.parse('2026-06-02T05:00:00Z'), 'Europe/Berlin') !== null,
    ).toBe(false); // 07:00
    expect(activeDailyWindow([], Date.parse('2026-06-01T12:00:00Z'), 'UTC') !== null).toBe(false);
  });

  it('tells each window on now with its span, what it is and the appliances that could run', () => {
    // a day of 6 hourly slots to keep it small: carbon mean 200; prices' cheapest third = the 2 cheapest
    const carbon = [300, 300, 100, 100, 200, 200];
    const price = [0.1, 0.3, 0.1, 0.3, 0.3, 0.3];
    const day = { ...dayWindows(carbon, price), carbon, price };
    const h = home({ appliances: [{ ...home().appliances[0], earliest: '01:00', latestEnd: '05:00' }] });
    const notices = windowNotices(h, notifyAll, day, DAY, at(2, 10));
    expect(notices.map((n) => [n.key, n.window])).toEqual([
      ['clean_window:2026-06-01T02:00:00Z', { start: '2026-06-01T02:00:00Z', end: '2026-06-01T04:00:00Z' }],
      [
        'cheapest_window:2026-06-01T02:00:00Z',
        { start: '2026-06-01T02:00:00Z', end: '2026-06-01T03:00:00Z' },
      ],
      ['best_window:2026-06-01T02:00:00Z', { start: '2026-06-01T02:00:00Z', end: '2026-06-01T03:00:00Z' }],
    ]);
    expect(notices[2]).toMatchObject({
      title: 'Best time to run appliances now',
      message: '100 g/kWh (day mean 200), 0.100 per kWh until 03:00: dishwasher could run now',
      devices: ['dishwasher'],
    });
    expect(windowNotices(h, notifyAll, day, DAY, at(1, 10))).toEqual([]);
  });
});

describe.each(BACKENDS)('the notifier ($kind store)', (b) => {
  let backend: TestBackend;
  let store: Store;
  let receiver: TestServer;
  let ntfy: TestServer;
  let subscriber: MqttClient;
  let clock = at(10, 5);
  const topic = `gridshift-test/notices-${randomUUID().slice(0, 8)}`;
  const mqttSeen: string[] = [];
  const events: SchedulerEvent[] = [];
  const listeners = new Set<(e: SchedulerEvent) => void>();
  const bus = {
    publish: (e: SchedulerEvent) => {
      events.push(e);
      for (const l of listeners) l(e);
    },
    onEvent: (l: (e: SchedulerEvent) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  // clean from 10:00 to 12:00 (carbon below the day's mean); the two cheapest of the day's 48 slots (cheapShare
  // 1/24) 10:00-11:00: best 10:00-11:00
  const source = tableSource(
    (_z, t) => (t >= at(10) && t < at(12) ? 100 : 300),
    (_z, t) => (t >= at(10) && t < at(11) ? 0.05 : 0.3),
  );
  const registry = tableRegistry(source);
  const mqtt = new MqttPool();

  beforeAll(async () => {
    backend = b.make();
    store = await backend.open();
    receiver = await startServer((_r, res) => {
      res.statusCode = 204;
      res.end();
    });
    ntfy = await startServer((_r, res) => {
      res.statusCode = 200;
      res.end('{}');
    });
    subscriber = await connectAsync('mqtt://127.0.0.1:1883', {
      clientId: `gridshift-test-${randomUUID().slice(0, 8)}`,
    });
    subscriber.on('message', (_t, p) => mqttSeen.push(p.toString()));
    await subscriber.subscribeAsync(topic, { qos: 1 });
  });
  afterAll(async () => {
    await mqtt.close();
    await subscriber?.endAsync();
    await receiver?.close();
    await ntfy?.close();
    await backend?.cleanup();
  });

  const notifier = (notify: Partial<HomeNotifyConfig> = {}) =>
    createNotifier(
      home({ stepMin: 30 }),
      {
        ...notifyAll,
        cheapShare: 1 / 24,
        webhook: { url: `${receiver.url}/notices` },
        mqtt: { url: 'mqtt://127.0.0.1:1883', topic },
        ntfy: { url: `${ntfy.url}/gridshift-home`, tokenEnv: 'NTFY_TOKEN' },
        ...notify,
      },
      { store, registry, mqtt, bus, now: () => clock, env: { NTFY_TOKEN: 'tk_1' } },
    );

  it('holds the windows in quiet hours, then tells each once on every output', async () => {
    clock = at(10, 5);
    expect(await notifier({ quietHours: ['10:00-10:30'] }).check()).toEqual([]);
    clock = at(10, 35);
    const told = await notifier().check();
    expect(told.map((n) => n.kind)).toEqual(['clean_window', 'cheapest_window', 'best_window']);
    expect(told.map((n) => n.window?.end)).toEqual([
      '2026-06-01T12:00:00Z',
      '2026-06-01T11:00:00Z',
      '2026-06-01T11:00:00Z',
    ]);
    expect(receiver.requests).toHaveLength(3);
    expect(JSON.parse(receiver.requests[2].body)).toMatchObject({
      type: 'home.notice',
      kind: 'best_window',
      devices: ['dishwasher'],
    });
    expect(ntfy.requests[2]).toMatchObject({ method: 'POST', url: '/gridshift-home', body: told[2].message });
    expect(ntfy.requests[2].headers).toMatchObject({
      title: 'Best time to run appliances now',
      priority: '4',
      authorization: 'Bearer tk_1',
    });
    for (let i = 0; i < 40 && mqttSeen.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect(mqttSeen.map((m) => JSON.parse(m).kind)).toEqual([
      'clean_window',
      'cheapest_window',
      'best_window',
    ]);
    expect(events.filter((e) => e.type === 'home.notice')).toHaveLength(3);
    // another process, or this one restarted: nothing is told twice
    expect(await notifier().check()).toEqual([]);
    expect((await recentNotices(store, at(0))).map((n) => n.kind)).toEqual([
      'best_window',
      'cheapest_window',
      'clean_window',
    ]);
  });

  it('tells a critical grid event even in quiet hours, and no event below the severity asked', async () => {
    clock = at(23);
    const n = notifier({ quietHours: ['22:00-07:00'], gridEvents: 'critical' });
    n.start();
    try {
      const before = receiver.requests.length;
      const deps = { store, bus, now: () => clock };
      await ingestGridEvent(
        deps,
        {
          kind: 'peak_alert',
          severity: 'warning',
          startMs: clock,
          endMs: null,
          zones: ['DE'],
          source: 'api',
          externalId: 'w',
          raw: {},
        },
        clock,
      );
      await ingestGridEvent(
        deps,
        {
          kind: 'load_shedding',
          severity: 'critical',
          startMs: clock,
          endMs: null,
          zones: [],
          source: 'api',
          externalId: 'c',
          raw: {},
        },
        clock,
      );
      await ingestGridEvent(
        deps,
        {
          kind: 'load_shedding',
          severity: 'critical',
          startMs: clock,
          endMs: null,
          zones: ['FR'],
          source: 'api',
          externalId: 'fr',
          raw: {},
        },
        clock,
      );
      for (let i = 0; i < 40 && receiver.requests.length < before + 1; i++)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 200));
      const sent = receiver.requests.slice(before).map((r) => JSON.parse(r.body));
      expect(sent).toEqual([
        expect.objectContaining({ kind: 'grid_event', title: 'Grid load shedding (critical)', priority: 5 }),
      ]);
    } finally {
      await n.close();
    }
  });
});
