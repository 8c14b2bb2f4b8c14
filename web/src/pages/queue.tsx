import { useEffect, useRef, useState } from 'preact/hooks';
import type { GridshiftClient, Load, RecurringLoad, SchedulerStatus } from '../../../src/client/index.ts';
import { ActionNotice } from '../components/action-notice.tsx';
import { LiveLine } from '../components/live-line.tsx';
import { ScrollRegion } from '../components/scroll-region.tsx';
import { TroubleNotice } from '../components/trouble-notice.tsx';
import { useLiveEvents } from '../live.ts';
import { LOCAL_TIME_ZONE, localTime } from '../local-time.ts';
import { useSession } from '../session.ts';
import { useApiAction, useApiRead } from '../use-read.ts';
import './pages.css';

/**
 * The queue: how many loads wait, run and are dead; the dead letters, each with a retry, and the purge of
 * old finished loads; the scheduler's pause switch and its planner runs; the recurring loads. The
 * server's events (a load changing state) make it read again; the pause switch has no event, so the
 * page also reads every 30 seconds.
 */

const REFRESH_MS = 30_000;
const SETTLE_MS = 250;
const DEAD_SHOWN = 100;
const COUNTED = ['waiting', 'running', 'dead'] as const;
const OTHERS = ['planned', 'failed', 'succeeded', 'cancelled'] as const;

interface QueueData {
  status: SchedulerStatus;
  dead: Load[];
  moreDead: boolean;
  recurring: RecurringLoad[];
}

async function readQueue(client: GridshiftClient, signal: AbortSignal): Promise<QueueData> {
  const [status, dead, recurring] = await Promise.all([
    client.scheduler.status({ signal }),
    client.loads.list({ state: 'dead', limit: DEAD_SHOWN }, { signal }),
    client.recurring.list({}, { signal }),
  ]);
  return { status, dead: dead.loads, moreDead: dead.nextCursor !== null, recurring: recurring.recurring };
}

export function QueuePage() {
  const session = useSession();
  const { data, trouble, read } = useApiRead(readQueue, []);
  const action = useApiAction();

  const settle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const live = useLiveEvents(session.client, (event) => {
    if (event && event.type !== 'load.state' && event.type !== 'load.planned') return;
    clearTimeout(settle.current);
    settle.current = setTimeout(read, SETTLE_MS);
  });
  useEffect(() => {
    const timer = setInterval(read, REFRESH_MS);
    return () => {
      clearInterval(timer);
      clearTimeout(settle.current);
    };
  }, [read]);

  const act = async (name: string, fn: (client: GridshiftClient) => Promise<string>) => {
    if (await action.run(name, fn)) await read();
  };

  if (!data)
    return (
      <section aria-labelledby="page-title" aria-busy={!trouble}>
        <h1 id="page-title">Queue</h1>
        {trouble ? (
          <TroubleNotice trouble={trouble} onRetry={read} />
        ) : (
          <p class="skeleton">Reading the queue…</p>
        )}
      </section>
    );
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">Queue</h1>
      {trouble && <TroubleNotice trouble={trouble} onRetry={read} />}
      <Counts status={data.status} />
      <SchedulerSwitch status={data.status} busy={action.busy !== null} act={act} />
      <ActionNotice action={action} needs="the write scope (admin for pause, resume and purge)" />
      <DeadLetters data={data} busy={action.busy !== null} act={act} />
      <Purge busy={action.busy !== null} act={act} />
      <Recurring recurring={data.recurring} />
      <LiveLine state={live} at={data.status.updatedAt} />
    </section>
  );
}

type Act = (name: string, fn: (client: GridshiftClient) => Promise<string>) => Promise<void>;

function Counts({ status }: { status: SchedulerStatus }) {
  const n = (state: string) => status.loads[state] ?? 0;
  return (
    <>
      <div class="figures" data-testid="queue-counts">
        {COUNTED.map((state) => (
          <div class="figure" key={state}>
            <h2>{state[0]?.toUpperCase() + state.slice(1)}</h2>
            <p class="big" data-testid={`count-${state}`}>
              {n(state)}
            </p>
          </div>
        ))}
      </div>
      <p class="hint">{OTHERS.map((s) => `${s}: ${n(s)}`).join(' · ')}</p>
    </>
  );
}

function SchedulerSwitch(props: { status: SchedulerStatus; busy: boolean; act: Act }) {
  const { status, act } = props;
  const [reason, setReason] = useState('');
  const pause = () =>
    act('Pausing', async (c) => {
      const s = await c.scheduler.pause(reason.trim() ? { reason: reason.trim() } : {});
      setReason('');
      return `Paused at ${localTime(s.pausedAt)}.`;
    });
  const resume = () =>
    act('Resuming', async (c) => {
      await c.scheduler.resume();
      return 'Resumed: loads are dispatched again.';
    });
  return (
    <section class="page-part" aria-labelledby="scheduler-title">
      <h2 id="scheduler-title">Scheduler</h2>
      <p data-testid="scheduler-state">
        {status.paused
          ? `Paused since ${localTime(status.pausedAt)}${status.pausedReason ? ` (${status.pausedReason})` : ''}: nothing new is dispatched; running loads finish.`
          : 'Running: loads are dispatched at their planned start.'}
      </p>
      <p data-testid="planner-runs">
        Planner: last run {localTime(status.lastPlannerRun, 'never')}, next run{' '}
        {status.paused ? '(paused)' : localTime(status.nextPlannerRun, 'not scheduled')} ({LOCAL_TIME_ZONE})
      </p>
      {status.paused ? (
        <button type="button" disabled={props.busy} onClick={resume}>
          Resume the scheduler
        </button>
      ) : (
        <form
          class="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void pause();
          }}
        >
          <label for="pause-reason">Reason (optional)</label>
          <input
            id="pause-reason"
            type="text"
            maxLength={500}
            value={reason}
            onInput={(event) => setReason((event.target as HTMLInputElement).value)}
          />
          <button type="submit" disabled={props.busy}>
            Pause the scheduler
          </button>
        </form>
      )}
    </section>
  );
}

function DeadLetters(props: { data: QueueData; busy: boolean; act: Act }) {
  const { dead, moreDead } = props.data;
  const retry = (load: Load) =>
    props.act(`Retrying ${load.name}`, async (c) => {
      const { load: next } = await c.loads.retry(load.id);
      return `${next.name} is ${next.state} again (attempt ${next.attempt + 1} queued).`;
    });
  return (
    <section class="page-part" aria-labelledby="dead-title">
      <h2 id="dead-title">Dead letters</h2>
      {dead.length === 0 ? (
        <p data-testid="no-dead">No dead load: every load that ran out of retries has been dealt with.</p>
      ) : (
        <ScrollRegion label="Dead loads">
          <table data-testid="dead-loads">
            <caption>Loads whose retries ran out{moreDead ? ` (the newest ${DEAD_SHOWN})` : ''}</caption>
            <thead>
              <tr>
                <th scope="col" class="left">
                  Load
                </th>
                <th scope="col" class="left">
                  Zone
                </th>
                <th scope="col">Attempts</th>
                <th scope="col">Died</th>
                <th scope="col" class="left">
                  Last error
                </th>
                <th scope="col">
                  <span class="visually-hidden">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {dead.map((l) => (
                <tr key={l.id}>
                  <th scope="row">{l.name}</th>
                  <td class="left">{l.plan?.zone ?? l.zones[0] ?? '–'}</td>
                  <td>{l.attempt}</td>
                  <td>{localTime(l.stateChangedAt)}</td>
                  <td class="wrap">{l.lastError ?? '–'}</td>
                  <td>
                    <button
                      type="button"
                      disabled={props.busy}
                      aria-label={`Retry ${l.name}`}
                      onClick={() => retry(l)}
                    >
                      Retry
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}

function Purge(props: { busy: boolean; act: Act }) {
  const [days, setDays] = useState('30');
  const purge = () =>
    props.act('Purging', async (c) => {
      const { purged } = await c.loads.purge({ olderThanDays: Number(days) });
      return `Purged ${purged} finished load${purged === 1 ? '' : 's'}.`;
    });
  return (
    <section class="page-part" aria-labelledby="purge-title">
      <h2 id="purge-title">Purge</h2>
      <p>
        Deletes the succeeded, dead and cancelled loads (and their history) last changed longer ago than this.
        Reports keep what they ran and saved; the decision log keeps their entries.
      </p>
      <form
        class="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          void purge();
        }}
      >
        <label for="purge-days">Older than (days)</label>
        <input
          id="purge-days"
          type="number"
          min="0.01"
          step="any"
          required
          value={days}
          onInput={(event) => setDays((event.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={props.busy}>
          Purge finished loads
        </button>
      </form>
    </section>
  );
}

function Recurring({ recurring }: { recurring: RecurringLoad[] }) {
  return (
    <section class="page-part" aria-labelledby="recurring-title">
      <h2 id="recurring-title">Recurring loads</h2>
      {recurring.length === 0 ? (
        <p>
          No recurring load (submit one with a <code>recurrence</code>).
        </p>
      ) : (
        <ScrollRegion label="Recurring loads">
          <table data-testid="recurring-loads">
            <thead>
              <tr>
                <th scope="col">Load</th>
                <th scope="col">Schedule (cron)</th>
                <th scope="col">Time zone</th>
                <th scope="col">Flexibility</th>
                <th scope="col">Newest occurrence</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {recurring.map((r) => (
                <tr key={r.id}>
                  <th scope="row">{r.name}</th>
                  <td>
                    <code>{r.cron}</code>
                  </td>
                  <td>{r.timeZone}</td>
                  <td>{r.flexMin} min</td>
                  <td>{localTime(r.lastNominal, 'none yet')}</td>
                  <td>{r.active ? 'active' : `stopped ${localTime(r.cancelledAt)}`}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}
