import { useEffect, useState } from 'preact/hooks';
import type { Dashboard } from '../../../src/client/index.ts';
import { type Trouble, troubleOf, useSession } from '../session.ts';

/**
 * A zone's signals around a plan, for its chart: GET /v1/dashboard (the Now page's route) over the hours
 * from `fromMs` (at most 48 h back) to `toMs` (at most 168 h ahead). A newer ask aborts the older one.
 */

const HOUR_MS = 3_600_000;

export function useZoneSignals(
  zone: string | undefined,
  fromMs: number,
  toMs: number,
): { dashboard: Dashboard | null; trouble: Trouble | null } {
  const { client } = useSession();
  const [dashboard, setDashboard] = useState<Dashboard | null>(null);
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const nowMs = Date.now();
  const pastHours = Math.min(48, Math.max(1, Math.ceil((nowMs - fromMs) / HOUR_MS) + 1));
  const hours = Math.min(168, Math.max(6, Math.ceil((toMs - nowMs) / HOUR_MS) + 1));
  useEffect(() => {
    const abort = new AbortController();
    client.dashboard.get({ ...(zone ? { zone } : {}), hours, pastHours }, { signal: abort.signal }).then(
      (d) => {
        setDashboard(d);
        setTrouble(null);
      },
      (err) => {
        if (!abort.signal.aborted) setTrouble(troubleOf(err));
      },
    );
    return () => abort.abort();
  }, [client, zone, hours, pastHours]);
  return { dashboard, trouble };
}
