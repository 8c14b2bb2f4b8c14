/**
 * Errors as OpenAI's API shapes them, `{ error: { message, type, param, code } }`, so that OpenAI client
 * libraries show them as they show OpenAI's own.
 */

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class OpenAiError extends Error {
  override name = 'OpenAiError';
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  constructor(
    status: number,
    message: string,
    options: { type?: string; code?: string | null; param?: string | null } = {},
  ) {
    super(message);
    this.status = status;
    this.type = options.type ?? typeFor(status);
    this.code = options.code ?? null;
    this.param = options.param ?? null;
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** OpenAI's error types by status. */
export function typeFor(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** A bad request naming its field: `messages: Required` with `param: messages`. */
export const invalidRequest = (param: string, message: string, code: string | null = null): OpenAiError =>
  new OpenAiError(400, `${param}: ${message}`, { param, code });
