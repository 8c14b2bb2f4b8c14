import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { InputError, ProviderError } from '../core/errors.ts';
import type { Metric, Point, Series, SeriesKind } from '../core/series.ts';
import { MINUTE_MS, toIso } from '../core/time.ts';
import { CARBON_UNIT, type Currency, priceUnit } from '../core/units.ts';
import { findZone, type Zone } from '../core/zones.ts';
import { currencyOption, metricOption } from './options.ts';
import { describeProvider, type SignalProvider, type SignalRequest } from './provider.ts';

/**
 * The CSV shapes gridshift reads, told apart by their header:
 * - `carbon`: `timestamp,carbon_intensity[,renewable_percent]` (gCO2eq/kWh)
 * - `price`: `timestamp,price` (currency per kWh, EUR unless told otherwise)
 * - `forecast`: `issued_at,timestamp,carbon_intensity`, one row per (issue time, target time)
 * - `portal`: an Electricity Maps data-portal export (`Datetime (UTC),Country,Zone Name,Zone Id,...`)
 */
export type CsvShape = 'carbon' | 'price' | 'forecast' | 'portal';

export interface CsvReadOptions {
  /** zone code the values are for; required for all shapes but `portal`, whose rows name their zone */
  zone?: string;
  /** overrides the metric; default `carbon_marginal` when the file name contains `moer`, else by shape */
  metric?: Metric;
  /** goes into Series.source, e.g. `csv:/data/DE-2023.csv` */
  source: string;
  /** file name used in error messages and to spot `moer` files; default `source` */
  file?: string;
  /** currency of a price file; default EUR */
  currency?: Currency;
  /** default `actual` for carbon and price files */
  kind?: SeriesKind;
  /** which carbon intensity column of a portal export to use; default `lifecycle` (Electricity Maps' default) */
  portalColumn?: 'lifecycle' | 'direct';
}

interface Columns {
  shape: CsvShape;
  time: number;
  value: number;
  issued: number;
  zone: number;
}

const NOT_FOUND = -1;

/** Works out the shape of a file from its header fields (case-insensitive). */
export function detectCsvShape(header: readonly string[]): CsvShape {
  return columnsOf(header, 'file', 'lifecycle').shape;
}

function columnsOf(header: readonly string[], file: string, portalColumn: 'lifecycle' | 'direct'): Columns {
  const h = header.map((f) => f.trim().toLowerCase());
  const idx = (name: string) => h.indexOf(name);
  const time = idx('timestamp');
  const carbon = idx('carbon_intensity');
  const issued = idx('issued_at');
  if (issued !== NOT_FOUND && time !== NOT_FOUND && carbon !== NOT_FOUND)
    return { shape: 'forecast', time, value: carbon, issued, zone: NOT_FOUND };
  if (time !== NOT_FOUND && carbon !== NOT_FOUND)
    return { shape: 'carbon', time, value: carbon, issued: NOT_FOUND, zone: NOT_FOUND };
  const price = idx('price');
  if (time !== NOT_FOUND && price !== NOT_FOUND)
    return { shape: 'price', time, value: price, issued: NOT_FOUND, zone: NOT_FOUND };
  const portalTime = h.findIndex((f) => f.startsWith('datetime'));
  const intensity = (kind: 'lifecycle' | 'direct') =>
    h.findIndex(
      (f) =>
        f.startsWith('carbon intensity') &&
        (kind === 'direct' ? f.includes('direct') : f.includes('lca') || f.includes('life')),
    );
  const value = intensity(portalColumn);
  if (portalTime !== NOT_FOUND && value !== NOT_FOUND)
    return { shape: 'portal', time: portalTime, value, issued: NOT_FOUND, zone: idx('zone id') };
  throw new InputError(
    `${file}, line 1: unrecognised header "${header.join(',')}"; expected timestamp,carbon_intensity or ` +
      'timestamp,price or issued_at,timestamp,carbon_intensity or an Electricity Maps data-portal export',
  );
}

/** Splits a CSV line; the quote-aware path runs only for lines that contain a quote. */
function splitLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  out.push(field);
  return out;
}

/** Lines of the text without the BOM and trailing `\r`; blank lines keep their number but are skipped later. */
function linesOf(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length > 0 && l.charCodeAt(l.length - 1) === 13) lines[i] = l.slice(0, -1);
  }
  return lines;
}

/** ISO-8601 date, optional time (`T` or a space), optional `Z` or offset: the forms accepted. */
const ISO_SHAPE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Epoch ms of a timestamp, NaN when it is not an ISO-8601 time. A time with `Z` or an offset is taken as
 * written; one without a zone designator (the portal's `2021-01-01 00:00:00`) is UTC, as the shared shapes
 * and the portal specify. Impossible dates (`2021-02-30`) are rejected rather than rolled over.
 */
export function parseCsvTime(text: string): number {
  const fast = parseUtcFast(text);
  if (fast !== undefined) return fast;
  const t = text.trim();
  const m = ISO_SHAPE.exec(t);
  if (!m) return Number.NaN;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return Number.NaN;
  if (m[4] !== undefined && (Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59))
    return Number.NaN;
  let iso = t.length > 10 ? `${t.slice(0, 10)}T${t.slice(11)}` : t;
  if (m[4] !== undefined && m[7] === undefined) iso += 'Z';
  return Date.parse(iso);
}

/** `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DD HH:MM:SS` (UTC), the forms of nearly every row: read digit by digit. */
function parseUtcFast(t: string): number | undefined {
  const n = t.length;
  const zulu = n === 20 && t.charCodeAt(19) === 90; /* Z */
  if (!(zulu || n === 19)) return undefined;
  const sep = t.charCodeAt(10);
  if (!(sep === 84 /* T */ || sep === 32) || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45)
    return undefined;
  if (t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return undefined;
  const year = digits(t, 0, 4);
  const month = digits(t, 5, 2);
  const day = digits(t, 8, 2);
  const hour = digits(t, 11, 2);
  const minute = digits(t, 14, 2);
  const second = digits(t, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59)
    return undefined;
  if (second < 0 || second > 59 || (day > 28 && day > daysInMonth(year, month))) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

function digits(t: string, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const d = t.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

interface RowContext {
  file: string;
  lineNo: number;
}

function rowError(ctx: RowContext, message: string): InputError {
  return new InputError(`${ctx.file}, line ${ctx.lineNo}: ${message}`);
}

function timeField(fields: string[], col: number, ctx: RowContext, what: string): number {
  const raw = fields[col];
  const ms = parseCsvTime(raw);
  if (!Number.isFinite(ms)) throw rowError(ctx, `${what} "${raw.trim()}" is not an ISO-8601 time`);
  return ms;
}

/** An empty cell is a missing value (NaN, a hole in the step function); anything else must be a number. */
function valueField(
  fields: string[],
  col: number,
  ctx: RowContext,
  what: string,
  nonNegative: boolean,
): number {
  const raw = fields[col].trim();
  if (raw.length === 0) return Number.NaN;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw rowError(ctx, `${what} "${raw}" is not a number`);
  if (nonNegative && v < 0) throw rowError(ctx, `${what} ${raw} is negative`);
  return v;
}

function needColumns(fields: string[], count: number, ctx: RowContext): void {
  if (fields.length < count)
    throw rowError(ctx, `expected at least ${count} columns, found ${fields.length}`);
}

/**
 * The rows below the header, split into fields: blank lines skipped, `ctx.lineNo` set to each row's line
 * (for errors), and a row with fewer than `need` columns refused.
 */
function* dataRows(lines: readonly string[], need: number, ctx: RowContext): Generator<string[]> {
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.length === 0 || line.trim().length === 0) continue;
    ctx.lineNo = i + 1;
    const fields = splitLine(line);
    needColumns(fields, need, ctx);
    yield fields;
  }
}

/** The most frequent gap between consecutive points, in minutes (60 for a single point). */
function typicalStepMin(points: readonly Point[]): number {
  if (points.length < 2) return 60;
  const counts = new Map<number, number>();
  let best = 0;
  let bestCount = 0;
  for (let i = 1; i < points.length; i++) {
    const gap = points[i].start - points[i - 1].start;
    const n = (counts.get(gap) ?? 0) + 1;
    counts.set(gap, n);
    if (n > bestCount) {
      bestCount = n;
      best = gap;
    }
  }
  return best / MINUTE_MS;
}

function defaultMetric(shape: CsvShape, options: CsvReadOptions, file: string): Metric {
  if (options.metric) return options.metric;
  if (shape === 'price') return 'price';
  return file.toLowerCase().includes('moer') ? 'carbon_marginal' : 'carbon_average';
}

interface Parsed {
  header: string[];
  columns: Columns;
  lines: string[];
  file: string;
}

function parseHeader(text: string, options: CsvReadOptions): Parsed {
  const file = options.file ?? options.source;
  const lines = linesOf(text);
  const first = lines.findIndex((l) => l.trim().length > 0);
  if (first === NOT_FOUND) throw new InputError(`${file}: the file is empty`);
  if (first > 0) lines.splice(0, first);
  const header = splitLine(lines[0]);
  return { header, columns: columnsOf(header, file, options.portalColumn ?? 'lifecycle'), lines, file };
}

/**
 * Reads a carbon, price or Electricity Maps portal CSV into one Series. Rows must be in strictly increasing
 * time order; errors name the file and line. An empty value cell is a gap (NaN), not an error.
 */
export function readCsvSeries(text: string, options: CsvReadOptions): Series {
  const parsed = parseHeader(text, options);
  const { columns, lines, file } = parsed;
  if (columns.shape === 'forecast')
    throw new InputError(
      `${file}: this is a forecast file (issued_at,timestamp,carbon_intensity); read it with readIssuedForecasts`,
    );
  const metric = defaultMetric(columns.shape, options, file);
  const isCarbon = metric !== 'price';
  const need = Math.max(columns.time, columns.value, columns.zone) + 1;
  const points: Point[] = [];
  let fileZone: string | undefined;
  let prev = Number.NEGATIVE_INFINITY;
  const ctx: RowContext = { file, lineNo: 1 };
  for (const fields of dataRows(lines, need, ctx)) {
    const start = timeField(fields, columns.time, ctx, 'timestamp');
    if (start <= prev)
      throw rowError(
        ctx,
        `timestamp ${fields[columns.time].trim()} is ${start === prev ? 'a duplicate of' : 'before'} the row above; rows must be in increasing time order`,
      );
    prev = start;
    const value = valueField(fields, columns.value, ctx, isCarbon ? 'carbon intensity' : 'price', isCarbon);
    if (fileZone === undefined && columns.zone !== NOT_FOUND) fileZone = fields[columns.zone].trim();
    points.push({ start, value });
  }
  const zone = zoneOf(options.zone, fileZone, file);
  return {
    zone,
    metric,
    unit: isCarbon ? CARBON_UNIT : priceUnit(options.currency ?? 'EUR'),
    resolutionMin: typicalStepMin(points),
    kind: options.kind ?? 'actual',
    source: options.source,
    points,
  };
}

function zoneOf(wanted: string | undefined, inFile: string | undefined, file: string): string {
  const canonical = (code: string) => findZone(code)?.code ?? code;
  if (inFile !== undefined && inFile.length > 0) {
    if (wanted !== undefined && canonical(wanted).toUpperCase() !== canonical(inFile).toUpperCase())
      throw new InputError(`${file}: the file holds zone ${inFile}, not ${wanted}`);
    return canonical(inFile);
  }
  if (wanted === undefined) throw new InputError(`${file}: say which zone the file is for (zone option)`);
  return canonical(wanted);
}

/**
 * Reads a long forecast file (`issued_at,timestamp,carbon_intensity`) into one forecast Series per issue
 * time, sorted by issue time. Within one issue, target times must increase.
 */
export function readIssuedForecasts(text: string, options: CsvReadOptions): Series[] {
  const { columns, lines, file } = parseHeader(text, options);
  if (columns.shape !== 'forecast')
    throw new InputError(
      `${file}, line 1: a forecast file needs the header issued_at,timestamp,carbon_intensity`,
    );
  const metric = defaultMetric('forecast', options, file);
  const zone = zoneOf(options.zone, undefined, file);
  const need = Math.max(columns.time, columns.value, columns.issued) + 1;
  const groups = new Map<number, Point[]>();
  let lastIssuedText = '';
  let issuedAt = Number.NaN;
  let group: Point[] = [];
  const ctx: RowContext = { file, lineNo: 1 };
  for (const fields of dataRows(lines, need, ctx)) {
    // rows of one issue are usually adjacent: parse the issue time only when its text changes
    if (fields[columns.issued] !== lastIssuedText) {
      lastIssuedText = fields[columns.issued];
      issuedAt = timeField(fields, columns.issued, ctx, 'issued_at');
      let g = groups.get(issuedAt);
      if (!g) {
        g = [];
        groups.set(issuedAt, g);
      }
      group = g;
    }
    const start = timeField(fields, columns.time, ctx, 'timestamp');
    const last = group.length > 0 ? group[group.length - 1].start : Number.NEGATIVE_INFINITY;
    if (start <= last)
      throw rowError(
        ctx,
        `timestamp ${fields[columns.time].trim()} is ${start === last ? 'a duplicate' : 'out of order'} within the forecast issued at ${lastIssuedText.trim()}`,
      );
    group.push({ start, value: valueField(fields, columns.value, ctx, 'carbon intensity', true) });
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([issued, points]) => ({
      zone,
      metric,
      unit: CARBON_UNIT,
      resolutionMin: typicalStepMin(points),
      kind: 'forecast' as const,
      issuedAt: issued,
      source: options.source,
      points,
    }));
}

/** A household file's columns as step functions of kW (the file is in W); an empty cell is NaN. */
export interface HouseholdSeries {
  resolutionMin: number;
  loadKw: Point[];
  pvKw: Point[];
  /** the PV forecast the household logged for each interval */
  pvForecastKw: Point[];
}

const HOUSEHOLD_COLUMNS = ['timestamp', 'load_w', 'pv_w', 'pv_forecast_w'] as const;

/**
 * Reads the shared household shape `timestamp,load_w,pv_w,pv_forecast_w` (W, average over each interval;
 * empty = the sensor was unavailable). Rows must be in strictly increasing time order; errors name the file,
 * the line or the missing column. The logged PV forecast may dip slightly below 0 (inverter standby); the
 * measured load and PV may not.
 */
export function readHouseholdCsv(text: string, file: string): HouseholdSeries {
  const lines = linesOf(text);
  const first = lines.findIndex((l) => l.trim().length > 0);
  if (first === NOT_FOUND) throw new InputError(`${file}: the file is empty`);
  if (first > 0) lines.splice(0, first);
  const header = splitLine(lines[0]).map((f) => f.trim().toLowerCase());
  const cols = HOUSEHOLD_COLUMNS.map((name) => {
    const i = header.indexOf(name);
    if (i === NOT_FOUND)
      throw new InputError(
        `${file}, line 1: no column ${name}; a household file has the header ${HOUSEHOLD_COLUMNS.join(',')}`,
      );
    return i;
  });
  const [time, load, pv, pvForecast] = cols;
  const out: HouseholdSeries = { resolutionMin: 60, loadKw: [], pvKw: [], pvForecastKw: [] };
  const ctx: RowContext = { file, lineNo: 1 };
  let prev = Number.NEGATIVE_INFINITY;
  for (const fields of dataRows(lines, Math.max(...cols) + 1, ctx)) {
    const start = timeField(fields, time, ctx, 'timestamp');
    if (start <= prev)
      throw rowError(
        ctx,
        `timestamp ${fields[time].trim()} is ${start === prev ? 'a duplicate of' : 'before'} the row above; rows must be in increasing time order`,
      );
    prev = start;
    out.loadKw.push({ start, value: valueField(fields, load, ctx, 'load_w', true) / 1000 });
    out.pvKw.push({ start, value: valueField(fields, pv, ctx, 'pv_w', true) / 1000 });
    out.pvForecastKw.push({
      start,
      value: valueField(fields, pvForecast, ctx, 'pv_forecast_w', false) / 1000,
    });
  }
  if (out.loadKw.length === 0) throw new InputError(`${file}: no data rows below the header`);
  out.resolutionMin = typicalStepMin(out.loadKw);
  return out;
}

/** The points of `series` whose interval overlaps [fromMs, toMs). */
export function sliceSeries(series: Series, fromMs: number, toMs: number): Series {
  const pts = series.points;
  const resMs = series.resolutionMin * MINUTE_MS;
  const out: Point[] = [];
  for (let i = 0; i < pts.length; i++) {
    const start = pts[i].start;
    if (start >= toMs) break;
    const end = i + 1 < pts.length ? pts[i + 1].start : start + resMs;
    if (end > fromMs) out.push(pts[i]);
  }
  return { ...series, points: out };
}

const CSV_TTL_MS = MINUTE_MS;

export interface CsvFileOptions {
  path: string;
  /** zone code (or alias) the file is for; portal exports may leave it out */
  zone?: string;
  metric?: Metric;
  currency?: Currency;
  portalColumn?: 'lifecycle' | 'direct';
}

interface Loaded {
  mtimeMs: number;
  actual?: Series;
  forecasts?: Series[];
}

/**
 * A CSV file as a signal source. Carbon, price and portal files answer with the part of the file that
 * overlaps the request (kind `actual`); a long forecast file answers with the latest forecast issued at or
 * before `nowMs`, which makes it a faithful replay of what was known at the time. The file is read on
 * first use and again when it changes.
 */
export function csvFile(options: CsvFileOptions): SignalProvider {
  const name = 'csv';
  const source = `csv:${options.path}`;
  const wantedZone = options.zone === undefined ? undefined : (findZone(options.zone)?.code ?? options.zone);
  let loaded: Loaded | undefined;

  async function load(): Promise<Loaded> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(options.path)).mtimeMs;
    } catch (cause) {
      throw new InputError(`${options.path}: cannot read the file (${(cause as Error).message})`);
    }
    if (loaded && loaded.mtimeMs === mtimeMs) return loaded;
    const text = await readFile(options.path, 'utf8');
    const read: CsvReadOptions = {
      zone: options.zone,
      metric: options.metric,
      source,
      file: options.path,
      currency: options.currency,
      portalColumn: options.portalColumn,
    };
    const { columns } = parseHeader(text, read);
    loaded =
      columns.shape === 'forecast'
        ? { mtimeMs, forecasts: readIssuedForecasts(text, read) }
        : { mtimeMs, actual: readCsvSeries(text, read) };
    return loaded;
  }

  return {
    name,
    ttlMs: CSV_TTL_MS,
    supports(zone: Zone, metric: Metric): boolean {
      if (wantedZone !== undefined && wantedZone.toUpperCase() !== zone.code.toUpperCase()) return false;
      return options.metric === undefined || options.metric === metric;
    },
    async fetch(req: SignalRequest): Promise<Series[]> {
      const data = await load();
      const whole = data.actual ?? latestIssued(data.forecasts ?? [], req.nowMs);
      if (!whole)
        throw new ProviderError(
          name,
          'not_found',
          `${options.path}: no forecast issued by ${toIso(req.nowMs)}`,
        );
      if (whole.zone.toUpperCase() !== req.zone.code.toUpperCase() || whole.metric !== req.metric)
        throw new ProviderError(
          name,
          'unsupported',
          `${options.path} holds ${whole.metric} for ${whole.zone}, not ${req.metric} for ${req.zone.code}`,
        );
      const part = sliceSeries(whole, req.fromMs, req.toMs);
      if (part.points.length === 0)
        throw new ProviderError(
          name,
          'not_found',
          `${options.path}: ${coverage(whole)}; nothing in the requested range`,
        );
      const first = part.points[0].start;
      const last = part.points[part.points.length - 1].start + part.resolutionMin * MINUTE_MS;
      if (first > req.fromMs || last < req.toMs) part.degraded = `${options.path}: ${coverage(whole)}`;
      return [part];
    },
  };
}

function latestIssued(forecasts: readonly Series[], nowMs: number): Series | undefined {
  let best: Series | undefined;
  for (const f of forecasts) if ((f.issuedAt ?? Number.POSITIVE_INFINITY) <= nowMs) best = f;
  return best;
}

function coverage(s: Series): string {
  const p = s.points;
  if (p.length === 0) return 'no rows';
  return `covers ${toIso(p[0].start)} to ${toIso(p[p.length - 1].start + s.resolutionMin * MINUTE_MS)} only`;
}

export const csvDescriptor = describeProvider({
  name: 'csv',
  provides: ['carbon_average', 'carbon_marginal', 'price'],
  forecasts: true,
  options: z.strictObject({
    path: z.string().min(1).optional(),
    metric: metricOption.optional(),
    currency: currencyOption.optional(),
    portalColumn: z.enum(['lifecycle', 'direct']).optional(),
  }),
  secrets: {},
  ttlMs: CSV_TTL_MS,
  perZone: true,
  create: (options, { zone, metric }) =>
    csvFile({
      path: String(options.path),
      zone: zone.code,
      metric: (options.metric as Metric | undefined) ?? metric,
      currency: options.currency as Currency | undefined,
      portalColumn: options.portalColumn as CsvFileOptions['portalColumn'],
    }),
});
