import type { GridshiftConfig } from '../../core/config.ts';
import { OpenAiError } from '../../integrations/openai/errors.ts';
import { completeOnce } from '../../integrations/openai/gateway.ts';
import {
  type BatchRequestLine,
  type BatchResultLine,
  parseRequestLines,
  resultId,
  toJsonl,
} from '../../integrations/openai/jsonl.ts';
import type { SignalRegistry } from '../../signals/registry.ts';
import type { Db } from '../../store/db.ts';
import {
  createOpenAiFile,
  FINAL_BATCH_STATUSES,
  getOpenAiBatch,
  moveOpenAiBatch,
  openAiFileContent,
} from '../../store/openai.ts';
import type { DispatchContext, DispatchOutcome, OpenAiTarget } from './types.ts';

/**
 * The `openai` target: runs a batch of the OpenAI-compatible gateway in its load's window. Each line of
 * the stored input file goes to the gateway's upstreams (the model resolved now, `auto` by the tier
 * decision of this moment), a few at a time; the answers are stored as the batch's output file (2xx) and
 * error file (the rest), and the batch is completed. When no line could reach an upstream the attempt
 * fails, so that the scheduler retries it like any failed load; the batch stays in progress meanwhile.
 */

export interface OpenAiDispatchOptions {
  store: Db;
  registry: SignalRegistry;
  config: GridshiftConfig;
  env?: NodeJS.ProcessEnv;
  nowMs?: () => number;
  /** requests sent at once (default 4) */
  concurrency?: number;
}

export async function runOpenAiBatch(
  target: OpenAiTarget,
  ctx: DispatchContext,
  options: OpenAiDispatchOptions,
): Promise<DispatchOutcome> {
  const started = Date.now();
  const nowMs = options.nowMs ?? Date.now;
  const done = (outcome: Omit<DispatchOutcome, 'durationMs'>): DispatchOutcome => ({
    ...outcome,
    durationMs: Date.now() - started,
    ref: target.batchId,
  });
  const gateway = options.config.openai;
  if (!gateway) return done({ ok: false, error: 'this worker has no openai gateway configured' });
  const { store } = options;
  const batch = await getOpenAiBatch(store, target.batchId);
  if (!batch) return done({ ok: false, error: `batch ${target.batchId} does not exist` });
  if (FINAL_BATCH_STATUSES.includes(batch.status))
    return done({ ok: true, outputTail: `batch ${batch.id} was already ${batch.status}` });
  const lines = parseRequestLines(
    (await openAiFileContent(store, batch.inputFileId)) ?? '',
    batch.endpoint as BatchRequestLine['url'],
  );

  const results: BatchResultLine[] = new Array(lines.length);
  let unreachable = 0;
  let next = 0;
  const worker = async () => {
    while (next < lines.length && !ctx.signal.aborted) {
      const i = next++;
      const line = lines[i];
      try {
        const answer = await completeOnce(options, gateway, line.url, line.body, {
          nowMs: nowMs(),
          signal: ctx.signal,
          env: options.env,
        });
        results[i] = {
          id: resultId(),
          custom_id: line.custom_id,
          response: { status_code: answer.status, request_id: answer.requestId, body: answer.body },
          error: null,
        };
      } catch (err) {
        if (ctx.signal.aborted) return;
        const e = err instanceof OpenAiError ? err : new OpenAiError(500, String(err));
        if (e.code === 'upstream_unreachable') unreachable++;
        results[i] = {
          id: resultId(),
          custom_id: line.custom_id,
          response:
            e.code === 'upstream_unreachable'
              ? null
              : { status_code: e.status, request_id: null, body: e.body() },
          error: { code: e.code ?? e.type, message: e.message },
        };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, lines.length) }, worker));
  if (ctx.signal.aborted)
    return done({ ok: false, aborted: true, error: 'stopped before every request was answered' });
  if (unreachable === lines.length)
    return done({
      ok: false,
      error: `no upstream could be reached for any of the ${lines.length} requests: ${results[0]?.error?.message}`,
    });

  const ok = results.filter((r) => r.error === null && r.response && r.response.status_code < 300);
  const failed = results.filter((r) => !ok.includes(r));
  const at = nowMs();
  const output = ok.length
    ? await createOpenAiFile(store, {
        purpose: 'batch_output',
        filename: `${batch.id}_output.jsonl`,
        content: toJsonl(ok),
        nowMs: at,
      })
    : null;
  const errors = failed.length
    ? await createOpenAiFile(store, {
        purpose: 'batch_errors',
        filename: `${batch.id}_error.jsonl`,
        content: toJsonl(failed),
        nowMs: at,
      })
    : null;
  const moved = await moveOpenAiBatch(store, batch.id, ['in_progress'], 'completed', {
    nowMs: at,
    ...(output ? { outputFileId: output.id } : {}),
    ...(errors ? { errorFileId: errors.id } : {}),
    completed: ok.length,
    failed: failed.length,
  });
  if (!moved) return done({ ok: true, outputTail: `batch ${batch.id} was cancelled while it ran` });
  return done({
    ok: true,
    outputTail: `batch ${batch.id}: ${ok.length} of ${lines.length} requests answered, ${failed.length} failed`,
  });
}
