import { useEffect, useMemo, useRef } from 'preact/hooks';
import type { Decision, GridshiftClient, Load, LoadDetail, Plan } from '../../../src/client/index.ts';
import { ActionNotice } from '../components/action-notice.tsx';
import { AttemptTimeline, OutputTail } from '../components/attempt-timeline.tsx';
import { LiveLine } from '../components/live-line.tsx';
import { type DrawnPlan, PlanChart } from '../components/plan-chart.tsx';
import { PlanExplanation } from '../components/plan-explanation.tsx';
import { TroubleNotice } from '../components/trouble-notice.tsx';
import { timeIn, zoneTimeName } from '../format.ts';
import { type LiveState, useLiveEvents } from '../live.ts';
import { LOCAL_TIME_ZONE } from '../local-time.ts';
import { type Trouble, useSession } from '../session.ts';
import { useApiAction, useApiRead } from '../use-read.ts';
import { awaitsAccounting, useAccountingFollowUp } from './loads-follow-up.ts';
import { CAN, loadZone, mass, money, savingsText } from './loads-format.ts';
import { useZoneSignals } from './loads-signals.ts';

/**
 * One load (GET /v1/loads/{id}): its state and figures, why it runs when it does (its newest plan or
 * replan decision from GET /v1/audit, drawn on the zone's chart), its timeline of attempts, the tail of its
 * dispatch output, and the actions run now, cancel and retry, which need a write token.
 */

const SETTLE_MS = 250;
/** at most this many pages of decisions are read for one load (100 each) */
const MAX_DECISION_PAGES = 5;

/** Why the load runs when it does: its newest plan or replan decision, and an operator's later run now or retry. */
interface Explanation {
  plan: Plan | null;
  /** a run now or retry after that plan, which replaced it with one run from then */
  overridden: Decision | null;
}

function explanationOf(decisions: Decision[]): Explanation {
  let plan: Plan | null = null;
  let overridden: Decision | null = null;
  for (const d of decisions) {
    if (d.kind === 'run_now' || d.kind === 'retry') overridden = d;
    if (d.kind !== 'plan' && d.kind !== 'replan') continue;
    const choice = d.choice as Omit<Plan, 'alternatives'> | null;
    if (!choice || !Array.isArray(choice.runs) || !choice.baseline) continue;
    plan = { ...choice, alternatives: (d.alternatives ?? []) as Plan['alternatives'] };
    overridden = null;
  }
  return { plan, overridden };
}

/** The load's decisions, oldest first, page after page (a bounded number of them). */
async function decisionsOf(
  client: GridshiftClient,
  loadId: string,
  signal: AbortSignal,
): Promise<Decision[]> {
  const decisions: Decision[] = [];
  let afterSeq = 0;
  for (let i = 0; i < MAX_DECISION_PAGES; i++) {
    const page = await client.audit.list({ loadId, afterSeq }, { signal });
    decisions.push(...page.decisions);
    if (page.nextAfterSeq === null) break;
    afterSeq = page.nextAfterSeq;
  }
  return decisions;
}

export function LoadDetailPage(props: { id: string }) {
  const session = useSession();
  const { data, trouble, read } = useApiRead(
    async (client, signal) => {
      const [detail, decisions] = await Promise.all([
        client.loads.get(props.id, { signal }),
        decisionsOf(client, props.id, signal),
      ]);
      return { detail, explanation: explanationOf(decisions), at: new Date().toISOString() };
    },
    [props.id],
  );

  const settle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useAccountingFollowUp(data !== null && awaitsAccounting(data.detail.load, data.detail.accounting), read);
  const live = useLiveEvents(session.client, (event) => {
    if (event && !('loadId' in event && event.loadId === props.id)) return;
    clearTimeout(settle.current);
    settle.current = setTimeout(read, SETTLE_MS);
  });
  useEffect(() => () => clearTimeout(settle.current), []);

  if (!data)
    return (
      <section aria-labelledby="page-title" aria-busy={!trouble}>
        <p>
          <a href="/loads">All loads</a>
        </p>
        <h1 id="page-title">Load {props.id}</h1>
        {trouble ? (
          <TroubleNotice trouble={trouble} onRetry={read} />
        ) : (
          <p class="skeleton">Reading the load…</p>
        )}
      </section>
    );
  return (
    <LoadView
      detail={data.detail}
      explanation={data.explanation}
      trouble={trouble}
      onRetry={read}
      live={live}
      readAt={data.at}
    />
  );
}

/** The load once read, its times in its zone's time zone (the browser's until the zone's signals are in). */
function LoadView(props: {
  detail: LoadDetail;
  explanation: Explanation;
  trouble: Trouble | null;
  onRetry: () => void;
  live: LiveState;
  readAt: string;
}) {
  const { detail, explanation } = props;
  const { load } = detail;
  const { plan } = explanation;
  const zone = plan?.zone ?? loadZone(load);
  const runs = (load.plan?.runs ?? plan?.runs ?? []).map((r) => ({ start: r.start, end: r.end }));
  const spans = [
    ...runs,
    ...(plan?.baseline.runs ?? []),
    ...(plan?.alternatives.flatMap((a) => a.runs) ?? []),
  ];
  const fromMs = Math.min(Date.parse(load.earliest), ...spans.map((r) => Date.parse(r.start)));
  const toMs = Math.max(Date.parse(load.deadline), ...spans.map((r) => Date.parse(r.end)));
  const signals = useZoneSignals(zone, fromMs, toMs);
  // the chart is drawn anew only when what it shows changes, not on every read
  const runsKey = JSON.stringify(runs);
  const planKey = JSON.stringify(plan);
  const drawn = useMemo<DrawnPlan>(
    () => ({ zone, runs, ...(plan ? { baseline: plan.baseline, alternatives: plan.alternatives } : {}) }),
    [zone, runsKey, planKey],
  );
  const tz = signals.dashboard?.zone.timeZone ?? LOCAL_TIME_ZONE;
  return (
    <section aria-labelledby="page-title">
      <p>
        <a href="/loads">All loads</a>
      </p>
      <h1 id="page-title">
        {load.name}{' '}
        <span class={`state state-${load.state}`} data-testid="detail-state">
          {load.state}
        </span>
      </h1>
      {props.trouble && <TroubleNotice trouble={props.trouble} onRetry={props.onRetry} />}
      <Actions load={load} onDone={props.onRetry} />
      <Figures detail={detail} timeZone={tz} />
      <section aria-labelledby="decision-title">
        <h2 id="decision-title">Why it runs then</h2>
        {signals.trouble && <TroubleNotice trouble={signals.trouble} />}
        {signals.dashboard ? (
          <PlanChart dashboard={signals.dashboard} plan={drawn} what={`the plan of ${load.name}`} />
        ) : (
          !signals.trouble && <p class="skeleton">Reading the zone's signals…</p>
        )}
        {explanation.overridden && runs[0] && (
          <p data-testid="plan-replaced">
            {explanation.overridden.kind === 'run_now' ? 'Run now' : 'Retried'} by an operator at{' '}
            {timeIn(explanation.overridden.at, tz, true)}: it runs from {timeIn(runs[0].start, tz, true)}{' '}
            instead of the plan explained here.
          </p>
        )}
        {plan ? (
          <PlanExplanation plan={plan} timeZone={tz} />
        ) : (
          <p>No plan decision is recorded for this load.</p>
        )}
      </section>
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <AttemptTimeline events={detail.events} timeZone={tz} />
      </section>
      <section aria-labelledby="output-title">
        <h2 id="output-title">Dispatch output</h2>
        <OutputTail events={detail.events} />
      </section>
      <p class="hint">Times in {zoneTimeName(tz)}.</p>
      <LiveLine state={props.live} at={props.readAt} />
    </section>
  );
}

function Figures({ detail, timeZone: tz }: { detail: LoadDetail; timeZone: string }) {
  const { load, accounting: a } = detail;
  const rows: [string, string][] = [
    ['Zone', loadZone(load)],
    ['Planned start', load.plannedStart ? timeIn(load.plannedStart, tz, true) : '–'],
    ['Deadline', timeIn(load.deadline, tz, true)],
    ['Duration', `${load.durationMin} min at ${load.powerKw ?? '–'} kW`],
    ['Objective', `${load.objective}${load.interruptible ? ', interruptible' : ''}`],
    ['Dispatch', load.dispatch.kind],
    ['Expected emissions', mass(load.plan?.expectedEmissionsG)],
    ['Run-now emissions', mass(load.plan?.baselineEmissionsG)],
    ['Actual emissions', a ? `${mass(a.emissionsG)} (${a.basis})` : '–'],
    ['Savings', savingsText(load, a)],
  ];
  if (a?.cost !== null && a?.cost !== undefined) rows.push(['Cost', money(a.cost, a.currency)]);
  if (load.lastError) rows.push(['Last error', load.lastError]);
  return (
    <dl class="load-figures" data-testid="load-figures">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Run now, cancel, retry: each needs a write token; what became of the last one is said below them. */
function Actions(props: { load: Load; onDone: () => void }) {
  const action = useApiAction();
  const { load } = props;
  const act = (name: string, call: (client: GridshiftClient) => Promise<{ load: Load }>) =>
    action.run(name, async (client) => {
      const { load: next } = await call(client);
      props.onDone();
      return `${name}: done, the load is ${next.state}.`;
    });
  const idle = action.busy === null;
  return (
    <div class="load-actions" data-testid="load-actions">
      <button
        type="button"
        disabled={!idle || !CAN.runNow(load)}
        onClick={() => act('Run now', (c) => c.loads.runNow(load.id))}
      >
        Run now
      </button>
      <button
        type="button"
        disabled={!idle || !CAN.cancel(load)}
        onClick={() =>
          act('Cancel', (c) => c.loads.cancel(load.id, { reason: 'cancelled from the dashboard' }))
        }
      >
        Cancel
      </button>
      <button
        type="button"
        disabled={!idle || !CAN.retry(load)}
        onClick={() => act('Retry', (c) => c.loads.retry(load.id))}
      >
        Retry
      </button>
      <ActionNotice action={action} needs="the write scope" />
    </div>
  );
}
