import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { GridshiftClient } from '../../src/client/index.ts';
import { type Trouble, troubleOf, useSession } from './session.ts';

/**
 * What a page reads from the API, kept with its trouble: `read` (again) aborts a read still under way, a
 * 401 hands over to the sign-in box, any other failure is kept for the page to show beside the last data
 * it had. `load` gets the client and an abort signal; it may make several requests.
 */
export interface ApiRead<T> {
  data: T | null;
  trouble: Trouble | null;
  read: () => Promise<void>;
}

export interface ApiReadOptions {
  /** read again this often (ms) */
  refreshMs?: number;
  /**
   * start the first read in a layout effect: right after the first render, not a frame later (the landing
   * page's first figures come sooner); the same for the life of the component
   */
  early?: boolean;
}

export function useApiRead<T>(
  load: (client: GridshiftClient, signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
  options: ApiReadOptions = {},
): ApiRead<T> {
  const session = useSession();
  const [data, setData] = useState<T | null>(null);
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const reading = useRef<AbortController | null>(null);
  const read = useCallback(async () => {
    reading.current?.abort();
    const abort = new AbortController();
    reading.current = abort;
    try {
      const next = await load(session.client, abort.signal);
      if (abort.signal.aborted) return;
      setData(next);
      setTrouble(null);
    } catch (err) {
      if (abort.signal.aborted) return;
      const t = troubleOf(err);
      if (t.kind === 'unauthorized') session.needToken(t.message);
      else setTrouble(t);
    }
  }, [session, ...deps]);
  const start = options.early ? useLayoutEffect : useEffect;
  const { refreshMs } = options;
  start(() => {
    void read();
    const timer = refreshMs ? setInterval(read, refreshMs) : undefined;
    return () => {
      clearInterval(timer);
      reading.current?.abort();
    };
  }, [read, refreshMs]);
  return { data, trouble, read };
}

/**
 * An action that changes something on the server (pause, retry, purge ...): while it runs, `busy` names it;
 * its refusal is kept as a plain message (a 403 says which scope the route needs), never a sign-in prompt
 * that would hide the page.
 */
export interface ApiAction {
  busy: string | null;
  trouble: Trouble | null;
  done: string | null;
  run: (name: string, action: (client: GridshiftClient) => Promise<string>) => Promise<boolean>;
}

export function useApiAction(): ApiAction {
  const session = useSession();
  const [busy, setBusy] = useState<string | null>(null);
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const run = useCallback(
    async (name: string, action: (client: GridshiftClient) => Promise<string>) => {
      setBusy(name);
      setTrouble(null);
      setDone(null);
      try {
        setDone(await action(session.client));
        return true;
      } catch (err) {
        setTrouble(troubleOf(err));
        return false;
      } finally {
        setBusy(null);
      }
    },
    [session],
  );
  return { busy, trouble, done, run };
}
