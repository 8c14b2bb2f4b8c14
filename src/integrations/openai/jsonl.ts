import { randomBytes } from 'node:crypto';
import { ENDPOINTS, type GatewayEndpoint } from './gateway.ts';

/**
 * The JSONL files of OpenAI's Batch API: input lines `{custom_id, method, url, body}`, output lines
 * `{id, custom_id, response: {status_code, request_id, body}, error}`. Pure: text in, lines out.
 */

export interface BatchRequestLine {
  custom_id: string;
  method: 'POST';
  url: GatewayEndpoint;
  body: Record<string, unknown>;
}

export interface BatchResultLine {
  id: string;
  custom_id: string;
  response: { status_code: number; request_id: string | null; body: unknown } | null;
  error: { code: string | null; message: string } | null;
}

/** Largest number of requests in one batch (OpenAI's limit). */
export const MAX_BATCH_REQUESTS = 50_000;

export const isEndpoint = (url: string): url is GatewayEndpoint => Object.hasOwn(ENDPOINTS, url);

/**
 * The request lines of an input file, each checked; the first problem is thrown as `line N: field: why`.
 * `endpoint` is the batch's: every line must name it.
 */
export function parseRequestLines(content: string, endpoint: GatewayEndpoint): BatchRequestLine[] {
  const out: BatchRequestLine[] = [];
  const seen = new Set<string>();
  const lines = content.split('\n');
  lines.forEach((raw, i) => {
    const text = raw.trim();
    if (text === '') return;
    const at = `line ${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new LineError(`${at}: not a JSON object`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new LineError(`${at}: not a JSON object`);
    const line = value as Record<string, unknown>;
    if (typeof line.custom_id !== 'string' || line.custom_id === '')
      throw new LineError(`${at}: custom_id: a non-empty string is required`);
    if (seen.has(line.custom_id))
      throw new LineError(`${at}: custom_id: "${line.custom_id}" is used twice; each must be unique`);
    seen.add(line.custom_id);
    if (line.method !== 'POST') throw new LineError(`${at}: method: must be POST`);
    if (line.url !== endpoint)
      throw new LineError(
        `${at}: url: must be ${endpoint}, the batch's endpoint (got ${JSON.stringify(line.url)})`,
      );
    const body = line.body;
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw new LineError(`${at}: body: a JSON object is required`);
    const b = body as Record<string, unknown>;
    if (typeof b.model !== 'string' || b.model === '')
      throw new LineError(`${at}: body.model: a model name is required`);
    if (b.stream === true) throw new LineError(`${at}: body.stream: a batch request cannot stream`);
    out.push({ custom_id: line.custom_id, method: 'POST', url: endpoint, body: b });
    if (out.length > MAX_BATCH_REQUESTS)
      throw new LineError(`${at}: a batch holds at most ${MAX_BATCH_REQUESTS} requests`);
  });
  if (out.length === 0) throw new LineError('the file holds no request lines');
  return out;
}

/** A problem in an input file, naming the line. */
export class LineError extends Error {
  override name = 'LineError';
}

export const resultId = (): string => `batch_req_${randomBytes(12).toString('hex')}`;

export const toJsonl = (lines: readonly unknown[]): string =>
  lines.map((l) => `${JSON.stringify(l)}\n`).join('');
