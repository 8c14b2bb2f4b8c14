import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { exportDecisionsJsonl, verifyAuditChain } from '../../store/audit.ts';
import type { ApiContext } from '../context.ts';
import { problemResponses } from '../problem.ts';
import { decisionSchema } from '../schemas.ts';
import { decisionView } from '../views.ts';

/**
 * The decision log: every plan, replan and dispatch with its inputs, choice, alternatives and reason,
 * hash-chained. Paged reads, a JSON Lines export (the same lines as `gridshift audit export`, which verify
 * on their own) and a verification of the whole chain.
 */

const verdictSchema = z
  .object({
    ok: z.boolean(),
    count: z.number().int().describe('entries checked (before the broken one, when broken)'),
    lastHash: z.string().optional(),
    brokenSeq: z.number().int().optional().describe('the first entry whose content, hash or link is wrong'),
    problem: z.string().optional(),
  })
  .meta({ id: 'AuditVerdict' });

export const auditRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/audit',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['audit'],
        summary: 'Read the decision log',
        description: 'Oldest first, in pages: pass `nextAfterSeq` as `afterSeq` for the next page.',
        querystring: z.object({
          afterSeq: z.coerce.number().int().min(0).default(0),
          loadId: z.string().min(1).max(100).optional().describe("only this load's decisions"),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
        response: {
          200: z.object({ decisions: z.array(decisionSchema), nextAfterSeq: z.number().int().nullable() }),
          ...problemResponses(400, 401, 403, 503),
        },
      },
    },
    async (request) => {
      const { afterSeq, loadId, limit } = request.query;
      const rows = await ctx.scheduler().decisions({ afterSeq, loadId, limit: limit + 1 });
      const page = rows.slice(0, limit);
      return {
        decisions: page.map(decisionView),
        nextAfterSeq: rows.length > limit ? page[page.length - 1].seq : null,
      };
    },
  );

  app.get(
    '/v1/audit/export',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['audit'],
        summary: 'Export the decision log as JSON Lines',
        description:
          'One entry per line with its hashes, streamed. Save it and check it with `gridshift audit verify`.',
        querystring: z.object({
          afterSeq: z.coerce.number().int().min(0).optional(),
          loadId: z.string().min(1).max(100).optional(),
        }),
        response: {
          200: {
            description: 'one decision per line',
            content: { 'application/x-ndjson': { schema: z.string() } },
          },
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const lines = exportDecisionsJsonl(ctx.store, request.query);
      reply
        .type('application/x-ndjson; charset=utf-8')
        .header('content-disposition', 'attachment; filename="gridshift-audit.jsonl"');
      // a stream is sent as it is, not through the response schema
      return reply.send(Readable.from(lines) as never);
    },
  );

  app.get(
    '/v1/audit/verify',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['audit'],
        summary: 'Verify the hash chain of the decision log',
        description: '`ok: false` names the first entry whose content, hash or link does not match.',
        response: { 200: verdictSchema, ...problemResponses(401, 403) },
      },
    },
    async () => verifyAuditChain(ctx.store),
  );
};
