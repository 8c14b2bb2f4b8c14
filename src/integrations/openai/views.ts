import { z } from 'zod';
import { toIso } from '../../core/time.ts';
import type { LoadDetail } from '../../runner/service.ts';
import { BATCH_STATUSES, type OpenAiBatch, type OpenAiFile } from '../../store/openai.ts';

/**
 * The File and Batch objects as OpenAI's API shows them (times in Unix seconds), with what gridshift adds
 * to a batch under `gridshift`: its load, the zone, the planned start and the deadline.
 */

const unix = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / 1000));

export const fileSchema = z
  .object({
    id: z.string(),
    object: z.literal('file'),
    bytes: z.number().int(),
    created_at: z.number().int().describe('Unix seconds'),
    filename: z.string(),
    purpose: z.string(),
    status: z.literal('processed'),
  })
  .meta({ id: 'OpenAiFile' });

export function fileObject(file: OpenAiFile): z.infer<typeof fileSchema> {
  return {
    id: file.id,
    object: 'file',
    bytes: file.bytes,
    created_at: unix(file.createdMs) as number,
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
  };
}

const stamp = z.number().int().nullable();

export const batchSchema = z
  .object({
    id: z.string(),
    object: z.literal('batch'),
    endpoint: z.string(),
    errors: z
      .object({
        object: z.literal('list'),
        data: z.array(
          z.object({
            code: z.string(),
            message: z.string(),
            param: z.string().nullable(),
            line: z.number().int().nullable(),
          }),
        ),
      })
      .nullable(),
    input_file_id: z.string(),
    completion_window: z.string(),
    status: z.enum(BATCH_STATUSES),
    output_file_id: z.string().nullable(),
    error_file_id: z.string().nullable(),
    created_at: z.number().int(),
    in_progress_at: stamp,
    expires_at: z.number().int().describe('the deadline: the batch runs in its clean window before it'),
    finalizing_at: stamp,
    completed_at: stamp,
    failed_at: stamp,
    expired_at: stamp,
    cancelling_at: stamp,
    cancelled_at: stamp,
    request_counts: z.object({
      total: z.number().int(),
      completed: z.number().int(),
      failed: z.number().int(),
    }),
    metadata: z.record(z.string(), z.string()).nullable(),
    gridshift: z
      .object({
        load_id: z.string().nullable(),
        state: z.string().nullable().describe("the load's state (waiting until its window, running ...)"),
        zone: z.string().nullable(),
        planned_start: z.string().nullable().describe('ISO-8601: when its window begins'),
        deadline: z.string(),
      })
      .describe('what gridshift adds: the load that runs the batch in its window'),
  })
  .meta({ id: 'OpenAiBatch' });

export type BatchObject = z.infer<typeof batchSchema>;

export function batchObject(batch: OpenAiBatch, load: LoadDetail | null): BatchObject {
  const expired = batch.status === 'expired';
  return {
    id: batch.id,
    object: 'batch',
    endpoint: batch.endpoint,
    errors: batch.errors?.length
      ? {
          object: 'list',
          data: batch.errors.map((e) => ({
            code: e.code,
            message: e.message,
            param: null,
            line: e.line ?? null,
          })),
        }
      : null,
    input_file_id: batch.inputFileId,
    completion_window: batch.completionWindow,
    status: batch.status,
    output_file_id: batch.outputFileId,
    error_file_id: batch.errorFileId,
    created_at: unix(batch.createdMs) as number,
    in_progress_at: unix(batch.inProgressMs ?? batch.createdMs),
    expires_at: unix(batch.deadlineMs) as number,
    finalizing_at: unix(batch.finalizingMs),
    completed_at: unix(batch.completedMs),
    failed_at: expired ? null : unix(batch.failedMs),
    expired_at: expired ? unix(batch.failedMs) : null,
    cancelling_at: unix(batch.cancelledMs),
    cancelled_at: unix(batch.cancelledMs),
    request_counts: batch.requestCounts,
    metadata: batch.metadata,
    gridshift: {
      load_id: batch.loadId,
      state: load?.load.state ?? null,
      zone: load ? (load.load.plan?.zone ?? load.load.zones[0] ?? null) : null,
      planned_start: load?.load.plannedStartMs != null ? toIso(load.load.plannedStartMs) : null,
      deadline: toIso(batch.deadlineMs),
    },
  };
}
