import { OpenAiError } from './errors.ts';
import type { UpstreamTarget } from './models.ts';

/**
 * Requests to the upstream OpenAI-compatible servers. A request goes to the first target that answers: an
 * upstream that cannot be reached (refused, reset, DNS, no answer within its timeout) is skipped for the
 * next one serving the model; an upstream that answers, even with an error, is the answer. When none can
 * be reached the gateway answers 502 naming each one and why.
 */

export interface UpstreamAnswer {
  target: UpstreamTarget;
  /** the upstream's response; its body is not read yet (a stream is passed through as it arrives) */
  response: Response;
}

export interface SendOptions {
  /** where the upstreams' keys are read (`apiKeyEnv`); default process.env */
  env?: NodeJS.ProcessEnv;
  /** aborts the request (the client went away, the load was cancelled) */
  signal?: AbortSignal;
}

/** `path` is below the upstream's base URL: `/chat/completions`, `/completions`, `/models`. */
export async function sendToUpstreams(
  targets: readonly UpstreamTarget[],
  path: string,
  body: Record<string, unknown> | null,
  options: SendOptions = {},
): Promise<UpstreamAnswer> {
  const env = options.env ?? process.env;
  const failures: string[] = [];
  for (const target of targets) {
    const { upstream } = target;
    const headers: Record<string, string> = { accept: 'application/json, text/event-stream' };
    if (body) headers['content-type'] = 'application/json';
    const key = upstream.apiKeyEnv ? env[upstream.apiKeyEnv]?.trim() : undefined;
    if (key) headers.authorization = `Bearer ${key}`;
    // one controller for the caller's abort (which also ends a stream that has begun) and the timeout,
    // which covers the wait for the answer's headers only, not a stream that then runs for long
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, upstream.timeoutMs);
    const onAbort = () => controller.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const signal = controller.signal;
    try {
      const response = await fetch(`${upstream.baseUrl}${path}`, {
        method: body ? 'POST' : 'GET',
        headers,
        body: body ? JSON.stringify({ ...body, model: target.model }) : undefined,
        signal,
      });
      return { target, response };
    } catch (err) {
      if (options.signal?.aborted) throw err;
      options.signal?.removeEventListener('abort', onAbort);
      failures.push(`${upstream.name} (${upstream.baseUrl}): ${reasonOf(err, timedOut, upstream.timeoutMs)}`);
    } finally {
      clearTimeout(timer);
    }
  }
  throw new OpenAiError(502, `no upstream could be reached: ${failures.join('; ')}`, {
    type: 'server_error',
    code: 'upstream_unreachable',
  });
}

function reasonOf(err: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no answer within ${timeoutMs / 1000} s`;
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}

/**
 * An upstream's error response as the gateway's: an OpenAI-shaped body passes through as it is (with the
 * upstream's status); anything else becomes one naming the upstream, its status and what it said.
 */
export async function upstreamError(answer: UpstreamAnswer): Promise<OpenAiError> {
  const { response, target } = answer;
  const text = await response.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const e = (parsed as { error?: unknown } | undefined)?.error;
  if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string') {
    const { message, type, code, param } = e as Record<string, unknown>;
    return new OpenAiError(statusOf(response.status), message as string, {
      ...(typeof type === 'string' ? { type } : {}),
      code: code === undefined || code === null ? null : String(code),
      param: typeof param === 'string' ? param : null,
    });
  }
  // Ollama answers {"error": "model 'x' not found"}
  const said = typeof e === 'string' ? e : text.slice(0, 500);
  return new OpenAiError(
    statusOf(response.status),
    `upstream ${target.upstream.name} answered ${response.status}${said ? `: ${said}` : ''}`,
    { code: 'upstream_error' },
  );
}

/** An upstream's own failure (5xx) is a bad gateway here; its refusals (4xx) are the client's to see. */
const statusOf = (status: number): number => (status >= 500 ? 502 : status);
