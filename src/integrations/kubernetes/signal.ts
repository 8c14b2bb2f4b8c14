import { type GridshiftConfig, zoneConfig } from '../../core/config.ts';
import { floorToStep, HOUR_MS } from '../../core/time.ts';
import { isCleanNow } from '../../signals/quality.ts';
import type { SignalRegistry } from '../../signals/registry.ts';
import type { SignalNow } from './rules.ts';

/** A zone's signal now, with where it came from: what the controller's rules decide on and the log records. */
export interface ZoneReading extends SignalNow {
  zone: string;
  at: string;
  carbonSource: string | null;
  priceSource: string | null;
  currency: string | null;
  /** why a value is missing or degraded */
  notes: string[];
}

const STEP_MIN = 30;
const HORIZON_MS = 24 * HOUR_MS;

const finite = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);

/**
 * Carbon intensity and price in the slot holding now, and "clean now?" (the intensity below the mean of the
 * coming 24 hours, as /v1/signals says it). A zone whose sources all fail reads as unknown, which keeps the
 * cluster as it is.
 */
export async function readZone(
  registry: SignalRegistry,
  config: GridshiftConfig,
  zone: string,
  nowMs: number,
): Promise<ZoneReading> {
  const at = new Date(nowMs).toISOString();
  try {
    const s = await registry.getZoneSignals(zone, {
      fromMs: floorToStep(nowMs, STEP_MIN),
      toMs: nowMs + HORIZON_MS,
      nowMs,
      stepMin: STEP_MIN,
      metrics: [zoneConfig(config, zone).metric, 'price'],
      priceRequired: false,
    });
    const carbon = finite(s.carbon.values[0]);
    const price = finite(s.price?.values[0]);
    const clean = carbon === null ? null : isCleanNow(carbon, s.carbon.values).clean;
    return {
      zone,
      at,
      carbon,
      price,
      clean,
      carbonSource: s.carbonSource || null,
      priceSource: s.priceSource ?? null,
      currency: s.currency ?? null,
      notes: [...(s.degraded ?? []), ...s.failures.map((f) => `${f.provider}: ${f.message}`)],
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      zone,
      at,
      carbon: null,
      price: null,
      clean: null,
      carbonSource: null,
      priceSource: null,
      currency: null,
      notes: [`no signal: ${message}`],
    };
  }
}
