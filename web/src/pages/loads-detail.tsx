import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Decision, Load, LoadDetail, Plan } from '../../../src/client/index.ts';
import { AttemptTimeline, OutputTail } from '../components/attempt-timeline.tsx';
import { type DrawnPlan, PlanChart } from '../components/plan-chart.tsx';
import { PlanExplanation } from '../components/plan-explanation.tsx';
import { TroubleNotice } from '../components/trouble-notice.tsx';
import { timeIn, zoneTimeName } from '../format.ts';
import { useLiveEvents } from '../live.ts';
import { type Trouble, troubleOf, useSession } from '../session.ts';
import { CAN, LOCAL_TIME_ZONE, loadZone, mass, money, savingsText } from './loads-format.ts';
import { LiveLine } from './loads-list.tsx';
import { useZoneSignals } from './loads-signals.ts';

/**
 * One load (GET /v1/loads/{id}): its state and figures, why it runs when it does (its newest plan or
 * replan decision from GET /v1/audit, drawn on the zone's chart), its timeline of attempts, the tail of its
 * dispatch output, and the actions run now, cancel and retry, which need a write token.
 */

const SETTLE_MS = 250;
/** at most this many pages of decisions are read for one load (100 each) */
const MAX_DECISION_PAGES = 5;

/** The load's newest plan or replan decision, as the plan it chose and its runner-ups. */
function planOf(decisions: Decision[]): Plan | null {
  for (let i = decisions.length - 1; i >= 0; i--) {
    const d = decisions[i];
    if (d.kind !== 'plan' && d.kind !== 'replan') continue;
    const choice = d.choice as Omit<Plan, 'alternatives'> | null;
    if (!choice || !Array.isArray(choice.runs) || !choice.baseline) continue;
    return { ...choice, alternatives: (d.alternatives ?? []) as Plan['alternatives'] };
  }
  return null;
}

export function LoadDetailPage(props: { id: string }) {
  const session = useSession();
  const [detail, setDetail] = useState<LoadDetail | null>(null);
  const [plan, setPlan] = useState<Plan | null>(null);
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const reading = useRef<AbortController | null>(null);

  const read = useCallback(async () => {
    reading.current?.abort();
    const abort = new AbortController();
    reading.current = abort;
    const { client } = session;
    try {
      const decisions: Decision[] = [];
      const readDecisions = async () => {
        let afterSeq = 0;
        for (let i = 0; i < MAX_DECISION_PAGES; i++) {
          const page = await client.audit.list({ loadId: props.id, afterSeq }, { signal: abort.signal });
          decisions.push(...page.decisions);
          if (page.nextAfterSeq === null) break;
          afterSeq = page.nextAfterSeq;
        }
      };
      const [d] = await Promise.all([client.loads.get(props.id, { signal: abort.signal }), readDecisions()]);
      if (abort.signal.aborted) return;
      setDetail(d);
      setPlan(planOf(decisions));
      setTrouble(null);
    } catch (err) {
      if (abort.signal.aborted) return;
      const t = troubleOf(err);
      if (t.kind === 'unauthorized') session.needToken(t.message);
      else setTrouble(t);
    }
  }, [session, props.id]);

  useEffect(() => {
    void read();
    return () => reading.current?.abort();
  }, [read]);

  const settle = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const live = useLiveEvents(session.client, (event) => {
    if (event && !('loadId' in event && event.loadId === props.id)) return;
    clearTimeout(settle.current);
    settle.current = setTimeout(read, SETTLE_MS);
  });
  useEffect(() => () => clearTimeout(settle.current), []);

  if (!detail)
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
  const { load } = detail;
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
      {trouble && <TroubleNotice trouble={trouble} onRetry={read} />}
      <Actions load={load} onDone={(next) => setDetail({ ...detail, load: next })} onChanged={read} />
      <Figures detail={detail} />
      <DecisionSection load={load} plan={plan} />
      <section aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <AttemptTimeline events={detail.events} timeZone={LOCAL_TIME_ZONE} />
        <p class="hint">Times in {zoneTimeName(LOCAL_TIME_ZONE)}.</p>
      </section>
      <section aria-labelledby="output-title">
        <h2 id="output-title">Dispatch output</h2>
        <OutputTail events={detail.events} />
      </section>
      <LiveLine state={live} />
    </section>
  );
}

function Figures({ detail }: { detail: LoadDetail }) {
  const { load, accounting: a } = detail;
  const tz = LOCAL_TIME_ZONE;
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

function DecisionSection({ load, plan }: { load: Load; plan: Plan | null }) {
  const zone = plan?.zone ?? loadZone(load);
  const runs = (load.plan?.runs ?? plan?.runs ?? []).map((r) => ({ start: r.start, end: r.end }));
  const spans = [
    ...runs,
    ...(plan?.baseline.runs ?? []),
    ...(plan?.alternatives.flatMap((a) => a.runs) ?? []),
  ];
  const fromMs = Math.min(Date.parse(load.earliest), ...spans.map((r) => Date.parse(r.start)));
  const toMs = Math.max(Date.parse(load.deadline), ...spans.map((r) => Date.parse(r.end)));
  const { dashboard, trouble } = useZoneSignals(zone, fromMs, toMs);
  const drawn: DrawnPlan = {
    zone,
    runs,
    ...(plan ? { baseline: plan.baseline, alternatives: plan.alternatives } : {}),
  };
  const tz = dashboard?.zone.timeZone ?? LOCAL_TIME_ZONE;
  const replaced = plan && runs.length > 0 && plan.runs.length > 0 && plan.runs[0].start !== runs[0].start;
  return (
    <section aria-labelledby="decision-title">
      <h2 id="decision-title">Why it runs then</h2>
      {trouble && <TroubleNotice trouble={trouble} />}
      {dashboard ? (
        <PlanChart dashboard={dashboard} plan={drawn} what={`the plan of ${load.name}`} />
      ) : (
        !trouble && <p class="skeleton">Reading the zone's signals…</p>
      )}
      {replaced && (
        <p data-testid="plan-replaced">
          The plan below was then replaced: it now runs {timeIn(runs[0].start, tz, true)}.
        </p>
      )}
      {plan ? (
        <PlanExplanation plan={plan} timeZone={tz} />
      ) : (
        <p>No plan decision is recorded for this load.</p>
      )}
      <p class="hint">Times on the chart and in the explanation in {zoneTimeName(tz)}.</p>
    </section>
  );
}

type ActionName = 'run now' | 'cancel' | 'retry';

function Actions(props: { load: Load; onDone: (load: Load) => void; onChanged: () => void }) {
  const session = useSession();
  const [busy, setBusy] = useState<ActionName | null>(null);
  const [trouble, setTrouble] = useState<Trouble | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const { load } = props;
  const act = async (name: ActionName) => {
    setBusy(name);
    setTrouble(null);
    setDone(null);
    try {
      const { client } = session;
      const { load: next } =
        name === 'run now'
          ? await client.loads.runNow(load.id)
          : name === 'cancel'
            ? await client.loads.cancel(load.id, { reason: 'cancelled from the dashboard' })
            : await client.loads.retry(load.id);
      setDone(`${name[0].toUpperCase()}${name.slice(1)}: done, the load is ${next.state}.`);
      props.onDone(next);
      props.onChanged();
    } catch (err) {
      setTrouble(troubleOf(err));
    } finally {
      setBusy(null);
    }
  };
  const hint =
    trouble?.kind === 'forbidden'
      ? 'This token may only read: sign out and sign in with a token that has the write scope.'
      : trouble?.kind === 'unauthorized'
        ? 'Actions need an API token with the write scope (gridshift token create --scope write).'
        : undefined;
  return (
    <div class="load-actions" data-testid="load-actions">
      <button type="button" disabled={busy !== null || !CAN.runNow(load)} onClick={() => act('run now')}>
        Run now
      </button>
      <button type="button" disabled={busy !== null || !CAN.cancel(load)} onClick={() => act('cancel')}>
        Cancel
      </button>
      <button type="button" disabled={busy !== null || !CAN.retry(load)} onClick={() => act('retry')}>
        Retry
      </button>
      {busy && <span class="skeleton"> {busy}…</span>}
      {done && (
        <p role="status" data-testid="action-done">
          {done}
        </p>
      )}
      {trouble && <TroubleNotice trouble={trouble} hint={hint} />}
      {trouble?.kind === 'unauthorized' && (
        <button type="button" onClick={() => session.needToken('')}>
          Sign in
        </button>
      )}
    </div>
  );
}
