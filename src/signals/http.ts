import type { z } from 'zod';
import { ProviderError } from '../core/errors.ts';

export interface HttpOptions {
  provider: string;
  headers?: Record<string, string>;
  method?: 'GET' | 'POST';
  body?: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfterMs(header: string | null, nowMs = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

/** Performs one request and maps every failure to a ProviderError of the right kind. Never logs headers. */
export async function request(url: string, options: HttpOptions): Promise<Response> {
  const { provider } = options;
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      body: options.body,
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (cause) {
    const why = cause instanceof Error && cause.name === 'TimeoutError' ? 'timed out' : 'could not connect';
    throw new ProviderError(provider, 'unavailable', `${why} (${redact(url)})`, { cause });
  }
  if (response.ok) return response;
  const status = response.status;
  const body = (await response.text().catch(() => '')).slice(0, 4000);
  const detail = body.slice(0, 200);
  if (status === 401 || status === 403)
    throw new ProviderError(provider, 'auth', `not authorised (HTTP ${status}): check the API key`, {
      status,
    });
  if (status === 429) {
    const retryAfterMs = parseRetryAfterMs(response.headers.get('retry-after'));
    throw new ProviderError(provider, 'rate_limit', `rate limited (HTTP 429)`, { status, retryAfterMs });
  }
  if (status === 404)
    throw new ProviderError(provider, 'not_found', `no data (HTTP 404) ${detail}`, { status, body });
  if (status >= 500)
    throw new ProviderError(provider, 'unavailable', `server error (HTTP ${status})`, { status });
  throw new ProviderError(provider, 'malformed', `request refused (HTTP ${status}) ${detail}`, {
    status,
    body,
  });
}

export async function getJson(url: string, options: HttpOptions): Promise<unknown> {
  const response = await request(url, options);
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ProviderError(options.provider, 'malformed', 'response is not JSON', { cause });
  }
}

export async function getText(url: string, options: HttpOptions): Promise<string> {
  return (await request(url, options)).text();
}

/** Drops query parameters that carry secrets (ENTSO-E puts its token in the URL). */
export function redact(url: string): string {
  return url.replace(/(securityToken|token|apikey|api_key)=[^&]+/gi, '$1=***');
}

/** Validates a decoded response against the provider's documented shape. */
export function expectShape<S extends z.ZodType>(schema: S, data: unknown, provider: string): z.infer<S> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path?.length ? ` at ${issue.path.join('.')}` : '';
  throw new ProviderError(
    provider,
    'malformed',
    `unexpected response shape${where}: ${issue?.message ?? 'invalid'}`,
  );
}
