import { z } from 'zod';
import { resolveZone } from './zones.ts';

/**
 * `openai` in the configuration file: the OpenAI-compatible gateway at /openai/v1. Which upstream servers
 * (Ollama, vLLM, any OpenAI-compatible server) answer, which of their models is the large and which the
 * small tier, the aliases clients may name as `model`, the zone whose grid decides the tier, and what a
 * deferred request or batch counts as when it is planned as a load. API keys of upstreams come only from
 * the environment: the file names the variable (`apiKeyEnv`), never the key.
 */

export type GatewayTier = 'large' | 'small';

export interface GatewayUpstream {
  name: string;
  /** the server's OpenAI base URL, ending before /chat/completions (e.g. http://127.0.0.1:11434/v1) */
  baseUrl: string;
  /** the environment variable holding the key sent as `Authorization: Bearer`; none: no header */
  apiKeyEnv?: string;
  /** the upstream's model for each tier it serves */
  tiers: Partial<Record<GatewayTier, string>>;
  /** further models it serves under their own names */
  models: string[];
  /** how long to wait for the headers of its answer (a stream may then run longer), ms */
  timeoutMs: number;
}

/** How the tier is chosen (the rules of chooseModelTier, src/planner/decide.ts). */
export interface GatewayTierRules {
  carbonBelow: number;
  belowForecastMean: boolean;
  priceBelow?: number;
  minSolarKw: number;
  /** hours the forecast mean covers */
  forecastHours: number;
}

export interface GatewayConfig {
  /** zone code whose signals decide the tier and where deferred work is planned */
  zone: string;
  /** the tier when no signal can be read (fail open) */
  defaultTier: GatewayTier;
  rules: GatewayTierRules;
  upstreams: GatewayUpstream[];
  /** model names clients may send: `auto`, a tier (`large`, `small`) or an upstream model */
  aliases: Record<string, string>;
  /** what a deferred request or a batch is as a load */
  deferred: { powerKw: number; durationMin: number; maxDeadlineHours: number };
}

const tierName = z.enum(['large', 'small'], { message: 'must be large or small' });
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

const upstreamSchema = z.strictObject({
  name: z.string().min(1).max(64).optional(),
  baseUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }),
  apiKeyEnv: z.string().regex(ENV_NAME, 'must be an environment variable name (A-Z, 0-9, _)').optional(),
  tiers: z
    .strictObject({ large: z.string().min(1).optional(), small: z.string().min(1).optional() })
    .optional(),
  models: z.array(z.string().min(1)).optional(),
  timeout: z.number().positive().max(3600).optional().describe('seconds'),
});

export const gatewaySchema = z.strictObject({
  zone: z.string().min(1),
  defaultTier: tierName.optional(),
  tier: z
    .strictObject({
      carbonBelow: z.number().positive().optional(),
      belowForecastMean: z.boolean().optional(),
      priceBelow: z.number().optional(),
      minSolarKw: z.number().min(0).optional(),
      forecastHours: z.number().positive().max(72).optional(),
    })
    .optional(),
  upstreams: z.array(upstreamSchema).min(1, 'give at least one upstream { baseUrl, tiers }'),
  aliases: z.record(z.string().min(1), z.string().min(1)).optional(),
  deferred: z
    .strictObject({
      powerKw: z.number().positive().max(1e6).optional(),
      durationMin: z
        .number()
        .positive()
        .max(7 * 1440)
        .optional(),
      maxDeadlineHours: z
        .number()
        .positive()
        .max(7 * 24)
        .optional(),
    })
    .optional(),
});

export const DEFAULT_UPSTREAM_TIMEOUT_MS = 600_000;

/** The gateway section, checked: the zone known, upstream names unique, every tier served somewhere. */
export function readGateway(
  raw: z.infer<typeof gatewaySchema>,
  fail: (keyPath: string, message: string) => never,
): GatewayConfig {
  let zone: string;
  try {
    zone = resolveZone(raw.zone).code;
  } catch (err) {
    fail('openai.zone', (err as Error).message.replace(/^zone: /, ''));
  }
  const names = new Set<string>();
  const upstreams = raw.upstreams.map((u, i): GatewayUpstream => {
    const name = u.name ?? `upstream${i + 1}`;
    if (names.has(name)) fail(`openai.upstreams[${i}].name`, `two upstreams are named "${name}"`);
    names.add(name);
    return {
      name,
      baseUrl: u.baseUrl.replace(/\/+$/, ''),
      ...(u.apiKeyEnv ? { apiKeyEnv: u.apiKeyEnv } : {}),
      tiers: { ...u.tiers },
      models: u.models ?? [],
      timeoutMs: (u.timeout ?? DEFAULT_UPSTREAM_TIMEOUT_MS / 1000) * 1000,
    };
  });
  for (const tier of ['large', 'small'] as const)
    if (!upstreams.some((u) => u.tiers[tier]))
      fail('openai.upstreams', `no upstream serves the ${tier} tier: give tiers.${tier} on one of them`);
  const aliases = { auto: 'auto', ...raw.aliases };
  return {
    zone,
    defaultTier: raw.defaultTier ?? 'large',
    rules: {
      carbonBelow: raw.tier?.carbonBelow ?? 200,
      belowForecastMean: raw.tier?.belowForecastMean ?? true,
      ...(raw.tier?.priceBelow !== undefined ? { priceBelow: raw.tier.priceBelow } : {}),
      minSolarKw: raw.tier?.minSolarKw ?? 0.5,
      forecastHours: raw.tier?.forecastHours ?? 24,
    },
    upstreams,
    aliases,
    deferred: {
      powerKw: raw.deferred?.powerKw ?? 0.5,
      durationMin: raw.deferred?.durationMin ?? 15,
      maxDeadlineHours: raw.deferred?.maxDeadlineHours ?? 7 * 24,
    },
  };
}
