import type { FastifyServerOptions } from 'fastify';

/**
 * The server's pino settings. Requests are logged with the headers that help trace a client (user agent,
 * request id, forwarded-for, and whether credentials were sent), so every place a credential can appear is
 * redacted: the Authorization and cookie headers, API-key style headers, and any `secret` or `password`
 * field of a logged object (token creation logs the token's id and name, never its secret).
 */

const LOGGED_HEADERS = [
  'user-agent',
  'x-request-id',
  'x-forwarded-for',
  'content-type',
  'content-length',
  'authorization',
  'cookie',
  'x-api-key',
];

export interface LoggerSettings {
  /** pino level; default info */
  level?: string;
  /** where log lines go; default stdout */
  stream?: NodeJS.WritableStream | { write(line: string): unknown };
}

export const REDACTED = '[redacted]';

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'authorization',
  'secret',
  'token.secret',
  '*.secret',
  'password',
  '*.password',
];

export function loggerOptions(settings: LoggerSettings | false | undefined): FastifyServerOptions['logger'] {
  if (settings === false) return false;
  return {
    level: settings?.level ?? 'info',
    ...(settings?.stream ? { stream: settings.stream } : {}),
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers: {
      req(request: {
        method: string;
        url: string;
        headers: Record<string, unknown>;
        ip?: string;
        id?: string;
      }) {
        return {
          method: request.method,
          url: request.url,
          remoteAddress: request.ip,
          headers: Object.fromEntries(
            LOGGED_HEADERS.filter((h) => request.headers[h] !== undefined).map((h) => [
              h,
              request.headers[h],
            ]),
          ),
        };
      },
    },
  };
}
