import { useMemo, useState } from 'preact/hooks';
import type { HomeHistory, HomePlan } from '../../../src/client/index.ts';
import { HomeChart, HomeChartKey } from '../components/home-chart.tsx';
import { ScrollRegion } from '../components/scroll-region.tsx';
import { timeIn, zoneTimeName } from '../format.ts';
import { historyData, plannedOf } from '../home-data.ts';
import { kw, kwh, money } from './home-format.ts';

type Reading = HomeHistory['measurements'][number];

/** The newest reading within each slot (readings are in time order). */
function readingsBySlot(history: HomeHistory, stepMin: number): Map<string, Reading> {
  const stepMs = stepMin * 60_000;
  const starts = history.slots.map((s) => Date.parse(s.start));
  const out = new Map<string, Reading>();
  for (const m of history.measurements) {
    const t = Date.parse(m.at);
    const i = starts.findIndex((s) => s <= t && t < s + stepMs);
    const slot = history.slots[i];
    if (slot) out.set(slot.start, m);
  }
  return out;
}

/** The last hours: what each slot was planned for, against what the home reported. */
export function HomeHistorySection(props: { plan: HomePlan; history: HomeHistory; hours: number }) {
  const { plan, history } = props;
  const tz = plan.timeZone;
  const data = useMemo(() => historyData(history, plan.stepMin), [history, plan.stepMin]);
  const read = useMemo(() => readingsBySlot(history, plan.stepMin), [history, plan.stepMin]);
  const [open, setOpen] = useState(false);
  const span = `from ${timeIn(history.from, tz, true)} to ${timeIn(history.to, tz, true)} (${zoneTimeName(tz)})`;
  return (
    <section aria-labelledby="home-history-title">
      <h2 id="home-history-title">The last {props.hours} hours</h2>
      {history.slots.length === 0 ? (
        <p data-testid="history-empty">Nothing was planned {span}.</p>
      ) : (
        <>
          <p>
            {history.slots.length} slot{history.slots.length === 1 ? '' : 's'} planned and{' '}
            <span data-testid="history-readings">{history.measurements.length}</span> reading
            {history.measurements.length === 1 ? '' : 's'} {span}
            {history.measurements.length === 0
              ? '; the home reports readings with POST /v1/home/measurements.'
              : '.'}
          </p>
          <figure class="chart-figure">
            <figcaption>
              <HomeChartKey data={data} />
            </figcaption>
            <HomeChart
              data={data}
              timeZone={tz}
              testId="home-history-chart"
              label={`Grid import and battery state of charge as planned, against the readings (dots), ${span}. The numbers are in the table below.`}
            />
          </figure>
          <div class="numbers">
            <button
              type="button"
              aria-expanded={open}
              aria-controls="home-history-table"
              onClick={() => setOpen(!open)}
            >
              {open ? 'Hide the history' : 'Show the history'}
            </button>
            {open && (
              <ScrollRegion label="Planned and read per slot">
                <table id="home-history-table" data-testid="home-history-table">
                  <caption>Planned and read per slot ({tz})</caption>
                  <thead>
                    <tr>
                      <th scope="col">Slot</th>
                      <th scope="col">Import, planned</th>
                      <th scope="col">Import, read</th>
                      <th scope="col">SoC, planned</th>
                      <th scope="col">SoC, read</th>
                      <th scope="col">Cost, planned</th>
                      <th scope="col">Cost, baseline</th>
                    </tr>
                  </thead>
                  <tbody>
                    {history.slots.map((s) => {
                      const p = plannedOf(s);
                      const r = read.get(s.start);
                      return (
                        <tr key={s.start}>
                          <th scope="row">{timeIn(s.start, tz, true)}</th>
                          <td>{p.importKw === undefined ? '–' : kw(p.importKw)}</td>
                          <td>{r?.importKw == null ? '–' : kw(r.importKw)}</td>
                          <td>{p.socKwh === undefined ? '–' : kwh(p.socKwh)}</td>
                          <td>{r?.socKwh == null ? '–' : kwh(r.socKwh)}</td>
                          <td>{money(p.cost)}</td>
                          <td>{money(p.baseline?.cost)}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </ScrollRegion>
            )}
          </div>
        </>
      )}
    </section>
  );
}
