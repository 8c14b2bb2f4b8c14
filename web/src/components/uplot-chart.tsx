import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/**
 * One uPlot canvas in a box, the dashboard's only chart wrapper: drawn for the width its box has and
 * redrawn when that changes, destroyed with the component. `options(width)` and `data()` make the chart,
 * drawn again when one of `deps` changes; the figure's text alternative is `label` and the table beside
 * it. The helpers below are what the time charts share.
 */
export function UPlotChart(props: {
  options: (width: number) => uPlot.Options;
  data: () => uPlot.AlignedData;
  deps: readonly unknown[];
  label: string;
  class: string;
  testId: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const { options } = props;
    const width = () => Math.max(260, Math.floor(el.clientWidth));
    const plot = new uPlot(options(width()), props.data(), el);
    const resized = new ResizeObserver(() => {
      const w = width();
      if (w !== plot.width) plot.setSize({ width: w, height: options(w).height ?? plot.height });
    });
    resized.observe(el);
    return () => {
      resized.disconnect();
      plot.destroy();
    };
  }, props.deps);
  return <div ref={box} class={props.class} role="img" aria-label={props.label} data-testid={props.testId} />;
}

/** Values that hold for their whole slot: each drawn up to the next point. */
export const stepped = uPlot.paths.stepped?.({ align: 1 });

/** Time ticks as the zone reads them: 24-hour times, with the day under the first tick and under midnight. */
export function timeTicks(timeZone: string) {
  const hourMinute = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const day = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    day: 'numeric',
    month: 'short',
  });
  return (_u: uPlot, splits: number[]) =>
    splits.map((s, i) => {
      const at = new Date(s * 1000);
      const hm = hourMinute.format(at);
      return i === 0 || hm === '00:00' ? `${hm}\n${day.format(at)}` : hm;
    });
}

/** Shaded spans across the plot (seconds on x), drawn under the lines; `edge` outlines one. */
export function shadeSpans(
  spans: readonly { fromS: number; toS: number; fill: string; edge?: string }[],
): (u: uPlot) => void {
  return (u) => {
    const { ctx, bbox } = u;
    ctx.save();
    for (const w of spans) {
      const x0 = u.valToPos(w.fromS, 'x', true);
      const x1 = u.valToPos(w.toS, 'x', true);
      ctx.fillStyle = w.fill;
      ctx.fillRect(x0, bbox.top, Math.max(1, x1 - x0), bbox.height);
      if (w.edge) {
        ctx.strokeStyle = w.edge;
        ctx.strokeRect(x0, bbox.top, Math.max(1, x1 - x0), bbox.height);
      }
    }
    ctx.restore();
  };
}

/** A dotted vertical line at `atS` (now). */
export function markAt(atS: number, color: string): (u: uPlot) => void {
  return (u) => {
    const { ctx, bbox } = u;
    const x = Math.round(u.valToPos(atS, 'x', true));
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = 1;
    ctx.setLineDash([3, 3]);
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
    ctx.restore();
  };
}
