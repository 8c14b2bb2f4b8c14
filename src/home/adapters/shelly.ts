/**
 * Shelly Gen2 and Gen3 devices through their HTTP RPC (https://shelly-api-docs.shelly.cloud/gen2/):
 * `GET /rpc/Switch.GetStatus?id=<n>` answers `{ id, output, apower, ... }` and
 * `GET /rpc/Switch.Set?id=<n>&on=true|false` switches the output. A device with a password answers 401 with
 * a `WWW-Authenticate: Digest ... algorithm=SHA-256` challenge; the adapter answers it (user `admin`, the
 * password from the environment variable the device names) as the Shelly docs describe (RFC 7616, qop auth).
 * Switches have no mode and no power limit (Switch.SetConfig's power_limit is an over-power cut-off, not a
 * throttle), so setMode and setPowerLimit are `unsupported`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DEFAULT_DEVICE_TIMEOUT_MS, describeAddress, type ShellyAdapterConfig } from '../device.ts';
import { type DeviceResponse, deviceRequest, type Where } from './http.ts';
import {
  type AdapterOptions,
  type DeviceAdapter,
  DeviceError,
  type DeviceRef,
  type DeviceState,
} from './types.ts';

export const SHELLY_USER = 'admin';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The fields of a `Digest` challenge (realm, nonce, qop, algorithm ...). */
export function parseDigestChallenge(header: string): Record<string, string> | null {
  const m = /^\s*Digest\s+(.*)$/i.exec(header);
  if (!m) return null;
  const fields: Record<string, string> = {};
  for (const part of m[1].matchAll(/([a-z0-9_-]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/gi))
    fields[part[1].toLowerCase()] = part[2] ?? part[3];
  return fields;
}

/** The Authorization header answering a SHA-256 digest challenge for `method` on `uri` (path and query). */
export function digestAuthorization(
  challenge: Record<string, string>,
  options: { method: string; uri: string; user: string; password: string; cnonce?: string; nc?: number },
): string {
  const nc = (options.nc ?? 1).toString(16).padStart(8, '0');
  const cnonce = options.cnonce ?? randomBytes(8).toString('hex');
  const ha1 = sha256(`${options.user}:${challenge.realm}:${options.password}`);
  const ha2 = sha256(`${options.method}:${options.uri}`);
  const response = sha256(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`);
  return (
    `Digest username="${options.user}", realm="${challenge.realm}", nonce="${challenge.nonce}", ` +
    `uri="${options.uri}", algorithm=SHA-256, response="${response}", qop=auth, nc=${nc}, cnonce="${cnonce}"`
  );
}

export function shellyAdapter(
  device: DeviceRef,
  config: ShellyAdapterConfig,
  options: AdapterOptions = {},
): DeviceAdapter {
  const where: Where = { device: device.name, address: describeAddress(config) };
  const env = options.env ?? process.env;
  const nowMs = options.nowMs ?? Date.now;
  const timeoutMs = config.timeoutMs ?? DEFAULT_DEVICE_TIMEOUT_MS;
  const id = config.switchId ?? 0;
  const base = config.url.replace(/\/+$/, '');

  async function rpc(method: string, query: string): Promise<unknown> {
    const uri = `${new URL(base).pathname.replace(/\/+$/, '')}/rpc/${method}?${query}`;
    const url = `${base}/rpc/${method}?${query}`;
    const first = await deviceRequest(where, url, { timeoutMs }, { allow401: true });
    if (first.status !== 401) return first.body;
    return (await answerChallenge(first, url, uri)).body;
  }

  async function answerChallenge(first: DeviceResponse, url: string, uri: string): Promise<DeviceResponse> {
    const challenge = parseDigestChallenge(first.headers.get('www-authenticate') ?? '');
    const password = config.passwordEnv ? env[config.passwordEnv] : undefined;
    if (!config.passwordEnv)
      throw new DeviceError(
        where,
        'unauthorized',
        'the device answered 401: it has a password; name the variable holding it in passwordEnv',
        { status: 401 },
      );
    if (!password)
      throw new DeviceError(
        where,
        'unauthorized',
        `the device answered 401 and ${config.passwordEnv} is not set`,
        {
          status: 401,
        },
      );
    if (!challenge?.nonce || !challenge.realm)
      throw new DeviceError(where, 'unauthorized', 'the device answered 401 without a digest challenge', {
        status: 401,
      });
    const authorization = digestAuthorization(challenge, { method: 'GET', uri, user: SHELLY_USER, password });
    const again = await deviceRequest(
      where,
      url,
      { timeoutMs, headers: { authorization } },
      { allow401: true },
    );
    if (again.status === 401)
      throw new DeviceError(
        where,
        'unauthorized',
        `the device refused the password in ${config.passwordEnv} (401)`,
        {
          status: 401,
        },
      );
    return again;
  }

  async function set(on: boolean): Promise<void> {
    const body = await rpc('Switch.Set', `id=${id}&on=${on}`);
    if (typeof body !== 'object' || body === null || !('was_on' in body))
      throw new DeviceError(where, 'failed', 'Switch.Set answered without was_on');
  }

  return {
    device: device.name,
    address: where.address,
    async readState(): Promise<DeviceState> {
      const body = (await rpc('Switch.GetStatus', `id=${id}`)) as Record<string, unknown> | null;
      if (typeof body?.output !== 'boolean')
        throw new DeviceError(where, 'failed', 'Switch.GetStatus answered without a boolean output');
      const state: DeviceState = { on: body.output, seenAtMs: nowMs() };
      if (typeof body.apower === 'number') state.powerW = body.apower;
      return state;
    },
    turnOn: () => set(true),
    turnOff: () => set(false),
    async setMode() {
      throw new DeviceError(where, 'unsupported', 'a Shelly switch has no modes');
    },
    async setPowerLimit() {
      throw new DeviceError(where, 'unsupported', 'a Shelly switch cannot limit its power, only switch it');
    },
    async close() {},
  };
}
