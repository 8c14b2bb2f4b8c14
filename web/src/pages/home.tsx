import { useEffect, useRef } from 'preact/hooks';
import {
  GridshiftApiError,
  type GridshiftClient,
  type HomeHistory,
  type HomePlan,
} from '../../../src/client/index.ts';
import { ActionNotice } from '../components/action-notice.tsx';
import { TroubleNotice } from '../components/trouble-notice.tsx';
import { timeIn, zoneTimeName } from '../format.ts';
import { LIVE_TEXT, useLiveEvents } from '../live.ts';
import { useSession } from '../session.ts';
import { useApiAction, useApiRead } from '../use-read.ts';
import { objectiveText, reasonText } from './home-format.ts';
import { HomeHistorySection } from './home-history.tsx';
import { HomeNow, TodaySavings } from './home-now.tsx';
import { HomePlanSection } from './home-plan.tsx';
import './home.css';

/**
 * The home the service plans ahead: the setpoints of the slot under way, the plan over the horizon (SoC,
 * import and export, PV and load, prices, appliance runs), the last 24 hours planned against the readings,
 * and what today's plans saved against the baseline rule. Two requests fill it (GET /v1/home/plan and
 * /v1/home/history); a `home.setpoints` event or a minute passing makes it read again.
 */

const REFRESH_MS = 60_000;
const SETTLE_MS = 250;
const HISTORY_HOURS = 24;

type HomeView =
  | { state: 'none'; detail: string }
  | { state: 'unsolved'; detail: string }
  | { state: 'planned'; plan: HomePlan; history: HomeHistory };

const failed = (err: unknown, status: number): err is GridshiftApiError =>
  err instanceof GridshiftApiError && err.status === status;

async function readHome(client: GridshiftClient, signal: AbortSignal): Promise<HomeView> {
  const plan = client.home.plan({ signal }).catch((err: unknown) => err);
  const history = client.home.history({ hours: HISTORY_HOURS }, { signal }).catch((err: unknown) => err);
  const [p, h] = await Promise.all([plan, history]);
  if (failed(p, 404)) return { state: 'none', detail: p.problem.detail ?? p.problem.title };
  if (failed(p, 503)) return { state: 'unsolved', detail: p.problem.detail ?? p.problem.title };
  if (p instanceof Error) throw p;
  if (h instanceof Error) throw h;
  return { state: 'planned', plan: p as HomePlan, history: h as HomeHistory };
}

export function HomePage() {
  const session = useSession();
  const { data, trouble, read } = useApiRead(readHome, [], { refreshMs: REFRESH_MS });
  const action = useApiAction();
  const settle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const live = useLiveEvents(session.client, (event) => {
    if (event && event.type !== 'home.setpoints') return;
    clearTimeout(settle.current);
    settle.current = setTimeout(read, SETTLE_MS);
  });
  useEffect(() => () => clearTimeout(settle.current), []);

  const solve = async () => {
    const ok = await action.run('Solving again', async (client) => {
      const r = await client.home.replan();
      return r.solved ? 'Solved again: the plan below is the new one.' : `Not solved again: ${r.reason}.`;
    });
    if (ok) await read();
  };

  if (data?.state !== 'planned')
    return (
      <section aria-labelledby="page-title" aria-busy={!data && !trouble}>
        <h1 id="page-title">Home</h1>
        {trouble && <TroubleNotice trouble={trouble} onRetry={read} />}
        {!data && !trouble && <p class="skeleton">Reading the home's plan…</p>}
        {data?.state === 'none' && <NoHome detail={data.detail} />}
        {data?.state === 'unsolved' && (
          <div class="notice" data-testid="home-unsolved">
            <p>
              <strong>No plan yet.</strong> {data.detail}.
            </p>
            <p>The page shows the plan as soon as the first solve is done.</p>
            <button type="button" onClick={solve} disabled={action.busy !== null}>
              Solve now
            </button>
            <ActionNotice action={action} needs="the write scope" />
          </div>
        )}
      </section>
    );
  const { plan, history } = data;
  const tz = plan.timeZone;
  return (
    <section aria-labelledby="page-title" class="home-page">
      <div class="page-head">
        <h1 id="page-title">Home</h1>
        <button type="button" onClick={solve} disabled={action.busy !== null}>
          Solve again
        </button>
      </div>
      {trouble && <TroubleNotice trouble={trouble} onRetry={read} />}
      <ActionNotice action={action} needs="the write scope" />
      <p class="solved" data-testid="solved">
        Solved at {timeIn(plan.solvedAt, tz, true)} ({zoneTimeName(tz)}) because {reasonText(plan.reason)},
        for {objectiveText(plan.objective)}; the solver said {plan.status}.
      </p>
      <HomeNow plan={plan} />
      <TodaySavings plan={plan} history={history} />
      <HomePlanSection plan={plan} />
      <HomeHistorySection plan={plan} history={history} hours={HISTORY_HOURS} />
      <Sources plan={plan} />
      <p class="live" aria-live="polite" data-testid="live-state" data-state={live}>
        {LIVE_TEXT[live]} · read at {timeIn(history.to, tz)} ({zoneTimeName(tz)})
      </p>
    </section>
  );
}

function NoHome(props: { detail: string }) {
  return (
    <div class="notice" data-testid="no-home">
      <p>
        <strong>No home is configured on this server.</strong> ({props.detail})
      </p>
      <p>
        To have gridshift plan a household ahead (battery, EV, appliances, PV), add a <code>home</code>{' '}
        section to the configuration file and restart <code>gridshift serve</code>, for example:
      </p>
      <pre>
        <code>{`home:
  zone: DE
  timeZone: Europe/Berlin
  battery: { socMinKwh: 1, socMaxKwh: 10, maxChargeKw: 3, maxDischargeKw: 3, initialSocKwh: 5 }
  appliances:
    - { id: dishwasher, powerKw: 1.2, durationMin: 90, earliest: "20:00", latestEnd: "07:00" }`}</code>
      </pre>
      <p>
        Every field is described in gridshift's documentation of the home, <code>docs/home.md</code> ("The
        home in the service").
      </p>
    </div>
  );
}

function Sources({ plan }: { plan: HomePlan }) {
  const entries = Object.entries(plan.sources);
  return (
    <div class="sources" data-testid="home-sources">
      <p>
        Sources:{' '}
        {entries.length === 0
          ? 'none named'
          : entries.map(([what, source]) => `${what}: ${source}`).join(' · ')}
        {plan.degraded.length === 0 ? ' · not degraded' : ''}
      </p>
      {plan.degraded.length > 0 && (
        <div class="degraded" role="note" data-testid="home-degraded">
          <p>
            <strong>Degraded data.</strong>
          </p>
          <ul>
            {plan.degraded.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
