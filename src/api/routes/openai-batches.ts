import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  type BatchDeps,
  batchOf,
  cancelBatch,
  createBatch,
  fileContent,
  fileOf,
  listBatches,
  MAX_FILE_BYTES,
  uploadFile,
} from '../../integrations/openai/batches.ts';
import { invalidRequest } from '../../integrations/openai/errors.ts';
import { batchObject, batchSchema, fileObject, fileSchema } from '../../integrations/openai/views.ts';

/**
 * OpenAI's Files and Batch API at /openai/v1/files and /openai/v1/batches: batch input files uploaded,
 * batches made from them (each a load run in its clean window), read, listed and cancelled. Registered
 * by the gateway's routes (openai.ts), whose error handler answers in OpenAI's shape.
 */

const batchBody = z.strictObject({
  input_file_id: z.string().min(1).max(64),
  endpoint: z.enum(['/v1/chat/completions', '/v1/completions']),
  completion_window: z
    .string()
    .min(1)
    .max(64)
    .describe('how long it may wait: 24h (OpenAI), any duration (6h, PT6H) or an ISO-8601 time'),
  metadata: z.record(z.string().max(64), z.string().max(512)).nullable().optional(),
});

const idParam = (name: string) => z.object({ [name]: z.string().min(1).max(64) });

export const openaiBatchRoutes: FastifyPluginAsyncZod<{ batchDeps: () => BatchDeps }> = async (
  app,
  { batchDeps },
) => {
  // OpenAI's Files API takes multipart/form-data: the file and its purpose
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer', bodyLimit: MAX_FILE_BYTES },
    async (request: { headers: Record<string, unknown> }, body: Buffer) => {
      const type = String(request.headers['content-type'] ?? '');
      let form: FormData;
      try {
        form = await new Response(new Uint8Array(body), { headers: { 'content-type': type } }).formData();
      } catch {
        throw invalidRequest('file', 'the body is not valid multipart/form-data');
      }
      const file = form.get('file');
      const purpose = form.get('purpose');
      if (typeof purpose !== 'string') throw invalidRequest('purpose', 'required (batch)');
      if (!file || typeof file === 'string') throw invalidRequest('file', 'required: the JSONL file');
      return { purpose, filename: file.name || 'upload.jsonl', content: await file.text() };
    },
  );

  app.post(
    '/openai/v1/files',
    {
      config: { scope: 'write' },
      bodyLimit: MAX_FILE_BYTES,
      schema: {
        tags: ['openai'],
        summary: 'Upload a batch input file (JSONL)',
        description: 'multipart/form-data with `purpose=batch` and `file`: one request per line.',
        response: { 200: fileSchema },
      },
    },
    async (request) => {
      const form = request.body as { purpose: string; filename: string; content: string } | undefined;
      const multipart = /^multipart\/form-data/i.test(String(request.headers['content-type'] ?? ''));
      if (!multipart || !form || typeof form.content !== 'string')
        throw invalidRequest('file', 'send multipart/form-data with purpose=batch and the file');
      return fileObject(await uploadFile(batchDeps(), form));
    },
  );

  app.get(
    '/openai/v1/files/:file_id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['openai'],
        summary: 'A file',
        params: idParam('file_id'),
        response: { 200: fileSchema },
      },
    },
    async (request) => fileObject(await fileOf(batchDeps(), request.params.file_id as string)),
  );

  app.get(
    '/openai/v1/files/:file_id/content',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['openai'],
        summary: "A file's content",
        description: "The JSONL of an input file, or of a batch's output or error file.",
        params: idParam('file_id'),
      },
    },
    async (request, reply) =>
      reply
        .type('application/jsonl; charset=utf-8')
        .send(await fileContent(batchDeps(), request.params.file_id as string)),
  );

  app.post(
    '/openai/v1/batches',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['openai'],
        summary: 'Create a batch: it runs as a load in its clean window',
        body: batchBody,
        response: { 200: batchSchema },
      },
    },
    async (request) => {
      const batch = await createBatch(batchDeps(), request.body);
      const { load } = await batchOf(batchDeps(), batch.id);
      return batchObject(batch, load);
    },
  );

  app.get(
    '/openai/v1/batches',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['openai'],
        summary: 'Batches, newest first',
        querystring: z.object({
          after: z.string().max(64).optional(),
          limit: z.coerce.number().int().min(1).max(100).default(20),
        }),
        response: {
          200: z.object({
            object: z.literal('list'),
            data: z.array(batchSchema),
            first_id: z.string().nullable(),
            last_id: z.string().nullable(),
            has_more: z.boolean(),
          }),
        },
      },
    },
    async (request) => {
      const deps = batchDeps();
      const page = await listBatches(deps, { after: request.query.after, limit: request.query.limit + 1 });
      const shown = page.slice(0, request.query.limit);
      const data = await Promise.all(
        shown.map(async (b) => batchObject(b, b.loadId ? await deps.scheduler().get(b.loadId) : null)),
      );
      return {
        object: 'list' as const,
        data,
        first_id: data[0]?.id ?? null,
        last_id: data[data.length - 1]?.id ?? null,
        has_more: page.length > shown.length,
      };
    },
  );

  app.get(
    '/openai/v1/batches/:batch_id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['openai'],
        summary: 'A batch',
        params: idParam('batch_id'),
        response: { 200: batchSchema },
      },
    },
    async (request) => {
      const { batch, load } = await batchOf(batchDeps(), request.params.batch_id as string);
      return batchObject(batch, load);
    },
  );

  app.post(
    '/openai/v1/batches/:batch_id/cancel',
    {
      config: { scope: 'write' },
      schema: {
        tags: ['openai'],
        summary: 'Cancel a batch (its load is cancelled)',
        params: idParam('batch_id'),
        response: { 200: batchSchema },
      },
    },
    async (request) => {
      const { batch, load } = await cancelBatch(batchDeps(), request.params.batch_id as string);
      return batchObject(batch, load);
    },
  );
};
