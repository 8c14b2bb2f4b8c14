import { Readable } from 'node:stream';
import type { FastifyError, FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { Counter, type Registry } from 'prom-client';
import { z } from 'zod';
import type { GatewayConfig } from '../../core/openai-config.ts';
import { type BatchDeps, batchOf, deferRequest } from '../../integrations/openai/batches.ts';
import { invalidRequest, OpenAiError } from '../../integrations/openai/errors.ts';
import { forward, type GatewayEndpoint, type Resolution } from '../../integrations/openai/gateway.ts';
import { modelNames, type UpstreamTarget } from '../../integrations/openai/models.ts';
import { batchObject } from '../../integrations/openai/views.ts';
import type { ApiContext } from '../context.ts';
import { toProblem } from '../plugins/errors.ts';
import { openaiBatchRoutes } from './openai-batches.ts';

/**
 * The OpenAI-compatible gateway at /openai/v1: chat completions and completions (streamed or not) sent to
 * the configured upstreams, `auto` resolved to the large or small tier by the grid now; requests with
 * `x-gridshift-deadline` and batches (Files and Batch API) run as loads in their clean window. Errors
 * answer in OpenAI's shape. Only registered when the configuration has an `openai` section.
 */

export const DEADLINE_HEADER = 'x-gridshift-deadline';
export const SOLAR_HEADER = 'x-gridshift-solar-kw';
export const TIER_HEADER = 'x-gridshift-tier';
/** Largest completion request body, bytes: long conversations are larger than the API's 1 MiB default. */
export const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

const model = z.string().min(1).max(256).describe('a model, an alias, `large`, `small` or `auto`');

const chatBody = z
  .looseObject({
    model,
    messages: z.array(z.looseObject({ role: z.string().min(1) })).min(1),
    stream: z.boolean().optional(),
  })
  .describe('an OpenAI chat completion request; fields besides these pass through to the upstream');

const completionBody = z
  .looseObject({
    model,
    prompt: z.union([z.string(), z.array(z.string()), z.array(z.number()), z.array(z.array(z.number()))]),
    stream: z.boolean().optional(),
  })
  .describe('an OpenAI (legacy) completion request; fields besides these pass through to the upstream');

const gatewayHeaders = z.looseObject({
  [DEADLINE_HEADER]: z
    .string()
    .optional()
    .describe('defer the request: a duration (PT6H, 6h) or ISO-8601 time; answered as a batch'),
  [SOLAR_HEADER]: z.string().optional().describe('your local solar output now, kW, for the tier decision'),
});

/** Header values are ASCII: reasons are shown as they are, with anything else replaced. */
const ascii = (text: string) => text.replace(/[^\x20-\x7e]/g, ' ');

export const openaiRoutes: FastifyPluginAsyncZod<{
  ctx: ApiContext;
  gateway: GatewayConfig;
  metricsRegistry?: Registry;
}> = async (app, { ctx, gateway, metricsRegistry }) => {
  const requests = new Counter({
    name: 'gridshift_openai_requests_total',
    help:
      'Requests to the OpenAI-compatible gateway by endpoint, tier (large, small; none for a model outside ' +
      'the tiers), how the tier was chosen (signal, fail-open, alias, model) and outcome (ok, error, deferred)',
    labelNames: ['endpoint', 'tier', 'decision', 'outcome'],
    registers: metricsRegistry ? [metricsRegistry] : [],
  });

  const batchDeps = (): BatchDeps => ({
    store: ctx.store,
    scheduler: () => ctx.scheduler(),
    gateway,
    nowMs: ctx.nowMs,
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err instanceof OpenAiError) return reply.code(err.status).send(err.body());
    const problem = toProblem(err, request);
    if (problem.status >= 500) request.log.error({ err }, 'openai gateway error');
    if (problem.headers) reply.headers(problem.headers);
    const field = problem.errors?.[0]?.path.replace(/^(body|query|params|headers)\.?/, '') || null;
    // OpenAI names a field by its name in the body (`messages`), not by where it is (`body.messages`)
    const message = (problem.detail ?? problem.title).replace(/(^|; )(?:body|query|params|headers)\./g, '$1');
    const e = new OpenAiError(problem.status, message, {
      param: field,
      code: problem.status === 401 ? 'invalid_api_key' : null,
    });
    return reply.code(problem.status).send(e.body());
  });

  /** The tier headers of an answer. */
  const tierHeaders = (reply: FastifyReply, resolution: Resolution, target: UpstreamTarget) =>
    reply.headers({
      [TIER_HEADER]: resolution.tier ?? 'none',
      'x-gridshift-tier-decision': resolution.decision,
      'x-gridshift-tier-reason': ascii(resolution.reason),
      'x-gridshift-upstream': target.upstream.name,
      'x-gridshift-model': ascii(target.model),
    });

  const solarOf = (value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const kw = Number(value);
    if (!Number.isFinite(kw) || kw < 0)
      throw invalidRequest(SOLAR_HEADER, 'must be a number of kW, 0 or more');
    return kw;
  };

  const complete =
    (endpoint: GatewayEndpoint) =>
    async (
      request: { body: Record<string, unknown>; headers: Record<string, string | string[] | undefined> },
      reply: FastifyReply,
    ) => {
      const label = endpoint.replace('/v1/', '');
      const body = request.body;
      const deadline = request.headers[DEADLINE_HEADER];
      if (typeof deadline === 'string') {
        const batch = await deferRequest(batchDeps(), endpoint, body, deadline);
        requests.inc({ endpoint: label, tier: 'none', decision: 'deferred', outcome: 'deferred' });
        const { load } = await batchOf(batchDeps(), batch.id);
        return reply
          .code(202)
          .header('location', `/openai/v1/batches/${batch.id}`)
          .send(batchObject(batch, load));
      }
      const solar = request.headers[SOLAR_HEADER];
      const abort = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished) abort.abort();
      });
      let resolution: Resolution | undefined;
      try {
        const sent = await forward(ctx, gateway, endpoint, body, {
          nowMs: ctx.nowMs(),
          solarKw: solarOf(typeof solar === 'string' ? solar : undefined),
          signal: abort.signal,
          onResolved: (r) => {
            resolution = r;
          },
        });
        resolution = sent.resolution;
        const { response, target } = sent.answer;
        tierHeaders(reply, sent.resolution, target);
        requests.inc({
          endpoint: label,
          tier: sent.resolution.tier ?? 'none',
          decision: sent.resolution.decision,
          outcome: 'ok',
        });
        const type = response.headers.get('content-type') ?? 'application/json';
        reply.code(response.status).type(type);
        if (body.stream === true && response.body) {
          // passed through as the upstream sends it: each SSE chunk reaches the client when it arrives
          reply.header('cache-control', 'no-cache').header('x-accel-buffering', 'no');
          return reply.send(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream));
        }
        return reply.send(await response.text());
      } catch (err) {
        requests.inc({
          endpoint: label,
          tier: resolution?.tier ?? 'none',
          decision: resolution?.decision ?? 'none',
          outcome: 'error',
        });
        throw err;
      }
    };

  app.post(
    '/openai/v1/chat/completions',
    {
      config: { scope: 'write' },
      bodyLimit: MAX_REQUEST_BYTES,
      schema: {
        tags: ['openai'],
        summary: 'Chat completion through the gateway (OpenAI-compatible)',
        description:
          '`model: auto` (or an alias of it) goes to the large or small tier by the grid now; the tier is in ' +
          "the x-gridshift-tier header. `stream: true` passes the upstream's Server-Sent Events through. " +
          'With x-gridshift-deadline the request is deferred: 202 with a Batch object to poll.',
        body: chatBody,
        headers: gatewayHeaders,
      },
    },
    complete('/v1/chat/completions'),
  );

  app.post(
    '/openai/v1/completions',
    {
      config: { scope: 'write' },
      bodyLimit: MAX_REQUEST_BYTES,
      schema: {
        tags: ['openai'],
        summary: 'Completion through the gateway (OpenAI-compatible)',
        description: 'As /openai/v1/chat/completions, for the legacy completions endpoint.',
        body: completionBody,
        headers: gatewayHeaders,
      },
    },
    complete('/v1/completions'),
  );

  app.get(
    '/openai/v1/models',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['openai'],
        summary: 'Models the gateway answers for',
        description: 'The aliases (auto first) and the models of the upstreams, as OpenAI lists models.',
      },
    },
    async () => ({
      object: 'list',
      data: modelNames(gateway).map((id) => ({
        id,
        object: 'model',
        created: 0,
        owned_by:
          id in gateway.aliases
            ? 'gridshift'
            : (gateway.upstreams.find((u) => Object.values(u.tiers).includes(id) || u.models.includes(id))
                ?.name ?? 'gridshift'),
      })),
    }),
  );

  await app.register(openaiBatchRoutes, { batchDeps });
};
