import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from '../../src/core/time.ts';
import { type Autopilot, createAutopilot, penaltyNow } from '../../src/home/autopilot.ts';
import { addHomeDevice, findHomeDevice } from '../../src/home/devices.ts';
import { endGridEventNow, ingestGridEvent } from '../../src/home/grid-watch.ts';
import type { SchedulerEvent } from '../../src/runner/service.ts';
import { readDecisions, verifyAuditChain } from '../../src/store/audit.ts';
import type { Store } from '../../src/store/db.ts';
import { testHome } from '../helpers/home.ts';
import {
  BROKER_URL,
  type FakeDevice,
  fakeShellyMqtt,
  fakeTasmota,
  uniqueTopic,
} from '../helpers/mqtt-devices.ts';
import { tableRegistry, tableSource } from '../runner/helpers.ts';
import { BACKENDS, type TestBackend } from '../store/backends.ts';

/**
 * A home of three devices on the local broker, run by the autopilot with the eco strategy. Carbon is
 * 400 g/kWh from 18:00 to 20:00 and 100 otherwise: the penalty (carbon over the day's largest) is 1 at
 * the peak and 0.25 otherwise, against the threshold 0.6. The dishwasher (delay_start) is started at the
 * peak and held off; switched on by hand, it is left alone until the peak ends. The water heater is
 * protected 18:00-19:00 and held after. The EV charger is held at the peak. A critical grid event keeps
 * them off, and the dishwasher too once its override is over, until the event ends; then a new autopilot
 * (a restart) puts all three back.
 */
const DAY = Date.parse('2026-06-01T00:00:00Z');
const at = (h: number, m = 0) => DAY + h * HOUR_MS + m * MINUTE_MS;
const peak = (t: number) => t >= at(18) && t < at(20);

describe('the home autopilot, end to end on the local broker (embedded store)', () => {
  let backend: TestBackend;
  let store: Store;
  let clock = at(17);
  let dishwasher: FakeDevice;
  let heater: FakeDevice;
  let charger: FakeDevice;
  let plug: FakeDevice;
  const events: SchedulerEvent[] = [];
  const bus = { publish: (e: SchedulerEvent) => events.push(e) };
  const registry = tableRegistry(tableSource((_z, t) => (peak(t) ? 400 : 100)));
  const home = testHome({ zone: 'DE', stepMin: 30, strategy: 'eco' });
  let pilot: Autopilot;
  const make = () => createAutopilot({ home, store, registry, bus, now: () => clock });

  beforeAll(async () => {
    backend = BACKENDS[0].make();
    store = await backend.open();
    const topics = {
      dw: uniqueTopic('dishwasher'),
      wh: uniqueTopic('heater'),
      ev: uniqueTopic('ev'),
      plug: uniqueTopic('plug'),
    };
    dishwasher = await fakeTasmota(topics.dw, { powerW: 1800 });
    heater = await fakeTasmota(topics.wh, { powerW: 2000 });
    charger = await fakeShellyMqtt(topics.ev, { powerW: 7400 });
    plug = await fakeTasmota(topics.plug, { powerW: 100 });
    const mqtt = (convention: 'tasmota' | 'shelly', topic: string) => ({
      type: 'mqtt',
      convention,
      topic,
      url: BROKER_URL,
    });
    const add = (raw: Record<string, unknown>) => addHomeDevice(store, raw, { nowMs: clock });
    await add({
      name: 'dishwasher',
      kind: 'dishwasher',
      adapter: mqtt('tasmota', topics.dw),
      ratedPowerW: 1800,
      delegated: true,
      action: 'delay_start',
      runMin: 120,
    });
    await add({
      name: 'water heater',
      kind: 'water_heater',
      adapter: mqtt('tasmota', topics.wh),
      ratedPowerW: 2000,
      delegated: true,
      action: 'turn_off',
      protectedWindows: ['18:00-19:00'],
    });
    await add({
      name: 'ev charger',
      kind: 'ev_charger',
      adapter: mqtt('shelly', topics.ev),
      ratedPowerW: 7400,
      delegated: true,
      action: 'turn_off',
    });
    await add({
      name: 'lamp',
      kind: 'plug',
      adapter: mqtt('tasmota', topics.plug),
      ratedPowerW: 100,
      action: 'turn_off',
    });
    heater.on = true;
    charger.on = true;
    plug.on = true;
    pilot = make();
  });
  afterAll(async () => {
    await pilot?.close();
    for (const d of [dishwasher, heater, charger, plug]) await d?.close();
    await backend?.cleanup();
  });

  const acts = (outcomes: { device: string; verdict: { act: string; rule: string } }[]) =>
    Object.fromEntries(outcomes.map((o) => [o.device, `${o.verdict.act}/${o.verdict.rule}`]));

  it('reads the penalty now and how long it stays above the threshold', async () => {
    expect(await penaltyNow(home, registry, at(18, 10))).toEqual({
      value: 1,
      threshold: 0.6,
      aboveUntilMs: at(20),
      strategy: 'eco',
    });
    expect((await penaltyNow(home, registry, at(17))).value).toBe(0.25);
  });

  it('leaves everything alone while the penalty is low', async () => {
    clock = at(17);
    const out = await pilot.round();
    expect(acts(out)).toEqual({
      dishwasher: 'leave/none',
      'ev charger': 'leave/none',
      lamp: 'leave/not_delegated',
      'water heater': 'leave/none',
    });
  });

  it('holds at the peak what it may, saving the state before, and not the protected heater', async () => {
    clock = at(18, 10);
    dishwasher.on = true; // the household starts the dishwasher
    const out = await pilot.round();
    expect(acts(out)).toMatchObject({
      dishwasher: 'hold/strategy',
      'ev charger': 'hold/strategy',
      lamp: 'leave/not_delegated',
      'water heater': 'leave/none',
    });
    expect([dishwasher.on, charger.on, heater.on, plug.on]).toEqual([false, false, true, true]);
    expect((await findHomeDevice(store, 'dishwasher')).stateBefore).toMatchObject({
      on: true,
      action: 'delay_start',
    });
  });

  it('respects a switch-on by hand until the peak ends', async () => {
    clock = at(18, 30);
    dishwasher.on = true;
    const out = await pilot.round();
    expect(acts(out).dishwasher).toBe('override/household');
    const d = await findHomeDevice(store, 'dishwasher');
    expect(d.override?.untilMs).toBe(at(20));
    expect(d.stateBefore).toBeNull();
    clock = at(18, 40);
    expect(acts(await pilot.round()).dishwasher).toBe('leave/household');
    expect(dishwasher.on).toBe(true);
  });

  it('holds the heater once its protected window is over', async () => {
    clock = at(19, 5);
    expect(acts(await pilot.round())['water heater']).toBe('hold/strategy');
    expect(heater.on).toBe(false);
  });

  it('keeps everything off through a critical grid event, and a new autopilot puts it back when it ends', async () => {
    clock = at(19, 20);
    const { event } = await ingestGridEvent(
      { store },
      {
        kind: 'load_shedding',
        severity: 'critical',
        startMs: clock,
        endMs: null,
        zones: ['DE'],
        source: 'api',
        externalId: 'ls-1',
        raw: {},
      },
      clock,
    );
    expect(acts(await pilot.round())).toMatchObject({
      'ev charger': 'leave/grid_event',
      'water heater': 'leave/grid_event',
      dishwasher: 'leave/household',
    });
    clock = at(20, 10); // the peak is over, the event is not
    expect(acts(await pilot.round())).toMatchObject({
      'ev charger': 'leave/grid_event',
      'water heater': 'leave/grid_event',
    });
    expect([charger.on, heater.on]).toEqual([false, false]);
    // the service restarts while holding them: the saved states are in the store
    await pilot.close();
    pilot = make();
    clock = at(20, 20);
    await endGridEventNow({ store }, event.id, clock);
    const out = await pilot.round();
    expect(acts(out)).toEqual({
      dishwasher: 'release/strategy',
      'ev charger': 'release/strategy',
      lamp: 'leave/not_delegated',
      'water heater': 'release/strategy',
    });
    expect([charger.on, heater.on, dishwasher.on, plug.on]).toEqual([true, true, true, true]);
    expect((await findHomeDevice(store, 'ev charger')).stateBefore).toBeNull();
  });

  it('logged every act with its reasons in the hash-chained decision log', async () => {
    const logged: { reason: string; choice: unknown }[] = [];
    for await (const d of readDecisions(store)) if (d.kind === 'autopilot') logged.push(d as never);
    expect(logged.map((d) => d.choice)).toEqual([
      { act: 'hold', rule: 'strategy' },
      { act: 'hold', rule: 'strategy' },
      { act: 'override', rule: 'household' },
      { act: 'hold', rule: 'strategy' },
      { act: 'hold', rule: 'grid_event' },
      { act: 'release', rule: 'strategy' },
      { act: 'release', rule: 'strategy' },
      { act: 'release', rule: 'strategy' },
    ]);
    expect(logged[0].reason).toBe('dishwasher: penalty 1.00 is above the threshold 0.60');
    expect(await verifyAuditChain(store)).toMatchObject({ ok: true });
    expect(events.filter((e) => e.type === 'home.device')).toHaveLength(8);
  });
});
