import { useEffect, useRef } from 'preact/hooks';
import type { Load, LoadAccounting } from '../../../src/client/index.ts';

/**
 * A load's accounting is written just after it succeeds, and no event says so: while a load that
 * succeeded has none yet, read again a little later, a few times (a load whose zone had no carbon data
 * keeps none).
 */

const FOLLOW_UP_MS = 2_000;
const FOLLOW_UPS = 5;

export function awaitsAccounting(load: Load, accounting: LoadAccounting | null | undefined): boolean {
  return load.state === 'succeeded' && accounting === null;
}

export function useAccountingFollowUp(waiting: boolean, read: () => void): void {
  const done = useRef(0);
  useEffect(() => {
    if (!waiting) {
      done.current = 0;
      return;
    }
    if (done.current >= FOLLOW_UPS) return;
    const timer = setTimeout(() => {
      done.current++;
      read();
    }, FOLLOW_UP_MS);
    return () => clearTimeout(timer);
  });
}
