import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createToken, listTokens, revokeToken, TOKEN_SCOPES } from '../../store/tokens.ts';
import type { ApiContext } from '../context.ts';
import { notFound, problemResponses } from '../problem.ts';
import { tokenSchema } from '../schemas.ts';
import { tokenView } from '../views.ts';

/** API token management (admin): list, create (the secret is shown once), revoke. */

export const tokenRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext }> = async (app, { ctx }) => {
  app.get(
    '/v1/tokens',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['tokens'],
        summary: 'List API tokens',
        response: { 200: z.object({ tokens: z.array(tokenSchema) }), ...problemResponses(401, 403) },
      },
    },
    async () => ({ tokens: (await listTokens(ctx.store)).map(tokenView) }),
  );

  app.post(
    '/v1/tokens',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['tokens'],
        summary: 'Create an API token',
        description: 'The secret is in this response only; gridshift keeps a hash of it.',
        body: z
          .object({
            name: z.string().min(1).max(200),
            scopes: z.array(z.enum(TOKEN_SCOPES)).min(1),
          })
          .strict(),
        response: {
          201: z.object({
            token: tokenSchema,
            secret: z.string().describe('send as "Authorization: Bearer <secret>"'),
          }),
          ...problemResponses(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      const { token, secret } = await createToken(ctx.store, { ...request.body, nowMs: ctx.nowMs() });
      request.log.info({ tokenId: token.id, name: token.name, scopes: token.scopes }, 'API token created');
      return reply.code(201).send({ token: tokenView(token), secret });
    },
  );

  app.delete(
    '/v1/tokens/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['tokens'],
        summary: 'Revoke an API token',
        params: z.object({ id: z.string().min(1).max(100) }),
        response: { 204: z.undefined(), ...problemResponses(401, 403, 404) },
      },
    },
    async (request, reply) => {
      if (!(await revokeToken(ctx.store, request.params.id, { nowMs: ctx.nowMs() })))
        throw notFound(`live token ${request.params.id} not found`);
      app.forgetTokenChecks();
      request.log.info({ tokenId: request.params.id }, 'API token revoked');
      return reply.code(204).send();
    },
  );
};
