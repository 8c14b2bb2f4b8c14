import type { GatewayConfig, GatewayTier } from '../../core/openai-config.ts';
import type { SignalDeps } from '../../signals/zone-grids.ts';
import { OpenAiError } from './errors.ts';
import { modelTargets, routeModel, tierOfModel, tierTargets, type UpstreamTarget } from './models.ts';
import { decideTier } from './tier.ts';
import { type SendOptions, sendToUpstreams, type UpstreamAnswer, upstreamError } from './upstream.ts';

/**
 * The gateway's one path from a request's `model` to an upstream answer, for the routes (answered now,
 * streamed or not) and for batches run in their window alike: resolve the model (auto -> the tier
 * decision; an alias; a model by name), then send to the upstreams that serve it.
 */

/** The endpoints the gateway forwards, by the path a batch line names and the upstream path. */
export const ENDPOINTS = {
  '/v1/chat/completions': '/chat/completions',
  '/v1/completions': '/completions',
} as const;
export type GatewayEndpoint = keyof typeof ENDPOINTS;

export interface Resolution {
  targets: UpstreamTarget[];
  /** the tier the request went to; null for a model outside the tiers */
  tier: GatewayTier | null;
  /** how: `signal` / `fail-open` (auto), `alias` (a fixed tier), `model` (a model by name) */
  decision: 'signal' | 'fail-open' | 'alias' | 'model';
  reason: string;
}

export async function resolveModel(
  deps: SignalDeps,
  gateway: GatewayConfig,
  requested: string,
  options: { nowMs: number; solarKw?: number },
): Promise<Resolution> {
  const route = routeModel(gateway, requested);
  if (route.kind === 'auto') {
    const d = await decideTier(deps, gateway, options.nowMs, options.solarKw);
    return { targets: tierTargets(gateway, d.tier), tier: d.tier, decision: d.basis, reason: d.reason };
  }
  if (route.kind === 'tier')
    return {
      targets: tierTargets(gateway, route.tier),
      tier: route.tier,
      decision: 'alias',
      reason: `${requested} names the ${route.tier} tier`,
    };
  return {
    targets: modelTargets(gateway, route.model),
    tier: tierOfModel(gateway, route.model),
    decision: 'model',
    reason: `${requested} names a model`,
  };
}

/** Resolves and sends; an upstream's error answer is thrown as the gateway's OpenAiError. */
export async function forward(
  deps: SignalDeps,
  gateway: GatewayConfig,
  endpoint: GatewayEndpoint,
  body: Record<string, unknown>,
  options: SendOptions & { nowMs: number; solarKw?: number; onResolved?: (r: Resolution) => void },
): Promise<{ resolution: Resolution; answer: UpstreamAnswer }> {
  if (typeof body.model !== 'string' || body.model === '')
    throw new OpenAiError(400, 'model: a model name is required (auto chooses the tier)', { param: 'model' });
  const resolution = await resolveModel(deps, gateway, body.model, options);
  options.onResolved?.(resolution);
  const answer = await sendToUpstreams(resolution.targets, ENDPOINTS[endpoint], body, options);
  if (!answer.response.ok) throw await upstreamError(answer);
  return { resolution, answer };
}

/** One request answered whole (a batch line): the status and JSON body, or an OpenAI error. */
export async function completeOnce(
  deps: SignalDeps,
  gateway: GatewayConfig,
  endpoint: GatewayEndpoint,
  body: Record<string, unknown>,
  options: SendOptions & { nowMs: number },
): Promise<{ status: number; body: unknown; requestId: string | null; tier: GatewayTier | null }> {
  // a batch is answered whole: a stream would only have to be put together again
  const { resolution, answer } = await forward(deps, gateway, endpoint, { ...body, stream: false }, options);
  const text = await answer.response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new OpenAiError(
      502,
      `upstream ${answer.target.upstream.name} answered with a body that is not JSON`,
      {
        code: 'upstream_error',
      },
    );
  }
  return {
    status: answer.response.status,
    body: parsed,
    requestId: answer.response.headers.get('x-request-id'),
    tier: resolution.tier,
  };
}
