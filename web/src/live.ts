import { useEffect, useRef, useState } from 'preact/hooks';
import { GridshiftApiError, type GridshiftClient, type ServerEvent } from '../../src/client/index.ts';

/**
 * The server's events (GET /v1/events) while a page is open. The stream is read with fetch, not
 * EventSource, because EventSource cannot send the Authorization header. It reconnects after a drop;
 * events are not replayed, so `onEvent(null)` tells the page to re-read what it shows.
 */

export type LiveState = 'connecting' | 'live' | 'reconnecting' | 'off';

const RETRY_MS = 5_000;

/** The state of the stream in words, for the line a page shows at its bottom. */
export const LIVE_TEXT: Record<LiveState, string> = {
  connecting: 'Live updates: connecting…',
  live: 'Live updates: on',
  reconnecting: 'Live updates: the connection dropped, reconnecting…',
  off: 'Live updates: off (this server sends no events)',
};

export function useLiveEvents(
  client: GridshiftClient,
  onEvent: (event: ServerEvent | null) => void,
): LiveState {
  const [state, setState] = useState<LiveState>('connecting');
  const handler = useRef(onEvent);
  handler.current = onEvent;
  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let opened = false;
    const run = async () => {
      try {
        for await (const event of client.events({
          signal: abort.signal,
          onOpen: () => {
            setState('live');
            // what happened while the stream was down is not replayed: read it again
            if (opened) handler.current(null);
            opened = true;
          },
        }))
          handler.current(event);
      } catch (err) {
        if (abort.signal.aborted) return;
        // a server without a scheduler has no events; a refused token is the page's to show
        if (err instanceof GridshiftApiError && [401, 403, 503].includes(err.status)) {
          setState('off');
          return;
        }
      }
      if (abort.signal.aborted) return;
      setState('reconnecting');
      timer = setTimeout(run, RETRY_MS);
    };
    void run();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [client]);
  return state;
}
