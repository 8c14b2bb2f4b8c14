/**
 * Devices on an MQTT broker, in one of two firmware conventions (the topics are those of the official docs):
 *
 * Tasmota (https://tasmota.github.io/docs/MQTT/, /Commands/#power), `<t>` being the device's %topic%:
 * - `cmnd/<t>/POWER` (`POWER<n>` for relay n) with `ON` or `OFF` switches; an empty payload asks for the state;
 * - the device answers on `stat/<t>/RESULT` (`{"POWER":"ON"}`) and `stat/<t>/POWER` (`ON`/`OFF`);
 * - `tele/<t>/STATE` (`{"POWER":"ON",...}`) and `tele/<t>/SENSOR` (`{"ENERGY":{"Power":W,...}}`) every
 *   TelePeriod; `tele/<t>/LWT` is `Online` or `Offline` (retained).
 * A read asks for the state and waits for the answer; the power is the last `tele/<t>/SENSOR` seen.
 *
 * Shelly Gen2/Gen3 (https://shelly-api-docs.shelly.cloud/gen2/General/RPCChannels#mqtt), `<p>` being the
 * device's topic prefix (by default its id, e.g. shellyplus1pm-a8032ab1c2d3):
 * - JSON-RPC requests on `<p>/rpc`: `{"id":1,"src":"<src>","method":"Switch.Set","params":{"id":0,"on":true}}`,
 *   answered on `<src>/rpc` with `{"id":1,"src":"<p>","dst":"<src>","result":{...}}` or `"error":{code,message}`;
 * - a read calls `Switch.GetStatus` (`output`, `apower`);
 * - `<p>/status/switch:<n>` carries the switch's status when it changes and `<p>/online` is `true`/`false`
 *   (retained).
 *
 * Both: the state topics are subscribed while the adapter is open, a switch waits for the device to confirm
 * it, and a device whose last will says it is offline (seen before the call or while waiting: the broker
 * sends the retained will just after the subscription) fails at once as unreachable. Neither firmware has a
 * generic mode or power limit for a relay: setMode and setPowerLimit are `unsupported`. Each adapter holds one
 * connection to its broker (the device's `url`, else GRIDSHIFT_MQTT_URL, else mqtt://127.0.0.1:1883; user and
 * password from the URL or GRIDSHIFT_MQTT_USERNAME and GRIDSHIFT_MQTT_PASSWORD).
 */
import { randomUUID } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { DEFAULT_DEVICE_TIMEOUT_MS, describeAddress, type MqttAdapterConfig } from '../device.ts';
import {
  type AdapterOptions,
  type DeviceAdapter,
  DeviceError,
  type DeviceRef,
  type DeviceState,
} from './types.ts';

export const DEFAULT_HOME_MQTT_URL = 'mqtt://127.0.0.1:1883';

type Listener = (topic: string, payload: string) => boolean;

interface Link {
  where: { device: string; address: string };
  timeoutMs: number;
  /** connects and subscribes on first use */
  ready(): Promise<MqttClient>;
  publish(topic: string, payload: string): Promise<void>;
  /** resolves with what `pick` returns for the first message it accepts, after `send` ran; times out */
  request<T>(
    send: () => Promise<void>,
    pick: (topic: string, payload: string) => T | undefined,
    what: string,
  ): Promise<T>;
  close(): Promise<void>;
}

/** MQTT 3.1.1 CONNACK 4/5 and MQTT 5 reason codes 134/135: bad user name or password, not authorised. */
const NOT_AUTHORIZED = new Set([4, 5, 134, 135]);

function openLink(
  where: Link['where'],
  url: string,
  topics: string[],
  onMessage: (topic: string, payload: string) => void,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Link {
  const listeners = new Set<Listener>();
  let client: MqttClient | undefined;
  let ready: Promise<MqttClient> | undefined;

  const connectOnce = (): Promise<MqttClient> =>
    new Promise<MqttClient>((resolve, reject) => {
      const options: IClientOptions = {
        clientId: `gridshift-home-${randomUUID().slice(0, 8)}`,
        clean: true,
        connectTimeout: timeoutMs,
        reconnectPeriod: 1000,
      };
      if (!new URL(url).username && env.GRIDSHIFT_MQTT_USERNAME) {
        options.username = env.GRIDSHIFT_MQTT_USERNAME;
        if (env.GRIDSHIFT_MQTT_PASSWORD) options.password = env.GRIDSHIFT_MQTT_PASSWORD;
      }
      const c = connect(url, options);
      client = c;
      c.setMaxListeners(0);
      c.on('message', (topic, payload) => {
        const text = payload.toString('utf8');
        onMessage(topic, text);
        for (const l of [...listeners]) if (l(topic, text)) listeners.delete(l);
      });
      const timer = setTimeout(
        () => fail('unreachable', `the broker did not accept a connection within ${timeoutMs} ms`),
        timeoutMs,
      );
      const fail = (kind: 'unreachable' | 'unauthorized', message: string, cause?: unknown) => {
        clearTimeout(timer);
        c.removeListener('error', onError);
        client = undefined;
        c.end(true);
        reject(new DeviceError(where, kind, `broker: ${message}`, { cause }));
      };
      const onError = (err: Error & { code?: string | number }) => {
        if (typeof err.code === 'number' && NOT_AUTHORIZED.has(err.code))
          fail('unauthorized', `${err.message}: check the broker's user name and password`, err);
        else
          fail(
            'unreachable',
            `${err.message}${typeof err.code === 'string' && !err.message.includes(err.code) ? ` (${err.code})` : ''}`,
            err,
          );
      };
      c.once('error', onError);
      c.once('connect', async () => {
        clearTimeout(timer);
        c.removeListener('error', onError);
        c.on('error', () => {}); // later errors: the client reconnects; calls time out meanwhile
        try {
          await c.subscribeAsync(topics, { qos: 1 });
          resolve(c);
        } catch (err) {
          fail('unreachable', `could not subscribe: ${(err as Error).message}`, err);
        }
      });
    });

  const link: Link = {
    where,
    timeoutMs,
    ready() {
      ready ??= connectOnce().catch((err) => {
        ready = undefined; // the next call tries again
        throw err;
      });
      return ready;
    },
    async publish(topic, payload) {
      const c = await link.ready();
      await c.publishAsync(topic, payload, { qos: 1 });
    },
    async request(send, pick, what) {
      await link.ready();
      return new Promise((resolve, reject) => {
        const listener: Listener = (topic, payload) => {
          let value: ReturnType<typeof pick>;
          try {
            value = pick(topic, payload);
          } catch (err) {
            clearTimeout(timer);
            reject(err);
            return true;
          }
          if (value === undefined) return false;
          clearTimeout(timer);
          resolve(value);
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new DeviceError(where, 'timeout', `no answer to ${what} within ${timeoutMs} ms`));
        }, timeoutMs);
        listeners.add(listener);
        send().catch((err) => {
          clearTimeout(timer);
          listeners.delete(listener);
          reject(
            new DeviceError(where, 'unreachable', `publish failed: ${(err as Error).message}`, {
              cause: err,
            }),
          );
        });
      });
    },
    async close() {
      listeners.clear();
      const c = client;
      client = undefined;
      ready = undefined;
      await c?.endAsync(true).catch(() => {});
    },
  };
  return link;
}

export function mqttAdapter(
  device: DeviceRef,
  config: MqttAdapterConfig,
  options: AdapterOptions = {},
): DeviceAdapter {
  const env = options.env ?? process.env;
  const url = config.url ?? env.GRIDSHIFT_MQTT_URL ?? DEFAULT_HOME_MQTT_URL;
  const where = { device: device.name, address: describeAddress({ ...config, url }) };
  const timeoutMs = config.timeoutMs ?? DEFAULT_DEVICE_TIMEOUT_MS;
  const nowMs = options.nowMs ?? Date.now;
  return config.convention === 'tasmota'
    ? tasmota(device, config, { url, where, env, timeoutMs, nowMs })
    : shellyMqtt(device, config, { url, where, env, timeoutMs, nowMs });
}

interface Setup {
  url: string;
  where: Link['where'];
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  nowMs: () => number;
}

const unsupported = (where: Link['where'], what: string) => async () => {
  throw new DeviceError(where, 'unsupported', what);
};

function tasmota(device: DeviceRef, config: MqttAdapterConfig, s: Setup): DeviceAdapter {
  const t = config.topic;
  const key = config.channel === undefined ? 'POWER' : `POWER${config.channel}`;
  // a single-relay device answers POWER1 as POWER
  const keys = new Set(
    config.channel === undefined || config.channel === 1 ? ['POWER', 'POWER1', key] : [key],
  );
  let online: boolean | undefined;
  let powerW: number | undefined;

  /** ON/OFF from stat/<t>/POWER<n>, stat/<t>/RESULT or tele/<t>/STATE; undefined for other messages. */
  const powerOf = (topic: string, payload: string): boolean | undefined => {
    const name = topic.split('/').pop() ?? '';
    if (topic.startsWith(`stat/${t}/`) && keys.has(name)) return onOff(payload);
    if (topic === `stat/${t}/RESULT` || topic === `tele/${t}/STATE`) {
      const body = parseJson(payload);
      for (const k of keys) if (typeof body?.[k] === 'string') return onOff(body[k] as string);
    }
    return undefined;
  };

  const link = openLink(
    s.where,
    s.url,
    [`stat/${t}/+`, `tele/${t}/STATE`, `tele/${t}/SENSOR`, `tele/${t}/LWT`],
    (topic, payload) => {
      if (topic === `tele/${t}/LWT`) online = payload !== 'Offline';
      else if (topic === `tele/${t}/SENSOR`) {
        const energy = parseJson(payload)?.ENERGY as Record<string, unknown> | undefined;
        if (typeof energy?.Power === 'number') powerW = energy.Power;
      }
    },
    s.env,
    s.timeoutMs,
  );

  async function command(payload: '' | 'ON' | 'OFF'): Promise<boolean> {
    await link.ready();
    if (online === false)
      throw new DeviceError(
        s.where,
        'unreachable',
        `tele/${t}/LWT says Offline: the device is not connected`,
      );
    return link.request(
      () => link.publish(`cmnd/${t}/${key}`, payload),
      (topic, message) => {
        if (topic === `tele/${t}/LWT` && message === 'Offline')
          throw new DeviceError(
            s.where,
            'unreachable',
            `tele/${t}/LWT says Offline: the device is not connected`,
          );
        const p = powerOf(topic, message);
        return p === undefined || (payload !== '' && p !== (payload === 'ON')) ? undefined : p;
      },
      `cmnd/${t}/${key} ${payload || '(query)'}`,
    );
  }

  return {
    device: device.name,
    address: s.where.address,
    async readState() {
      const state: DeviceState = { on: await command(''), seenAtMs: s.nowMs() };
      if (powerW !== undefined) state.powerW = state.on || powerW === 0 ? powerW : 0;
      return state;
    },
    turnOn: async () => {
      await command('ON');
    },
    turnOff: async () => {
      await command('OFF');
    },
    setMode: unsupported(s.where, 'a Tasmota relay has no modes'),
    setPowerLimit: unsupported(s.where, 'a Tasmota relay cannot limit its power, only switch it'),
    close: () => link.close(),
  };
}

function shellyMqtt(device: DeviceRef, config: MqttAdapterConfig, s: Setup): DeviceAdapter {
  const p = config.topic;
  const id = config.channel ?? 0;
  const src = `gridshift-${randomUUID().slice(0, 8)}`;
  let online: boolean | undefined;
  let nextId = 1;
  const link = openLink(
    s.where,
    s.url,
    [`${src}/rpc`, `${p}/status/switch:${id}`, `${p}/online`],
    (topic, payload) => {
      if (topic === `${p}/online`) online = payload.trim() !== 'false';
    },
    s.env,
    s.timeoutMs,
  );

  async function rpc(method: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    await link.ready();
    if (online === false)
      throw new DeviceError(s.where, 'unreachable', `${p}/online says false: the device is not connected`);
    const requestId = nextId++;
    const frame = JSON.stringify({ id: requestId, src, method, params });
    return link.request(
      () => link.publish(`${p}/rpc`, frame),
      (topic, payload) => {
        if (topic === `${p}/online` && payload.trim() === 'false')
          throw new DeviceError(
            s.where,
            'unreachable',
            `${p}/online says false: the device is not connected`,
          );
        if (topic !== `${src}/rpc`) return undefined;
        const reply = parseJson(payload);
        if (reply?.id !== requestId) return undefined;
        const error = reply.error as { code?: number; message?: string } | undefined;
        if (error) {
          const kind = error.code === 401 ? 'unauthorized' : 'failed';
          throw new DeviceError(
            s.where,
            kind,
            `${method} answered error ${error.code}: ${error.message ?? ''}`.trim(),
          );
        }
        if (typeof reply.result !== 'object' || reply.result === null)
          throw new DeviceError(s.where, 'failed', `${method} answered without a result`);
        return reply.result as Record<string, unknown>;
      },
      `${method} on ${p}/rpc`,
    );
  }

  return {
    device: device.name,
    address: s.where.address,
    async readState() {
      const status = await rpc('Switch.GetStatus', { id });
      if (typeof status.output !== 'boolean')
        throw new DeviceError(s.where, 'failed', 'Switch.GetStatus answered without a boolean output');
      const state: DeviceState = { on: status.output, seenAtMs: s.nowMs() };
      if (typeof status.apower === 'number') state.powerW = status.apower;
      return state;
    },
    turnOn: async () => {
      await rpc('Switch.Set', { id, on: true });
    },
    turnOff: async () => {
      await rpc('Switch.Set', { id, on: false });
    },
    setMode: unsupported(s.where, 'a Shelly switch has no modes'),
    setPowerLimit: unsupported(s.where, 'a Shelly switch cannot limit its power, only switch it'),
    close: () => link.close(),
  };
}

function onOff(payload: string): boolean | undefined {
  const v = payload.trim().toUpperCase();
  return v === 'ON' ? true : v === 'OFF' ? false : undefined;
}

function parseJson(payload: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(payload);
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
