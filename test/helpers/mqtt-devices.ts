import { randomUUID } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';

/**
 * Devices on the real local broker that behave like their firmware: a Tasmota relay and a Shelly Gen2
 * switch (MQTT RPC). Each test gives them a fresh topic; retained last wills are cleared on close.
 */

export const BROKER_URL = process.env.GRIDSHIFT_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

export const uniqueTopic = (prefix: string) => `gridshift-test/${prefix}-${randomUUID().slice(0, 8)}`;

export interface FakeDevice {
  on: boolean;
  powerW: number;
  /** while true, commands are received but not answered */
  silent: boolean;
  /** commands and RPC methods received, in order */
  received: string[];
  /** publishes the firmware's last will as offline (retained) */
  goOffline(): Promise<void>;
  close(): Promise<void>;
}

/** Tasmota: cmnd/<t>/POWER[n] ON|OFF|'' -> stat/<t>/RESULT {"POWER":..} and stat/<t>/POWER; tele/<t>/SENSOR. */
export async function fakeTasmota(
  topic: string,
  options: { powerW?: number; relay?: string } = {},
): Promise<FakeDevice & { sendTelemetry(): Promise<void> }> {
  const client: MqttClient = await connectAsync(BROKER_URL, {
    clientId: `tasmota-${randomUUID().slice(0, 6)}`,
  });
  const relay = options.relay ?? 'POWER';
  const device = {
    on: false,
    powerW: options.powerW ?? 0,
    silent: false,
    received: [] as string[],
    async goOffline() {
      await client.publishAsync(`tele/${topic}/LWT`, 'Offline', { retain: true, qos: 1 });
    },
    async sendTelemetry() {
      const energy = { Total: 12.3, Power: device.on ? device.powerW : 0, Voltage: 231, Current: 0.5 };
      await client.publishAsync(
        `tele/${topic}/SENSOR`,
        JSON.stringify({ Time: '2026-01-01T00:00:00', ENERGY: energy }),
      );
    },
    async close() {
      await client.publishAsync(`tele/${topic}/LWT`, '', { retain: true, qos: 1 });
      await client.endAsync();
    },
  };
  client.on('message', (t, payload) => {
    const command = t.split('/').pop() ?? '';
    const value = payload.toString().trim().toUpperCase();
    device.received.push(`${command} ${value}`.trim());
    if (device.silent || command.toUpperCase() !== relay) return;
    if (value === 'ON') device.on = true;
    else if (value === 'OFF') device.on = false;
    else if (value === 'TOGGLE') device.on = !device.on;
    else if (value !== '') return;
    const state = device.on ? 'ON' : 'OFF';
    client.publish(`stat/${topic}/RESULT`, JSON.stringify({ [relay]: state }));
    client.publish(`stat/${topic}/${relay}`, state);
  });
  await client.subscribeAsync(`cmnd/${topic}/+`, { qos: 1 });
  await client.publishAsync(`tele/${topic}/LWT`, 'Online', { retain: true, qos: 1 });
  return device;
}

/** Shelly Gen2: JSON-RPC on <p>/rpc answered on <src>/rpc; <p>/status/switch:0 on change; <p>/online. */
export async function fakeShellyMqtt(
  prefix: string,
  options: { powerW?: number; rpcError?: { code: number; message: string } } = {},
): Promise<FakeDevice> {
  const client: MqttClient = await connectAsync(BROKER_URL, {
    clientId: `shelly-${randomUUID().slice(0, 6)}`,
  });
  const device: FakeDevice = {
    on: false,
    powerW: options.powerW ?? 0,
    silent: false,
    received: [],
    async goOffline() {
      await client.publishAsync(`${prefix}/online`, 'false', { retain: true, qos: 1 });
    },
    async close() {
      await client.publishAsync(`${prefix}/online`, '', { retain: true, qos: 1 });
      await client.endAsync();
    },
  };
  const status = () => ({
    id: 0,
    source: 'MQTT',
    output: device.on,
    apower: device.on ? device.powerW : 0,
    voltage: 230.4,
    aenergy: { total: 100 },
  });
  client.on('message', (_t, payload) => {
    const req = JSON.parse(payload.toString()) as {
      id: number;
      src: string;
      method: string;
      params?: { id?: number; on?: boolean };
    };
    device.received.push(req.method);
    if (device.silent) return;
    const reply = (body: Record<string, unknown>) =>
      client.publish(`${req.src}/rpc`, JSON.stringify({ id: req.id, src: prefix, dst: req.src, ...body }));
    if (options.rpcError) return reply({ error: options.rpcError });
    if (req.params?.id !== 0)
      return reply({ error: { code: -105, message: 'Argument id, value not found!' } });
    if (req.method === 'Switch.GetStatus') return reply({ result: status() });
    if (req.method === 'Switch.Set') {
      const wasOn = device.on;
      device.on = req.params.on === true;
      reply({ result: { was_on: wasOn } });
      client.publish(`${prefix}/status/switch:0`, JSON.stringify(status()));
      return;
    }
    reply({ error: { code: -114, message: `Method ${req.method} failed: not found` } });
  });
  await client.subscribeAsync(`${prefix}/rpc`, { qos: 1 });
  await client.publishAsync(`${prefix}/online`, 'true', { retain: true, qos: 1 });
  return device;
}
