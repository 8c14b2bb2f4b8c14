import { useMemo } from 'preact/hooks';
import type { Dashboard, Plan } from '../../../src/client/index.ts';
import { chartData } from '../chart-data.ts';
import { timeIn, zoneTimeName } from '../format.ts';
import { COLORS, SignalChart } from './signal-chart.tsx';

/**
 * A plan drawn on its zone's signals: the chosen runs shaded as the Now page shades waiting loads, the
 * run-now baseline in grey and the runner-ups of the same zone outlined in blue. Runner-ups in other zones
 * have no place on this zone's chart; the explanation beside it lists them.
 */

export const PLAN_COLORS = {
  chosen: COLORS.window,
  baseline: 'rgba(90, 90, 90, 0.18)',
  baselineEdge: '#5a5a5a',
  alternative: 'rgba(31, 79, 168, 0.12)',
  alternativeEdge: '#1f4fa8',
};

/** What of a plan the chart draws: the API's Plan, or a stored plan rebuilt from the decision log. */
export type DrawnPlan = Pick<Plan, 'zone' | 'runs'> & {
  baseline?: Pick<Plan['baseline'], 'zone' | 'runs'>;
  alternatives?: Pick<Plan['alternatives'][number], 'zone' | 'runs'>[];
};

type Window = ReturnType<typeof chartData>['windows'][number];

function planWindows(d: Dashboard, plan: DrawnPlan): Window[] {
  const fromS = Date.parse(d.from) / 1000;
  const toS = Date.parse(d.to) / 1000;
  const clip = (runs: { start: string; end: string }[], name: string, fill: string, edge?: string) =>
    runs
      .map((r) => ({
        fromS: Math.max(fromS, Date.parse(r.start) / 1000),
        toS: Math.min(toS, Date.parse(r.end) / 1000),
        name,
        fill,
        ...(edge ? { edge } : {}),
      }))
      .filter((w) => w.toS > w.fromS);
  const here = (zone: string) => zone === d.zone.code;
  return [
    ...(plan.baseline && here(plan.baseline.zone)
      ? clip(plan.baseline.runs, 'run now', PLAN_COLORS.baseline, PLAN_COLORS.baselineEdge)
      : []),
    ...(plan.alternatives ?? [])
      .filter((a) => here(a.zone))
      .flatMap((a, i) =>
        clip(a.runs, `runner-up ${i + 1}`, PLAN_COLORS.alternative, PLAN_COLORS.alternativeEdge),
      ),
    ...(here(plan.zone) ? clip(plan.runs, 'chosen', PLAN_COLORS.chosen) : []),
  ];
}

export function PlanChart(props: { dashboard: Dashboard; plan: DrawnPlan; what: string }) {
  const d = props.dashboard;
  const data = useMemo(() => ({ ...chartData(d), windows: planWindows(d, props.plan) }), [d, props.plan]);
  const tz = d.zone.timeZone;
  const label =
    `Carbon intensity${data.hasPrice ? ' and price' : ''} in ${d.zone.name} from ${timeIn(d.from, tz, true)} ` +
    `to ${timeIn(d.to, tz, true)} (${zoneTimeName(tz)}), with ${props.what}: the chosen runs, running now ` +
    'and the runner-ups shaded. The explanation beside the chart says the same in words.';
  return (
    <figure class="chart-figure" data-testid="plan-chart">
      <figcaption>
        <span class="key">
          <span class="swatch" style={{ borderColor: COLORS.carbon }} /> carbon, g/kWh
        </span>
        {data.hasPrice && (
          <span class="key">
            <span class="swatch" style={{ borderColor: COLORS.price }} /> price, {d.price?.unit}
          </span>
        )}
        <span class="key">
          <span class="swatch window" style={{ background: PLAN_COLORS.chosen }} /> chosen
        </span>
        <span class="key">
          <span
            class="swatch window"
            style={{ background: PLAN_COLORS.baseline, outline: `1px solid ${PLAN_COLORS.baselineEdge}` }}
          />{' '}
          run now
        </span>
        <span class="key">
          <span
            class="swatch window"
            style={{
              background: PLAN_COLORS.alternative,
              outline: `1px solid ${PLAN_COLORS.alternativeEdge}`,
            }}
          />{' '}
          runner-ups
        </span>
        <span class="key">{zoneTimeName(tz)}</span>
      </figcaption>
      <SignalChart data={data} timeZone={tz} priceUnit={d.price?.unit ?? ''} label={label} />
    </figure>
  );
}
