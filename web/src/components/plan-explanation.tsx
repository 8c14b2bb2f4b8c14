import type { Plan } from '../../../src/client/index.ts';
import { mass, money, percent, runsText } from '../pages/loads-format.ts';

/**
 * Why a plan runs when it does, in words: the chosen window against running at once and against the
 * runner-ups, with what each emits, the savings, the planner's reason and the signals it used.
 */

const REASONS: Record<Plan['reason'], string> = {
  'best-window': 'the best window between the earliest start and the deadline for the objective',
  'already-best': 'running at once is already the best choice for the objective',
  'waits-for-better':
    'starting at once is the best window on the forecast, but waiting is expected to find a better one',
  'no-room': 'there is no other start before the deadline, so it runs at once',
  'no-data': 'no complete window has signal data, so it runs at once',
};

export function PlanExplanation(props: { plan: Plan; timeZone: string; heading?: string }) {
  const { plan, timeZone: tz } = props;
  const s = plan.savings;
  return (
    <section class="explanation" aria-label={props.heading ?? 'Why this plan'} data-testid="explanation">
      <dl>
        <dt>Chosen</dt>
        <dd data-testid="chosen-window">
          {runsText(plan.runs, tz)} in {plan.zone}: {mass(plan.emissionsG)} CO2eq
          {plan.cost !== undefined && plan.cost !== null ? `, ${money(plan.cost, plan.currency)}` : ''}
        </dd>
        <dt>Run now</dt>
        <dd data-testid="baseline-window">
          {runsText(plan.baseline.runs, tz)} in {plan.baseline.zone}: {mass(plan.baseline.emissionsG)} CO2eq
          {plan.baseline.cost !== undefined && plan.baseline.cost !== null
            ? `, ${money(plan.baseline.cost, plan.currency)}`
            : ''}
        </dd>
        <dt>Saves</dt>
        <dd data-testid="plan-savings">
          {mass(s.emissionsG)} CO2eq ({percent(s.emissionsPct)})
          {s.cost !== undefined && s.cost !== null
            ? ` and ${money(s.cost, plan.currency)} (${percent(s.costPct)})`
            : ''}
        </dd>
        <dt>Why</dt>
        <dd>
          {REASONS[plan.reason]} ({plan.objective}
          {plan.capExceeded ? `; no plan meets the carbon cap of ${mass(plan.carbonCapG)}` : ''})
          {plan.waiting &&
            `. Waiting is expected to be ${Math.round(plan.waiting.expectedLowerPct)} % lower than starting now; ` +
              `${Math.round(plan.waiting.cleanerSharePct)} % chance it finds a cleaner window`}
        </dd>
        <dt>Signals</dt>
        <dd>
          carbon from {plan.sources.carbon}
          {plan.sources.price ? `, price from ${plan.sources.price}` : ''}
        </dd>
      </dl>
      {plan.alternatives.length > 0 && (
        <>
          <h3>Runner-ups</h3>
          <ol data-testid="runner-ups">
            {plan.alternatives.map((a) => {
              const more =
                a.emissionsG !== null && plan.emissionsG !== null ? a.emissionsG - plan.emissionsG : null;
              return (
                <li key={`${a.zone}${a.runs[0]?.start}`}>
                  {runsText(a.runs, tz)} in {a.zone}: {mass(a.emissionsG)} CO2eq
                  {more !== null ? ` (${more >= 0 ? '+' : '−'}${mass(Math.abs(more))})` : ''}
                </li>
              );
            })}
          </ol>
        </>
      )}
      {(plan.degraded ?? []).length > 0 && (
        <ul class="degraded" aria-label="Degraded data">
          {(plan.degraded ?? []).map((d) => (
            <li key={d}>Degraded: {d}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
