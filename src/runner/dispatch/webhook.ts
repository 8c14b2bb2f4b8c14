import { createHmac, timingSafeEqual } from 'node:crypto';
import { VERSION } from '../../core/version.ts';
import { type AttemptMessage, attemptMessage } from './message.ts';
import { TailBuffer } from './tail.ts';
import type { DispatchContext, DispatchOutcome, WebhookTarget } from './types.ts';

export interface WebhookOptions {
  /** where the secret named by `secretEnv` is looked up (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** limit for targets without `timeoutSec` (default 30 s) */
  defaultTimeoutMs?: number;
  /** the clock for `dispatchedAt` and the signature timestamp (default Date.now) */
  nowMs?: () => number;
}

export const DEFAULT_WEBHOOK_TIMEOUT_MS = 30_000;
export const DEFAULT_SECRET_ENV = 'GRIDSHIFT_WEBHOOK_SECRET';
export const SIGNATURE_HEADER = 'x-gridshift-signature';
/** how old a signature a receiver accepts by default: 5 minutes, as Stripe does */
export const DEFAULT_TOLERANCE_SEC = 300;

/** The JSON body of a webhook dispatch. */
export type WebhookBody = AttemptMessage;

export const USER_AGENT = `gridshift/${VERSION}`;

/** The header value signing `body` at `timestampSec`: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function signPayload(secret: string, body: string | Buffer, timestampSec: number): string {
  const t = Math.floor(timestampSec);
  const mac = createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
  return `t=${t},v1=${mac}`;
}

/**
 * Checks an `x-gridshift-signature` header against the raw request body: true when one of its `v1`
 * signatures is the HMAC of `<t>.<body>` under `secret` and `t` is within `toleranceSec` of now (which
 * stops replays of old requests). Compares in constant time. Pass the body exactly as received, before
 * any JSON parsing.
 */
export function verifySignature(
  secret: string,
  header: string | null | undefined,
  body: string | Buffer,
  toleranceSec: number = DEFAULT_TOLERANCE_SEC,
  nowSec: number = Date.now() / 1000,
): boolean {
  if (!secret || typeof header !== 'string') return false;
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d+$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/.test(value)) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  if (Math.abs(nowSec - timestamp) > toleranceSec) return false;
  const expected = Buffer.from(signPayload(secret, body, timestamp).slice(-64), 'hex');
  return candidates.some((c) => timingSafeEqual(Buffer.from(c, 'hex'), expected));
}

/** The secret to sign with: undefined when none is configured, an error when the named variable is unset. */
function resolveSecret(target: WebhookTarget, env: NodeJS.ProcessEnv): { secret?: string; error?: string } {
  if (target.secretEnv !== undefined) {
    const secret = env[target.secretEnv];
    if (!secret)
      return { error: `secretEnv names ${target.secretEnv}, but that environment variable is not set` };
    return { secret };
  }
  const secret = env[DEFAULT_SECRET_ENV];
  return secret ? { secret } : {};
}

/**
 * POSTs the attempt as JSON to the target URL, signed when a secret is configured. Succeeds on a 2xx
 * response within the time limit. Redirects are not followed (the signature is for the configured URL
 * only), so a 3xx is a failure to fix in the target.
 */
export async function runWebhook(
  target: WebhookTarget,
  ctx: DispatchContext,
  options: WebhookOptions = {},
): Promise<DispatchOutcome> {
  const startedAt = performance.now();
  const elapsedMs = () => Math.round(performance.now() - startedAt);
  const where = describeUrl(target.url);

  const { secret, error: secretError } = resolveSecret(target, options.env ?? process.env);
  if (secretError) return { ok: false, durationMs: elapsedMs(), error: secretError };
  if (ctx.signal.aborted)
    return { ok: false, durationMs: elapsedMs(), aborted: true, error: 'aborted before the request' };

  const nowMs = options.nowMs?.() ?? Date.now();
  const body = JSON.stringify(attemptMessage(ctx, nowMs) satisfies WebhookBody);

  // the target's own headers first: gridshift's (content type, idempotency, signature) cannot be overridden
  const headers = new Headers(target.headers);
  headers.set('content-type', 'application/json');
  headers.set('user-agent', USER_AGENT);
  headers.set('idempotency-key', `${ctx.loadId}:${ctx.attempt}`);
  headers.set('x-gridshift-load-id', ctx.loadId);
  headers.set('x-gridshift-attempt', String(ctx.attempt));
  if (secret) headers.set(SIGNATURE_HEADER, signPayload(secret, body, nowMs / 1000));
  const signed = secret !== undefined;

  const timeoutMs =
    target.timeoutSec !== undefined
      ? target.timeoutSec * 1000
      : (options.defaultTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS);
  const timeout = AbortSignal.timeout(Math.min(timeoutMs, 2 ** 31 - 1));
  const signal = AbortSignal.any([ctx.signal, timeout]);
  const failure = (err: unknown, status?: number): DispatchOutcome => {
    const timedOut = timeout.aborted;
    const aborted = !timedOut && ctx.signal.aborted;
    const why = timedOut
      ? `timed out after ${timeoutMs / 1000} s`
      : aborted
        ? 'aborted (shutdown or cancel)'
        : `could not connect: ${describeFetchError(err)}`;
    const result: DispatchOutcome = {
      ok: false,
      durationMs: elapsedMs(),
      signed,
      error: `${why} (${where})`,
    };
    if (status !== undefined) result.status = status;
    if (timedOut) result.timedOut = true;
    if (aborted) result.aborted = true;
    return result;
  };

  let response: Response;
  try {
    response = await fetch(target.url, { method: 'POST', headers, body, signal, redirect: 'manual' });
  } catch (err) {
    return failure(err);
  }

  const tail = new TailBuffer();
  const status = response.status;
  const ok = status >= 200 && status < 300;
  try {
    if (response.body) for await (const chunk of response.body) tail.push(Buffer.from(chunk));
  } catch (err) {
    // a receiver that accepted (2xx) but is slow to finish its body still accepted
    if (!ok) return { ...failure(err, status), outputTail: tail.text() };
  }
  const result: DispatchOutcome = { ok, durationMs: elapsedMs(), status, signed, outputTail: tail.text() };
  if (!ok)
    result.error =
      status >= 300 && status < 400
        ? `redirected (HTTP ${status}); redirects are not followed, configure the final URL (${where})`
        : `HTTP ${status} (${where})`;
  return result;
}

/** fetch wraps network errors in "fetch failed"; the cause says what happened (ECONNREFUSED, ENOTFOUND ...). */
function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as (Error & { code?: string }) | undefined;
  if (cause?.code) return cause.code;
  return cause?.message ?? err.message;
}

/** The URL for messages: scheme, host and path; credentials and query (where tokens tend to live) left out. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
