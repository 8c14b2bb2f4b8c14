/**
 * One HTTP call to a device (Shelly RPC, Home Assistant REST), bounded by a timeout, with its failures
 * sorted into the adapter error kinds: refused or unknown host -> unreachable, no answer in time -> timeout,
 * 401/403 -> unauthorized, any other non-2xx or a body that is not JSON -> failed.
 */
import { DeviceError } from './types.ts';

export interface Where {
  device: string;
  address: string;
}

export interface DeviceResponse {
  status: number;
  headers: Headers;
  /** the parsed JSON body (null for an empty one) */
  body: unknown;
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/** The request; a 401 is returned (not thrown) when `allow401` so that the caller can answer a challenge. */
export async function deviceRequest(
  where: Where,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs: number },
  options: { allow401?: boolean } = {},
): Promise<DeviceResponse> {
  const method = init.method ?? 'GET';
  const path = new URL(url).pathname;
  const signal = AbortSignal.timeout(init.timeoutMs);
  let response: Response;
  let raw: string;
  try {
    response = await fetch(url, { method, headers: init.headers, body: init.body, signal });
    raw = await response.text();
  } catch (err) {
    throw callFailure(where, `${method} ${path}`, err, init.timeoutMs);
  }
  if (response.status === 401 && options.allow401)
    return { status: 401, headers: response.headers, body: null };
  if (response.status === 401 || response.status === 403) {
    throw new DeviceError(
      where,
      'unauthorized',
      `${method} ${path} answered ${response.status}${snippet(raw)}: check the token or password`,
      { status: response.status },
    );
  }
  if (!response.ok)
    throw new DeviceError(where, 'failed', `${method} ${path} answered ${response.status}${snippet(raw)}`, {
      status: response.status,
    });
  if (raw.trim() === '') return { status: response.status, headers: response.headers, body: null };
  try {
    return { status: response.status, headers: response.headers, body: JSON.parse(raw) };
  } catch {
    throw new DeviceError(where, 'failed', `${method} ${path} answered with a body that is not JSON`, {
      status: response.status,
    });
  }
}

function callFailure(where: Where, what: string, err: unknown, timeoutMs: number): DeviceError {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError')
    return new DeviceError(where, 'timeout', `${what}: no answer within ${timeoutMs} ms`, { cause: err });
  const code = e?.cause?.code;
  if (code && UNREACHABLE_CODES.has(code))
    return new DeviceError(where, 'unreachable', `${what}: ${code}`, { cause: err });
  return new DeviceError(where, 'unreachable', `${what}: ${e?.cause?.message ?? e?.message ?? String(err)}`, {
    cause: err,
  });
}

function snippet(raw: string): string {
  const t = raw.trim().replace(/\s+/g, ' ');
  return t ? ` (${t.length > 200 ? `${t.slice(0, 200)}...` : t})` : '';
}
