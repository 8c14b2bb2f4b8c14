import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SCHEMA_VERSION, schemaVersion } from '../../store/migrations.ts';
import type { ApiContext } from '../context.ts';

/**
 * Liveness and readiness, for load balancers and orchestrators. `/healthz` answers while the process
 * serves requests. `/readyz` checks what a request needs: the store answers, its schema is the version
 * this build knows, and — when this process runs workers — the dispatch queue is running; otherwise 503
 * with the failing check named.
 */

export interface ReadinessOptions {
  /** whether this process's dispatch queue is running; asked only when the scheduler reports a worker role */
  queueRunning?: () => boolean | Promise<boolean>;
}

const checkSchema = z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() });
const readySchema = z.object({ status: z.enum(['ready', 'not ready']), checks: z.array(checkSchema) });

export const healthRoutes: FastifyPluginAsyncZod<{ ctx: ApiContext; readiness: ReadinessOptions }> = async (
  app,
  { ctx, readiness },
) => {
  app.get(
    '/healthz',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process is up',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Readiness: store reachable, migrations current, queue running (worker processes)',
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (_request, reply) => {
      const checks: z.infer<typeof checkSchema>[] = [];
      const check = async (name: string, fn: () => Promise<string | undefined>) => {
        try {
          const problem = await fn();
          checks.push(problem ? { name, ok: false, detail: problem } : { name, ok: true });
        } catch (err) {
          checks.push({ name, ok: false, detail: (err as Error).message });
        }
      };
      let reachable = false;
      await check('store', async () => {
        await ctx.store.query('SELECT 1');
        reachable = true;
        return undefined;
      });
      if (reachable) {
        await check('migrations', async () => {
          const version = await schemaVersion(ctx.store);
          return version === SCHEMA_VERSION
            ? undefined
            : `schema at version ${version}, this build expects ${SCHEMA_VERSION}`;
        });
      }
      if (ctx.hasScheduler && readiness.queueRunning) {
        await check('queue', async () => {
          const status = await ctx.scheduler().status();
          if (!status.roles.includes('worker')) return undefined;
          return (await readiness.queueRunning?.()) ? undefined : 'the dispatch queue is not running';
        });
      }
      const ready = checks.every((c) => c.ok);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
    },
  );
};
