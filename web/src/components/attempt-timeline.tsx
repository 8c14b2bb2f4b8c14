import type { LoadEvent } from '../../../src/client/index.ts';
import { timeIn } from '../format.ts';

/**
 * A load's history as a timeline: each state change with its attempt and what happened (queued, started,
 * the dispatch's exit code or HTTP status, the error, who cancelled), and the tail of the newest dispatch
 * output (shell: stdout and stderr; webhook: the response body).
 */

function detailText(e: LoadEvent, timeZone: string): string {
  const d = e.detail as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof d.event === 'string') parts.push(d.event.replace(/_/g, ' '));
  if (typeof d.exitCode === 'number') parts.push(`exit code ${d.exitCode}`);
  if (typeof d.status === 'number') parts.push(`HTTP ${d.status}`);
  if (typeof d.signal === 'string') parts.push(`signal ${d.signal}`);
  if (d.timedOut) parts.push('timed out');
  if (typeof d.durationMs === 'number') parts.push(`ran ${(d.durationMs / 1000).toFixed(1)} s`);
  if (typeof d.startAfter === 'string') parts.push(`to start at ${timeIn(d.startAfter, timeZone, true)}`);
  if (d.runNow) parts.push('run now');
  if (typeof d.reason === 'string') parts.push(`reason: ${d.reason}`);
  for (const key of ['error', 'dispatchError'])
    if (typeof d[key] === 'string') parts.push(`error: ${d[key]}`);
  return parts.join(' · ');
}

export function AttemptTimeline(props: { events: LoadEvent[]; timeZone: string }) {
  const tz = props.timeZone;
  return (
    <ol class="timeline" data-testid="timeline">
      {props.events.map((e) => (
        <li key={e.seq}>
          <time dateTime={e.at}>{timeIn(e.at, tz, true)}</time>{' '}
          <strong>
            {e.from ? `${e.from} → ` : ''}
            {e.to}
          </strong>
          {e.attempt > 0 ? ` (attempt ${e.attempt})` : ''}
          {detailText(e, tz) ? `: ${detailText(e, tz)}` : ''}
        </li>
      ))}
    </ol>
  );
}

/** The newest event that carries dispatch output, and that output. */
export function outputTailOf(events: LoadEvent[]): { attempt: number; text: string } | null {
  for (let i = events.length - 1; i >= 0; i--) {
    const text = (events[i].detail as { outputTail?: unknown }).outputTail;
    if (typeof text === 'string' && text) return { attempt: events[i].attempt, text };
  }
  return null;
}

export function OutputTail(props: { events: LoadEvent[] }) {
  const tail = outputTailOf(props.events);
  if (!tail) return <p>No dispatch output yet.</p>;
  return (
    <figure class="output-tail">
      <figcaption>The end of attempt {tail.attempt}'s output</figcaption>
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling box must be reachable by keyboard to scroll it */}
      <pre data-testid="output-tail" tabIndex={0}>
        {tail.text}
      </pre>
    </figure>
  );
}
