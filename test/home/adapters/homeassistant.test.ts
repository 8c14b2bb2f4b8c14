import { afterEach, describe, expect, it } from 'vitest';
import { homeAssistantAdapter } from '../../../src/home/adapters/homeassistant.ts';
import { DeviceError } from '../../../src/home/adapters/types.ts';
import type { HomeAssistantAdapterConfig } from '../../../src/home/device.ts';
import { closedPort } from '../../helpers/closed-port.ts';
import { type HomeAssistantDouble, startHomeAssistant } from '../../helpers/home-assistant.ts';
import { startServer, type TestServer } from '../../helpers/http-server.ts';

const boiler = { name: 'boiler', ratedPowerW: 3000 };
const env = { GRIDSHIFT_HA_TOKEN: 'ha-long-lived-token' };
let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function ha(): Promise<HomeAssistantDouble> {
  const s = await startHomeAssistant();
  servers.push(s);
  return s;
}
const config = (
  url: string,
  extra: Partial<HomeAssistantAdapterConfig> = {},
): HomeAssistantAdapterConfig => ({
  type: 'homeassistant',
  url,
  entityId: 'switch.dishwasher',
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<DeviceError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeviceError);
  return err as DeviceError;
}

describe('Home Assistant REST adapter', () => {
  it('reads the entity and its power sensor, and calls turn_on/turn_off of its domain', async () => {
    const s = await ha();
    s.entities.set('switch.dishwasher', { state: 'off', attributes: {} });
    s.entities.set('sensor.dishwasher_power', { state: '1.85', attributes: { unit_of_measurement: 'kW' } });
    const a = homeAssistantAdapter(
      { name: 'dishwasher', ratedPowerW: 2000 },
      config(s.url, { powerEntityId: 'sensor.dishwasher_power' }),
      { env, nowMs: () => 7 },
    );
    expect(await a.readState()).toEqual({ on: false, powerW: 1850, seenAtMs: 7 });
    await a.turnOn();
    expect(s.entities.get('switch.dishwasher')?.state).toBe('on');
    await a.turnOff();
    expect(s.calls).toEqual([
      'switch.turn_on {"entity_id":"switch.dishwasher"}',
      'switch.turn_off {"entity_id":"switch.dishwasher"}',
    ]);
    const post = s.requests.find((r) => r.method === 'POST');
    expect(post?.headers.authorization).toBe('Bearer ha-long-lived-token');
    expect(post?.headers['content-type']).toBe('application/json');
  });

  it('leaves power out while the sensor is unavailable', async () => {
    const s = await ha();
    s.entities.set('switch.dishwasher', { state: 'on', attributes: {} });
    s.entities.set('sensor.p', { state: 'unavailable', attributes: {} });
    const a = homeAssistantAdapter(boiler, config(s.url, { powerEntityId: 'sensor.p' }), {
      env,
      nowMs: () => 1,
    });
    expect(await a.readState()).toEqual({ on: true, seenAtMs: 1 });
  });

  it("sets a water heater's operation mode and reads it back", async () => {
    const s = await ha();
    s.entities.set('water_heater.boiler', { state: 'electric', attributes: { operation_mode: 'electric' } });
    const a = homeAssistantAdapter(boiler, config(s.url, { entityId: 'water_heater.boiler' }), { env });
    await a.setMode('eco');
    expect(s.calls).toEqual([
      'water_heater.set_operation_mode {"entity_id":"water_heater.boiler","operation_mode":"eco"}',
    ]);
    const state = await a.readState();
    expect(state.mode).toBe('eco');
    expect(state.on).toBe(true);
  });

  it('limits power through a number entity, in percent or in watts of rated power', async () => {
    const s = await ha();
    s.entities.set('switch.dishwasher', { state: 'on', attributes: {} });
    s.entities.set('number.charger_limit', { state: '100', attributes: {} });
    const pct = homeAssistantAdapter(boiler, config(s.url, { limitEntityId: 'number.charger_limit' }), {
      env,
    });
    await pct.setPowerLimit(40);
    expect(s.entities.get('number.charger_limit')?.state).toBe('40');
    expect((await pct.readState()).limitPct).toBe(40);
    const watts = homeAssistantAdapter(
      boiler,
      config(s.url, { limitEntityId: 'number.charger_limit', limitUnit: 'W' }),
      { env },
    );
    await watts.setPowerLimit(40); // 40 % of 3000 W
    expect(s.entities.get('number.charger_limit')?.state).toBe('1200');
    expect((await watts.readState()).limitPct).toBe(40);
  });

  it('says what it cannot do: modes on a switch, a limit without a limit entity', async () => {
    const s = await ha();
    const a = homeAssistantAdapter(boiler, config(s.url), { env });
    expect((await failure(a.setMode('eco'))).kind).toBe('unsupported');
    const noLimit = await failure(a.setPowerLimit(50));
    expect(noLimit.kind).toBe('unsupported');
    expect(noLimit.message).toContain('limitEntityId');
    expect(s.requests).toHaveLength(0);
  });

  it('reports a wrong token (401) and a missing one, naming the variable', async () => {
    const s = await ha();
    const wrong = await failure(
      homeAssistantAdapter(boiler, config(s.url, { tokenEnv: 'HA_TOKEN' }), {
        env: { HA_TOKEN: 'old' },
      }).turnOn(),
    );
    expect(wrong.kind).toBe('unauthorized');
    expect(wrong.status).toBe(401);
    expect(wrong.message).toContain(`device "boiler" (homeassistant ${s.url} switch.dishwasher)`);
    const missing = await failure(homeAssistantAdapter(boiler, config(s.url), { env: {} }).readState());
    expect(missing.kind).toBe('unauthorized');
    expect(missing.message).toContain('GRIDSHIFT_HA_TOKEN is not set');
    expect(s.requests).toHaveLength(1);
  });

  it('tells an unknown entity and an unavailable one apart', async () => {
    const s = await ha();
    const unknown = await failure(homeAssistantAdapter(boiler, config(s.url), { env }).readState());
    expect(unknown.kind).toBe('failed');
    expect(unknown.message).toContain('no entity switch.dishwasher');
    s.entities.set('switch.dishwasher', { state: 'unavailable', attributes: {} });
    const gone = await failure(homeAssistantAdapter(boiler, config(s.url), { env }).readState());
    expect(gone.kind).toBe('unreachable');
  });

  it('times out, and is unreachable on a closed port', async () => {
    const slow = await startServer(() => new Promise(() => {}));
    servers.push(slow);
    const t = await failure(
      homeAssistantAdapter(boiler, config(slow.url, { timeoutMs: 150 }), { env }).turnOff(),
    );
    expect(t.kind).toBe('timeout');
    const url = `http://127.0.0.1:${await closedPort()}`;
    const u = await failure(homeAssistantAdapter(boiler, config(url), { env }).readState());
    expect(u.kind).toBe('unreachable');
    expect(u.message).toContain('ECONNREFUSED');
  });
});
