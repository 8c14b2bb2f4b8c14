/**
 * A home's device as gridshift knows it: what it is, how to reach it (its adapter and address), what it
 * draws, whether it is delegated to gridshift, what gridshift may do to it during a peak, and when it must
 * be left alone. One zod schema reads it at the edge (API body, CLI flags, store rows all pass through
 * `parseDevice`); the rest of the code sees the typed model only.
 */
import { z } from 'zod';
import { InputError } from '../core/errors.ts';
import { describeIssue, text } from '../core/load-input.ts';
import { zonedParts } from '../core/time.ts';

export const DEVICE_KINDS = [
  'dishwasher',
  'washer',
  'dryer',
  'water_heater',
  'heat_pump',
  'ev_charger',
  'battery',
  'plug',
] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export const DEVICE_ACTIONS = ['turn_off', 'eco_mode', 'delay_start', 'limit_power'] as const;
export type DeviceAction = (typeof DEVICE_ACTIONS)[number];

export const ADAPTER_TYPES = ['mqtt', 'shelly', 'homeassistant', 'virtual'] as const;
export type AdapterType = (typeof ADAPTER_TYPES)[number];

/** How long one call to a device may take unless its adapter says otherwise. */
export const DEFAULT_DEVICE_TIMEOUT_MS = 5000;

const timeoutMs = z.number().int().min(100).max(60_000).optional();

/** A device URL of one of `protocols`, without credentials: devices are stored and shown, secrets come from the environment. */
const urlWith = (protocols: readonly string[], example: string) =>
  text(2000)
    .refine(
      (s) => URL.canParse(s) && protocols.includes(new URL(s).protocol),
      `must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL, e.g. ${example}`,
    )
    .refine(
      (s) => !URL.canParse(s) || (!new URL(s).username && !new URL(s).password),
      'must not hold a user or password: they come from environment variables (docs/home.md)',
    );

const envName = text(200).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');

const mqttTopic = text(200)
  .min(1)
  .refine((t) => !/[+#\0]/.test(t), 'must not contain the MQTT wildcards + or #')
  .refine((t) => !t.startsWith('/') && !t.endsWith('/'), 'must not start or end with /');

/**
 * A device on an MQTT broker. `tasmota`: `topic` is the device's Tasmota %topic% (cmnd/<topic>/POWER ...);
 * `shelly`: `topic` is the Shelly Gen2 topic prefix (by default its device id, e.g. shellyplus1pm-a8032ab1c2d3).
 */
export const mqttAdapterSchema = z
  .object({
    type: z.literal('mqtt'),
    convention: z.enum(['tasmota', 'shelly']),
    topic: mqttTopic,
    /** the broker; default GRIDSHIFT_MQTT_URL, else mqtt://127.0.0.1:1883 */
    url: urlWith(['mqtt:', 'mqtts:', 'ws:', 'wss:'], 'mqtt://192.168.1.2:1883').optional(),
    /** Tasmota: the relay (POWER<n>; omitted: POWER). Shelly: the switch id (default 0). */
    channel: z.number().int().min(0).max(31).optional(),
    timeoutMs,
  })
  .strict();

/** A Shelly Gen2/Gen3 device's HTTP RPC (http://<ip>/rpc/Switch.Set ...). */
export const shellyAdapterSchema = z
  .object({
    type: z.literal('shelly'),
    url: urlWith(['http:', 'https:'], 'http://192.168.1.20'),
    switchId: z.number().int().min(0).max(31).optional(),
    /** the environment variable holding the device's password (user `admin`, digest auth), when it has one */
    passwordEnv: envName.optional(),
    timeoutMs,
  })
  .strict();

/** An entity of a Home Assistant instance, through its REST API with a long-lived access token. */
export const homeAssistantAdapterSchema = z
  .object({
    type: z.literal('homeassistant'),
    url: urlWith(['http:', 'https:'], 'http://homeassistant.local:8123'),
    /** the entity switched on and off, e.g. switch.dishwasher, water_heater.boiler */
    entityId: text(255).regex(/^[a-z0-9_]+\.[a-z0-9_]+$/, 'must be an entity id, e.g. switch.dishwasher'),
    /** the environment variable holding the long-lived access token; default GRIDSHIFT_HA_TOKEN */
    tokenEnv: envName.optional(),
    /** a sensor entity reporting the device's power (W or kW) */
    powerEntityId: text(255)
      .regex(/^[a-z0-9_]+\.[a-z0-9_]+$/, 'must be an entity id, e.g. sensor.dishwasher_power')
      .optional(),
    /** a number (or input_number) entity that limits the device's power */
    limitEntityId: text(255)
      .regex(/^(number|input_number)\.[a-z0-9_]+$/, 'must be a number or input_number entity id')
      .optional(),
    /** what the limit entity counts: percent of the device's rated power (default) or watts */
    limitUnit: z.enum(['%', 'W']).optional(),
    timeoutMs,
  })
  .strict();

/** A simulated device in this process: for simulation and tests. */
export const virtualAdapterSchema = z
  .object({
    type: z.literal('virtual'),
    /** whether it starts switched on (default false) */
    on: z.boolean().optional(),
  })
  .strict();

export const adapterSchema = z.discriminatedUnion('type', [
  mqttAdapterSchema,
  shellyAdapterSchema,
  homeAssistantAdapterSchema,
  virtualAdapterSchema,
]);

export type MqttAdapterConfig = z.infer<typeof mqttAdapterSchema>;
export type ShellyAdapterConfig = z.infer<typeof shellyAdapterSchema>;
export type HomeAssistantAdapterConfig = z.infer<typeof homeAssistantAdapterSchema>;
export type VirtualAdapterConfig = z.infer<typeof virtualAdapterSchema>;
export type AdapterConfig = z.infer<typeof adapterSchema>;

const HHMM = '([01]\\d|2[0-3]):([0-5]\\d)';
const WINDOW = new RegExp(`^${HHMM}-(${HHMM}|24:00)$`);

/** A protected window `HH:MM-HH:MM`, read on the home's wall clock; end before start runs across midnight. */
export const protectedWindowSchema = z
  .string()
  .regex(WINDOW, 'must be HH:MM-HH:MM (24-hour clock, e.g. 22:00-06:30; 00:00-24:00 for the whole day)')
  .refine((w) => w.slice(0, 5) !== w.slice(6), 'start and end are equal: use 00:00-24:00 for the whole day');

/** What a device is, as given by its owner (create); `deviceSchema` adds the refinements across fields. */
export const deviceFields = z
  .object({
    name: text(100)
      .min(1)
      .regex(/^[^\s/][^/]*$/, 'must not start with a space or contain /'),
    kind: z.enum(DEVICE_KINDS),
    adapter: adapterSchema,
    ratedPowerW: z.number().positive().max(1_000_000),
    /** whether gridshift may act on it (default false: it is watched, never touched) */
    delegated: z.boolean().optional(),
    /** what gridshift does to it in a peak */
    action: z.enum(DEVICE_ACTIONS),
    /** limit_power: the share of rated power it may draw, percent */
    limitPct: z.number().min(0).max(100).optional(),
    /** eco_mode: the mode set (default `eco`) */
    ecoMode: text(64).min(1).optional(),
    /** delay_start: how long one run lasts, minutes */
    runMin: z
      .number()
      .int()
      .positive()
      .max(7 * 24 * 60)
      .optional(),
    /** daily windows in which gridshift never acts on it */
    protectedWindows: z.array(protectedWindowSchema).max(24).optional(),
  })
  .strict();

export const deviceSchema = deviceFields.superRefine((d, ctx) => {
  if (d.action === 'limit_power' && d.limitPct === undefined)
    ctx.addIssue({ code: 'custom', path: ['limitPct'], message: 'limit_power needs limitPct (0-100)' });
  if (d.action !== 'limit_power' && d.limitPct !== undefined)
    ctx.addIssue({ code: 'custom', path: ['limitPct'], message: 'only for action limit_power' });
  if (d.action === 'delay_start' && d.runMin === undefined)
    ctx.addIssue({ code: 'custom', path: ['runMin'], message: 'delay_start needs runMin (the run length)' });
  if (d.action !== 'eco_mode' && d.ecoMode !== undefined)
    ctx.addIssue({ code: 'custom', path: ['ecoMode'], message: 'only for action eco_mode' });
});

export type DeviceInput = z.infer<typeof deviceFields>;

/** A device as stored: the input with defaults filled, its id and times. */
export interface Device {
  id: string;
  name: string;
  kind: DeviceKind;
  adapter: AdapterConfig;
  ratedPowerW: number;
  delegated: boolean;
  action: DeviceAction;
  limitPct: number | null;
  ecoMode: string | null;
  runMin: number | null;
  protectedWindows: string[];
  /** what the device was doing before gridshift acted on it, so that it can be put back; null when nothing is held */
  stateBefore: SavedState | null;
  createdMs: number;
  updatedMs: number;
}

/** The device's state before an action, kept in the store so that restore works across restarts. */
export interface SavedState {
  on: boolean;
  mode?: string;
  limitPct?: number;
  /** the action taken */
  action: DeviceAction;
  savedAtMs: number;
}

export const savedStateSchema = z
  .object({
    on: z.boolean(),
    mode: text(64).optional(),
    limitPct: z.number().min(0).max(100).optional(),
    action: z.enum(DEVICE_ACTIONS),
    savedAtMs: z.number().int().nonnegative(),
  })
  .strict();

/** Reads a device given by its owner; the first problem becomes an InputError naming its field. */
export function parseDevice(raw: unknown): DeviceInput {
  const parsed = deviceSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new InputError(describeIssue(parsed.error.issues[0]));
}

/** Fields that an update may change; `null` clears an optional one. */
export const devicePatchSchema = z
  .object({
    name: deviceFields.shape.name.optional(),
    kind: deviceFields.shape.kind.optional(),
    adapter: adapterSchema.optional(),
    ratedPowerW: deviceFields.shape.ratedPowerW.optional(),
    delegated: z.boolean().optional(),
    action: deviceFields.shape.action.optional(),
    limitPct: deviceFields.shape.limitPct.unwrap().nullable().optional(),
    ecoMode: deviceFields.shape.ecoMode.unwrap().nullable().optional(),
    runMin: deviceFields.shape.runMin.unwrap().nullable().optional(),
    protectedWindows: deviceFields.shape.protectedWindows.unwrap().optional(),
  })
  .strict();
export type DevicePatch = z.infer<typeof devicePatchSchema>;

/** The device input an update leads to: `patch` over `device`, checked whole (action and its fields together). */
export function patchDevice(device: Device, raw: unknown): DeviceInput {
  const parsed = devicePatchSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(describeIssue(parsed.error.issues[0]));
  const patch = parsed.data;
  const merged: Record<string, unknown> = { ...deviceInputOf(device) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  // a new action drops fields that only the old one used, unless the patch gives them
  if (patch.action && patch.action !== device.action) {
    if (patch.limitPct === undefined && patch.action !== 'limit_power') delete merged.limitPct;
    if (patch.ecoMode === undefined && patch.action !== 'eco_mode') delete merged.ecoMode;
  }
  return parseDevice(merged);
}

/** The owner's view of a stored device (no id, times or saved state). */
export function deviceInputOf(device: Device): DeviceInput {
  return {
    name: device.name,
    kind: device.kind,
    adapter: device.adapter,
    ratedPowerW: device.ratedPowerW,
    delegated: device.delegated,
    action: device.action,
    ...(device.limitPct !== null && { limitPct: device.limitPct }),
    ...(device.ecoMode !== null && { ecoMode: device.ecoMode }),
    ...(device.runMin !== null && { runMin: device.runMin }),
    protectedWindows: device.protectedWindows,
  };
}

// --- protected windows --------------------------------------------------------------------------------

/** A window as minutes of the day: [startMin, endMin), endMin < startMin when it runs across midnight. */
export interface DailyWindow {
  startMin: number;
  endMin: number;
}

/** `HH:MM-HH:MM` as minutes of the day (checked by protectedWindowSchema first). */
export function parseWindow(window: string): DailyWindow {
  if (!protectedWindowSchema.safeParse(window).success)
    throw new InputError(`protected window "${window}": must be HH:MM-HH:MM, e.g. 22:00-06:30`);
  const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  return { startMin: minutes(window.slice(0, 5)), endMin: minutes(window.slice(6)) };
}

/** Whether minute-of-day `minute` (0..1439) falls in the window; start inclusive, end exclusive. */
export function windowContains(w: DailyWindow, minute: number): boolean {
  return w.startMin < w.endMin
    ? minute >= w.startMin && minute < w.endMin
    : minute >= w.startMin || minute < w.endMin;
}

/**
 * The protected window the home's wall clock in `timeZone` shows at `nowMs`, or null. Windows are read on
 * the wall clock: on the day clocks go forward a window inside the skipped hour never happens, and on the
 * day they go back a window in the repeated hour holds for both passes.
 */
export function activeProtectedWindow(
  device: Pick<Device, 'protectedWindows'>,
  nowMs: number,
  timeZone: string,
): string | null {
  return activeDailyWindow(device.protectedWindows, nowMs, timeZone);
}

/** The first of the daily `HH:MM-HH:MM` windows the wall clock in `timeZone` shows at `nowMs`, or null. */
export function activeDailyWindow(
  windows: readonly string[],
  nowMs: number,
  timeZone: string,
): string | null {
  if (windows.length === 0) return null;
  const p = zonedParts(nowMs, timeZone);
  const minute = p.hour * 60 + p.minute;
  return windows.find((w) => windowContains(parseWindow(w), minute)) ?? null;
}

export function inProtectedWindow(
  device: Pick<Device, 'protectedWindows'>,
  nowMs: number,
  timeZone: string,
): boolean {
  return activeProtectedWindow(device, nowMs, timeZone) !== null;
}

/** Where a device is, for messages: `shelly http://192.168.1.20 switch 0`, `mqtt tasmota kitchen/plug` ... */
export function describeAddress(adapter: AdapterConfig): string {
  switch (adapter.type) {
    case 'mqtt': {
      const broker = adapter.url ? ` on ${brokerOf(adapter.url)}` : '';
      const channel = adapter.channel !== undefined ? ` channel ${adapter.channel}` : '';
      return `mqtt ${adapter.convention} ${adapter.topic}${channel}${broker}`;
    }
    case 'shelly':
      return `shelly ${adapter.url} switch ${adapter.switchId ?? 0}`;
    case 'homeassistant':
      return `homeassistant ${adapter.url} ${adapter.entityId}`;
    case 'virtual':
      return 'virtual';
  }
}

/** A URL without credentials. */
function brokerOf(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}`;
}
