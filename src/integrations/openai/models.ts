import type { GatewayConfig, GatewayTier, GatewayUpstream } from '../../core/openai-config.ts';
import { OpenAiError } from './errors.ts';

/**
 * What a request's `model` names, resolved against the gateway's configuration: `auto` (or an alias of it)
 * asks for the tier decision; `large` or `small` (or an alias of one) for that tier; anything else for an
 * upstream model by name. Pure: no signals, no I/O.
 */

export type ModelRoute =
  | { kind: 'auto'; requested: string }
  | { kind: 'tier'; tier: GatewayTier; requested: string }
  | { kind: 'model'; model: string; requested: string };

/** Where one request can go: an upstream and the model name it knows. In failover order. */
export interface UpstreamTarget {
  upstream: GatewayUpstream;
  model: string;
}

export function routeModel(config: GatewayConfig, requested: string): ModelRoute {
  const aliased = config.aliases[requested] ?? requested;
  if (aliased === 'auto') return { kind: 'auto', requested };
  if (aliased === 'large' || aliased === 'small') return { kind: 'tier', tier: aliased, requested };
  return { kind: 'model', model: aliased, requested };
}

/** The upstreams serving a tier, in configuration order. */
export function tierTargets(config: GatewayConfig, tier: GatewayTier): UpstreamTarget[] {
  return config.upstreams.flatMap((u) => (u.tiers[tier] ? [{ upstream: u, model: u.tiers[tier] }] : []));
}

/** The upstreams serving a model by name; a 404 naming the models there are when none does. */
export function modelTargets(config: GatewayConfig, model: string): UpstreamTarget[] {
  const targets = config.upstreams.flatMap((u) =>
    Object.values(u.tiers).includes(model) || u.models.includes(model) ? [{ upstream: u, model }] : [],
  );
  if (targets.length === 0)
    throw new OpenAiError(
      404,
      `The model \`${model}\` does not exist here: use one of ${modelNames(config).join(', ')}`,
      { code: 'model_not_found', param: 'model' },
    );
  return targets;
}

/** The tier a model name belongs to, when an upstream lists it as one. */
export function tierOfModel(config: GatewayConfig, model: string): GatewayTier | null {
  for (const u of config.upstreams)
    for (const tier of ['large', 'small'] as const) if (u.tiers[tier] === model) return tier;
  return null;
}

/** Every name a client may send as `model`: the aliases (auto first), then the upstreams' models. */
export function modelNames(config: GatewayConfig): string[] {
  const names = new Set<string>(Object.keys(config.aliases));
  for (const u of config.upstreams) {
    for (const m of Object.values(u.tiers)) if (m) names.add(m);
    for (const m of u.models) names.add(m);
  }
  return [...names];
}
