/**
 * The workload of a simulation: JSON Lines, one load per line. Every problem is reported with the file and
 * line it is on, so a user can fix a trace of thousands of loads.
 */
import { readFile } from 'node:fs/promises';
import { InputError } from '../core/errors.ts';
import { editDistance } from '../core/text.ts';
import { MINUTE_MS } from '../core/time.ts';

/** One load of a workload, times as epoch ms. */
export interface WorkloadLoad {
  id: string;
  /** when the load becomes known: its decision time */
  submitMs: number;
  /** earliest allowed start */
  earliestMs: number;
  /** latest allowed finish */
  deadlineMs: number;
  /** when it would start without gridshift */
  baselineStartMs: number;
  durationMin: number;
  powerKw: number;
  interruptible: boolean;
  /** candidate zones; the first is the home zone of the baseline */
  zones: string[];
  /** where the load was read from, `file, line N`, for error messages */
  source: string;
}

const FIELDS = new Set([
  'id',
  'submit',
  'earliest',
  'deadline',
  'baselineStart',
  'durationMin',
  'powerKw',
  'interruptible',
  'zones',
]);

/** ISO-8601 with a time; without an offset the time is read as UTC (traces are in UTC). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

function parseTimeField(value: unknown, field: string, where: string): number {
  if (typeof value !== 'string')
    throw new InputError(`${where}: field "${field}" must be an ISO-8601 time string`);
  const text = value.trim();
  const m = ISO_TIME.exec(text);
  if (!m) throw new InputError(`${where}: field "${field}": "${value}" is not an ISO-8601 time`);
  const withZone = m[4] ? text : m[1] ? `${text.replace(' ', 'T')}Z` : text;
  const ms = Date.parse(withZone);
  if (!Number.isFinite(ms))
    throw new InputError(`${where}: field "${field}": "${value}" is not a valid time`);
  return ms;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * Parses JSON Lines text into loads. Blank lines are skipped. `file` names the source in messages
 * (`workload.jsonl, line 3: ...`). Throws an InputError on bad JSON, a missing field, a wrong type, a deadline
 * before the earliest start, or a duplicate id.
 */
export function parseWorkload(text: string, file: string): WorkloadLoad[] {
  const loads: WorkloadLoad[] = [];
  const seen = new Map<string, number>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const where = `${file}, line ${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      throw new InputError(`${where}: not valid JSON (${(err as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
      throw new InputError(`${where}: each line must be a JSON object, got ${typeName(obj)}`);
    const load = parseLoad(obj as Record<string, unknown>, where);
    const first = seen.get(load.id);
    if (first !== undefined)
      throw new InputError(`${where}: duplicate id "${load.id}" (first on line ${first})`);
    seen.set(load.id, i + 1);
    loads.push(load);
  }
  return loads;
}

function parseLoad(o: Record<string, unknown>, where: string): WorkloadLoad {
  // other fields are allowed (traces carry their own metadata), but a near miss of a known one is a typo
  for (const key of Object.keys(o)) {
    if (FIELDS.has(key)) continue;
    const slack = key.length >= 6 ? 2 : key.length >= 4 ? 1 : 0;
    const meant = [...FIELDS].find((f) => editDistance(f.toLowerCase(), key.toLowerCase()) <= slack);
    if (meant) throw new InputError(`${where}: unknown field "${key}" (did you mean "${meant}"?)`);
  }
  const required = ['id', 'submit', 'durationMin', 'powerKw', 'zones'];
  for (const key of required) {
    if (o[key] === undefined || o[key] === null) throw new InputError(`${where}: missing field "${key}"`);
  }
  if (typeof o.id !== 'string' || o.id === '')
    throw new InputError(`${where}: field "id" must be a non-empty string, got ${typeName(o.id)}`);
  const id = o.id;
  const at = `${where}: load "${id}"`;
  const number = (key: string): number => {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new InputError(`${at}: field "${key}" must be a number, got ${typeName(v)}`);
    return v;
  };
  const durationMin = number('durationMin');
  if (!(durationMin > 0))
    throw new InputError(`${at}: field "durationMin" must be more than 0, got ${durationMin}`);
  const powerKw = number('powerKw');
  if (powerKw < 0) throw new InputError(`${at}: field "powerKw" must not be negative, got ${powerKw}`);
  let interruptible = false;
  if (o.interruptible !== undefined) {
    if (typeof o.interruptible !== 'boolean')
      throw new InputError(
        `${at}: field "interruptible" must be true or false, got ${typeName(o.interruptible)}`,
      );
    interruptible = o.interruptible;
  }
  const zones = o.zones;
  if (!Array.isArray(zones) || zones.length === 0 || !zones.every((z) => typeof z === 'string' && z !== ''))
    throw new InputError(`${at}: field "zones" must be a non-empty array of zone codes`);
  if (new Set(zones).size !== zones.length) throw new InputError(`${at}: field "zones" lists a zone twice`);
  const submitMs = parseTimeField(o.submit, 'submit', at);
  const earliestMs = o.earliest === undefined ? submitMs : parseTimeField(o.earliest, 'earliest', at);
  const deadlineMs =
    o.deadline === undefined
      ? earliestMs + durationMin * MINUTE_MS
      : parseTimeField(o.deadline, 'deadline', at);
  const baselineStartMs =
    o.baselineStart === undefined ? earliestMs : parseTimeField(o.baselineStart, 'baselineStart', at);
  if (deadlineMs < earliestMs)
    throw new InputError(
      `${at}: deadline ${new Date(deadlineMs).toISOString()} is before the earliest start ${new Date(earliestMs).toISOString()}`,
    );
  return {
    id,
    submitMs,
    earliestMs,
    deadlineMs,
    baselineStartMs,
    durationMin,
    powerKw,
    interruptible,
    zones: zones as string[],
    source: where,
  };
}

/** Reads and parses a JSON Lines workload file. */
export async function readWorkload(path: string): Promise<WorkloadLoad[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError(
      `${path}: cannot read the workload (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  return parseWorkload(text, path);
}
