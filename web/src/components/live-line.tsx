import { LIVE_TEXT, type LiveState } from '../live.ts';
import { LOCAL_TIME_ZONE, localTime } from '../local-time.ts';

/** Whether the page follows the server's events, and when it last read, in the browser's time zone. */
export function LiveLine(props: { state: LiveState; at: string }) {
  return (
    <p class="live" aria-live="polite" data-testid="live-state" data-state={props.state}>
      {LIVE_TEXT[props.state]} · read at {localTime(props.at)} ({LOCAL_TIME_ZONE})
    </p>
  );
}
