/**
 * A replica cap by carbon intensity, for autoscaled workloads (a KEDA ScaledObject, a Deployment's HPA): the
 * cleaner the grid, the more replicas may run. The bands follow the carbon-aware KEDA operator: sorted by
 * threshold, a band holds the intensities above the threshold before it and up to its own
 * (`lower < ci <= upper`), and an intensity above the last threshold takes the last band's cap. Unlike that
 * operator, the first band holds everything up to its threshold, zero and below included (there, an intensity
 * of exactly 0 fell through to the last, dirtiest band). Without an intensity the cap is the fallback. Pure.
 */

export interface ReplicaBand {
  /** g/kWh: the band holds intensities up to and including this */
  threshold: number;
  maxReplicas: number;
}

export interface ReplicaCap {
  maxReplicas: number;
  /** the band used (in threshold order), or null for the fallback */
  band: { index: number; lower: number | null; upper: number | null } | null;
  reason: string;
}

/** The bands in threshold order; thresholds must be distinct (the configuration checks it). */
export function sortedBands(bands: readonly ReplicaBand[]): ReplicaBand[] {
  return [...bands].sort((a, b) => a.threshold - b.threshold);
}

/** The cap for the intensity `ci` (null or NaN: unknown) given bands in threshold order. */
export function replicaCap(
  ci: number | null,
  bands: readonly ReplicaBand[],
  fallbackMaxReplicas: number,
): ReplicaCap {
  if (ci === null || !Number.isFinite(ci) || bands.length === 0)
    return {
      maxReplicas: fallbackMaxReplicas,
      band: null,
      reason: `no carbon intensity now: the fallback cap of ${fallbackMaxReplicas}`,
    };
  let index = bands.findIndex((b) => ci <= b.threshold);
  const above = index < 0;
  if (above) index = bands.length - 1;
  const lower = index > 0 ? bands[index - 1].threshold : null;
  const upper = above ? null : bands[index].threshold;
  const { maxReplicas } = bands[index];
  const where = above
    ? `above the last threshold (${bands[index].threshold} g/kWh)`
    : lower === null
      ? `at or below ${upper} g/kWh`
      : `above ${lower} and at or below ${upper} g/kWh`;
  return {
    maxReplicas,
    band: { index, lower: above ? bands[index].threshold : lower, upper },
    reason: `${round(ci)} g/kWh is ${where}: at most ${maxReplicas} replicas`,
  };
}

const round = (x: number) => Math.round(x * 10) / 10;
