import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import type { DashboardFiles } from '../dashboard-files.ts';
import {
  ApiError,
  type FieldProblem,
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPES,
  type Problem,
} from '../problem.ts';
import { unencapsulated } from './unencapsulated.ts';

/**
 * Every error becomes an RFC 9457 problem: schema validation (400, naming each field), oversized bodies
 * (413), unknown routes (404), the scheduler's NotFound / Conflict errors (404 / 409), bad input from the
 * domain (InputError: 400), failing signal sources (502). Anything unexpected is logged and answered with a
 * 500 that says nothing about the internals. Messages never carry request values that could be secrets:
 * validation messages describe the expected shape, not the value sent.
 */

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

const titleOf = (status: number): string => STATUS_TITLES[status] ?? (status < 500 ? 'Bad Request' : 'Error');

/** Maps a Fastify validation context (`body`, `querystring` ...) and instance path to `body.a.b`. */
function fieldPath(context: string | undefined, instancePath: string): string {
  const where = context === 'querystring' ? 'query' : (context ?? 'body');
  const parts = instancePath.split('/').filter(Boolean);
  return [where, ...parts].join('.');
}

interface ValidationIssue {
  instancePath: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

function validationProblems(err: FastifyError): FieldProblem[] {
  const issues = (err.validation ?? []) as ValidationIssue[];
  const context = err.validationContext;
  const out: FieldProblem[] = [];
  for (const issue of issues) {
    const base = fieldPath(context, issue.instancePath);
    const keys =
      issue.keyword === 'unrecognized_keys' ? (issue.params?.keys as string[] | undefined) : undefined;
    if (keys?.length) {
      for (const k of keys) out.push({ path: `${base}.${k}`, message: 'unknown field' });
      continue;
    }
    out.push({ path: base, message: issue.message ?? 'invalid' });
  }
  return out;
}

/** `field: problem` messages (InputError's convention) name their field. */
function inputErrorProblem(message: string): FieldProblem[] | undefined {
  const m = /^([A-Za-z_][\w.[\]-]*): (.+)$/s.exec(message);
  return m ? [{ path: m[1], message: m[2] }] : undefined;
}

export function toProblem(
  err: FastifyError | Error,
  request: FastifyRequest,
): Problem & { headers?: Record<string, string> } {
  if (err instanceof ApiError)
    return { ...err.toProblem(), ...(err.headers ? { headers: err.headers } : {}) };
  const fe = err as FastifyError;
  if (hasZodFastifySchemaValidationErrors(fe) || (fe.validation && fe.validation.length > 0)) {
    const errors = validationProblems(fe);
    return {
      type: PROBLEM_TYPES.validation,
      title: 'Bad Request',
      status: 400,
      detail: errors.map((e) => `${e.path}: ${e.message}`).join('; '),
      errors,
    };
  }
  if (fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = request.routeOptions.bodyLimit;
    return {
      type: PROBLEM_TYPES.tooLarge,
      title: titleOf(413),
      status: 413,
      detail: `the request body is larger than the limit of ${limit} bytes`,
    };
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return {
      type: PROBLEM_TYPES.unsupportedMediaType,
      title: titleOf(415),
      status: 415,
      detail: 'send the body as application/json',
    };
  }
  if (fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    const detail =
      fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'the JSON body is empty' : 'the body is not valid JSON';
    return {
      type: PROBLEM_TYPES.validation,
      title: 'Bad Request',
      status: 400,
      detail,
      errors: [{ path: 'body', message: detail }],
    };
  }
  // the scheduler's errors (src/runner/errors.ts), matched by name so that this module does not depend on it
  if (/NotFound/.test(err.name)) {
    return { type: PROBLEM_TYPES.notFound, title: titleOf(404), status: 404, detail: err.message };
  }
  if (/Conflict/.test(err.name)) {
    return { type: PROBLEM_TYPES.conflict, title: titleOf(409), status: 409, detail: err.message };
  }
  if (err.name === 'InputError' || err.name === 'ConfigError') {
    const errors = inputErrorProblem(err.message);
    return {
      type: PROBLEM_TYPES.validation,
      title: 'Bad Request',
      status: 400,
      detail: err.message,
      ...(errors ? { errors } : {}),
    };
  }
  if (err.name === 'ProviderError') {
    return { type: PROBLEM_TYPES.upstream, title: titleOf(502), status: 502, detail: err.message };
  }
  const status = fe.statusCode;
  if (status !== undefined && status >= 400 && status < 500 && !isResponseSerializationError(fe)) {
    return { type: PROBLEM_TYPES.generic, title: titleOf(status), status, detail: err.message };
  }
  return {
    type: PROBLEM_TYPES.internal,
    title: titleOf(500),
    status: 500,
    detail: 'an unexpected error occurred; it has been logged',
  };
}

export function sendProblem(reply: FastifyReply, problem: Problem & { headers?: Record<string, string> }) {
  const { headers, ...body } = problem;
  if (headers) reply.headers(headers);
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(body);
}

export interface ErrorsOptions {
  /** the dashboard's files: a GET no route matched may be one of its pages or files before it is a 404 */
  dashboard?: DashboardFiles;
}

export const errorsPlugin = unencapsulated(async (app: FastifyInstance, options: ErrorsOptions = {}) => {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const problem = toProblem(err, request);
    if (problem.status >= 500) request.log.error({ err }, 'request failed');
    else request.log.info({ status: problem.status, problem: problem.type }, problem.detail ?? problem.title);
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler(
    (request, reply) =>
      options.dashboard?.serve(request, reply) ||
      sendProblem(reply, {
        type: PROBLEM_TYPES.notFound,
        title: 'Not Found',
        status: 404,
        detail: `no route ${request.method} ${request.url.split('?')[0]}`,
      }),
  );
});
