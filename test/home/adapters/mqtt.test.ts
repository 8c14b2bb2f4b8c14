import { afterEach, describe, expect, it } from 'vitest';
import { mqttAdapter } from '../../../src/home/adapters/mqtt.ts';
import { type DeviceAdapter, DeviceError } from '../../../src/home/adapters/types.ts';
import type { MqttAdapterConfig } from '../../../src/home/device.ts';
import { closedPort } from '../../helpers/closed-port.ts';
import { BROKER_URL, fakeShellyMqtt, fakeTasmota, uniqueTopic } from '../../helpers/mqtt-devices.ts';

const heater = { name: 'heater', ratedPowerW: 2000 };
let open: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(open.map((o) => o.close()));
  open = [];
});
const keep = <T extends { close(): Promise<unknown> }>(x: T): T => {
  open.push(x);
  return x;
};
const adapter = (config: Omit<MqttAdapterConfig, 'type'>, env: NodeJS.ProcessEnv = {}): DeviceAdapter =>
  keep(mqttAdapter(heater, { type: 'mqtt', url: BROKER_URL, ...config }, { env, nowMs: () => 5 }));

async function failure(p: Promise<unknown>): Promise<DeviceError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeviceError);
  return err as DeviceError;
}

describe('MQTT adapter, Tasmota convention', () => {
  it('asks for the state, switches through cmnd/<t>/POWER and waits for stat/<t>/POWER', async () => {
    const topic = uniqueTopic('tasmota');
    const dev = keep(await fakeTasmota(topic, { powerW: 1950 }));
    const a = adapter({ convention: 'tasmota', topic });
    expect(await a.readState()).toEqual({ on: false, seenAtMs: 5 });
    await a.turnOn();
    expect(dev.on).toBe(true);
    // the device publishes SENSOR before it answers the next query: the adapter has seen it by then
    await dev.sendTelemetry();
    expect(await a.readState()).toEqual({ on: true, powerW: 1950, seenAtMs: 5 });
    await a.turnOff();
    expect(dev.on).toBe(false);
    expect(dev.received).toEqual(['POWER', 'POWER ON', 'POWER', 'POWER OFF']);
  });

  it('addresses relay n as POWER<n>', async () => {
    const topic = uniqueTopic('tasmota');
    const dev = keep(await fakeTasmota(topic, { relay: 'POWER2' }));
    const a = adapter({ convention: 'tasmota', topic, channel: 2 });
    await a.turnOn();
    expect(dev.on).toBe(true);
    expect(dev.received).toEqual(['POWER2 ON']);
  });

  it('times out when the device does not confirm', async () => {
    const topic = uniqueTopic('tasmota');
    const dev = keep(await fakeTasmota(topic));
    dev.silent = true;
    const err = await failure(adapter({ convention: 'tasmota', topic, timeoutMs: 300 }).turnOn());
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain(`device "heater" (mqtt tasmota ${topic} on mqtt://127.0.0.1:1883)`);
    expect(err.message).toContain(`no answer to cmnd/${topic}/POWER ON within 300 ms`);
  });

  it('fails at once as unreachable when the last will says Offline', async () => {
    const topic = uniqueTopic('tasmota');
    const dev = keep(await fakeTasmota(topic));
    await dev.goOffline();
    dev.silent = true; // an offline device answers nothing
    const a = adapter({ convention: 'tasmota', topic, timeoutMs: 5000 });
    const err = await failure(a.readState());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain('LWT says Offline');
  });

  it('has no modes and no power limit', async () => {
    const a = adapter({ convention: 'tasmota', topic: uniqueTopic('tasmota') });
    expect((await failure(a.setMode('eco'))).kind).toBe('unsupported');
    expect((await failure(a.setPowerLimit(30))).kind).toBe('unsupported');
  });
});

describe('MQTT adapter, Shelly Gen2 convention', () => {
  it('calls Switch.GetStatus and Switch.Set over <prefix>/rpc', async () => {
    const prefix = uniqueTopic('shellyplus1pm');
    const dev = keep(await fakeShellyMqtt(prefix, { powerW: 812.5 }));
    const a = adapter({ convention: 'shelly', topic: prefix });
    expect(await a.readState()).toEqual({ on: false, powerW: 0, seenAtMs: 5 });
    await a.turnOn();
    expect(dev.on).toBe(true);
    expect(await a.readState()).toEqual({ on: true, powerW: 812.5, seenAtMs: 5 });
    await a.turnOff();
    expect(dev.received).toEqual(['Switch.GetStatus', 'Switch.Set', 'Switch.GetStatus', 'Switch.Set']);
  });

  it("reports the device's RPC errors, a silent device and an offline one", async () => {
    const prefix = uniqueTopic('shellyplus1pm');
    keep(await fakeShellyMqtt(prefix, { rpcError: { code: 401, message: 'Unauthorized' } }));
    const denied = await failure(adapter({ convention: 'shelly', topic: prefix }).turnOn());
    expect(denied.kind).toBe('unauthorized');
    expect(denied.message).toContain('Switch.Set answered error 401');

    const quiet = uniqueTopic('shellyplus1pm');
    const silent = keep(await fakeShellyMqtt(quiet));
    silent.silent = true;
    const t = await failure(adapter({ convention: 'shelly', topic: quiet, timeoutMs: 300 }).readState());
    expect(t.kind).toBe('timeout');
    expect(t.message).toContain(`Switch.GetStatus on ${quiet}/rpc`);

    await silent.goOffline();
    const off = await failure(adapter({ convention: 'shelly', topic: quiet }).readState());
    expect(off.kind).toBe('unreachable');
    expect(off.message).toContain('online says false');
  });

  it('fails on an unknown switch id with the device error', async () => {
    const prefix = uniqueTopic('shellyplus1pm');
    keep(await fakeShellyMqtt(prefix));
    const err = await failure(adapter({ convention: 'shelly', topic: prefix, channel: 2 }).readState());
    expect(err.kind).toBe('failed');
    expect(err.message).toContain('-105');
  });
});

describe('MQTT adapter, broker failures', () => {
  it('is unreachable when no broker listens', async () => {
    const url = `mqtt://127.0.0.1:${await closedPort()}`;
    const a = keep(
      mqttAdapter(heater, { type: 'mqtt', convention: 'tasmota', topic: 'x', url }, { env: {} }),
    );
    const err = await failure(a.readState());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toContain('broker:');
  });

  it('takes the broker from GRIDSHIFT_MQTT_URL when the device names none', async () => {
    const topic = uniqueTopic('tasmota');
    keep(await fakeTasmota(topic));
    const a = keep(
      mqttAdapter(
        heater,
        { type: 'mqtt', convention: 'tasmota', topic },
        { env: { GRIDSHIFT_MQTT_URL: BROKER_URL } },
      ),
    );
    expect(a.address).toBe(`mqtt tasmota ${topic} on mqtt://127.0.0.1:1883`);
    expect((await a.readState()).on).toBe(false);
  });
});
