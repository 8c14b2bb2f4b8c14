/**
 * The home scenario of ../shared/contracts/home-optimize.md: checked once at the edge (every problem is an
 * InputError naming the field) and turned into per-slot numbers the baseline and the model share. Times
 * of the EV and of deferrable loads map to slot indices here, like `simulate` maps a load's window.
 */
import { InputError } from '../core/errors.ts';
import { MINUTE_MS, parseIsoMs } from '../core/time.ts';

export type HomeObjective = 'cost' | 'carbon' | { carbonPricePerKg: number };

export interface HomeBattery {
  socInitKwh: number;
  socMinKwh: number;
  socMaxKwh: number;
  maxChargeKw: number;
  maxDischargeKw: number;
  chargeEfficiency: number;
  dischargeEfficiency: number;
  socFinalMinKwh: number;
  cyclingCostPerKwh: number;
}

export interface HomeEv {
  energyNeededKwh: number;
  maxChargeKw: number;
  minChargeKw: number;
  efficiency: number;
  /** slots `[fromSlot, toSlot)` in which the car is plugged in */
  fromSlot: number;
  toSlot: number;
}

export interface HomeDeferrable {
  id: string;
  powerKw: number;
  durationMin: number;
  contiguous: boolean;
  /** slots it needs: ceil(durationMin / stepMin) */
  slotsNeeded: number;
  /** its window: slots `[fromSlot, toSlot)` */
  fromSlot: number;
  toSlot: number;
}

/** A checked scenario: series of length `slots`, limits as numbers (Infinity when unlimited). */
export interface HomeScenario {
  startMs: number;
  stepMin: number;
  slots: number;
  /** slot length in hours */
  dtH: number;
  objective: HomeObjective;
  loadKw: number[];
  pvKw: number[];
  importPrice?: number[];
  exportPrice: number[];
  carbon?: number[];
  maxImportKw: number;
  maxExportKw: number;
  battery?: HomeBattery;
  ev?: HomeEv;
  deferrable: HomeDeferrable[];
  allowCurtailment: boolean;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : (JSON.stringify(v) ?? String(v));
}

function number(obj: Json, key: string, at: string, rule: { min?: number; above?: number } = {}): number {
  const v = obj[key];
  const field = `${at}${key}`;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new InputError(`${field} must be a number, got ${v === undefined ? 'nothing' : show(v)}`);
  if (rule.min !== undefined && v < rule.min) throw new InputError(`${field} ${v} is below ${rule.min}`);
  if (rule.above !== undefined && !(v > rule.above))
    throw new InputError(`${field} ${v} must be above ${rule.above}`);
  return v;
}

function optionalNumber(
  obj: Json,
  key: string,
  at: string,
  fallback: number,
  rule: { min?: number; above?: number } = {},
): number {
  return obj[key] === undefined || obj[key] === null ? fallback : number(obj, key, at, rule);
}

function efficiency(obj: Json, key: string, at: string, fallback?: number): number {
  const v = fallback === undefined ? number(obj, key, at) : optionalNumber(obj, key, at, fallback);
  if (!(v > 0 && v <= 1)) throw new InputError(`${at}${key} ${v} must be in (0, 1]`);
  return v;
}

function time(obj: Json, key: string, at: string): number {
  const v = obj[key];
  if (typeof v !== 'string') throw new InputError(`${at}${key} must be an ISO-8601 time, got ${show(v)}`);
  try {
    return parseIsoMs(v, `${at}${key}`);
  } catch (err) {
    throw new InputError((err as Error).message);
  }
}

function series(obj: Json, key: string, slots: number, rule: { min?: number } = {}): number[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const field = `series.${key}`;
  if (!Array.isArray(v)) throw new InputError(`${field} must be a list of numbers`);
  if (v.length !== slots)
    throw new InputError(`${field} has ${v.length} values, but slots is ${slots}: one value per slot`);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x))
      throw new InputError(`${field}[${i}] must be a number, got ${show(x)}`);
    if (rule.min !== undefined && x < rule.min)
      throw new InputError(`${field}[${i}] ${x} is below ${rule.min}`);
  });
  return v as number[];
}

function objectiveOf(v: unknown): HomeObjective {
  if (v === undefined || v === 'cost') return 'cost';
  if (v === 'carbon') return 'carbon';
  if (isObject(v) && Object.keys(v).length === 1 && 'carbonPricePerKg' in v)
    return { carbonPricePerKg: number(v, 'carbonPricePerKg', 'objective.', { min: 0 }) };
  throw new InputError(`objective must be "cost", "carbon" or { "carbonPricePerKg": P }, got ${show(v)}`);
}

/** Slot of a time given as a start: the first slot starting at or after it (clamped to 0..slots). */
function firstSlotAtOrAfter(ms: number, startMs: number, stepMs: number, slots: number): number {
  return Math.min(slots, Math.max(0, Math.ceil((ms - startMs) / stepMs)));
}

/** Slot boundary of a time given as an end: the last boundary at or before it (clamped to 0..slots). */
function lastBoundaryAtOrBefore(ms: number, startMs: number, stepMs: number, slots: number): number {
  return Math.min(slots, Math.max(0, Math.floor((ms - startMs) / stepMs)));
}

function batteryOf(v: unknown): HomeBattery | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new InputError('battery must be an object');
  const at = 'battery.';
  const socMinKwh = number(v, 'socMinKwh', at, { min: 0 });
  const socMaxKwh = number(v, 'socMaxKwh', at, { min: 0 });
  if (socMinKwh > socMaxKwh)
    throw new InputError(`battery.socMinKwh ${socMinKwh} is above battery.socMaxKwh ${socMaxKwh}`);
  const socInitKwh = number(v, 'socInitKwh', at, { min: 0 });
  if (socInitKwh > socMaxKwh)
    throw new InputError(`battery.socInitKwh ${socInitKwh} is above battery.socMaxKwh ${socMaxKwh}`);
  return {
    socInitKwh,
    socMinKwh,
    socMaxKwh,
    maxChargeKw: number(v, 'maxChargeKw', at, { min: 0 }),
    maxDischargeKw: number(v, 'maxDischargeKw', at, { min: 0 }),
    chargeEfficiency: efficiency(v, 'chargeEfficiency', at),
    dischargeEfficiency: efficiency(v, 'dischargeEfficiency', at),
    socFinalMinKwh: optionalNumber(v, 'socFinalMinKwh', at, socInitKwh, { min: 0 }),
    cyclingCostPerKwh: optionalNumber(v, 'cyclingCostPerKwh', at, 0),
  };
}

function evOf(v: unknown, startMs: number, stepMs: number, slots: number): HomeEv | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new InputError('ev must be an object');
  const at = 'ev.';
  const arriveMs = time(v, 'arrive', at);
  const departMs = time(v, 'depart', at);
  if (departMs < arriveMs) throw new InputError(`ev.depart ${v.depart} is before ev.arrive ${v.arrive}`);
  const maxChargeKw = number(v, 'maxChargeKw', at, { min: 0 });
  const minChargeKw = optionalNumber(v, 'minChargeKw', at, 0, { min: 0 });
  if (minChargeKw > maxChargeKw)
    throw new InputError(`ev.minChargeKw ${minChargeKw} is above ev.maxChargeKw ${maxChargeKw}`);
  return {
    energyNeededKwh: number(v, 'energyNeededKwh', at, { min: 0 }),
    maxChargeKw,
    minChargeKw,
    efficiency: efficiency(v, 'efficiency', at, 1),
    fromSlot: firstSlotAtOrAfter(arriveMs, startMs, stepMs, slots),
    toSlot: lastBoundaryAtOrBefore(departMs, startMs, stepMs, slots),
  };
}

function deferrableOf(v: unknown, s: { startMs: number; stepMin: number; slots: number }): HomeDeferrable[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InputError('deferrable must be a list');
  const stepMs = s.stepMin * MINUTE_MS;
  const seen = new Set<string>();
  return v.map((d, i) => {
    const at = `deferrable[${i}].`;
    if (!isObject(d)) throw new InputError(`deferrable[${i}] must be an object`);
    if (typeof d.id !== 'string' || d.id === '')
      throw new InputError(`${at}id must be a non-empty string, got ${show(d.id)}`);
    if (seen.has(d.id)) throw new InputError(`${at}id "${d.id}" is given twice`);
    seen.add(d.id);
    if (d.contiguous !== undefined && typeof d.contiguous !== 'boolean')
      throw new InputError(`${at}contiguous must be true or false, got ${show(d.contiguous)}`);
    const earliestMs = time(d, 'earliest', at);
    const latestEndMs = time(d, 'latestEnd', at);
    const durationMin = number(d, 'durationMin', at, { above: 0 });
    return {
      id: d.id,
      powerKw: number(d, 'powerKw', at, { min: 0 }),
      durationMin,
      contiguous: d.contiguous !== false,
      slotsNeeded: Math.ceil(durationMin / s.stepMin - 1e-9),
      fromSlot: firstSlotAtOrAfter(earliestMs, s.startMs, stepMs, s.slots),
      toSlot: lastBoundaryAtOrBefore(latestEndMs, s.startMs, stepMs, s.slots),
    };
  });
}

function limit(grid: Json, key: string): number {
  return optionalNumber(grid, key, 'grid.', Number.POSITIVE_INFINITY, { min: 0 });
}

/** Checks a parsed JSON scenario; throws an InputError naming the first wrong field. */
export function parseScenario(input: unknown): HomeScenario {
  if (!isObject(input)) throw new InputError('the scenario must be a JSON object');
  const startMs = time(input, 'start', '');
  const stepMin = number(input, 'stepMin', '', { above: 0 });
  const slots = number(input, 'slots', '', { min: 1 });
  if (!Number.isInteger(slots)) throw new InputError(`slots ${slots} must be a whole number`);
  const objective = objectiveOf(input.objective);
  if (!isObject(input.series)) throw new InputError('series must be an object with at least loadKw');
  const s = input.series;
  const loadKw = series(s, 'loadKw', slots, { min: 0 });
  if (!loadKw) throw new InputError('series.loadKw is required');
  const importPrice = series(s, 'importPrice', slots);
  const carbon = series(s, 'carbon', slots);
  if (objective !== 'carbon' && !importPrice)
    throw new InputError('series.importPrice is required for the cost and weighted objectives');
  if (objective !== 'cost' && !carbon)
    throw new InputError('series.carbon is required for the carbon and weighted objectives');
  const grid = input.grid === undefined ? {} : input.grid;
  if (!isObject(grid)) throw new InputError('grid must be an object');
  if (input.allowCurtailment !== undefined && typeof input.allowCurtailment !== 'boolean')
    throw new InputError(`allowCurtailment must be true or false, got ${show(input.allowCurtailment)}`);
  const stepMs = stepMin * MINUTE_MS;
  return {
    startMs,
    stepMin,
    slots,
    dtH: stepMin / 60,
    objective,
    loadKw,
    pvKw: series(s, 'pvKw', slots, { min: 0 }) ?? new Array(slots).fill(0),
    importPrice,
    exportPrice: series(s, 'exportPrice', slots) ?? new Array(slots).fill(0),
    carbon,
    maxImportKw: limit(grid, 'maxImportKw'),
    maxExportKw: limit(grid, 'maxExportKw'),
    battery: batteryOf(input.battery),
    ev: evOf(input.ev, startMs, stepMs, slots),
    deferrable: deferrableOf(input.deferrable, { startMs, stepMin, slots }),
    allowCurtailment: input.allowCurtailment !== false,
  };
}
