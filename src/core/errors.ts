/** An input the user gave is wrong; the message names the field or file and the problem. Exit code 2 in the CLI. */
export class InputError extends Error {
  override name = 'InputError';
}

export type ProviderFailure =
  | 'auth' // key missing, wrong or not entitled
  | 'rate_limit' // 429; retryAfterMs says when to come back
  | 'unavailable' // 5xx, timeout, connection refused
  | 'malformed' // a response that does not have the documented shape
  | 'unsupported' // the provider does not cover this zone or metric
  | 'not_found'; // no data for the range

/** A signal source could not answer. `kind` drives the fallback and retry decisions. */
export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly provider: string;
  readonly kind: ProviderFailure;
  readonly status?: number;
  readonly retryAfterMs?: number;
  /** the start of the body of a refused HTTP request (up to 4,000 characters), for providers that explain there */
  readonly body?: string;
  constructor(
    provider: string,
    kind: ProviderFailure,
    message: string,
    extra: { status?: number; retryAfterMs?: number; body?: string; cause?: unknown } = {},
  ) {
    super(`${provider}: ${message}`, { cause: extra.cause });
    this.provider = provider;
    this.kind = kind;
    this.status = extra.status;
    this.retryAfterMs = extra.retryAfterMs;
    this.body = extra.body;
  }
}
