import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { resample } from '../../core/series.ts';
import { ceilToStep, floorToStep, HOUR_MS, MINUTE_MS } from '../../core/time.ts';
import { CLOUD_REGIONS, listZones, resolveZone, type Zone } from '../../core/zones.ts';
import {
  averageOverPeriod,
  dotnetTime,
  type EmissionsPoint,
  optimalPoints,
  parseClientTime,
  parseJsonTime,
  pointsIn,
  rollingAverage,
  timeSpan,
} from '../carbon-aware-data.ts';
import {
  ASPNET_400,
  ASPNET_500,
  ASPNET_CLIENT_ERROR,
  addError,
  argumentError,
  averageBatchBody,
  averageQuery,
  bindingError,
  type CarbonIntensityDto,
  CompatError,
  carbonIntensitySchema,
  type EmissionsForecastDto,
  type EmissionsQuery,
  emissionsDataSchema,
  emissionsForecastSchema,
  emissionsQuery,
  forecastBatchBody,
  forecastQuery,
  locationSchema,
  MODEL_INVALID,
  notImplementedError,
  sdkResponses,
  validationProblemSchema,
} from '../carbon-aware-schemas.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, PROBLEM_CONTENT_TYPE } from '../problem.ts';
import { carbonMetricOf } from '../signal-view.ts';

/**
 * The Green Software Foundation Carbon Aware SDK Web API, served from gridshift's signals so that its
 * clients (and the clients generated from its OpenAPI document) work unchanged: the same paths (matched
 * whatever their case, see carbon-aware-url.ts), parameter names, defaults, status codes (200, 204 for no
 * data, 400 with ASP.NET's ValidationProblemDetails, 501 when there is no forecast) and JSON shapes. A
 * location is a gridshift zone code or alias or a cloud region (`westeurope`, `eu-west-1`), and every
 * answer names it as the caller did; ratings are the zone's configured carbon metric in gCO2eq/kWh.
 */

export interface CarbonAwareOptions {
  /** hours of forecast /emissions/forecasts/current returns; default 24 */
  forecastHours?: number;
  /** longest range /emissions/bylocation(s) answers, days; default 366 */
  maxRangeDays?: number;
}

interface Limits {
  forecastHours: number;
  maxRangeMs: number;
}

/** Non-empty location names, in order. */
function locationsOf(raw: string | string[] | undefined): string[] {
  return (raw === undefined ? [] : [raw].flat()).map((l) => l.trim()).filter((l) => l !== '');
}

function requireLocations(raw: string | string[] | undefined): string[] {
  const locations = locationsOf(raw);
  if (locations.length === 0) throw bindingError({ location: ['The location field is required.'] });
  return locations;
}

function zoneOf(location: string): Zone {
  try {
    return resolveZone(location);
  } catch (err) {
    throw argumentError('Invalid location', { location: [(err as Error).message] });
  }
}

function timeOf(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const ms = parseClientTime(raw);
  if (!Number.isFinite(ms)) throw bindingError({ [name]: [`The value '${raw}' is not valid for ${name}.`] });
  return ms;
}

function send204(reply: FastifyReply) {
  return reply.code(204).send();
}

/** Where a failed validation points: the query parameter, or the JSON path of a body field (`$[0].location`). */
function validationKey(context: string | undefined, instancePath: string): string {
  const parts = instancePath.split('/').filter(Boolean);
  if (context !== 'body') return parts[0] ?? 'request';
  return `$${parts.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('')}`;
}

/** Errors in the SDK's shape on these routes only. */
function sdkErrorHandler(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof CompatError)
    return reply.code(err.body.status).type(PROBLEM_CONTENT_TYPE).send(err.body);
  if (err instanceof ApiError) {
    if (err.headers) reply.headers(err.headers);
    return reply
      .code(err.status)
      .type(PROBLEM_CONTENT_TYPE)
      .send({ type: err.type, title: err.title, status: err.status, detail: err.message });
  }
  if (err.validation) {
    const errors: Record<string, string[]> = {};
    for (const issue of err.validation)
      addError(errors, validationKey(err.validationContext, issue.instancePath), issue.message ?? 'invalid');
    return reply
      .code(400)
      .type(PROBLEM_CONTENT_TYPE)
      .send({ type: ASPNET_400, title: MODEL_INVALID, status: 400, errors });
  }
  if (err.statusCode === 400)
    // an unreadable body: System.Text.Json's failure, keyed by the JSON path
    return reply
      .code(400)
      .type(PROBLEM_CONTENT_TYPE)
      .send({ type: ASPNET_400, title: MODEL_INVALID, status: 400, errors: { $: [err.message] } });
  if (err.statusCode && err.statusCode < 500)
    return reply
      .code(err.statusCode)
      .type(PROBLEM_CONTENT_TYPE)
      .send({ type: ASPNET_CLIENT_ERROR, title: err.message, status: err.statusCode });
  request.log.error({ err }, 'carbon aware request failed');
  return reply
    .code(500)
    .type(PROBLEM_CONTENT_TYPE)
    .send({ type: ASPNET_500, title: 'InternalServerError', status: 500 });
}

/** The measured (and, for the future, forecast) carbon intensity of a zone, as known at `nowMs`. */
async function emissionsOf(
  ctx: ApiContext,
  where: { zone: Zone; location: string },
  fromMs: number,
  toMs: number,
  nowMs = ctx.nowMs(),
): Promise<EmissionsPoint[]> {
  const startMs = floorToStep(fromMs, 60);
  const endMs = Math.max(ceilToStep(toMs, 60), startMs + HOUR_MS);
  const { series } = await ctx.registry.getSignal({
    zone: where.zone,
    metric: carbonMetricOf(ctx, where.zone),
    fromMs: startMs,
    toMs: endMs,
    nowMs,
  });
  if (!series) return [];
  const pts = series.points;
  return pts
    .map((p, i) => ({
      location: where.location,
      startMs: p.start,
      durationMs: i + 1 < pts.length ? pts[i + 1].start - p.start : series.resolutionMin * MINUTE_MS,
      rating: p.value,
    }))
    .filter((p) => Number.isFinite(p.rating));
}

/** Emissions data of each location over [time, toTime] (default: the value holding now). */
async function emissionsData(ctx: ApiContext, limits: Limits, query: EmissionsQuery, locations: string[]) {
  const time = timeOf(query.time, 'time');
  const toTime = timeOf(query.toTime, 'toTime');
  if (toTime !== undefined && time === undefined)
    throw argumentError('Invalid parameters', { time: ['time must be defined if toTime is defined'] });
  if (time !== undefined && toTime !== undefined && !(time < toTime))
    throw argumentError('Invalid parameters', { time: ['time must be before toTime'] });
  const places = locations.map((location) => ({ zone: zoneOf(location), location }));
  const fromMs = time ?? ctx.nowMs();
  const toMs = toTime ?? fromMs;
  if (toMs - fromMs > limits.maxRangeMs)
    throw argumentError('Invalid parameters', {
      toTime: [`the range may span at most ${limits.maxRangeMs / (24 * HOUR_MS)} days`],
    });
  const perPlace = await Promise.all(places.map((p) => emissionsOf(ctx, p, fromMs, toMs)));
  return perPlace.flatMap((points) => pointsIn(points, fromMs, toMs));
}

interface ForecastRequest {
  location: string;
  /** when the forecast is asked for: now for the current forecast, `requestedAt` in a batch */
  requestedMs: number;
  dataStartAt?: number;
  dataEndAt?: number;
  windowMin?: number;
}

/** The forecast points of a location from the slot holding `requestedMs`, on the source's own grid. */
async function forecastPoints(ctx: ApiContext, limits: Limits, location: string, requestedMs: number) {
  const zone = zoneOf(location);
  const endMs = floorToStep(requestedMs, 60) + limits.forecastHours * HOUR_MS;
  const { series } = await ctx.registry.getSignal({
    zone,
    metric: carbonMetricOf(ctx, zone),
    fromMs: floorToStep(requestedMs, 60),
    toMs: endMs,
    nowMs: requestedMs,
  });
  const stepMin = series?.resolutionMin ?? 60;
  const startMs = floorToStep(requestedMs, stepMin);
  const grid = series ? resample(series, stepMin, { startMs, endMs }) : undefined;
  const points: EmissionsPoint[] = [];
  grid?.values.forEach((v, j) => {
    if (Number.isFinite(v))
      points.push({
        location,
        startMs: startMs + j * stepMin * MINUTE_MS,
        durationMs: stepMin * MINUTE_MS,
        rating: v,
      });
  });
  if (points.length === 0) throw notImplementedError(`no forecast is available for ${location}`);
  return { points, generatedMs: series?.issuedAt ?? requestedMs };
}

/** The SDK's check that the boundaries asked for lie within the forecast. */
function checkBoundaries(points: EmissionsPoint[], start: number, end: number): void {
  const minMs = points[0].startMs;
  const last = points[points.length - 1];
  const maxMs = last.startMs + last.durationMs;
  const errors: Record<string, string[]> = {};
  const range = `'${dotnetTime(minMs)}' through '${dotnetTime(maxMs)}'`;
  if (start >= end) addError(errors, 'dataStartAt', 'dataStartAt must be earlier than dataEndAt');
  if (start < minMs || start > maxMs)
    addError(errors, 'dataStartAt', `dataStartAt must be within time range of the forecasted data, ${range}`);
  if (end < minMs || end > maxMs)
    addError(errors, 'dataEndAt', `dataEndAt must be within time range of the forecasted data, ${range}`);
  if (Object.keys(errors).length) throw argumentError('Invalid EmissionsForecast', errors);
}

const dataDto = (p: EmissionsPoint) => ({
  location: p.location,
  timestamp: dotnetTime(p.startMs),
  duration: Math.round(p.durationMs / MINUTE_MS),
  value: p.rating,
});

/** One EmissionsForecastDTO: the forecast rolled over the window, with its optimal points. */
async function forecastOf(
  ctx: ApiContext,
  limits: Limits,
  req: ForecastRequest,
): Promise<EmissionsForecastDto> {
  const { points, generatedMs } = await forecastPoints(ctx, limits, req.location, req.requestedMs);
  const last = points[points.length - 1];
  const start = req.dataStartAt ?? points[0].startMs;
  const end = req.dataEndAt ?? last.startMs + last.durationMs;
  checkBoundaries(points, start, end);
  const rolled = rollingAverage(pointsIn(points, start, end), (req.windowMin ?? 0) * MINUTE_MS, start, end);
  return {
    generatedAt: dotnetTime(generatedMs),
    requestedAt: dotnetTime(req.requestedMs),
    location: req.location,
    dataStartAt: dotnetTime(req.dataStartAt ?? rolled[0]?.startMs ?? start),
    dataEndAt: dotnetTime(req.dataEndAt ?? rolled[rolled.length - 1]?.startMs ?? end),
    // the SDK answers the window it was asked for, 0 when none was
    windowSize: req.windowMin ?? 0,
    optimalDataPoints: optimalPoints(rolled).map(dataDto),
    forecastData: rolled.map(dataDto),
  };
}

/** The time-weighted average carbon intensity of a location over [startMs, endMs). */
async function averageOf(
  ctx: ApiContext,
  limits: Limits,
  location: string,
  startMs: number,
  endMs: number,
): Promise<CarbonIntensityDto> {
  if (!(startMs < endMs))
    throw argumentError('Invalid parameters', { startTime: ['startTime must be before endTime'] });
  if (endMs - startMs > limits.maxRangeMs)
    throw argumentError('Invalid parameters', {
      endTime: [`the period may span at most ${limits.maxRangeMs / (24 * HOUR_MS)} days`],
    });
  const place = { zone: zoneOf(location), location };
  const points = pointsIn(await emissionsOf(ctx, place, startMs, endMs), startMs, endMs);
  let carbonIntensity: number;
  try {
    carbonIntensity = averageOverPeriod(points, startMs, endMs);
  } catch (err) {
    throw argumentError((err as Error).message);
  }
  return { location, startTime: dotnetTime(startMs), endTime: dotnetTime(endMs), carbonIntensity };
}

/** The SDK's check of a batch item's required fields: "<field> is not set". */
function requireSet(item: Record<string, unknown>, fields: string[]): void {
  const errors: Record<string, string[]> = {};
  for (const f of fields)
    if (item[f] === undefined || item[f] === null || item[f] === '') addError(errors, f, `${f} is not set`);
  if (Object.keys(errors).length) throw argumentError('Invalid parameters', errors);
}

/**
 * The times of every batch item, read as System.Text.Json reads a DateTimeOffset (ISO 8601 only): an
 * unreadable one fails the whole request before any item is answered, naming its JSON path.
 */
function batchTimes<F extends string>(
  items: readonly Partial<Record<F, string | null | undefined>>[],
  fields: readonly F[],
): Partial<Record<F, number>>[] {
  const errors: Record<string, string[]> = {};
  const times = items.map((item, i) => {
    const out: Partial<Record<F, number>> = {};
    for (const f of fields) {
      const raw = item[f];
      if (raw === undefined || raw === null) continue;
      const ms = parseJsonTime(raw);
      if (Number.isFinite(ms)) out[f] = ms;
      else
        addError(errors, `$[${i}].${f}`, `The JSON value could not be converted to System.DateTimeOffset.`);
    }
    return out;
  });
  if (Object.keys(errors).length) throw bindingError(errors);
  return times;
}

type SdkApp = Parameters<FastifyPluginAsyncZod>[0];

export const carbonAwareRoutes: FastifyPluginAsyncZod<{
  ctx: ApiContext;
  options: CarbonAwareOptions;
}> = async (app, { ctx, options }) => {
  const limits: Limits = {
    forecastHours: options.forecastHours ?? 24,
    maxRangeMs: (options.maxRangeDays ?? 366) * 24 * HOUR_MS,
  };
  app.setErrorHandler(sdkErrorHandler);
  emissionsRoutes(app, ctx, limits);
  forecastRoutes(app, ctx, limits);
  averageRoutes(app, ctx, limits);
  locationAndHealthRoutes(app);
};

const emissionsView = (p: EmissionsPoint) => ({
  location: p.location,
  time: dotnetTime(p.startMs),
  rating: p.rating,
  duration: timeSpan(p.durationMs),
});

/** /emissions/bylocation(s)(/best): one query and answer; they differ in the locations read and the points kept. */
function emissionsRoutes(app: SdkApp, ctx: ApiContext, limits: Limits): void {
  function emissionsRoute(
    path: string,
    doc: { summary: string; description?: string },
    pick: (query: EmissionsQuery, locations: string[]) => Promise<EmissionsPoint[]>,
  ) {
    app.get(
      path,
      {
        config: { scope: 'read' },
        schema: {
          tags: ['carbon-aware-sdk'],
          ...doc,
          querystring: emissionsQuery,
          response: sdkResponses(z.array(emissionsDataSchema)),
        },
      },
      async (request, reply) => {
        const points = await pick(request.query, requireLocations(request.query.location));
        return points.length ? points.map(emissionsView) : send204(reply);
      },
    );
  }

  emissionsRoute(
    '/emissions/bylocation',
    { summary: 'Carbon Aware SDK: emissions data of one location' },
    (query, locations) => emissionsData(ctx, limits, query, locations.slice(0, 1)),
  );

  emissionsRoute(
    '/emissions/bylocations',
    { summary: 'Carbon Aware SDK: emissions data of several locations' },
    (query, locations) => emissionsData(ctx, limits, query, locations),
  );

  emissionsRoute(
    '/emissions/bylocations/best',
    {
      summary: 'Carbon Aware SDK: the lowest-emission location and time',
      description: 'Every data point with the lowest rating across the locations and times asked for.',
    },
    async (query, locations) => optimalPoints(await emissionsData(ctx, limits, query, locations)),
  );
}

/** The current forecast and forecasts as known at given times. */
function forecastRoutes(app: SdkApp, ctx: ApiContext, limits: Limits): void {
  const forecastResponses = {
    200: z.array(emissionsForecastSchema),
    400: validationProblemSchema,
    501: validationProblemSchema,
  };

  app.get(
    '/emissions/forecasts/current',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['carbon-aware-sdk'],
        summary: 'Carbon Aware SDK: the current forecast and its optimal window',
        description:
          'The forecast from the slot holding now, as rolling averages over `windowSize` minutes when given, ' +
          'with the optimal (lowest) windows.',
        querystring: forecastQuery,
        response: forecastResponses,
      },
    },
    async (request) => {
      const q = request.query;
      const locations = requireLocations(q.location);
      const dataStartAt = timeOf(q.dataStartAt, 'dataStartAt');
      const dataEndAt = timeOf(q.dataEndAt, 'dataEndAt');
      let windowMin: number | undefined;
      if (q.windowSize !== undefined && q.windowSize.trim() !== '') {
        windowMin = Number(q.windowSize);
        if (!Number.isInteger(windowMin) || windowMin < 0)
          throw bindingError({ windowSize: [`The value '${q.windowSize}' is not valid for windowSize.`] });
      }
      const requestedMs = ctx.nowMs();
      const forecasts = [];
      for (const location of locations)
        forecasts.push(
          await forecastOf(ctx, limits, { location, requestedMs, dataStartAt, dataEndAt, windowMin }),
        );
      return forecasts;
    },
  );

  app.post(
    '/emissions/forecasts/batch',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['carbon-aware-sdk'],
        summary: 'Carbon Aware SDK: forecasts as they were at given times',
        description:
          'One EmissionsForecastDTO per item: the forecast as gridshift knew it at `requestedAt` (the source ' +
          'asked as of that time), rolled over `windowSize` within dataStartAt..dataEndAt.',
        body: forecastBatchBody,
        response: forecastResponses,
      },
    },
    async (request) => {
      const items = request.body;
      const times = batchTimes(items, ['requestedAt', 'dataStartAt', 'dataEndAt'] as const);
      const forecasts = [];
      for (const [i, item] of items.entries()) {
        requireSet(item, ['location', 'requestedAt']);
        const t = times[i];
        forecasts.push(
          await forecastOf(ctx, limits, {
            location: (item.location as string).trim(),
            requestedMs: t.requestedAt as number,
            dataStartAt: t.dataStartAt,
            dataEndAt: t.dataEndAt,
            windowMin: item.windowSize ?? undefined,
          }),
        );
      }
      return forecasts;
    },
  );
}

/** Time-weighted average carbon intensity, one period or a batch. */
function averageRoutes(app: SdkApp, ctx: ApiContext, limits: Limits): void {
  const averageResponses = { 400: validationProblemSchema };

  app.get(
    '/emissions/average-carbon-intensity',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['carbon-aware-sdk'],
        summary: 'Carbon Aware SDK: time-weighted average carbon intensity over a period',
        querystring: averageQuery,
        response: { 200: carbonIntensitySchema, ...averageResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const missing: Record<string, string[]> = {};
      if (!q.location?.trim()) missing.location = ['The location field is required.'];
      if (!q.startTime?.trim()) missing.startTime = ['The startTime field is required.'];
      if (!q.endTime?.trim()) missing.endTime = ['The endTime field is required.'];
      if (Object.keys(missing).length) throw bindingError(missing);
      const startMs = timeOf(q.startTime, 'startTime') as number;
      const endMs = timeOf(q.endTime, 'endTime') as number;
      return averageOf(ctx, limits, (q.location as string).trim(), startMs, endMs);
    },
  );

  app.post(
    '/emissions/average-carbon-intensity/batch',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['carbon-aware-sdk'],
        summary: 'Carbon Aware SDK: time-weighted average carbon intensity of several periods',
        body: averageBatchBody,
        response: { 200: z.array(carbonIntensitySchema), ...averageResponses },
      },
    },
    async (request) => {
      const items = request.body;
      const times = batchTimes(items, ['startTime', 'endTime'] as const);
      const out = [];
      for (const [i, item] of items.entries()) {
        requireSet(item, ['location', 'startTime', 'endTime']);
        const t = times[i];
        out.push(
          await averageOf(
            ctx,
            limits,
            (item.location as string).trim(),
            t.startTime as number,
            t.endTime as number,
          ),
        );
      }
      return out;
    },
  );
}

/** The locations served, and the health check. */
function locationAndHealthRoutes(app: SdkApp): void {
  app.get(
    '/locations',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['carbon-aware-sdk'],
        summary: 'Carbon Aware SDK: the locations this server answers for',
        description:
          'Zone codes and cloud regions. gridshift has no coordinates: latitude and longitude are null.',
        response: { 200: z.record(z.string(), locationSchema) },
      },
    },
    async () => {
      const out: Record<string, z.infer<typeof locationSchema>> = {};
      const add = (name: string) => {
        let key = name;
        // the SDK's rule for a name met twice: append _1, _2 ...
        for (let n = 1; key in out; n++) key = `${name}_${n}`;
        out[key] = { latitude: null, longitude: null, name };
      };
      for (const zone of listZones()) add(zone.code);
      for (const region of CLOUD_REGIONS) add(region.region);
      return out;
    },
  );

  app.get(
    '/health',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['carbon-aware-sdk'],
        summary: 'Carbon Aware SDK: health check',
        description: 'ASP.NET health check: `Healthy` while the process serves requests.',
        response: { 200: z.string() },
      },
    },
    async (_request, reply) => reply.type('text/plain; charset=utf-8').send('Healthy'),
  );
}
