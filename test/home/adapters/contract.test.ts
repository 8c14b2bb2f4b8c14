import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adapterFor } from '../../../src/home/adapters/index.ts';
import type { DeviceAdapter } from '../../../src/home/adapters/types.ts';
import { VirtualDevices } from '../../../src/home/adapters/virtual.ts';
import type { AdapterConfig } from '../../../src/home/device.ts';
import { type HomeAssistantDouble, startHomeAssistant } from '../../helpers/home-assistant.ts';
import {
  BROKER_URL,
  type FakeDevice,
  fakeShellyMqtt,
  fakeTasmota,
  uniqueTopic,
} from '../../helpers/mqtt-devices.ts';
import { type ShellyDouble, startShelly } from '../../helpers/shelly-rpc.ts';

/** The one interface, the same behaviour: every adapter against its peer switches and reads back alike. */

let shelly: ShellyDouble;
let ha: HomeAssistantDouble;
let tasmota: FakeDevice;
let shellyMqtt: FakeDevice;
const tasmotaTopic = uniqueTopic('tasmota');
const shellyPrefix = uniqueTopic('shellyplus1pm');
const adapters: DeviceAdapter[] = [];

beforeAll(async () => {
  shelly = await startShelly();
  ha = await startHomeAssistant();
  ha.entities.set('switch.plug', { state: 'off', attributes: {} });
  tasmota = await fakeTasmota(tasmotaTopic);
  shellyMqtt = await fakeShellyMqtt(shellyPrefix);
});
afterAll(async () => {
  await Promise.all(adapters.map((a) => a.close()));
  await Promise.all([shelly?.close(), ha?.close(), tasmota?.close(), shellyMqtt?.close()]);
});

const configs: [string, () => AdapterConfig][] = [
  ['shelly', () => ({ type: 'shelly', url: shelly.url })],
  ['homeassistant', () => ({ type: 'homeassistant', url: ha.url, entityId: 'switch.plug' })],
  ['mqtt tasmota', () => ({ type: 'mqtt', convention: 'tasmota', topic: tasmotaTopic, url: BROKER_URL })],
  ['mqtt shelly', () => ({ type: 'mqtt', convention: 'shelly', topic: shellyPrefix, url: BROKER_URL })],
  ['virtual', () => ({ type: 'virtual' })],
];

describe.each(configs)('the %s adapter', (_name, config) => {
  it('reads off, switches on and reads on, switches off and reads off', async () => {
    const a = adapterFor(
      { name: 'plug', ratedPowerW: 500, adapter: config() },
      {
        env: { GRIDSHIFT_HA_TOKEN: 'ha-long-lived-token' },
        nowMs: () => 11,
        virtualDevices: new VirtualDevices(),
      },
    );
    adapters.push(a);
    const before = await a.readState();
    expect(before.on).toBe(false);
    expect(before.seenAtMs).toBe(11);
    await a.turnOn();
    expect((await a.readState()).on).toBe(true);
    await a.turnOff();
    expect((await a.readState()).on).toBe(false);
    expect(a.device).toBe('plug');
  });
});
