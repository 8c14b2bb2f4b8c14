/**
 * A Home Assistant entity through its REST API (https://developers.home-assistant.io/docs/api/rest/),
 * authenticated with a long-lived access token (`Authorization: Bearer <token>`) read from the environment
 * variable the device names (default GRIDSHIFT_HA_TOKEN):
 * - state: `GET /api/states/<entity_id>` -> `{ entity_id, state, attributes, last_updated, ... }`; the device is
 *   on unless its state is `off`; `unavailable` means Home Assistant cannot reach it;
 * - power: the state of the configured sensor entity (W, or kW by its `unit_of_measurement`);
 * - on/off: `POST /api/services/<domain>/turn_on|turn_off` with `{ "entity_id": ... }`, the domain being the
 *   entity's (switch, water_heater, climate ...);
 * - mode: `water_heater.set_operation_mode` (operation_mode) or `climate.set_preset_mode` (preset_mode);
 * - power limit: `<number|input_number>.set_value` on the configured limit entity, in % or W.
 */
import { DEFAULT_DEVICE_TIMEOUT_MS, describeAddress, type HomeAssistantAdapterConfig } from '../device.ts';
import { deviceRequest, type Where } from './http.ts';
import {
  type AdapterOptions,
  type DeviceAdapter,
  DeviceError,
  type DeviceRef,
  type DeviceState,
} from './types.ts';

export const DEFAULT_HA_TOKEN_ENV = 'GRIDSHIFT_HA_TOKEN';

interface EntityState {
  entity_id: string;
  state: string;
  attributes?: Record<string, unknown>;
}

const MODE_SERVICES: Record<string, { service: string; field: string; attribute: string }> = {
  water_heater: { service: 'set_operation_mode', field: 'operation_mode', attribute: 'operation_mode' },
  climate: { service: 'set_preset_mode', field: 'preset_mode', attribute: 'preset_mode' },
};

export function homeAssistantAdapter(
  device: DeviceRef,
  config: HomeAssistantAdapterConfig,
  options: AdapterOptions = {},
): DeviceAdapter {
  const where: Where = { device: device.name, address: describeAddress(config) };
  const env = options.env ?? process.env;
  const nowMs = options.nowMs ?? Date.now;
  const timeoutMs = config.timeoutMs ?? DEFAULT_DEVICE_TIMEOUT_MS;
  const base = config.url.replace(/\/+$/, '');
  const tokenEnv = config.tokenEnv ?? DEFAULT_HA_TOKEN_ENV;
  const domain = config.entityId.split('.')[0];
  const limitUnit = config.limitUnit ?? '%';

  function headers(): Record<string, string> {
    const token = env[tokenEnv]?.trim();
    if (!token)
      throw new DeviceError(
        where,
        'unauthorized',
        `${tokenEnv} is not set: it holds the long-lived access token`,
      );
    return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  }

  async function entity(entityId: string): Promise<EntityState> {
    const { body } = await deviceRequest(where, `${base}/api/states/${encodeURIComponent(entityId)}`, {
      headers: headers(),
      timeoutMs,
    }).catch((err) => {
      if (err instanceof DeviceError && err.status === 404)
        throw new DeviceError(where, 'failed', `Home Assistant has no entity ${entityId}`, { status: 404 });
      throw err;
    });
    const e = body as EntityState | null;
    if (typeof e?.state !== 'string')
      throw new DeviceError(where, 'failed', `GET /api/states/${entityId} answered without a state`);
    return e;
  }

  async function call(serviceDomain: string, service: string, data: Record<string, unknown>): Promise<void> {
    await deviceRequest(where, `${base}/api/services/${serviceDomain}/${service}`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify(data),
      timeoutMs,
    });
  }

  /** A numeric sensor's state, or undefined when it has none now (unavailable, unknown). */
  async function numeric(entityId: string): Promise<{ value: number; unit: unknown } | undefined> {
    const e = await entity(entityId);
    const value = Number(e.state);
    if (e.state.trim() === '' || !Number.isFinite(value)) return undefined;
    return { value, unit: e.attributes?.unit_of_measurement };
  }

  return {
    device: device.name,
    address: where.address,
    async readState(): Promise<DeviceState> {
      const e = await entity(config.entityId);
      if (e.state === 'unavailable')
        throw new DeviceError(where, 'unreachable', `Home Assistant reports ${config.entityId} unavailable`);
      const state: DeviceState = { on: e.state !== 'off', seenAtMs: nowMs() };
      const modes = MODE_SERVICES[domain];
      const mode = modes ? e.attributes?.[modes.attribute] : undefined;
      if (typeof mode === 'string') state.mode = mode;
      if (config.powerEntityId) {
        const power = await numeric(config.powerEntityId);
        if (power) state.powerW = power.unit === 'kW' ? power.value * 1000 : power.value;
      }
      if (config.limitEntityId) {
        const limit = await numeric(config.limitEntityId);
        if (limit)
          state.limitPct = limitUnit === 'W' ? (limit.value / device.ratedPowerW) * 100 : limit.value;
      }
      return state;
    },
    turnOn: () => call(domain, 'turn_on', { entity_id: config.entityId }),
    turnOff: () => call(domain, 'turn_off', { entity_id: config.entityId }),
    async setMode(mode: string) {
      const modes = MODE_SERVICES[domain];
      if (!modes)
        throw new DeviceError(
          where,
          'unsupported',
          `a ${domain} entity has no modes (water_heater and climate do)`,
        );
      await call(domain, modes.service, { entity_id: config.entityId, [modes.field]: mode });
    },
    async setPowerLimit(pct: number) {
      if (!config.limitEntityId)
        throw new DeviceError(
          where,
          'unsupported',
          'no limitEntityId: name the number entity that limits its power',
        );
      const value = limitUnit === 'W' ? Math.round((device.ratedPowerW * pct) / 100) : pct;
      await call(config.limitEntityId.split('.')[0], 'set_value', { entity_id: config.limitEntityId, value });
    },
    async close() {},
  };
}
