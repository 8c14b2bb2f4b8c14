import { z } from 'zod';

/**
 * Errors as RFC 9457 problem details (`application/problem+json`): a `type` URI naming the kind of problem,
 * the HTTP status with its title, a `detail` for people, and for bad input the fields at fault.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Problem types gridshift answers with; `about:blank` is RFC 9457's "nothing more than the status". */
export const PROBLEM_TYPES = {
  validation: 'urn:gridshift:problem:validation',
  unauthorized: 'urn:gridshift:problem:unauthorized',
  forbidden: 'urn:gridshift:problem:forbidden',
  notFound: 'urn:gridshift:problem:not-found',
  conflict: 'urn:gridshift:problem:conflict',
  tooLarge: 'urn:gridshift:problem:body-too-large',
  unsupportedMediaType: 'urn:gridshift:problem:unsupported-media-type',
  unavailable: 'urn:gridshift:problem:unavailable',
  upstream: 'urn:gridshift:problem:signal-source',
  internal: 'urn:gridshift:problem:internal',
  generic: 'about:blank',
} as const;

export interface FieldProblem {
  /** where: `body.durationMin`, `query.limit`, `params.id` */
  path: string;
  message: string;
}

export const fieldProblemSchema = z.object({
  path: z.string().describe('where the problem is: `body.durationMin`, `query.limit`, `params.id`'),
  message: z.string(),
});

export const problemSchema = z
  .object({
    type: z.string().describe('URI naming the kind of problem (`urn:gridshift:problem:validation` ...)'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(fieldProblemSchema).optional().describe('the fields at fault, for bad input'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

export type Problem = z.infer<typeof problemSchema>;

/** An error a route raises on purpose: it becomes a problem response with this status. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly errors?: FieldProblem[];
  /** extra response headers (WWW-Authenticate ...) */
  readonly headers?: Record<string, string>;
  constructor(
    status: number,
    type: string,
    title: string,
    detail: string,
    extra: { errors?: FieldProblem[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.status = status;
    this.type = type;
    this.title = title;
    this.errors = extra.errors;
    this.headers = extra.headers;
  }

  toProblem(): Problem {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

export const badRequest = (path: string, message: string): ApiError =>
  new ApiError(400, PROBLEM_TYPES.validation, 'Bad Request', `${path}: ${message}`, {
    errors: [{ path, message }],
  });

/**
 * A domain InputError about a request part (`zones[0]: unknown zone ...`) as a 400 naming the field under
 * that part (`body.zones[0]`); other errors pass through unchanged.
 */
export function inputErrorIn(part: 'body' | 'query', err: unknown): unknown {
  if (!(err instanceof Error) || (err.name !== 'InputError' && err.name !== 'ConfigError')) return err;
  const m = /^([A-Za-z_][\w.[\]-]*): (.+)$/s.exec(err.message);
  return m ? badRequest(`${part}.${m[1]}`, m[2]) : badRequest(part, err.message);
}

export const notFound = (detail: string): ApiError =>
  new ApiError(404, PROBLEM_TYPES.notFound, 'Not Found', detail);

export const conflict = (detail: string): ApiError =>
  new ApiError(409, PROBLEM_TYPES.conflict, 'Conflict', detail);

export const unavailable = (detail: string): ApiError =>
  new ApiError(503, PROBLEM_TYPES.unavailable, 'Service Unavailable', detail);

/** Response schemas of the problem statuses a route may answer with, for its OpenAPI entry. */
export function problemResponses(...statuses: number[]): Record<number, typeof problemSchema> {
  return Object.fromEntries(statuses.map((s) => [s, problemSchema]));
}
