import { z } from 'zod';

/**
 * The Carbon Aware SDK Web API's shapes, as its controllers and DTOs declare them (camelCase, as ASP.NET
 * serialises them), and its error bodies: ASP.NET's ValidationProblemDetails for bad requests, with the
 * exception's type name as title for a failed validation (`ArgumentException`) and 501 for a location
 * without a forecast (`NotImplementedException`).
 */

export const ASPNET_400 = 'https://tools.ietf.org/html/rfc9110#section-15.5.1';
export const ASPNET_501 = 'https://tools.ietf.org/html/rfc9110#section-15.6.2';
export const ASPNET_CLIENT_ERROR = 'https://tools.ietf.org/html/rfc9110#section-15.5';
export const ASPNET_500 = 'https://tools.ietf.org/html/rfc9110#section-15.6.1';
export const MODEL_INVALID = 'One or more validation errors occurred.';

/** ASP.NET's ValidationProblemDetails, as the SDK answers bad requests. */
export const validationProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.record(z.string(), z.array(z.string())).optional(),
  })
  .meta({ id: 'ValidationProblemDetails' });

export type ValidationProblem = z.infer<typeof validationProblemSchema>;

/** An error answered in the SDK's shape. */
export class CompatError extends Error {
  readonly body: ValidationProblem;
  constructor(body: ValidationProblem) {
    super(body.detail ?? body.title);
    this.body = body;
  }
}

/** A model-binding failure (missing or unreadable parameter). */
export const bindingError = (errors: Record<string, string[]>) =>
  new CompatError({ type: ASPNET_400, title: MODEL_INVALID, status: 400, errors });

/** A failed parameter validation, which the SDK raises as an ArgumentException. */
export const argumentError = (detail: string, errors: Record<string, string[]> = {}) =>
  new CompatError({ type: ASPNET_400, title: 'ArgumentException', status: 400, detail, errors });

/** A location without a forecast. */
export const notImplementedError = (detail: string) =>
  new CompatError({ type: ASPNET_501, title: 'NotImplementedException', status: 501, detail });

/** Adds a message to a field's list, as ASP.NET collects them. */
export function addError(errors: Record<string, string[]>, field: string, message: string): void {
  errors[field] = [...(errors[field] ?? []), message];
}

export const emissionsDataSchema = z
  .object({
    location: z.string(),
    time: z.string().meta({ format: 'date-time' }),
    rating: z.number().describe('gCO2eq/kWh'),
    duration: z.string().describe('how long the value holds, as a .NET TimeSpan (hh:mm:ss)'),
  })
  .meta({ id: 'EmissionsData' });

export const emissionsDataDtoSchema = z
  .object({
    location: z.string(),
    timestamp: z.string().meta({ format: 'date-time' }),
    duration: z.number().int().describe('minutes'),
    value: z.number().describe('gCO2eq/kWh'),
  })
  .meta({ id: 'EmissionsDataDTO' });

export const emissionsForecastSchema = z
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

export type EmissionsForecastDto = z.infer<typeof emissionsForecastSchema>;

export const carbonIntensitySchema = z
  .object({
    location: z.string(),
    startTime: z.string().meta({ format: 'date-time' }),
    endTime: z.string().meta({ format: 'date-time' }),
    carbonIntensity: z.number(),
  })
  .meta({ id: 'CarbonIntensityDTO' });

export type CarbonIntensityDto = z.infer<typeof carbonIntensitySchema>;

export const locationSchema = z
  .object({ latitude: z.number().nullable(), longitude: z.number().nullable(), name: z.string() })
  .meta({ id: 'Location' });

const locationsParam = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .describe('location name (zone code or cloud region); repeat for several, or location[0], location[1] ...');
const timeParam = (what: string) => z.string().optional().describe(what);

export const emissionsQuery = z.object({
  location: locationsParam,
  time: timeParam('[Optional] Start time for the data query; default now'),
  toTime: timeParam('[Optional] End time for the data query; default `time`'),
  durationMinutes: z.string().optional().describe('accepted for compatibility; not used'),
});

export type EmissionsQuery = z.infer<typeof emissionsQuery>;

export const forecastQuery = z.object({
  location: locationsParam,
  dataStartAt: timeParam('Start time boundary of forecasted data points; default the first forecast point'),
  dataEndAt: timeParam('End time boundary of forecasted data points; default the end of the forecast'),
  windowSize: z
    .string()
    .optional()
    .describe('The estimated duration (in minutes) of the workload; default the duration of one data point'),
});

export const averageQuery = z.object({
  location: z.string().optional().describe('The location name'),
  startTime: timeParam('The time at which the workload and corresponding carbon usage begins'),
  endTime: timeParam('The time at which the workload and corresponding carbon usage ends'),
});

/** A JSON field the SDK reads as a nullable string (a name or an ISO 8601 time). */
const jsonText = z.string().nullish();

export const forecastBatchBody = z
  .array(
    z
      .object({
        requestedAt: jsonText.describe('when the forecast was (or is) requested; required'),
        location: jsonText.describe('the location name; required'),
        dataStartAt: jsonText,
        dataEndAt: jsonText,
        windowSize: z.number().int().nullish().describe('minutes'),
      })
      .meta({ id: 'EmissionsForecastBatchParametersDTO' }),
  )
  .max(1000);

export const averageBatchBody = z
  .array(
    z
      .object({
        location: jsonText.describe('the location name; required'),
        startTime: jsonText.describe('required'),
        endTime: jsonText.describe('required'),
      })
      .meta({ id: 'CarbonIntensityBatchParametersDTO' }),
  )
  .max(1000);

export const sdkResponses = (ok: z.ZodType) => ({
  200: ok,
  204: z.undefined().describe('no data for the request'),
  400: validationProblemSchema,
});
