import { parseDuration } from '../../core/human-time.ts';
import type { GatewayConfig } from '../../core/openai-config.ts';
import { unstorableText } from '../../core/text.ts';
import { MINUTE_MS, toIso } from '../../core/time.ts';
import type { LoadDetail, SchedulerService } from '../../runner/service.ts';
import type { Db } from '../../store/db.ts';
import {
  createOpenAiBatch,
  createOpenAiFile,
  FINAL_BATCH_STATUSES,
  getOpenAiBatch,
  getOpenAiFile,
  listOpenAiBatches,
  moveOpenAiBatch,
  type OpenAiBatch,
  type OpenAiFile,
  openAiFileContent,
  setOpenAiBatchLoad,
} from '../../store/openai.ts';
import { invalidRequest, OpenAiError } from './errors.ts';
import type { GatewayEndpoint } from './gateway.ts';
import { isEndpoint, LineError, parseRequestLines, toJsonl } from './jsonl.ts';

/**
 * Files and batches: OpenAI's Files and Batch API over gridshift's scheduler. A batch (or one request sent
 * with `x-gridshift-deadline`) becomes a load with an `openai` dispatch target, planned, queued durably
 * and accounted like any other; the worker that runs it in its window sends the lines to the upstreams
 * (src/runner/dispatch/openai.ts) and stores the output and error files.
 */

export interface BatchDeps {
  store: Db;
  /** the scheduler batches are submitted to (files need none) */
  scheduler(): SchedulerService;
  gateway: GatewayConfig;
  nowMs(): number;
}

/** Largest file accepted, bytes (OpenAI's input files go to 200 MB; a database row should not). */
export const MAX_FILE_BYTES = 50 * 1024 * 1024;

export async function uploadFile(
  deps: BatchDeps,
  file: { purpose: string; filename: string; content: string },
): Promise<OpenAiFile> {
  if (file.purpose !== 'batch')
    throw invalidRequest('purpose', `"${file.purpose}" is not supported here: only batch`);
  const problem = unstorableText(file.content);
  if (problem) throw invalidRequest('file', problem);
  return createOpenAiFile(deps.store, { ...file, purpose: 'batch', nowMs: deps.nowMs() });
}

export async function fileOf(deps: BatchDeps, id: string): Promise<OpenAiFile> {
  const file = await getOpenAiFile(deps.store, id);
  if (!file) throw new OpenAiError(404, `No such File object: ${id}`, { param: 'file_id' });
  return file;
}

export async function fileContent(deps: BatchDeps, id: string): Promise<string> {
  const content = await openAiFileContent(deps.store, id);
  if (content === null) throw new OpenAiError(404, `No such File object: ${id}`, { param: 'file_id' });
  return content;
}

/** When a batch must be done by: `24h`, `6h`, `PT6H` from now, or an ISO-8601 time. */
export function deadlineOf(deps: BatchDeps, text: string, param: string): number {
  const nowMs = deps.nowMs();
  const { durationMin, maxDeadlineHours } = deps.gateway.deferred;
  let deadlineMs: number;
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) {
    deadlineMs = Date.parse(text);
    if (!Number.isFinite(deadlineMs)) throw invalidRequest(param, `"${text}" is not an ISO-8601 time`);
  } else {
    let minutes: number;
    try {
      minutes = parseDuration(text);
    } catch {
      throw invalidRequest(param, `"${text}" is neither a duration (24h, PT6H) nor an ISO-8601 time`);
    }
    deadlineMs = nowMs + minutes * MINUTE_MS;
  }
  if (deadlineMs < nowMs + durationMin * MINUTE_MS)
    throw invalidRequest(param, `must leave at least the ${durationMin} minutes the work is planned to take`);
  if (deadlineMs > nowMs + maxDeadlineHours * 60 * MINUTE_MS)
    throw invalidRequest(param, `must be within ${maxDeadlineHours} hours`);
  return deadlineMs;
}

/** A batch from an uploaded input file: checked line by line, stored, and submitted as a load. */
export async function createBatch(
  deps: BatchDeps,
  request: {
    input_file_id: string;
    endpoint: string;
    completion_window: string;
    metadata?: Record<string, string> | null;
  },
): Promise<OpenAiBatch> {
  deps.scheduler(); // without one, refused before anything is stored
  if (!isEndpoint(request.endpoint))
    throw invalidRequest('endpoint', 'must be /v1/chat/completions or /v1/completions');
  const file = await getOpenAiFile(deps.store, request.input_file_id);
  if (!file)
    throw new OpenAiError(404, `No such File object: ${request.input_file_id}`, { param: 'input_file_id' });
  if (file.purpose !== 'batch')
    throw invalidRequest('input_file_id', `file ${file.id} has purpose ${file.purpose}, not batch`);
  const deadlineMs = deadlineOf(deps, request.completion_window, 'completion_window');
  const content = (await openAiFileContent(deps.store, file.id)) ?? '';
  let total: number;
  try {
    total = parseRequestLines(content, request.endpoint).length;
  } catch (err) {
    if (err instanceof LineError) throw invalidRequest('input_file_id', `${file.id}: ${err.message}`);
    throw err;
  }
  return submitBatch(deps, {
    origin: 'batch',
    endpoint: request.endpoint,
    inputFileId: file.id,
    completionWindow: request.completion_window,
    total,
    metadata: request.metadata ?? null,
    deadlineMs,
  });
}

/** One request sent with `x-gridshift-deadline`: a batch of one line, answered through the Batch API. */
export async function deferRequest(
  deps: BatchDeps,
  endpoint: GatewayEndpoint,
  body: Record<string, unknown>,
  deadline: string,
): Promise<OpenAiBatch> {
  deps.scheduler(); // without one, refused before anything is stored
  if (body.stream === true)
    throw invalidRequest('stream', 'a deferred request (x-gridshift-deadline) cannot stream');
  const deadlineMs = deadlineOf(deps, deadline, 'x-gridshift-deadline');
  const line = { custom_id: 'request-1', method: 'POST', url: endpoint, body };
  const file = await createOpenAiFile(deps.store, {
    purpose: 'batch',
    filename: 'deferred-request.jsonl',
    content: toJsonl([line]),
    nowMs: deps.nowMs(),
  });
  return submitBatch(deps, {
    origin: 'request',
    endpoint,
    inputFileId: file.id,
    completionWindow: deadline,
    total: 1,
    metadata: null,
    deadlineMs,
  });
}

async function submitBatch(
  deps: BatchDeps,
  batch: Omit<Parameters<typeof createOpenAiBatch>[1], 'nowMs'>,
): Promise<OpenAiBatch> {
  const nowMs = deps.nowMs();
  const stored = await createOpenAiBatch(deps.store, { ...batch, nowMs });
  const { deferred, zone } = deps.gateway;
  try {
    const { load } = await deps.scheduler().submit({
      name: `openai ${batch.origin} ${stored.id}`,
      tags: ['openai', `openai-${batch.origin}`],
      zones: [zone],
      durationMin: deferred.durationMin,
      powerKw: deferred.powerKw,
      deadline: toIso(batch.deadlineMs),
      dispatch: { kind: 'openai', batchId: stored.id },
      idempotencyKey: `openai:${stored.id}`,
    });
    return await setOpenAiBatchLoad(deps.store, stored.id, load.id);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await moveOpenAiBatch(deps.store, stored.id, ['in_progress'], 'failed', {
      nowMs,
      errors: [{ code: 'not_planned', message }],
    });
    if (err instanceof Error && err.name === 'InputError') throw invalidRequest('completion_window', message);
    throw err;
  }
}

/**
 * A batch and its load. A batch whose load ended without running it (dead after its retries, cancelled
 * from the scheduler) is marked failed or cancelled here, so that a client polling it sees it end.
 */
export async function batchOf(
  deps: BatchDeps,
  id: string,
): Promise<{ batch: OpenAiBatch; load: LoadDetail | null }> {
  let batch = await getOpenAiBatch(deps.store, id);
  if (!batch) throw new OpenAiError(404, `No such Batch object: ${id}`, { param: 'batch_id' });
  const load = batch.loadId ? await deps.scheduler().get(batch.loadId) : null;
  const state = load?.load.state;
  if (!FINAL_BATCH_STATUSES.includes(batch.status) && (state === 'dead' || state === 'cancelled')) {
    const moved = await moveOpenAiBatch(
      deps.store,
      id,
      ['in_progress', 'cancelling'],
      state === 'dead' ? 'failed' : 'cancelled',
      {
        nowMs: deps.nowMs(),
        ...(state === 'dead'
          ? {
              errors: [
                { code: 'load_dead', message: load?.load.lastError ?? 'its load gave up after its retries' },
              ],
            }
          : {}),
      },
    );
    if (moved) batch = moved;
  }
  return { batch, load };
}

export async function listBatches(
  deps: BatchDeps,
  options: { after?: string; limit: number },
): Promise<OpenAiBatch[]> {
  return listOpenAiBatches(deps.store, { after: options.after, limit: options.limit });
}

/** Cancels a batch that has not finished: its load is cancelled (a running one is stopped). */
export async function cancelBatch(
  deps: BatchDeps,
  id: string,
): Promise<{ batch: OpenAiBatch; load: LoadDetail | null }> {
  const { batch } = await batchOf(deps, id);
  if (FINAL_BATCH_STATUSES.includes(batch.status))
    throw new OpenAiError(409, `Batch ${id} is ${batch.status} and cannot be cancelled`, {
      code: 'batch_finished',
    });
  const moved = await moveOpenAiBatch(deps.store, id, ['in_progress', 'validating'], 'cancelled', {
    nowMs: deps.nowMs(),
  });
  if (batch.loadId) {
    try {
      await deps.scheduler().cancel(batch.loadId, `batch ${id} cancelled`);
    } catch (err) {
      // the load finished meanwhile (its outcome is the batch's only if the batch was not cancelled first)
      if (!(err instanceof Error && /Conflict/.test(err.name))) throw err;
    }
  }
  return batchOf(deps, moved?.id ?? id);
}
