import uPlot from 'uplot';
import type { ChartData } from '../chart-data.ts';
import { markAt, shadeSpans, stepped, timeTicks, UPlotChart } from './uplot-chart.tsx';

/**
 * Carbon intensity (left axis, g/kWh) and price (right axis) over time with uPlot: measured values as solid
 * lines, forecasts dashed, the 10-90 % band of the carbon forecast filled where there is one, the waiting
 * loads' runs shaded, a line at now. The figure's text alternative is the table beside it.
 */

export const COLORS = {
  carbon: '#1d6b35',
  price: '#1f4fa8',
  window: 'rgba(230, 140, 0, 0.22)',
  band: 'rgba(29, 107, 53, 0.16)',
  now: '#444',
};

/** The carbon axis: the values' range with a margin, so that the hours' differences show; never below 0. */
function paddedRange(min: number, max: number): [number, number] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 100];
  const margin = Math.max((max - min) * 0.15, max * 0.05, 5);
  return [Math.max(0, Math.floor((min - margin) / 10) * 10), Math.ceil((max + margin) / 10) * 10];
}

function options(data: ChartData, width: number, timeZone: string, priceUnit: string): uPlot.Options {
  const line = (label: string, stroke: string, scale: string, dash?: number[]): uPlot.Series => ({
    label,
    stroke,
    scale,
    width: 2,
    ...(dash ? { dash } : {}),
    ...(stepped ? { paths: stepped } : {}),
    points: { show: false },
  });
  return {
    width,
    height: Math.max(220, Math.min(320, Math.round(width * 0.5))),
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, g: { range: (_u, min, max) => paddedRange(min, max) } },
    axes: [
      { stroke: '#333', grid: { stroke: '#e3e3e3' }, values: timeTicks(timeZone) },
      { scale: 'g', label: 'g/kWh', stroke: COLORS.carbon, grid: { stroke: '#e3e3e3' }, size: 50 },
      ...(data.hasPrice
        ? [
            {
              scale: 'price',
              label: priceUnit,
              side: 1,
              stroke: COLORS.price,
              grid: { show: false },
              size: 56,
            },
          ]
        : []),
    ],
    series: [
      {},
      line('Carbon, measured', COLORS.carbon, 'g'),
      line('Carbon, forecast', COLORS.carbon, 'g', [6, 4]),
      line('Price, measured', COLORS.price, 'price'),
      line('Price, forecast', COLORS.price, 'price', [2, 3]),
      ...(data.carbonBand
        ? [line('Carbon, 90 %', 'transparent', 'g'), line('Carbon, 10 %', 'transparent', 'g')]
        : []),
    ],
    // the band fills between its two edges (series 5 above series 6)
    ...(data.carbonBand ? { bands: [{ series: [5, 6] as [number, number], fill: COLORS.band }] } : {}),
    hooks: {
      drawClear: [shadeSpans(data.windows.map((w) => ({ ...w, fill: w.fill ?? COLORS.window })))],
      draw: [markAt(data.nowS, COLORS.now)],
    },
  };
}

export function SignalChart(props: { data: ChartData; timeZone: string; priceUnit: string; label: string }) {
  const { data, timeZone, priceUnit } = props;
  return (
    <UPlotChart
      options={(width) => options(data, width, timeZone, priceUnit)}
      data={() =>
        [
          data.xs,
          data.carbonActual,
          data.carbonForecast,
          data.priceActual,
          data.priceForecast,
          ...(data.carbonBand ? [data.carbonBand.high, data.carbonBand.low] : []),
        ] as uPlot.AlignedData
      }
      deps={[data, timeZone, priceUnit]}
      label={props.label}
      class="chart"
      testId="signal-chart"
    />
  );
}
