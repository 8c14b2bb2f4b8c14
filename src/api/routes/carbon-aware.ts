import type { FastifyError, FastifyReply } from 'fastify';
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
  pointsIn,
  rollingAverage,
  timeSpan,
} from '../carbon-aware-data.ts';
import type { ApiContext } from '../context.ts';
import { ApiError, PROBLEM_CONTENT_TYPE } from '../problem.ts';
import { carbonMetricOf } from '../signal-view.ts';

/**
 * The Green Software Foundation Carbon Aware SDK Web API, served from gridshift's signals so that its
 * clients (and the clients generated from its OpenAPI document) work unchanged: the same paths, parameter
 * names, defaults, status codes (200, 204 for no data, 400 with ASP.NET's ValidationProblemDetails, 501
 * when there is no forecast) and JSON shapes. A location is a gridshift zone code or alias or a cloud
 * region (`westeurope`, `eu-west-1`); ratings are the zone's configured carbon metric in gCO2eq/kWh.
 */

export interface CarbonAwareOptions {
  /** hours of forecast /emissions/forecasts/current returns; default 24 */
  forecastHours?: number;
  /** longest range /emissions/bylocation(s) answers, days; default 366 */
  maxRangeDays?: number;
}

const ASPNET_400 = 'https://tools.ietf.org/html/rfc9110#section-15.5.1';
const ASPNET_501 = 'https://tools.ietf.org/html/rfc9110#section-15.6.2';
const MODEL_INVALID = 'One or more validation errors occurred.';

/** ASP.NET's ValidationProblemDetails, as the SDK answers bad requests. */
const validationProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
  })
  .meta({ id: 'ValidationProblemDetails' });

type ValidationProblem = z.infer<typeof validationProblemSchema>;

class CompatError extends Error {
  readonly body: ValidationProblem;
  constructor(body: ValidationProblem) {
    super(body.detail ?? body.title);
    this.body = body;
  }
}

/** A model-binding failure (missing or unreadable parameter). */
const bindingError = (errors: Record<string, string[]>) =>
  new CompatError({ type: ASPNET_400, title: MODEL_INVALID, status: 400, errors });

/** A failed parameter validation, which the SDK raises as an ArgumentException. */
const argumentError = (detail: string, errors: Record<string, string[]> = {}) =>
  new CompatError({ type: ASPNET_400, title: 'ArgumentException', status: 400, detail, errors });

const emissionsDataSchema = z
  .object({
    location: z.string(),
    time: z.string().meta({ format: 'date-time' }),
    rating: z.number().describe('gCO2eq/kWh'),
    duration: z.string().describe('how long the value holds, as a .NET TimeSpan (hh:mm:ss)'),
  })
  .meta({ id: 'EmissionsData' });

const emissionsDataDtoSchema = z
  .object({
    location: z.string(),
    timestamp: z.string().meta({ format: 'date-time' }),
    duration: z.number().int().describe('minutes'),
    value: z.number().describe('gCO2eq/kWh'),
  })
  .meta({ id: 'EmissionsDataDTO' });

const emissionsForecastSchema = z
  .object({
    generatedAt: z.string().meta({ format: 'date-time' }),
    requestedAt: z.string().meta({ format: 'date-time' }),
    location: z.string(),
    dataStartAt: z.string().meta({ format: 'date-time' }),
    dataEndAt: z.string().meta({ format: 'date-time' }),
    windowSize: z.number().int(),
    optimalDataPoints: z.array(emissionsDataDtoSchema),
    forecastData: z.array(emissionsDataDtoSchema),
  })
  .meta({ id: 'EmissionsForecastDTO' });

const carbonIntensitySchema = z
  .object({
    location: z.string(),
    startTime: z.string().meta({ format: 'date-time' }),
    endTime: z.string().meta({ format: 'date-time' }),
    carbonIntensity: z.number(),
  })
  .meta({ id: 'CarbonIntensityDTO' });

const locationSchema = z
  .object({ Latitude: z.number().nullable(), Longitude: z.number().nullable(), Name: z.string() })
  .meta({ id: 'Location' });

const locationsParam = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .describe('location name (zone code or cloud region); repeat for several');
const timeParam = (what: string) => z.string().optional().describe(what);

const emissionsQuery = z.object({
  location: locationsParam,
  time: timeParam('[Optional] Start time for the data query; default now'),
  toTime: timeParam('[Optional] End time for the data query; default `time`'),
  durationMinutes: z.string().optional().describe('accepted for compatibility; not used'),
});

const forecastQuery = z.object({
  location: locationsParam,
  dataStartAt: timeParam('Start time boundary of forecasted data points; default the first forecast point'),
  dataEndAt: timeParam('End time boundary of forecasted data points; default the end of the forecast'),
  windowSize: z
    .string()
    .optional()
    .describe('The estimated duration (in minutes) of the workload; default the duration of one data point'),
});

const averageQuery = z.object({
  location: z.string().optional().describe('The location name'),
  startTime: timeParam('The time at which the workload and corresponding carbon usage begins'),
  endTime: timeParam('The time at which the workload and corresponding carbon usage ends'),
});

const responses = (ok: z.ZodType) => ({
  200: ok,
  204: z.undefined().describe('no data for the request'),
  400: validationProblemSchema,
});

/** Adds a message to a field's list, as ASP.NET collects them. */
function addError(errors: Record<string, string[]>, field: string, message: string): void {
  errors[field] = [...(errors[field] ?? []), message];
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

export const carbonAwareRoutes: FastifyPluginAsyncZod<{
  ctx: ApiContext;
  options: CarbonAwareOptions;
}> = async (app, { ctx, options }) => {
  const forecastHours = options.forecastHours ?? 24;
  const maxRangeMs = (options.maxRangeDays ?? 366) * 24 * HOUR_MS;

  // errors in the SDK's shape on these routes only
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof CompatError)
      return reply.code(err.body.status).type(PROBLEM_CONTENT_TYPE).send(err.body);
    if (err instanceof ApiError) {
      if (err.headers) reply.headers(err.headers);
      return reply
        .code(err.status)
        .send({ type: err.type, title: err.title, status: err.status, detail: err.message });
    }
    if (err.validation) {
      const errors: Record<string, string[]> = {};
      for (const issue of err.validation)
        addError(
          errors,
          issue.instancePath.split('/').filter(Boolean)[0] ?? 'request',
          issue.message ?? 'invalid',
        );
      return reply
        .code(400)
        .type(PROBLEM_CONTENT_TYPE)
        .send({ type: ASPNET_400, title: MODEL_INVALID, status: 400, errors });
    }
    request.log.error({ err }, 'carbon aware request failed');
    return reply.code(500).send({
      type: 'https://tools.ietf.org/html/rfc9110#section-15.6.1',
      title: 'InternalServerError',
      status: 500,
    });
  });

  /** The measured (and, for the future, forecast) carbon intensity of a zone as points with durations. */
  async function emissionsOf(zone: Zone, fromMs: number, toMs: number): Promise<EmissionsPoint[]> {
    const startMs = floorToStep(fromMs, 60);
    const endMs = Math.max(ceilToStep(toMs, 60), startMs + HOUR_MS);
    const answer = await ctx.registry.getSignal({
      zone,
      metric: carbonMetricOf(ctx, zone),
      fromMs: startMs,
      toMs: endMs,
      nowMs: ctx.nowMs(),
    });
    const series = answer.series;
    if (!series) return [];
    const pts = series.points;
    return pts
      .map((p, i) => ({
        location: zone.code,
        startMs: p.start,
        durationMs: i + 1 < pts.length ? pts[i + 1].start - p.start : series.resolutionMin * MINUTE_MS,
        rating: p.value,
      }))
      .filter((p) => Number.isFinite(p.rating));
  }

  /** Emissions data of each location over [time, toTime] (default: the value holding now). */
  async function emissionsData(query: z.infer<typeof emissionsQuery>, locations: string[]) {
    const time = timeOf(query.time, 'time');
    const toTime = timeOf(query.toTime, 'toTime');
    if (toTime !== undefined && time === undefined)
      throw argumentError('Invalid parameters', { time: ['time must be defined if toTime is defined'] });
    if (time !== undefined && toTime !== undefined && !(time < toTime))
      throw argumentError('Invalid parameters', { time: ['time must be before toTime'] });
    const zones = locations.map(zoneOf);
    const fromMs = time ?? ctx.nowMs();
    const toMs = toTime ?? fromMs;
    if (toMs - fromMs > maxRangeMs)
      throw argumentError('Invalid parameters', {
        toTime: [`the range may span at most ${maxRangeMs / (24 * HOUR_MS)} days`],
      });
    const perZone = await Promise.all(zones.map((z) => emissionsOf(z, fromMs, toMs)));
    return perZone.flatMap((points) => pointsIn(points, fromMs, toMs));
  }

  const emissionsView = (p: EmissionsPoint) => ({
    location: p.location,
    time: dotnetTime(p.startMs),
    rating: p.rating,
    duration: timeSpan(p.durationMs),
  });

  /** The emissions routes share their query and answer; they differ in the locations read and the points kept. */
  function emissionsRoute(
    path: string,
    doc: { summary: string; description?: string },
    pick: (query: z.infer<typeof emissionsQuery>, locations: string[]) => Promise<EmissionsPoint[]>,
  ) {
    app.get(
      path,
      {
        config: { scope: 'read' },
        schema: {
          tags: ['carbon-aware-sdk'],
          ...doc,
          querystring: emissionsQuery,
          response: responses(z.array(emissionsDataSchema)),
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
    (query, locations) => emissionsData(query, locations.slice(0, 1)),
  );

  emissionsRoute(
    '/emissions/bylocations',
    { summary: 'Carbon Aware SDK: emissions data of several locations' },
    emissionsData,
  );

  emissionsRoute(
    '/emissions/bylocations/best',
    {
      summary: 'Carbon Aware SDK: the lowest-emission location and time',
      description: 'Every data point with the lowest rating across the locations and times asked for.',
    },
    async (query, locations) => optimalPoints(await emissionsData(query, locations)),
  );

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
        response: {
          200: z.array(emissionsForecastSchema),
          400: validationProblemSchema,
          501: validationProblemSchema,
        },
      },
    },
    async (request, reply) => {
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
      const zones = locations.map(zoneOf);
      const nowMs = ctx.nowMs();
      const forecasts = [];
      for (const [i, zone] of zones.entries()) {
        const answer = await ctx.registry.getSignal({
          zone,
          metric: carbonMetricOf(ctx, zone),
          fromMs: floorToStep(nowMs, 60),
          toMs: floorToStep(nowMs, 60) + forecastHours * HOUR_MS,
          nowMs,
        });
        const series = answer.series;
        const stepMin = series?.resolutionMin ?? 60;
        const startMs = floorToStep(nowMs, stepMin);
        const grid = series
          ? resample(series, stepMin, { startMs, endMs: floorToStep(nowMs, 60) + forecastHours * HOUR_MS })
          : undefined;
        const points: EmissionsPoint[] = [];
        grid?.values.forEach((v, j) => {
          if (Number.isFinite(v))
            points.push({
              location: zone.code,
              startMs: startMs + j * stepMin * MINUTE_MS,
              durationMs: stepMin * MINUTE_MS,
              rating: v,
            });
        });
        if (points.length === 0) {
          reply.code(501);
          return {
            type: ASPNET_501,
            title: 'NotImplementedException',
            status: 501,
            detail: `no forecast is available for ${locations[i]}`,
          };
        }
        const minMs = points[0].startMs;
        const maxMs = points[points.length - 1].startMs + points[points.length - 1].durationMs;
        const start = dataStartAt ?? minMs;
        const end = dataEndAt ?? maxMs;
        const errors: Record<string, string[]> = {};
        const range = `'${dotnetTime(minMs)}' through '${dotnetTime(maxMs)}'`;
        if (start >= end) addError(errors, 'dataStartAt', 'dataStartAt must be earlier than dataEndAt');
        if (start < minMs || start > maxMs)
          addError(
            errors,
            'dataStartAt',
            `dataStartAt must be within time range of the forecasted data, ${range}`,
          );
        if (end < minMs || end > maxMs)
          addError(
            errors,
            'dataEndAt',
            `dataEndAt must be within time range of the forecasted data, ${range}`,
          );
        if (Object.keys(errors).length) throw argumentError('Invalid EmissionsForecast', errors);
        const scoped = pointsIn(points, start, end);
        const rolled = rollingAverage(scoped, (windowMin ?? 0) * MINUTE_MS, start, end);
        const dto = (p: EmissionsPoint) => ({
          location: p.location,
          timestamp: dotnetTime(p.startMs),
          duration: Math.round(p.durationMs / MINUTE_MS),
          value: p.rating,
        });
        forecasts.push({
          generatedAt: dotnetTime(series?.issuedAt ?? nowMs),
          requestedAt: dotnetTime(nowMs),
          location: locations[i],
          dataStartAt: dotnetTime(dataStartAt ?? rolled[0]?.startMs ?? start),
          dataEndAt: dotnetTime(dataEndAt ?? rolled[rolled.length - 1]?.startMs ?? end),
          windowSize: windowMin ?? stepMin,
          optimalDataPoints: optimalPoints(rolled).map(dto),
          forecastData: rolled.map(dto),
        });
      }
      return forecasts;
    },
  );

  app.get(
    '/emissions/average-carbon-intensity',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['carbon-aware-sdk'],
        summary: 'Carbon Aware SDK: time-weighted average carbon intensity over a period',
        querystring: averageQuery,
        response: { 200: carbonIntensitySchema, 400: validationProblemSchema },
      },
    },
    async (request) => {
      const q = request.query;
      const missing: Record<string, string[]> = {};
      if (!q.location?.trim()) missing.location = ['The location field is required.'];
      if (!q.startTime?.trim()) missing.startTime = ['The startTime field is required.'];
      if (!q.endTime?.trim()) missing.endTime = ['The endTime field is required.'];
      if (Object.keys(missing).length) throw bindingError(missing);
      const location = (q.location as string).trim();
      const startMs = timeOf(q.startTime, 'startTime') as number;
      const endMs = timeOf(q.endTime, 'endTime') as number;
      if (!(startMs < endMs))
        throw argumentError('Invalid parameters', { startTime: ['startTime must be before endTime'] });
      if (endMs - startMs > maxRangeMs)
        throw argumentError('Invalid parameters', {
          endTime: [`the period may span at most ${maxRangeMs / (24 * HOUR_MS)} days`],
        });
      const zone = zoneOf(location);
      const points = pointsIn(await emissionsOf(zone, startMs, endMs), startMs, endMs);
      let carbonIntensity: number;
      try {
        carbonIntensity = averageOverPeriod(points, startMs, endMs);
      } catch (err) {
        throw argumentError((err as Error).message);
      }
      return { location, startTime: dotnetTime(startMs), endTime: dotnetTime(endMs), carbonIntensity };
    },
  );

  app.get(
    '/locations',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['carbon-aware-sdk'],
        summary: 'Carbon Aware SDK: the locations this server answers for',
        description:
          'Zone codes and cloud regions. gridshift has no coordinates: Latitude and Longitude are null.',
        response: { 200: z.record(z.string(), locationSchema) },
      },
    },
    async () => {
      const out: Record<string, z.infer<typeof locationSchema>> = {};
      const add = (name: string) => {
        let key = name;
        // the SDK's rule for a name met twice: append _1, _2 ...
        for (let n = 1; key in out; n++) key = `${name}_${n}`;
        out[key] = { Latitude: null, Longitude: null, Name: name };
      };
      for (const zone of listZones()) add(zone.code);
      for (const region of CLOUD_REGIONS) add(region.region);
      return out;
    },
  );
};
