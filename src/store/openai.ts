import { randomBytes } from 'node:crypto';
import type { Db, Row } from './db.ts';
import { ms, msOrNull } from './rows.ts';
import * as sql from './sql.ts';

/**
 * Files and batches of the OpenAI-compatible gateway, kept in the store so that they survive restarts and
 * any worker sharing the store can run a batch: the input file's lines are read, and the output and error
 * files written, here.
 */

export type OpenAiFilePurpose = 'batch' | 'batch_output' | 'batch_errors';

export interface OpenAiFile {
  id: string;
  purpose: OpenAiFilePurpose;
  filename: string;
  bytes: number;
  createdMs: number;
}

/** OpenAI's batch statuses (gridshift never validates asynchronously: a stored batch starts in_progress). */
export const BATCH_STATUSES = [
  'validating',
  'failed',
  'in_progress',
  'finalizing',
  'completed',
  'expired',
  'cancelling',
  'cancelled',
] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** Statuses a batch does not leave. */
export const FINAL_BATCH_STATUSES: readonly BatchStatus[] = ['failed', 'completed', 'expired', 'cancelled'];

export interface OpenAiBatch {
  id: string;
  /** `batch`: made through /openai/v1/batches; `request`: one deferred request */
  origin: 'batch' | 'request';
  endpoint: string;
  inputFileId: string;
  completionWindow: string;
  status: BatchStatus;
  loadId: string | null;
  outputFileId: string | null;
  errorFileId: string | null;
  requestCounts: { total: number; completed: number; failed: number };
  metadata: Record<string, string> | null;
  errors: { code: string; message: string; line?: number }[] | null;
  createdMs: number;
  deadlineMs: number;
  inProgressMs: number | null;
  finalizingMs: number | null;
  completedMs: number | null;
  failedMs: number | null;
  cancelledMs: number | null;
}

/** OpenAI-style ids: `file-...`, `batch_...`. */
const newId = (prefix: string) => `${prefix}${randomBytes(12).toString('hex')}`;

export async function createOpenAiFile(
  db: Db,
  file: { purpose: OpenAiFilePurpose; filename: string; content: string; nowMs: number },
): Promise<OpenAiFile> {
  const [row] = await db.query<Row>(sql.insertOpenAiFile(db.schema), [
    newId('file-'),
    file.purpose,
    file.filename,
    Buffer.byteLength(file.content, 'utf8'),
    file.content,
    new Date(file.nowMs),
  ]);
  return rowToFile(row);
}

export async function getOpenAiFile(db: Db, id: string): Promise<OpenAiFile | null> {
  const [row] = await db.query<Row>(sql.selectOpenAiFile(db.schema), [id]);
  return row ? rowToFile(row) : null;
}

export async function openAiFileContent(db: Db, id: string): Promise<string | null> {
  const [row] = await db.query<{ content: string }>(sql.selectOpenAiFileContent(db.schema), [id]);
  return row ? row.content : null;
}

export async function createOpenAiBatch(
  db: Db,
  batch: {
    origin: OpenAiBatch['origin'];
    endpoint: string;
    inputFileId: string;
    completionWindow: string;
    total: number;
    metadata?: Record<string, string> | null;
    nowMs: number;
    deadlineMs: number;
  },
): Promise<OpenAiBatch> {
  const [row] = await db.query<Row>(sql.insertOpenAiBatch(db.schema), [
    newId('batch_'),
    batch.origin,
    batch.endpoint,
    batch.inputFileId,
    batch.completionWindow,
    'in_progress' satisfies BatchStatus,
    batch.total,
    batch.metadata ? JSON.stringify(batch.metadata) : null,
    new Date(batch.nowMs),
    new Date(batch.deadlineMs),
  ]);
  return rowToBatch(row);
}

export async function getOpenAiBatch(db: Db, id: string): Promise<OpenAiBatch | null> {
  const [row] = await db.query<Row>(sql.selectOpenAiBatch(db.schema), [id]);
  return row ? rowToBatch(row) : null;
}

/** Batches made through /openai/v1/batches, newest first, after the batch `after`. */
export async function listOpenAiBatches(
  db: Db,
  options: { after?: string; limit: number },
): Promise<OpenAiBatch[]> {
  const rows = await db.query<Row>(sql.listOpenAiBatches(db.schema), [options.after ?? null, options.limit]);
  return rows.map(rowToBatch);
}

export async function setOpenAiBatchLoad(db: Db, id: string, loadId: string): Promise<OpenAiBatch> {
  const [row] = await db.query<Row>(sql.setOpenAiBatchLoad(db.schema), [id, loadId]);
  return rowToBatch(row);
}

/** Moves a batch from one of `from` to `to`; null when it is in none of them (another move came first). */
export async function moveOpenAiBatch(
  db: Db,
  id: string,
  from: readonly BatchStatus[],
  to: BatchStatus,
  options: {
    nowMs: number;
    outputFileId?: string;
    errorFileId?: string;
    completed?: number;
    failed?: number;
    errors?: OpenAiBatch['errors'];
  },
): Promise<OpenAiBatch | null> {
  const [row] = await db.query<Row>(sql.moveOpenAiBatch(db.schema), [
    id,
    [...from],
    to,
    new Date(options.nowMs),
    options.outputFileId ?? null,
    options.errorFileId ?? null,
    options.completed ?? null,
    options.failed ?? null,
    options.errors ? JSON.stringify(options.errors) : null,
  ]);
  return row ? rowToBatch(row) : null;
}

function rowToFile(r: Row): OpenAiFile {
  return {
    id: String(r.id),
    purpose: r.purpose as OpenAiFilePurpose,
    filename: String(r.filename),
    bytes: Number(r.bytes),
    createdMs: ms(r.created_at),
  };
}

function rowToBatch(r: Row): OpenAiBatch {
  return {
    id: String(r.id),
    origin: r.origin as OpenAiBatch['origin'],
    endpoint: String(r.endpoint),
    inputFileId: String(r.input_file_id),
    completionWindow: String(r.completion_window),
    status: r.status as BatchStatus,
    loadId: r.load_id === null ? null : String(r.load_id),
    outputFileId: r.output_file_id === null ? null : String(r.output_file_id),
    errorFileId: r.error_file_id === null ? null : String(r.error_file_id),
    requestCounts: { total: Number(r.total), completed: Number(r.completed), failed: Number(r.failed) },
    metadata: (r.metadata as Record<string, string> | null) ?? null,
    errors: (r.errors as OpenAiBatch['errors']) ?? null,
    createdMs: ms(r.created_at),
    deadlineMs: ms(r.deadline),
    inProgressMs: msOrNull(r.in_progress_at),
    finalizingMs: msOrNull(r.finalizing_at),
    completedMs: msOrNull(r.completed_at),
    failedMs: msOrNull(r.failed_at),
    cancelledMs: msOrNull(r.cancelled_at),
  };
}
