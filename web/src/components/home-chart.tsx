import uPlot from 'uplot';
import { HOME_COLORS, type HomeChartData, type HomeScale } from '../home-data.ts';
import { markAt, shadeSpans, stepped, timeTicks, UPlotChart } from './uplot-chart.tsx';

/**
 * The Home page's charts: power in kW on the left axis, the battery's energy in kWh or a price on the
 * right, the appliance runs shaded and a dotted line at the slot under way. The key and the table beside
 * each chart are its text alternative.
 */

const AXIS_LABEL: Record<HomeScale, string> = { kw: 'kW', kwh: 'kWh', price: 'per kWh' };

function options(data: HomeChartData, width: number, timeZone: string): uPlot.Options {
  const scales = [...new Set(data.lines.map((l) => l.scale))];
  const [left, ...right] = scales;
  const axis = (scale: HomeScale, side: 1 | 3): uPlot.Axis => ({
    scale,
    label: AXIS_LABEL[scale],
    side,
    stroke: '#333',
    grid: side === 3 ? { stroke: '#e3e3e3' } : { show: false },
    size: 52,
  });
  return {
    width,
    height: Math.max(200, Math.min(300, Math.round(width * 0.42))),
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: true },
      kw: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max * 1.1)] },
      kwh: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] },
    },
    axes: [
      { stroke: '#333', grid: { stroke: '#e3e3e3' }, values: timeTicks(timeZone) },
      ...(left ? [axis(left, 3)] : []),
      ...right.map((s) => axis(s, 1)),
    ],
    series: [
      {},
      ...data.lines.map(
        (l): uPlot.Series => ({
          label: l.label,
          stroke: l.color,
          scale: l.scale,
          width: l.pointsOnly ? 0 : 2,
          spanGaps: !l.pointsOnly,
          ...(l.dash ? { dash: l.dash } : {}),
          ...(l.pointsOnly ? { paths: () => null } : l.stepped && stepped ? { paths: stepped } : {}),
          points: l.pointsOnly ? { show: true, size: 7, fill: l.color } : { show: false },
        }),
      ),
    ],
    hooks: {
      drawClear: [shadeSpans(data.spans)],
      draw: [markAt(data.nowS, HOME_COLORS.now)],
    },
  };
}

export function HomeChart(props: { data: HomeChartData; timeZone: string; label: string; testId: string }) {
  const { data, timeZone } = props;
  return (
    <UPlotChart
      options={(width) => options(data, width, timeZone)}
      data={() => [data.xs, ...data.lines.map((l) => l.values)] as uPlot.AlignedData}
      deps={[data, timeZone]}
      label={props.label}
      class="chart"
      testId={props.testId}
    />
  );
}

/** The key of a chart: a swatch per line (dashed as drawn) and per appliance. */
export function HomeChartKey(props: { data: HomeChartData; appliances?: { id: string; fill: string }[] }) {
  return (
    <>
      {props.data.lines.map((l) => (
        <span class="key" key={l.label}>
          <span
            class={`swatch${l.dash ? ' dashed' : ''}${l.pointsOnly ? ' dot' : ''}`}
            style={{ borderColor: l.color, ...(l.pointsOnly ? { background: l.color } : {}) }}
          />{' '}
          {l.label}, {AXIS_LABEL[l.scale]}
        </span>
      ))}
      {(props.appliances ?? []).map((a) => (
        <span class="key" key={a.id}>
          <span class="swatch window" style={{ background: a.fill }} /> {a.id} runs
        </span>
      ))}
    </>
  );
}
