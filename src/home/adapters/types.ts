/**
 * The one interface every device adapter implements (mqtt.ts, shelly.ts, homeassistant.ts, virtual.ts),
 * and the one error they throw. Every call is bounded by the adapter's timeout.
 */

export interface DeviceState {
  on: boolean;
  /** what it draws now, W, when the device or its sensor reports it */
  powerW?: number;
  /** its operating mode, when it has one (a water heater's `eco`, ...) */
  mode?: string;
  /** its power limit, percent of rated power, when one is set */
  limitPct?: number;
  /** when this state was read from the device (or reported by it) */
  seenAtMs: number;
}

export interface DeviceAdapter {
  /** the device's name and address, for messages */
  readonly device: string;
  readonly address: string;
  readState(): Promise<DeviceState>;
  turnOn(): Promise<void>;
  turnOff(): Promise<void>;
  /** sets an operating mode (eco ...); `unsupported` where the device has none */
  setMode(mode: string): Promise<void>;
  /** limits its power to `pct` percent of rated power; `unsupported` where it cannot */
  setPowerLimit(pct: number): Promise<void>;
  /** releases connections and subscriptions; the adapter is not used afterwards */
  close(): Promise<void>;
}

export type DeviceFailure =
  /** connection refused, host unknown, broker down, device reported offline */
  | 'unreachable'
  /** 401/403: missing or wrong token or password */
  | 'unauthorized'
  /** no answer within the adapter's timeout */
  | 'timeout'
  /** the device or its adapter cannot do this (a mode on a plain relay ...) */
  | 'unsupported'
  /** it answered, but with an error or something that is not its documented shape */
  | 'failed';

/** A device call that did not work; the message names the device, its address and what went wrong. */
export class DeviceError extends Error {
  override name = 'DeviceError';
  readonly device: string;
  readonly address: string;
  readonly kind: DeviceFailure;
  readonly status?: number;
  constructor(
    where: { device: string; address: string },
    kind: DeviceFailure,
    message: string,
    extra: { status?: number; cause?: unknown } = {},
  ) {
    super(`device "${where.device}" (${where.address}): ${kind}: ${message}`, { cause: extra.cause });
    this.device = where.device;
    this.address = where.address;
    this.kind = kind;
    this.status = extra.status;
  }
}

/** What an adapter needs of the device besides its address. */
export interface DeviceRef {
  name: string;
  ratedPowerW: number;
}

export interface AdapterOptions {
  /** environment for tokens, passwords and GRIDSHIFT_MQTT_URL (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** the clock for `seenAtMs` (default Date.now) */
  nowMs?: () => number;
}
