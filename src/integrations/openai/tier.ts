import type { GatewayConfig, GatewayTier } from '../../core/openai-config.ts';
import { resolveZone } from '../../core/zones.ts';
import { modelTierNow } from '../../runner/model-tier.ts';
import type { SignalDeps } from '../../signals/zone-grids.ts';

/**
 * The tier `auto` resolves to now: the existing tier decision (modelTierNow: carbon now and against its
 * forecast mean, price, local solar) on the gateway's zone with its rules. Fails open: when no signal
 * can be read (or reading fails) it is the configured default tier, and says so.
 */

export interface TierDecision {
  tier: GatewayTier;
  reason: string;
  /** `signal`: decided on signals; `fail-open`: no signal, the default tier */
  basis: 'signal' | 'fail-open';
  source: string | null;
}

export async function decideTier(
  deps: SignalDeps,
  gateway: GatewayConfig,
  nowMs: number,
  solarKw?: number,
): Promise<TierDecision> {
  const failOpen = (why: string): TierDecision => ({
    tier: gateway.defaultTier,
    reason: `${why}: the default tier ${gateway.defaultTier} (fail-open)`,
    basis: 'fail-open',
    source: null,
  });
  try {
    const now = await modelTierNow(
      deps,
      resolveZone(gateway.zone),
      { ...gateway.rules, ...(solarKw !== undefined ? { solarKw } : {}) },
      nowMs,
    );
    if (now.failOpen) return failOpen(`no usable signal for ${gateway.zone}`);
    return { tier: now.tier, reason: now.reason, basis: 'signal', source: now.source };
  } catch (err) {
    return failOpen(`no signal for ${gateway.zone} (${err instanceof Error ? err.message : String(err)})`);
  }
}
