import uPlot from 'uplot';
import { UPlotChart } from './uplot-chart.tsx';

/**
 * What ran against what running at once would have emitted, per day, week or month, with uPlot: the
 * emissions as bars, the run-now counterfactual as a line with points. x is the row's index, labelled
 * with the row's key (`2026-11-03`, `2026-W45`, `2026-11`). The text alternative is the table beside it.
 */

export const TREND_COLORS = { emitted: '#1d6b35', baseline: '#8a4b00' };

export interface TrendData {
  keys: string[];
  emittedKg: (number | null)[];
  baselineKg: (number | null)[];
}

const bars = uPlot.paths.bars?.({ size: [0.6, 64] });

function options(data: TrendData, width: number): uPlot.Options {
  return {
    width,
    height: Math.max(200, Math.min(280, Math.round(width * 0.4))),
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: {
      x: { time: false, range: () => [-0.5, Math.max(0.5, data.keys.length - 0.5)] },
      kg: { range: (_u, _min, max) => [0, Math.max(1e-3, max) * 1.1] },
    },
    axes: [
      {
        stroke: '#333',
        grid: { show: false },
        incrs: [1, 2, 5, 7, 10, 14, 30],
        values: (_u, splits) => splits.map((s) => data.keys[s] ?? ''),
      },
      { scale: 'kg', label: 'kg CO2eq', stroke: '#333', grid: { stroke: '#e3e3e3' }, size: 56 },
    ],
    series: [
      {},
      {
        label: 'Emitted',
        scale: 'kg',
        stroke: TREND_COLORS.emitted,
        fill: TREND_COLORS.emitted,
        ...(bars ? { paths: bars } : {}),
        points: { show: false },
      },
      {
        label: 'Run now',
        scale: 'kg',
        stroke: TREND_COLORS.baseline,
        width: 2,
        points: { show: true, size: 6, fill: TREND_COLORS.baseline },
      },
    ],
  };
}

export function TrendChart(props: { data: TrendData; label: string }) {
  const { data } = props;
  return (
    <UPlotChart
      options={(width) => options(data, width)}
      data={() => [data.keys.map((_, i) => i), data.emittedKg, data.baselineKg] as uPlot.AlignedData}
      deps={[data]}
      label={props.label}
      class="trend"
      testId="trend-chart"
    />
  );
}
