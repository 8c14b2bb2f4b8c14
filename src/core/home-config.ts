import { z } from 'zod';
import { assertTimeZone } from './human-time.ts';
import { resolveZone } from './zones.ts';

/**
 * `home` in the configuration file: one household the service plans ahead (model predictive control). The
 * battery, EV and appliances are described once here. Each re-solve turns them into a scenario of
 * ../shared/contracts/home-optimize.md over the next hours (optimize/home-horizon.ts). The EV and the
 * appliances recur daily at clock times in the home's time zone.
 */

export interface HomeBatteryConfig {
  socMinKwh: number;
  socMaxKwh: number;
  maxChargeKw: number;
  maxDischargeKw: number;
  chargeEfficiency: number;
  dischargeEfficiency: number;
  cyclingCostPerKwh: number;
  /** the state of charge assumed until a measurement says otherwise */
  initialSocKwh: number;
  /** the least SoC at the end of every horizon; absent = the SoC at the time of the solve */
  finalSocKwh?: number;
}

export interface HomeEvConfig {
  /** energy into the car each day it is plugged in, kWh */
  energyNeededKwh: number;
  maxChargeKw: number;
  minChargeKw: number;
  efficiency: number;
  /** daily plug-in and departure, `HH:MM` in the home's time zone (departure may be the next morning) */
  arrive: string;
  depart: string;
  /** for the charge current published with the setpoints: A = kW x 1000 / (volts x phases) */
  phases: number;
  volts: number;
}

export interface HomeApplianceConfig {
  id: string;
  powerKw: number;
  durationMin: number;
  contiguous: boolean;
  /** its daily window, `HH:MM` in the home's time zone (the end may be past midnight) */
  earliest: string;
  latestEnd: string;
}

export interface HomePvConfig {
  /** openMeteo, forecastSolar or clearSky (signals/open-meteo.ts, forecast-solar.ts, clear-sky.ts) */
  source: 'openMeteo' | 'forecastSolar' | 'clearSky';
  /** the site and the source's options (latitude, longitude, kwp, tiltDeg, azimuthDeg, ...) */
  options: Record<string, unknown>;
}

export interface HomePublishConfig {
  mqtt?: { url: string; topicPrefix: string };
  webhook?: { url: string };
}

export type NoticeWindow = 'clean' | 'cheapest' | 'best';

export interface HomeNotifyConfig {
  /** the window transitions told (default all three) */
  windows: NoticeWindow[];
  /** a slot is among the cheapest when its price is in the day's lowest `cheapShare` (default 1/3) */
  cheapShare: number;
  /** the least severity of the grid events told (`off`: none) */
  gridEvents: 'info' | 'warning' | 'critical' | 'off';
  /** daily `HH:MM-HH:MM` ranges in the home's time zone: nothing is told then but critical grid events */
  quietHours: string[];
  webhook?: { url: string };
  mqtt?: { url: string; topic: string };
  /** an ntfy topic URL (https://ntfy.sh/<topic> or your own server), its token from the variable named */
  ntfy?: { url: string; tokenEnv?: string };
}

export interface HomeConfig {
  /** zone whose prices (retail tariff applied) and carbon intensity the home imports at */
  zone: string;
  timeZone: string;
  stepMin: number;
  horizonHours: number;
  objective: 'cost' | 'carbon' | { carbonPricePerKg: number };
  /** what an exported kWh earns (feed-in tariff) */
  exportPricePerKwh: number;
  /** the house load assumed per slot before any measured history */
  baseLoadKw: number;
  maxImportKw?: number;
  maxExportKw?: number;
  allowCurtailment: boolean;
  battery?: HomeBatteryConfig;
  ev?: HomeEvConfig;
  appliances: HomeApplianceConfig[];
  pv?: HomePvConfig;
  publish: HomePublishConfig;
  notify?: HomeNotifyConfig;
  /** the daily strategy of the autopilot: balanced, max_savings or eco (planner/strategies.ts) */
  strategy: 'balanced' | 'max_savings' | 'eco';
  /** a delegated device is held while the penalty now is above this (0..1, default 0.6) */
  delayThreshold: number;
  /** critical grid events switch off (or limit) every delegated device until they end (default true) */
  gridProtection: boolean;
}

const clock = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM (24-hour clock, e.g. 07:30)');
const kw = z.number().min(0, 'must be 0 or more');
export const clockRange = z
  .string()
  .regex(
    /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/,
    'must be a daily range HH:MM-HH:MM (e.g. 22:00-07:00)',
  );
const share = z.number().gt(0, 'must be in (0, 1]').max(1, 'must be in (0, 1]');

export const homeSchema = z.strictObject({
  zone: z.string().min(1),
  timeZone: z.string().min(1).default('UTC'),
  stepMin: z
    .number()
    .int()
    .refine((m) => [5, 10, 15, 20, 30, 60].includes(m), 'must be 5, 10, 15, 20, 30 or 60 (divides an hour)')
    .default(30),
  horizonHours: z.number().min(1, 'must be 1 to 72').max(72, 'must be 1 to 72').default(24),
  objective: z
    .union([z.enum(['cost', 'carbon']), z.strictObject({ carbonPricePerKg: z.number().min(0) })])
    .default('cost'),
  exportPricePerKwh: z.number().default(0),
  baseLoadKw: kw.default(0.5),
  grid: z.strictObject({ maxImportKw: kw.optional(), maxExportKw: kw.optional() }).default({}),
  allowCurtailment: z.boolean().default(true),
  battery: z
    .strictObject({
      socMinKwh: kw,
      socMaxKwh: kw,
      maxChargeKw: kw,
      maxDischargeKw: kw,
      chargeEfficiency: share.default(0.95),
      dischargeEfficiency: share.default(0.95),
      cyclingCostPerKwh: z.number().min(0).default(0),
      initialSocKwh: kw,
      finalSocKwh: kw.optional(),
    })
    .optional(),
  ev: z
    .strictObject({
      energyNeededKwh: kw,
      maxChargeKw: kw,
      minChargeKw: kw.default(0),
      efficiency: share.default(1),
      arrive: clock,
      depart: clock,
      phases: z.union([z.literal(1), z.literal(3)]).default(1),
      volts: z.number().positive().default(230),
    })
    .optional(),
  appliances: z
    .array(
      z.strictObject({
        id: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, "-" and "_"'),
        powerKw: kw,
        durationMin: z.number().positive('must be above 0'),
        contiguous: z.boolean().default(true),
        earliest: clock,
        latestEnd: clock,
      }),
    )
    .default([]),
  pv: z.looseObject({ source: z.enum(['openMeteo', 'forecastSolar', 'clearSky']) }).optional(),
  publish: z
    .strictObject({
      mqtt: z
        .strictObject({ url: z.string().min(1), topicPrefix: z.string().min(1).default('gridshift/home') })
        .optional(),
      webhook: z.strictObject({ url: z.url() }).optional(),
    })
    .default({}),
  strategy: z.enum(['balanced', 'max_savings', 'eco']).default('balanced'),
  delayThreshold: z.number().min(0, 'must be 0 to 1').max(1, 'must be 0 to 1').default(0.6),
  gridProtection: z.boolean().default(true),
  notify: z
    .strictObject({
      windows: z.array(z.enum(['clean', 'cheapest', 'best'])).default(['clean', 'cheapest', 'best']),
      cheapShare: share.default(1 / 3),
      gridEvents: z.enum(['info', 'warning', 'critical', 'off']).default('warning'),
      quietHours: z.array(clockRange).default([]),
      webhook: z.strictObject({ url: z.url() }).optional(),
      mqtt: z.strictObject({ url: z.string().min(1), topic: z.string().min(1) }).optional(),
      ntfy: z
        .strictObject({
          url: z.url(),
          tokenEnv: z
            .string()
            .regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable')
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

/** The home, checked beyond the schema: zone known, time zone real, battery bounds in order, ids unique. */
export function readHome(
  raw: z.infer<typeof homeSchema>,
  fail: (keyPath: string, message: string) => never,
): HomeConfig {
  let zone: string;
  try {
    zone = resolveZone(raw.zone).code;
  } catch (err) {
    fail('home.zone', (err as Error).message.replace(/^zone: /, ''));
  }
  try {
    assertTimeZone(raw.timeZone);
  } catch (err) {
    fail('home.timeZone', (err as Error).message.replace(/^time zone: /, ''));
  }
  const b = raw.battery;
  if (b) {
    if (b.socMinKwh > b.socMaxKwh)
      fail('home.battery.socMinKwh', `${b.socMinKwh} is above socMaxKwh ${b.socMaxKwh}`);
    if (b.initialSocKwh < b.socMinKwh || b.initialSocKwh > b.socMaxKwh)
      fail('home.battery.initialSocKwh', `${b.initialSocKwh} is outside socMinKwh..socMaxKwh`);
    if (b.finalSocKwh !== undefined && (b.finalSocKwh < b.socMinKwh || b.finalSocKwh > b.socMaxKwh))
      fail('home.battery.finalSocKwh', `${b.finalSocKwh} is outside socMinKwh..socMaxKwh`);
  }
  if (raw.ev && raw.ev.minChargeKw > raw.ev.maxChargeKw)
    fail('home.ev.minChargeKw', `${raw.ev.minChargeKw} is above maxChargeKw ${raw.ev.maxChargeKw}`);
  if (raw.ev && raw.ev.arrive === raw.ev.depart) fail('home.ev.depart', 'is the same time as arrive');
  const ids = new Set<string>();
  raw.appliances.forEach((a, i) => {
    if (ids.has(a.id)) fail(`home.appliances[${i}].id`, `"${a.id}" is given twice`);
    ids.add(a.id);
    if (a.earliest === a.latestEnd) fail(`home.appliances[${i}].latestEnd`, 'is the same time as earliest');
  });
  const { grid, pv, ...rest } = raw;
  const home: HomeConfig = { ...rest, zone, ...grid };
  if (pv) {
    const { source, ...options } = pv;
    home.pv = { source, options };
  }
  return home;
}
